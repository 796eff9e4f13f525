"""The parsed message: what the parse layer hands to routing and storage."""

from __future__ import annotations

import dataclasses
import datetime
import enum
from typing import Any


class MessageKind(str, enum.Enum):
    """What produced the message, as far as its headers and structure tell."""

    HUMAN = "human"
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"
    RECEIPT = "receipt"


@dataclasses.dataclass(frozen=True)
class Address:
    """One mailbox from an address header; `name` is decoded, may be empty."""

    name: str
    address: str

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "address": self.address}


@dataclasses.dataclass(frozen=True)
class Attachment:
    """One attachment with its decoded bytes."""

    filename: str
    content_type: str
    content: bytes = dataclasses.field(repr=False)
    content_id: str | None = None
    inline: bool = False

    @property
    def size(self) -> int:
        return len(self.content)

    @property
    def sha256(self) -> str:
        import hashlib

        return hashlib.sha256(self.content).hexdigest()

    def to_json(self) -> dict[str, Any]:
        return {
            "filename": self.filename,
            "content_type": self.content_type,
            "size": self.size,
            "sha256": self.sha256,
        }


@dataclasses.dataclass(frozen=True)
class ParsedMessage:
    """A raw MIME message turned into the fields mailbot works with.

    Header values are decoded to text. `return_path` is None when the header
    is absent and "" for the null sender `<>`. `original_message_id` is the
    Message-ID of our mail that a bounce or read receipt reports on, when the
    report names it.
    """

    message_id: str | None
    from_: Address | None
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    reply_to: tuple[Address, ...]
    subject: str
    date: datetime.datetime | None
    in_reply_to: str | None
    references: tuple[str, ...]
    kind: MessageKind
    ticket_number: str | None
    body_text: str
    reply_text: str
    attachments: tuple[Attachment, ...]
    return_path: str | None = None
    auto_submitted: str | None = None
    precedence: str | None = None
    x_loop: tuple[str, ...] = ()
    original_message_id: str | None = None
    defects: tuple[str, ...] = ()

    @property
    def from_address(self) -> str | None:
        return self.from_.address.lower() if self.from_ else None

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object that `mailbot parse --json` prints."""
        return {
            "message_id": self.message_id,
            "from": self.from_.to_json() if self.from_ else None,
            "to": [address.to_json() for address in self.to],
            "cc": [address.to_json() for address in self.cc],
            "subject": self.subject,
            "date": self.date.isoformat() if self.date else None,
            "in_reply_to": self.in_reply_to,
            "references": list(self.references),
            "kind": self.kind.value,
            "ticket_number": self.ticket_number,
            "body_text": self.body_text,
            "reply_text": self.reply_text,
            "attachments": [attachment.to_json() for attachment in self.attachments],
        }
