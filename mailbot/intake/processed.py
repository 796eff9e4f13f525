"""Move processed messages out of the watched folder into MAILBOT_IMAP_PROCESSED_FOLDER.

A message is moved only after the transaction that processed it committed
(its inbound row left STORED), and the move is repeated until the server no
longer shows it, so a crash at any point loses nothing: the ledger's
high-water mark already covers the moved UIDs, and a rescan after a
UIDVALIDITY change sees only what is still in the folder. Servers with MOVE
(RFC 6851) move atomically. Without MOVE, mailbot copies, flags the
originals `\\Deleted` and expunges exactly those UIDs with UID EXPUNGE
(RFC 4315, UIDPLUS); a crash between COPY and EXPUNGE leaves a second copy
in the target folder, which mailbot never reads. A server with neither
keeps the messages where they are.
"""

from __future__ import annotations

import logging

import imapclient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mailbot.db.models import InboundMessage, InboundState

logger = logging.getLogger(__name__)

MOVE_CHUNK = 500


def move_processed(
    client: imapclient.IMAPClient,
    session_factory: sessionmaker[Session],
    key: str,
    uidvalidity: int,
    target: str,
) -> int:
    """Move every message of the selected folder whose processing committed; return how many."""
    capabilities = client.capabilities()
    if b"MOVE" not in capabilities and b"UIDPLUS" not in capabilities:
        logger.warning("IMAP server has neither MOVE nor UIDPLUS, processed mail stays", extra={"mailbox": key})
        return 0
    on_server = sorted(client.search(["ALL"]))
    moved = 0
    for start in range(0, len(on_server), MOVE_CHUNK):
        done = _done_uids(session_factory, key, uidvalidity, on_server[start:start + MOVE_CHUNK])
        if done:
            _ensure_folder(client, target)
            _move(client, done, target, use_move=b"MOVE" in capabilities)
            moved += len(done)
    if moved:
        logger.info("processed mail moved", extra={"mailbox": key, "moved": moved, "target_folder": target})
    return moved


def _done_uids(session_factory: sessionmaker[Session], key: str, uidvalidity: int, uids: list[int]) -> list[int]:
    with session_factory() as session:
        query = select(InboundMessage.uid).where(
            InboundMessage.mailbox == key,
            InboundMessage.uidvalidity == uidvalidity,
            InboundMessage.uid.in_(uids),
            InboundMessage.state != InboundState.STORED,
        )
        return sorted(int(uid) for uid in session.scalars(query))


def _ensure_folder(client: imapclient.IMAPClient, target: str) -> None:
    if not client.folder_exists(target):
        client.create_folder(target)


def _move(client: imapclient.IMAPClient, uids: list[int], target: str, *, use_move: bool) -> None:
    if use_move:
        client.move(uids, target)
        return
    client.copy(uids, target)
    client.add_flags(uids, [imapclient.DELETED], silent=True)
    client.uid_expunge(uids)
