"""Settings: base (shared), dev (demo on SQLite), test, production (PostgreSQL, hardened)."""
