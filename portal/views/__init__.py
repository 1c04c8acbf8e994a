"""Views of the platform, one module per area."""
