"""Consent views: the client's pages, exports and the admin's pages."""
