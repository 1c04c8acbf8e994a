"""The client questionnaire: drafts, submissions, scoring and staff review (later issues)."""
