"""The client questionnaire: drafts, submissions, scoring and staff review (built in later issues)."""
