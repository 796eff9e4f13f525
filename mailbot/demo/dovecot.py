"""A private dovecot instance on loopback for the integration tests.

It needs Debian's `dovecot-imapd` (dovecot 2.3). The instance lives in its own
temporary folder: configuration, passwd-file, Maildir, runtime sockets and log,
and it never touches the system dovecot or syslog.
"""

from __future__ import annotations

import logging
import os
import grp
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from mailbot.demo.servers import DEFAULT_USER, LOOPBACK, STARTUP_TIMEOUT_SECONDS, ImapServer

log = logging.getLogger(__name__)

DOVECOT_BINARY = "/usr/sbin/dovecot"

_CONFIG_TEMPLATE = """\
# Private test instance written by mailbot.demo.dovecot (dovecot 2.3 syntax).
base_dir = {root}/run
state_dir = {root}/state
instance_name = {instance}
protocols = imap
listen = {host}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
first_valid_uid = {mail_uid}
last_valid_uid = {mail_uid}
mail_location = maildir:{root}/mail/%n
mail_uid = {mail_uid}
mail_gid = {mail_gid}
mail_privileged_group =
mail_access_groups =

passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_uid} gid={mail_gid} home={root}/home/%n
}}

namespace inbox {{
  inbox = yes
  separator = /
}}

service imap-login {{
  inet_listener imap {{
    address = {host}
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    user = {internal_user}
  }}
  unix_listener stats-writer {{
    user = {internal_user}
  }}
}}
"""


# Only root may chroot, and the login and anvil services chroot by default.
_ROOTLESS_CONFIG = """\
service imap-login {
  chroot =
}
service anvil {
  chroot =
}
"""


class DovecotServer(ImapServer):
    """Debian's dovecot, started privately on 127.0.0.1 with one Maildir user.

    As root the helper processes run as the `dovecot` and `dovenull` users
    and the mail files belong to `nobody`, because dovecot refuses uid 0 for
    mail. As another user everything runs as that user.
    """

    def __init__(
        self, *, user: str = DEFAULT_USER, password: str | None = None,
        binary: str = DOVECOT_BINARY,
    ) -> None:
        super().__init__(user=user, password=password)
        self._binary = binary
        self._root: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @staticmethod
    def available(binary: str = DOVECOT_BINARY) -> bool:
        """Tell whether the dovecot binary exists and is executable."""
        return os.access(binary, os.X_OK)

    @property
    def root(self) -> Path:
        """The private folder that holds configuration, mail and log."""
        if self._root is None:
            raise RuntimeError("dovecot is not started")
        return self._root

    def start(self) -> None:
        if self._process is not None:
            raise RuntimeError("dovecot is already started")
        if not self.available(self._binary):
            raise FileNotFoundError(
                "dovecot not found at %s; install the dovecot-imapd package" % self._binary
            )
        self._root = Path(tempfile.mkdtemp(prefix="mailbot-dovecot-"))
        self._port = _free_port()
        config_path = self._write_files(self._root, self._port)

        self._process = subprocess.Popen(
            [self._binary, "-F", "-c", str(config_path)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        try:
            self._wait_until_ready()
        except Exception:
            self.stop()
            raise
        log.info("dovecot listening on %s:%s in %s", self.host, self._port, self._root)

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=STARTUP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                log.warning("dovecot did not stop on SIGTERM; killing pid %s", self._process.pid)
                self._process.kill()
                self._process.wait()
            if self._process.stderr is not None:
                self._process.stderr.close()
            self._process = None
            log.info("dovecot stopped")
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None
        self._port = None

    def log_text(self) -> str:
        """Return dovecot's log so far (empty before start)."""
        if self._root is None:
            return ""
        path = self._root / "dovecot.log"
        return path.read_text("utf-8", "replace") if path.exists() else ""

    def _write_files(self, root: Path, port: int) -> Path:
        accounts = _accounts()
        for name in ("run", "state", "mail", "home"):
            (root / name).mkdir()
        # Helper processes run as other users when started by root.
        root.chmod(0o755)
        for name in ("mail", "home"):
            os.chown(root / name, accounts.mail_uid, accounts.mail_gid)

        passwd = root / "passwd"
        passwd.write_text("%s:{PLAIN}%s::::::\n" % (self.user, self.password), "utf-8")
        passwd.chmod(0o644)

        config = _CONFIG_TEMPLATE.format(
            root=root, host=LOOPBACK, port=port,
            instance="mailbot-test-%d" % port, **asdict(accounts),
        )
        if os.geteuid() != 0:
            config += _ROOTLESS_CONFIG
        config_path = root / "dovecot.conf"
        config_path.write_text(config, "utf-8")
        return config_path

    def _wait_until_ready(self) -> None:
        assert self._process is not None and self._port is not None
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                stderr = self._process.stderr.read() if self._process.stderr else b""
                raise RuntimeError(
                    "dovecot exited with code %s: %s %s"
                    % (self._process.returncode, stderr.decode("utf-8", "replace"),
                       self.log_text())
                )
            if _greets(self._port):
                return
            time.sleep(0.05)
        raise TimeoutError(
            "dovecot did not answer on port %s within %s s: %s"
            % (self._port, STARTUP_TIMEOUT_SECONDS, self.log_text())
        )


@dataclass(frozen=True)
class _Accounts:
    """System users and groups that dovecot's processes and mail files run as."""

    internal_user: str
    internal_group: str
    login_user: str
    mail_uid: int
    mail_gid: int


def _accounts() -> _Accounts:
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        return _Accounts(
            internal_user="dovecot", internal_group="dovecot", login_user="dovenull",
            mail_uid=nobody.pw_uid, mail_gid=nobody.pw_gid,
        )
    me = pwd.getpwuid(os.geteuid())
    # dovecot takes group names here, not numbers.
    return _Accounts(
        internal_user=me.pw_name, internal_group=grp.getgrgid(me.pw_gid).gr_name, login_user=me.pw_name,
        mail_uid=me.pw_uid, mail_gid=me.pw_gid,
    )


def _free_port() -> int:
    # NOTE: another process could take the port between this probe and
    # dovecot's bind, because dovecot cannot report a port chosen by the kernel.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def _greets(port: int) -> bool:
    """Tell whether an IMAP greeting arrives on the port."""
    try:
        with socket.create_connection((LOOPBACK, port), timeout=1.0) as conn:
            return conn.recv(64).startswith(b"* OK")
    except OSError:
        return False
