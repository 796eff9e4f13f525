"""Signed tokens for the links in mail: survey invitations and ticket ratings.

Tokens are signed with MAILBOT_SECRET_KEY. When it is not set, a random key
is created once in the storage folder (`secret.key`, readable by its owner
only), so links keep working across restarts. Instances that share a
database must share the key too.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from itsdangerous import BadSignature, URLSafeSerializer

from mailbot.config import Settings

logger = logging.getLogger(__name__)

KEY_FILE_NAME = "secret.key"
_SURVEY_SALT = "mailbot.survey.invitation"
_FEEDBACK_SALT = "mailbot.ticket.feedback"


class ForgedToken(Exception):
    """A token whose signature does not match: forged, truncated or from another key."""


@dataclass(frozen=True)
class InvitationToken:
    invitation_id: int
    secret: str


def secret_key(settings: Settings) -> str:
    """Return the signing key: MAILBOT_SECRET_KEY, else the key file, created on first use."""
    configured = settings.secret_key.get_secret_value()
    if configured:
        return configured
    return _key_from_file(settings.storage_dir / KEY_FILE_NAME)


def _key_from_file(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass

    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        # Another process created it between our read and our create.
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(descriptor, "w", encoding="ascii") as key_file:
        key_file.write(key + "\n")
    logger.info("created signing key file", extra={"path": str(path)})
    return key


def secret_sha256(secret: str) -> str:
    """Return the hex SHA-256 of a link secret, as SurveyInvitation.secret_sha256 stores it."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_invitation_secret() -> str:
    """Return a fresh random secret for one invitation link."""
    return secrets.token_urlsafe(24)


def sign_invitation(settings: Settings, token: InvitationToken) -> str:
    serializer = URLSafeSerializer(secret_key(settings), salt=_SURVEY_SALT)
    return serializer.dumps([token.invitation_id, token.secret])


def read_invitation(settings: Settings, signed: str) -> InvitationToken:
    """Return the invitation a signed token names; raise ForgedToken when the signature fails."""
    serializer = URLSafeSerializer(secret_key(settings), salt=_SURVEY_SALT)
    try:
        invitation_id, secret = serializer.loads(signed)
    except (BadSignature, TypeError, ValueError) as error:
        raise ForgedToken from error
    if not isinstance(invitation_id, int) or not isinstance(secret, str):
        raise ForgedToken
    return InvitationToken(invitation_id, secret)


def sign_ticket(settings: Settings, ticket_number: str) -> str:
    serializer = URLSafeSerializer(secret_key(settings), salt=_FEEDBACK_SALT)
    return serializer.dumps(ticket_number)


def read_ticket(settings: Settings, signed: str) -> str:
    """Return the ticket number a rating link names; raise ForgedToken when the signature fails."""
    serializer = URLSafeSerializer(secret_key(settings), salt=_FEEDBACK_SALT)
    try:
        number = serializer.loads(signed)
    except (BadSignature, TypeError, ValueError) as error:
        raise ForgedToken from error
    if not isinstance(number, str):
        raise ForgedToken
    return number
