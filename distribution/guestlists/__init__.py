"""Guest lists that fill themselves: placeholders, claim links, name deadlines and cut-off, reminders,
the buyer's guest address book. Models live in `models` (imported by distribution/models.py)."""
