"""Lane 05 Tickets."""
