"""Attachment bytes on disk, stored under the storage root by SHA-256.

No stored path comes from the sender: the file name is the content hash,
and the sender's file name is kept only as a display name in the database.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from mailbot.db.models import StoredAttachment
from mailbot.parse import Attachment


def attachment_path(storage_dir: Path, sha256: str) -> Path:
    return storage_dir / "attachments" / sha256[:2] / sha256[2:4] / sha256


def store_attachment(storage_dir: Path, attachment: Attachment) -> StoredAttachment:
    """Write the bytes once (atomically) and return the row that describes them."""
    digest = attachment.sha256
    path = attachment_path(storage_dir, digest)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as handle:
            handle.write(attachment.content)
            temporary = Path(handle.name)
        os.replace(temporary, path)
    return StoredAttachment(
        filename=attachment.filename[:255],
        content_type=attachment.content_type[:255],
        size=attachment.size,
        sha256=digest,
    )
