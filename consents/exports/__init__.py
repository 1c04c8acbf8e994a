"""Copies and evidence of consent signatures: the client's PDF copy of what they signed,
and the FHIR R4 ``Consent`` resource for other systems."""
