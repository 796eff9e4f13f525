"""Russian reasons for failed IMAP and SMTP connections, for `mailbot check` and every command.

The libraries report these failures in English, and IMAP servers add their
own text as bytes. An operator needs the setting to change instead.
"""

from __future__ import annotations

import socket
import ssl

import aiosmtplib
from imapclient.exceptions import LoginError

CAUSES_RU: dict[type[BaseException], str] = {
    ConnectionRefusedError: "соединение отклонено: сервер не слушает этот порт",
    TimeoutError: "сервер не ответил вовремя",
    socket.gaierror: "имя сервера не найдено",
    LoginError: "сервер отклонил имя пользователя или пароль (MAILBOT_IMAP_USER, MAILBOT_IMAP_PASSWORD)",
    aiosmtplib.SMTPAuthenticationError: (
        "сервер отклонил имя пользователя или пароль (MAILBOT_SMTP_USER, MAILBOT_SMTP_PASSWORD)"
    ),
    aiosmtplib.SMTPTimeoutError: "сервер не ответил вовремя",
    aiosmtplib.SMTPServerDisconnected: "сервер разорвал соединение",
}

# aiosmtplib raises a plain SMTPException with this text when a user name
# is set and the server offers no AUTH, which many servers do only after STARTTLS.
SMTP_NO_AUTH = "smtp auth extension is not supported"
SMTP_NO_AUTH_RU = (
    "сервер не предлагает вход по паролю: оставьте MAILBOT_SMTP_USER пустым, "
    "если вход не нужен, или включите шифрование в MAILBOT_SMTP_SECURITY"
)


def describe_connection_error(error: BaseException) -> str:
    """Name the root cause of a connection failure in Russian where it is a common one."""
    root = _root_cause(error)
    for error_class, reason in CAUSES_RU.items():
        if isinstance(root, error_class):
            return reason
    if isinstance(root, ssl.SSLCertVerificationError):
        return f"сертификат сервера не прошёл проверку: {root.verify_message}"
    if isinstance(root, aiosmtplib.SMTPException) and SMTP_NO_AUTH in str(root).lower():
        return SMTP_NO_AUTH_RU
    return f"{type(root).__name__}: {root}"


def _root_cause(error: BaseException) -> BaseException:
    root = error
    while root.__cause__ is not None:
        root = root.__cause__
    return root
