"""Decide whether a message really comes from IT staff.

`From` can be forged. When MAILBOT_AUTHSERV_ID names the committee's own
mail server, a message counts as staff only if that server's
Authentication-Results header (RFC 8601) shows DKIM or SPF passing for the
staff member's domain. Our server adds its header on top, and a sender can
forge more of them below it, so only the first header with that
authserv-id is read. The server must also remove such headers arriving
from outside (RFC 8601, section 5).
"""

from __future__ import annotations

import email.parser
import email.policy
import re

from mailbot.config import Settings
from mailbot.retention import header_block

_RESULT = re.compile(r"\b(dkim|spf)\s*=\s*(\w+)([^;]*)", re.IGNORECASE)
_DOMAIN_PROPERTY = re.compile(r"\b(?:header\.d|header\.i|smtp\.mailfrom|smtp\.helo)\s*=\s*\"?([^\s;\"]+)", re.IGNORECASE)


def is_staff_sender(raw: bytes, sender: str, settings: Settings) -> bool:
    if sender not in settings.staff:
        return False
    if not settings.authserv_id:
        return True
    domain = sender.rpartition("@")[2]
    header = _our_results_header(raw, settings.authserv_id)
    return header is not None and passes_for_domain(header, domain)


def _our_results_header(raw: bytes, authserv_id: str) -> str | None:
    headers = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(header_block(raw))
    for value in headers.get_all("Authentication-Results") or []:
        text = " ".join(str(value).split())
        if text.split(";", 1)[0].strip().split()[0].lower() == authserv_id.lower():
            return text
    return None


def passes_for_domain(header: str, domain: str) -> bool:
    """Return True when DKIM or SPF passed for `domain` (or a subdomain of it)."""
    for method, result, properties in _RESULT.findall(header):
        if result.lower() != "pass":
            continue
        for value in _DOMAIN_PROPERTY.findall(properties):
            checked = value.rpartition("@")[2].lower()
            if checked == domain or checked.endswith("." + domain):
                return True
    return False
