"""Developer accounts: credentials of their own, the apps they own, and an account-level pool."""
