"""Copies of a client's measures that leave the portal: FHIR R4 resources for other
systems (``fhir``), and the client's progress as a PDF (``pdf``). Building them reads
decrypted answers and scores: the views that serve them check access and audit each
download; nothing here records, sends or stores anything. What the exports read of an
instrument is a structural type (``instrument_info.InstrumentInfo``), which the intake's
instrument definitions satisfy."""
