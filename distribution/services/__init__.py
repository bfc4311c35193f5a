"""Lane 06 writes: `sending` (emails, the distribution job, resends, outcomes), `tracking` (opens,
downloads, wallet adds), `portal` (sign-in links and the buyer's own actions)."""
