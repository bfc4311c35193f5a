"""Staff sign-in: password and two-factor steps, single sign-on, lockout, re-authentication and idle expiry."""
