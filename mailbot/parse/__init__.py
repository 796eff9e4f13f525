"""The parse layer: raw message bytes to a ParsedMessage (pure code, no I/O)."""

from mailbot.parse.message import parse_message
from mailbot.parse.model import Address, Attachment, MessageKind, ParsedMessage

__all__ = ["Address", "Attachment", "MessageKind", "ParsedMessage", "parse_message"]
