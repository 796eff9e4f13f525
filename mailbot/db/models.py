"""SQLAlchemy 2 models: mailbox state, inbound mail, tickets, threads, outbox.

The schema itself is created and changed only by the Alembic migrations in
`storage/migrations`; these classes must match them.
"""

from __future__ import annotations

import datetime
import enum

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime.datetime]):
    """A timezone-aware datetime stored as UTC on every engine.

    SQLite has no time zones, so values are normalised to UTC on the way in
    and tagged as UTC on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(
        self, value: datetime.datetime | None, dialect: object
    ) -> datetime.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(datetime.UTC)

    def process_result_value(
        self, value: datetime.datetime | None, dialect: object
    ) -> datetime.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=datetime.UTC)
        return value.astimezone(datetime.UTC)


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class Base(DeclarativeBase):
    pass


class InboundState(str, enum.Enum):
    STORED = "stored"
    PROCESSED = "processed"
    DUPLICATE = "duplicate"
    QUARANTINED = "quarantined"


class TicketStatus(str, enum.Enum):
    OPEN = "open"
    CLARIFICATION = "clarification"
    ANSWERED = "answered"
    CLOSED = "closed"


class Channel(str, enum.Enum):
    EMAIL = "email"
    PHONE = "phone"
    IN_PERSON = "in_person"


class Direction(str, enum.Enum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"
    INTERNAL = "internal"


class OutboxState(str, enum.Enum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    # Never sent: an automatic reply over the per-recipient rate limit.
    SUPPRESSED = "suppressed"


def _enum(enum_class: type[enum.Enum], name: str) -> Enum:
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        length=20,
        values_callable=lambda members: [member.value for member in members],
    )


class MailboxState(Base):
    """The UID ledger's high-water mark for one IMAP folder."""

    __tablename__ = "mailbox_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(500), unique=True)
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    last_poll_at: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime())


class InboundMessage(Base):
    """One raw message as fetched from IMAP, stored before anything else."""

    __tablename__ = "inbound_message"
    __table_args__ = (
        UniqueConstraint("mailbox", "uidvalidity", "uid", name="uq_inbound_uid"),
        Index("ix_inbound_message_id_hash", "message_id", "body_sha256"),
        Index("ix_inbound_state", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(500))
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    uid: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[str | None] = mapped_column(String(998))
    body_sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime())
    stored_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    state: Mapped[InboundState] = mapped_column(
        _enum(InboundState, "inbound_state"), default=InboundState.STORED
    )
    outcome: Mapped[str | None] = mapped_column(String(40))
    error: Mapped[str | None] = mapped_column(Text)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"))

    ticket: Mapped[Ticket | None] = relationship()
    # Raises instead of loading on attribute access, because a raw message
    # may be tens of megabytes. Query InboundRaw or use joinedload().
    content: Mapped[InboundRaw] = relationship(lazy="raise")


class InboundRaw(Base):
    """The raw bytes of one inbound message, as fetched from IMAP.

    They have a table of their own because SQLite rewrites a whole record
    on every UPDATE, so while they were a column of inbound_message, each
    state change copied the message too. `inbound_id` is the rowid, so on SQLite the bytes can be
    read and written through a blob handle on (inbound_raw, raw, inbound_id).
    """

    __tablename__ = "inbound_raw"

    inbound_id: Mapped[int] = mapped_column(ForeignKey("inbound_message.id"), primary_key=True)
    raw: Mapped[bytes] = mapped_column(LargeBinary)


class TicketCounter(Base):
    """The last ticket sequence number given out per prefix and year."""

    __tablename__ = "ticket_counter"

    prefix: Mapped[str] = mapped_column(String(10), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class Ticket(Base):
    """One request of an internal client and its life under the procedure."""

    __tablename__ = "ticket"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    process: Mapped[int | None] = mapped_column(Integer)
    confidence: Mapped[float | None] = mapped_column(Float)
    model_version: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[TicketStatus] = mapped_column(
        _enum(TicketStatus, "ticket_status"), default=TicketStatus.OPEN
    )
    channel: Mapped[Channel] = mapped_column(_enum(Channel, "channel"), default=Channel.EMAIL)
    requester_address: Mapped[str] = mapped_column(String(320))
    requester_name: Mapped[str] = mapped_column(String(200), default="")
    subject: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime())
    due_date: Mapped[datetime.date] = mapped_column(Date)
    due_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime())
    assignee: Mapped[str | None] = mapped_column(String(320))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"))
    created_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime.datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow
    )

    entries: Mapped[list[ThreadEntry]] = relationship(
        back_populates="ticket", order_by="ThreadEntry.id"
    )


class ThreadEntry(Base):
    """One event on a ticket's thread: a message in or out, or a status change."""

    __tablename__ = "thread_entry"
    __table_args__ = (
        Index("ix_thread_entry_message_id", "message_id"),
        Index("ix_thread_entry_ticket", "ticket_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"))
    direction: Mapped[Direction] = mapped_column(_enum(Direction, "direction"))
    kind: Mapped[str] = mapped_column(String(40))
    message_id: Mapped[str | None] = mapped_column(String(998))
    author: Mapped[str] = mapped_column(String(320), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    inbound_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_message.id"))
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    created_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="entries")
    outbox: Mapped[OutboxMessage | None] = relationship()
    attachments: Mapped[list[StoredAttachment]] = relationship(back_populates="entry")


class StoredAttachment(Base):
    """An attachment of a thread entry; the bytes live on disk by SHA-256."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("thread_entry.id"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))

    entry: Mapped[ThreadEntry] = relationship(back_populates="attachments")


class OutboxMessage(Base):
    """A rendered outgoing mail waiting for, or done with, SMTP delivery."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "state", "next_attempt_at"),
        Index("ix_outbox_recipient", "recipient", "created_at"),
        Index("ix_outbox_ticket", "ticket_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(998), unique=True)
    # The first recipient, lower case: what the automatic-reply limits count by.
    recipient: Mapped[str] = mapped_column(String(320), default="")
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"))
    kind: Mapped[str] = mapped_column(String(40))
    envelope_from: Mapped[str] = mapped_column(String(320))
    recipients: Mapped[list[str]] = mapped_column(JSON)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    state: Mapped[OutboxState] = mapped_column(
        _enum(OutboxState, "outbox_state"), default=OutboxState.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime())

    ticket: Mapped[Ticket | None] = relationship()


class ProcessCorrection(Base):
    """A staff member's change of a ticket's process, kept for retraining."""

    __tablename__ = "process_correction"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"))
    old_process: Mapped[int | None] = mapped_column(Integer)
    new_process: Mapped[int | None] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    model_version: Mapped[str | None] = mapped_column(String(64))
    author: Mapped[str] = mapped_column(String(320), default="")
    created_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ReminderSent(Base):
    """A deadline reminder queued for one ticket, reminder kind and due date.

    The unique key lets one instance queue each reminder: it is inserted in
    the transaction that queues the mail, so a second insert fails and rolls
    that mail back. A new due date allows the reminders again.
    """

    __tablename__ = "reminder_sent"
    __table_args__ = (UniqueConstraint("ticket_id", "kind", "due_date", name="uq_reminder_sent"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"))
    # "before_<working days>" or "overdue".
    kind: Mapped[str] = mapped_column(String(20))
    due_date: Mapped[datetime.date] = mapped_column(Date)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    created_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DigestRun(Base):
    """One digest queued for management.

    `period_key` names the schedule slot the digest belongs to and is unique,
    so one digest goes out per slot however many instances run. A repeat
    forced by hand has no period key.
    """

    __tablename__ = "digest_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    scheduled_for: Mapped[datetime.datetime] = mapped_column(UTCDateTime())
    # "schedule", "command" or "forced".
    origin: Mapped[str] = mapped_column(String(20))
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    created_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Lease(Base):
    """A named lease: which daemon instance holds a mailbox or a job, and until when."""

    __tablename__ = "lease"

    name: Mapped[str] = mapped_column(String(500), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime())


class SurveyCampaign(Base):
    """One year's Form No. 1 survey: open from `started_at` until closed."""

    __tablename__ = "survey_campaign"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    started_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The last day answers are accepted, in the committee's time zone.
    until: Mapped[datetime.date | None] = mapped_column(Date)
    closed_at: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime())
    # "campaign" for a survey run by mailbot, "import" for earlier years' results.
    origin: Mapped[str] = mapped_column(String(20), default="campaign")


class SurveyInvitation(Base):
    """One internal client invited to a campaign.

    Only the hash of the link's secret is kept. `answered` records only that
    this person has answered, with no date or time, so that the answer's
    `submitted_on` cannot single out its author.
    """

    __tablename__ = "survey_invitation"
    __table_args__ = (UniqueConstraint("campaign_id", "address", name="uq_survey_invitation"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("survey_campaign.id"))
    address: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200), default="")
    secret_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    invited_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    last_reminded_at: Mapped[datetime.datetime | None] = mapped_column(UTCDateTime())
    answered: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class SurveyResponse(Base):
    """One anonymous filled-in Form No. 1; `answers` follows mailbot.survey.form."""

    __tablename__ = "survey_response"
    __table_args__ = (Index("ix_survey_response_campaign", "campaign_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("survey_campaign.id"))
    submitted_on: Mapped[datetime.date] = mapped_column(Date)
    answers: Mapped[dict[str, object]] = mapped_column(JSON)


class TicketFeedback(Base):
    """A requester's rating (1-5) of the answer on one ticket; the latest one counts."""

    __tablename__ = "ticket_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), unique=True)
    # The ticket's process when the rating was given.
    process: Mapped[int | None] = mapped_column(Integer)
    rating: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    # "mail" for a reply with the digit, "link" for the one-click page.
    source: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime.datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow
    )
