"""Portal pages: sign-in, bookings and tickets, guests, invoices, and the tracked links in emails."""
