"""Intake: IMAP connection, the UID ledger and waiting for new mail."""
