"""Staff are recognised by address, and by the committee server's verdict when it is configured."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailbot.config import load_settings
from mailbot.routing.staff_auth import is_staff_sender, passes_for_domain

STAFF = "admin.it@committee.example"


def settings(authserv_id: str = ""):  # type: ignore[no-untyped-def]
    return load_settings(Path("/nonexistent/service.env"), staff=STAFF, authserv_id=authserv_id)


def raw_with(*results: str) -> bytes:
    headers = "".join(f"Authentication-Results: {value}\r\n" for value in results)
    return f"{headers}From: {STAFF}\r\nSubject: x\r\n\r\n#взять\r\n".encode()


def test_address_alone_without_authserv_id() -> None:
    assert is_staff_sender(raw_with(), STAFF, settings())
    assert not is_staff_sender(raw_with(), "someone@committee.example", settings())


@pytest.mark.parametrize(
    ("header", "trusted"),
    [
        ("mx.committee.example; dkim=pass header.d=committee.example; spf=fail", True),
        ("mx.committee.example; spf=pass smtp.mailfrom=admin.it@committee.example", True),
        ("mx.committee.example; dkim=pass header.d=mail.committee.example", True),
        ("mx.committee.example; dkim=fail header.d=committee.example; spf=softfail", False),
        ("mx.committee.example; dkim=pass header.d=mail-box.example", False),
        ("other.example; dkim=pass header.d=committee.example", False),
    ],
)
def test_authserv_verdict(header: str, trusted: bool) -> None:
    assert is_staff_sender(raw_with(header), STAFF, settings("mx.committee.example")) is trusted


def test_only_first_header_of_our_server_counts() -> None:
    forged_below = raw_with(
        "mx.committee.example; dkim=none; spf=fail smtp.mailfrom=committee.example",
        "mx.committee.example; dkim=pass header.d=committee.example",
    )
    assert not is_staff_sender(forged_below, STAFF, settings("mx.committee.example"))


def test_missing_header_is_not_staff() -> None:
    assert not is_staff_sender(raw_with(), STAFF, settings("mx.committee.example"))


def test_passes_for_domain_ignores_lookalike() -> None:
    assert not passes_for_domain("mx; dkim=pass header.d=evilcommittee.example", "committee.example")
