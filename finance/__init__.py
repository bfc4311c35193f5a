"""Lane 04 Finance integration."""
