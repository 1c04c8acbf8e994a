"""Consent documents, versions, signatures, withdrawals and authorizations (later issues)."""
