"""Lane 07 gate: scanner devices, scan decisions, offline uploads, CSV imports and the exception desk."""
