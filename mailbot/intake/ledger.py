"""The UID ledger: store each new raw message before anything else happens.

State kept in the database, and what survives a restart:

- `mailbox_state` holds, per folder, the UIDVALIDITY seen last and the
  highest UID stored. UIDs only grow within one UIDVALIDITY (RFC 3501,
  section 2.3.1.1), so everything above that mark is new, whatever its
  `\\Seen` flag says: a message someone already opened in Outlook is still
  fetched.
- `inbound_message` holds each stored message with its UIDVALIDITY and UID
  (unique together), its Message-ID and the SHA-256 of its body;
  `inbound_raw` holds its raw bytes.

A batch is fetched with BODY.PEEK[] (which leaves `\\Seen` alone), stored
and committed together with the new high-water mark, and only then flagged
`\\Seen` on the server. A crash before the commit refetches the batch; a
crash after it leaves some messages unflagged, and the next poll flags them.
A message whose Message-ID and body hash match one already stored (one mail
delivered to the IT address and to a CC'd staff box, or a folder rescanned
after UIDVALIDITY changed) is stored as a DUPLICATE and never processed.
Nothing is deleted from the server. With MAILBOT_IMAP_PROCESSED_FOLDER set,
the daemon moves processed messages away (see `processed.py`); the moved
UIDs lie under the high-water mark, so the ledger never misses them. Only
one daemon instance syncs a folder at a time: the daemon holds a lease
(see `mailbot.leases`) while it calls `sync_folder`.
"""

from __future__ import annotations

import dataclasses
import datetime
import email.parser
import email.policy
import hashlib
import logging
from collections.abc import Callable, Iterator

import imapclient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mailbot.db.models import InboundMessage, InboundRaw, InboundState, MailboxState, utcnow

logger = logging.getLogger(__name__)

# One batch's raw mail is held in memory until its commit; imapclient needs
# about three times a FETCH response's size while it reads it.
MAX_BATCH_BYTES = 8 * 1024 * 1024
MAX_BATCH_MESSAGES = 100
# A message above this size is fetched alone, in FETCH_CHUNK_BYTES pieces
# (partial BODY.PEEK[]<offset.length> fetches): imapclient 4.1 holds about three
# times a response while reading it (measured: 3 MB for a 1 MB piece, 90 MB for a
# whole 27 MB message). SQLite's insert then takes about twice the message
# again while it assembles the row (see _add), which no fetch strategy avoids.
LARGE_MESSAGE_BYTES = 2 * 1024 * 1024
FETCH_CHUNK_BYTES = 1024 * 1024


def body_sha256(raw: bytes) -> str:
    """Hash the part after the header block, which copies in two boxes share.

    The body is hashed through a memoryview, so a 27 MB message is not
    copied once more just to be hashed.
    """
    for separator in (b"\r\n\r\n", b"\n\n"):
        position = raw.find(separator)
        if position >= 0:
            return hashlib.sha256(memoryview(raw)[position + len(separator):]).hexdigest()
    return hashlib.sha256(raw).hexdigest()


def _header_section(raw: bytes) -> bytes:
    """Return the header block of a raw message, up to its first empty line.

    The email package's header parser still reads (and splits into lines)
    everything after the headers, which for a message with a 20 MB
    attachment took about 200 MB, so only the header block is handed to it.
    """
    ends = [position for position in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if position >= 0]
    return raw[:min(ends)] if ends else raw


def header_message_id(raw: bytes) -> str | None:
    """Read Message-ID from the raw header block without a full parse."""
    headers = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(_header_section(raw))
    value = headers.get("Message-ID")
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text[:998] or None


def mailbox_key(user: str, host: str, folder: str) -> str:
    return f"{user}@{host}/{folder}"


@dataclasses.dataclass(frozen=True)
class SyncResult:
    stored: int
    uidvalidity: int
    # False when `should_continue` stopped the sync before the last batch.
    complete: bool


def sync_folder(
    client: imapclient.IMAPClient,
    session_factory: sessionmaker[Session],
    key: str,
    folder: str,
    *,
    should_continue: Callable[[], bool] | None = None,
) -> SyncResult:
    """Store every message above the high-water mark, one committed batch at a time.

    `should_continue` is asked before each batch (the daemon checks its stop
    request and renews its mailbox lease there); when it returns False, the
    batches stored so far stay committed and the rest waits for the next sync.
    """
    uidvalidity = int(client.select_folder(folder)[b"UIDVALIDITY"])
    last_uid = _prepare_state(session_factory, key, uidvalidity)
    _flag_stored_messages_seen(client, last_uid)

    new_uids = [uid for uid in client.search(["UID", f"{last_uid + 1}:*"]) if uid > last_uid]
    stored = 0
    for batch in _batches(client, sorted(new_uids)):
        if should_continue is not None and not should_continue():
            return SyncResult(stored, uidvalidity, complete=False)
        stored += _store_batch(client, session_factory, key, uidvalidity, batch)
        client.add_flags(batch, [imapclient.SEEN], silent=True)
    _touch_poll_time(session_factory, key)
    return SyncResult(stored, uidvalidity, complete=True)


def _prepare_state(session_factory: sessionmaker[Session], key: str, uidvalidity: int) -> int:
    with session_factory.begin() as session:
        state = session.scalars(select(MailboxState).where(MailboxState.mailbox == key)).first()
        if state is None:
            session.add(MailboxState(mailbox=key, uidvalidity=uidvalidity, last_uid=0))
            return 0
        if state.uidvalidity != uidvalidity:
            logger.warning(
                "UIDVALIDITY changed, rescanning the folder",
                extra={"mailbox": key, "old_uidvalidity": state.uidvalidity, "uidvalidity": uidvalidity},
            )
            state.uidvalidity = uidvalidity
            state.last_uid = 0
        return state.last_uid


def _flag_stored_messages_seen(client: imapclient.IMAPClient, last_uid: int) -> None:
    if last_uid == 0:
        return
    unflagged = client.search(["UNSEEN", "UID", f"1:{last_uid}"])
    unflagged = [uid for uid in unflagged if uid <= last_uid]
    if unflagged:
        client.add_flags(unflagged, [imapclient.SEEN], silent=True)


def _batches(client: imapclient.IMAPClient, uids: list[int]) -> Iterator[list[int]]:
    """Group UIDs so one batch stays under MAX_BATCH_BYTES in memory."""
    if not uids:
        return
    sizes = client.fetch(uids, ["RFC822.SIZE"])
    batch: list[int] = []
    batch_bytes = 0
    for uid in uids:
        size = int(sizes.get(uid, {}).get(b"RFC822.SIZE", 0))
        if size > LARGE_MESSAGE_BYTES:
            if batch:
                yield batch
                batch, batch_bytes = [], 0
            yield [uid]
            continue
        if batch and (batch_bytes + size > MAX_BATCH_BYTES or len(batch) >= MAX_BATCH_MESSAGES):
            yield batch
            batch, batch_bytes = [], 0
        batch.append(uid)
        batch_bytes += size
    if batch:
        yield batch


def _fetch(client: imapclient.IMAPClient, uids: list[int]) -> dict[int, tuple[bytes, object]]:
    """Fetch (raw, INTERNALDATE) per UID; a batch of one is fetched in chunks.

    A UID the server no longer has is missing from the result.
    """
    if len(uids) == 1:
        fetched = _fetch_in_chunks(client, uids[0])
        return {uids[0]: fetched} if fetched is not None else {}
    found = client.fetch(uids, ["BODY.PEEK[]", "INTERNALDATE"])
    return {
        uid: (data[b"BODY[]"], data.get(b"INTERNALDATE"))
        for uid, data in found.items() if b"BODY[]" in data
    }


def _fetch_in_chunks(client: imapclient.IMAPClient, uid: int) -> tuple[bytes, object] | None:
    """Fetch one message FETCH_CHUNK_BYTES at a time until a piece comes back short.

    The loop trusts the pieces, not RFC822.SIZE, which some servers only
    estimate.
    """
    chunks: list[bytes] = []
    internal_date: object = None
    offset = 0
    while True:
        items = [f"BODY.PEEK[]<{offset}.{FETCH_CHUNK_BYTES}>"]
        if not chunks:
            items.append("INTERNALDATE")
        data = client.fetch([uid], items).get(uid)
        chunk = _partial_body(data)
        if chunk is None:
            # Gone (expunged by someone else) before or while it was read.
            return None
        if not chunks and data is not None:
            internal_date = data.get(b"INTERNALDATE")
        chunks.append(chunk)
        offset += len(chunk)
        if len(chunk) < FETCH_CHUNK_BYTES:
            return b"".join(chunks), internal_date


def _partial_body(data: dict[bytes, object] | None) -> bytes | None:
    # The key names the piece's origin, b"BODY[]<1048576>"; servers differ
    # in whether they repeat the offset, so any BODY[] key is taken.
    for key, value in (data or {}).items():
        if isinstance(key, bytes) and key.startswith(b"BODY[]"):
            return value if isinstance(value, bytes) else b""
    return None


def _store_batch(
    client: imapclient.IMAPClient,
    session_factory: sessionmaker[Session],
    key: str,
    uidvalidity: int,
    uids: list[int],
) -> int:
    fetched = _fetch(client, uids)
    messages = []
    for uid in uids:
        if uid not in fetched:
            logger.warning("message vanished before fetch", extra={"mailbox": key, "uid": uid})
            continue
        raw, internal_date = fetched.pop(uid)
        messages.append((uid, raw, header_message_id(raw), body_sha256(raw), internal_date))

    with session_factory.begin() as session:
        # Two queries per batch instead of two per message: the UIDs already
        # stored, and the (Message-ID, body hash) pairs already known.
        known_uids = _stored_uids(session, key, uidvalidity, uids)
        seen = _known_copies(session, [message[2] for message in messages if message[2] is not None])
        stored = 0
        for uid, raw, message_id, digest, internal_date in messages:
            if uid in known_uids:
                continue
            duplicate = message_id is not None and (message_id, digest) in seen
            _add(session, _inbound(key, uidvalidity, uid, len(raw), message_id, digest, internal_date,
                                   duplicate=duplicate), raw)
            if message_id is not None:
                seen.add((message_id, digest))
            stored += 1
            logger.info(
                "message stored",
                extra={"mailbox": key, "uid": uid, "uidvalidity": uidvalidity, "message_id": message_id,
                       "state": (InboundState.DUPLICATE if duplicate else InboundState.STORED).value},
            )
        state = session.scalars(select(MailboxState).where(MailboxState.mailbox == key)).one()
        state.last_uid = max(state.last_uid, max(uids))
    return stored


def _inbound(
    key: str, uidvalidity: int, uid: int, size: int, message_id: str | None, digest: str,
    internal_date: object, *, duplicate: bool,
) -> InboundMessage:
    return InboundMessage(
        mailbox=key,
        uidvalidity=uidvalidity,
        uid=uid,
        message_id=message_id,
        body_sha256=digest,
        size=size,
        received_at=_arrival_time(internal_date),
        state=InboundState.DUPLICATE if duplicate else InboundState.STORED,
    )


def _add(session: Session, row: InboundMessage, raw: bytes) -> None:
    """Add a stored message and its raw bytes, writing large bytes on SQLite through a blob handle.

    An ordinary insert makes SQLite copy the bound value, and pysqlite's
    statement cache keeps that copy until the statement runs again. With
    CPython 3.11 and SQLite 3.40, inserting 27 MB that way raised the peak
    by 54 MB and left 27 MB behind. A zero-filled value of the right length
    is inserted instead and the bytes are written into it in pieces. SQLite
    does not build that value in memory, because `raw` is the last column
    of the record.
    """
    connection = session.connection()
    if len(raw) > LARGE_MESSAGE_BYTES and connection.dialect.name == "postgresql":
        # libpq keeps its output buffer at the size of the largest statement
        # sent until the connection closes: 27 MB more for the rest of the
        # run after one 27 MB message (psycopg 3.3 with its bundled libpq
        # 18). A detached connection is closed, not pooled, when this
        # session ends.
        connection.detach()
    if len(raw) <= LARGE_MESSAGE_BYTES or connection.dialect.name != "sqlite":
        row.content = InboundRaw(raw=raw)
        session.add(row)
        return
    row.content = InboundRaw(raw=func.zeroblob(len(raw)))
    session.add(row)
    session.flush()
    view = memoryview(raw)
    driver = connection.connection.driver_connection
    assert driver is not None, "a pooled SQLite connection has its sqlite3 connection"
    with driver.blobopen(InboundRaw.__tablename__, "raw", row.id) as blob:
        for start in range(0, len(raw), FETCH_CHUNK_BYTES):
            blob.write(view[start:start + FETCH_CHUNK_BYTES])


def _stored_uids(session: Session, key: str, uidvalidity: int, uids: list[int]) -> set[int]:
    query = select(InboundMessage.uid).where(
        InboundMessage.mailbox == key, InboundMessage.uidvalidity == uidvalidity, InboundMessage.uid.in_(uids)
    )
    return {int(uid) for uid in session.scalars(query)}


def _known_copies(session: Session, message_ids: list[str]) -> set[tuple[str, str]]:
    """Return the (Message-ID, body hash) pairs already stored for these Message-IDs."""
    if not message_ids:
        return set()
    query = select(InboundMessage.message_id, InboundMessage.body_sha256).where(
        InboundMessage.message_id.in_(set(message_ids))
    )
    return {(str(message_id), str(digest)) for message_id, digest in session.execute(query)}


def _arrival_time(internal_date: object) -> datetime.datetime:
    # INTERNALDATE is the server's arrival time, which the procedure's
    # deadline counts from; the sender's Date header can be anything.
    if isinstance(internal_date, datetime.datetime):
        if internal_date.tzinfo is None:
            return internal_date.replace(tzinfo=datetime.UTC)
        return internal_date
    return utcnow()


def _touch_poll_time(session_factory: sessionmaker[Session], key: str) -> None:
    with session_factory.begin() as session:
        state = session.scalars(select(MailboxState).where(MailboxState.mailbox == key)).one()
        state.last_poll_at = utcnow()
