"""Inbound queues: what became of every caller who called in (answered, abandoned, timed out, refused), the service
level that defines, and the live and stored figures built on it (docs/domain.md, "Inbound service level")."""
