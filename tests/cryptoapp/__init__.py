"""A test-only app with one model holding every encrypted field type (installed in tests)."""
