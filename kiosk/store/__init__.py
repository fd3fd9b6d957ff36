"""SQLite storage: the catalogue, the transaction journal, the outbox (SPEC section 2)."""
