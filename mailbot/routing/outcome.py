"""The outcome of routing one inbound message."""

from __future__ import annotations

import dataclasses

from mailbot.db.models import InboundMessage, Ticket


@dataclasses.dataclass(frozen=True)
class Outcome:
    """The outcome of one inbound message, for its ledger row and the log."""

    name: str
    inbound: InboundMessage
    ticket: Ticket | None = None
    reason: str | None = None

    def log_extra(self) -> dict[str, object]:
        return {
            "outcome": self.name,
            "reason": self.reason,
            "ticket": self.ticket.number if self.ticket is not None else None,
            "message_id": self.inbound.message_id,
            "uid": self.inbound.uid,
            "uidvalidity": self.inbound.uidvalidity,
        }
