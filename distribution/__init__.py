"""Lane 06 Ticket distribution."""
