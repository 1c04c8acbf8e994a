"""Copies of a submitted intake that leave the portal: a PDF for people, FHIR R4 resources
for other systems. Building them decrypts answers: the views that serve them audit each one
(``Action.INTAKE_EXPORTED``); nothing here records, sends or stores anything."""

from __future__ import annotations

from intake.exports.fhir import questionnaire_resource, questionnaire_response
from intake.exports.pdf import intake_pdf

__all__ = ["intake_pdf", "questionnaire_resource", "questionnaire_response"]
