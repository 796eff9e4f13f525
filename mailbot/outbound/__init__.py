"""Outgoing mail: templates, composition with threading headers, the outbox."""
