"""Lane 07 Buyer data and reporting."""
