"""The buyer portal: a separate URL space (/portal/) with its own sign-in, scoped to one buyer."""
