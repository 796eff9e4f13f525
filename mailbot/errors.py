"""Exceptions a caller can act on; every one derives from MailbotError."""

from __future__ import annotations


class MailbotError(Exception):
    """Base class of every error mailbot raises on purpose."""


class ConfigurationError(MailbotError):
    """A setting is missing or invalid; the message is Russian and names it."""


class FetchError(MailbotError):
    """The IMAP server could not be reached or refused a command."""


class ParseError(MailbotError):
    """A raw message could not be turned into a parsed message."""


class TemplateError(MailbotError):
    """A mail template is missing or failed to render."""


class DeliveryError(MailbotError):
    """An outgoing mail could not be handed to the SMTP server."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent
