"""The HTTP API base: auth, errors, pagination, idempotency and jobs. `root` assembles the lanes."""
