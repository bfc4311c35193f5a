"""Lane 02 Buyer management."""
