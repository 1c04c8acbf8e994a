"""Languages: which ones the portal speaks, whose language a page, an email or a PDF is in,
and the message catalogs (``locale/``) compiled without GNU gettext."""
