"""IMAP and SMTP over implicit TLS and STARTTLS, with certificate checks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from sqlalchemy import select

from mailbot.app import build_application
from mailbot.cli.check import check_imap, check_smtp
from mailbot.daemon import Daemon
from mailbot.db.models import Ticket
from mailbot.demo.servers import EmbeddedImapServer, SmtpSink
from tests.app_fixtures import make_settings
from tests.integration.test_daemon import REQUESTER, request_mail

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def pki(authority: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Files of a throwaway CA and a server certificate for 127.0.0.1."""
    folder = tmp_path_factory.mktemp("pki")
    server = authority.issue_cert("127.0.0.1", "localhost")
    paths = {"ca": folder / "ca.pem", "chain": folder / "server.pem", "key": folder / "server.key"}
    authority.cert_pem.write_to_path(str(paths["ca"]))
    server.private_key_pem.write_to_path(str(paths["key"]))
    paths["chain"].write_bytes(b"".join(blob.bytes() for blob in server.cert_chain_pems))
    return {name: str(path) for name, path in paths.items()}


@pytest.fixture(params=["ssl", "starttls"])
def security(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def tls_servers(security: str, pki: dict[str, str]) -> Iterator[tuple[EmbeddedImapServer, SmtpSink]]:
    certificate = (pki["chain"], pki["key"])
    with EmbeddedImapServer(security=security, certificate=certificate) as imap:  # type: ignore[arg-type]
        with SmtpSink(security=security, certificate=certificate) as smtp:  # type: ignore[arg-type]
            yield imap, smtp


def test_daemon_over_tls(
    tls_servers: tuple[EmbeddedImapServer, SmtpSink], security: str, pki: dict[str, str],
    database_url: str, tmp_path: Path,
) -> None:
    imap, smtp = tls_servers
    settings = make_settings(
        imap, smtp, database_url, tmp_path / "storage",
        imap_security=security, smtp_security=security, tls_ca_file=pki["ca"], staff="",
    )
    imap.append(request_mail())
    application = build_application(settings)
    Daemon(application.context, application.session_factory).run_once()

    with application.session_factory() as session:
        [ticket] = session.scalars(select(Ticket))
    assert ticket.requester_address == REQUESTER
    [acknowledgement] = smtp.messages
    assert acknowledgement.recipients == (REQUESTER,)
    assert check_imap(settings).ok
    assert check_smtp(settings).ok


def test_untrusted_certificate_is_rejected(
    tls_servers: tuple[EmbeddedImapServer, SmtpSink], security: str, database_url: str, tmp_path: Path
) -> None:
    imap, smtp = tls_servers
    settings = make_settings(
        imap, smtp, database_url, tmp_path / "storage", imap_security=security, smtp_security=security,
    )
    imap_result = check_imap(settings)
    smtp_result = check_smtp(settings)
    assert not imap_result.ok
    assert "сертификат сервера не прошёл проверку" in imap_result.detail
    assert not smtp_result.ok
