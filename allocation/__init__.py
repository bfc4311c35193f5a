"""Lane 03 Stock allocation."""
