"""The questionnaire builder: practice admins draft, check, preview and publish their own
versions of the intake questionnaires, and choose which one each kind of intake starts on
(docs/questionnaire-builder.md)."""
