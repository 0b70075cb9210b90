"""IMAP polling against a real Dovecot on 127.0.0.1 (Debian package dovecot-imapd), started
with its own configuration in a temporary directory: passwd-file auth, maildir, no TLS."""

from __future__ import annotations

import getpass
import grp
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from calmdesk.channels.imap import poll_all, poll_mailbox
from calmdesk.channels.models import Mailbox, RawMessage, RawState
from calmdesk.desk.models import Interaction, Notification
from tests.channels.conftest import fixture_bytes

DOVECOT = shutil.which("dovecot") or (
    "/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None
)
USER, PASSWORD = "desk", "imap-test-pass"

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        DOVECOT is None, reason="dovecot not installed (apt-get install dovecot-imapd)"
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


CONFIG = """
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
info_log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 0
first_valid_gid = 0
default_login_user = {user}
default_internal_user = {internal}
default_internal_group = {group}
mail_location = maildir:{d}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={d}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""


@pytest.fixture
def dovecot() -> Iterator[int]:
    # Dovecot's auth process runs as its own user: the directory must be reachable for it
    # (pytest's tmp_path sits under a 0700 directory).
    d = Path(tempfile.mkdtemp(prefix="calmdesk-dovecot-"))
    d.chmod(0o755)
    for sub in ("run", "state", "mail", "home"):
        (d / sub).mkdir(parents=True)
    uid, gid = os.getuid(), os.getgid()
    if uid == 0:  # Dovecot refuses to store mail as root: use its own account
        uid, gid = pwd.getpwnam("dovecot").pw_uid, grp.getgrnam("dovecot").gr_gid
        for sub in ("mail", "home"):
            os.chown(d / sub, uid, gid)
    port = _free_port()
    (d / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    (d / "dovecot.conf").write_text(
        CONFIG.format(
            d=d,
            port=port,
            uid=uid,
            gid=gid,
            # as root, Dovecot's own unprivileged users (created by the Debian package)
            user="dovenull" if os.getuid() == 0 else getpass.getuser(),
            internal="dovecot" if os.getuid() == 0 else getpass.getuser(),
            group="dovecot" if os.getuid() == 0 else grp.getgrgid(os.getgid()).gr_name,
        )
    )
    proc = subprocess.Popen(
        [str(DOVECOT), "-F", "-c", str(d / "dovecot.conf")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log = (d / "dovecot.log").read_text() if (d / "dovecot.log").exists() else ""
                    out = (
                        proc.stdout.read().decode()
                        if proc.poll() is not None and proc.stdout
                        else ""
                    )
                    pytest.fail(f"dovecot did not start: {out} {log}")
                time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()
            proc.wait()
        shutil.rmtree(d, ignore_errors=True)


def _append(port: int, messages: list[bytes]) -> None:
    conn = imaplib.IMAP4("127.0.0.1", port, timeout=10)
    conn.login(USER, PASSWORD)
    for data in messages:
        typ, _ = conn.append("INBOX", "", None, data)
        assert typ == "OK"
    conn.logout()


def _unseen(port: int) -> int:
    conn = imaplib.IMAP4("127.0.0.1", port, timeout=10)
    conn.login(USER, PASSWORD)
    conn.select("INBOX")
    _typ, data = conn.uid("SEARCH", "UNSEEN")
    conn.logout()
    return len(data[0].split()) if data and data[0] else 0


def _mailbox(world, port: int, **extra) -> Mailbox:
    fields = dict(imap_host="127.0.0.1", imap_port=port, imap_user=USER, imap_password=PASSWORD)
    fields.update(extra)
    Mailbox.objects.filter(pk=world.mailbox.pk).update(imap_ssl=False, **fields)
    world.mailbox.refresh_from_db()
    return world.mailbox


def test_poll_stores_marks_seen_and_threads(mail_world, dovecot):
    names = [
        "13_reply_in_reply_to.eml",
        "17_poison_violence.eml",
        "01_plain.eml",
        "12_auto_reply.eml",
        "16_self_harm.eml",
    ]
    _append(dovecot, [fixture_bytes(n) for n in names])
    assert _unseen(dovecot) == 5
    mailbox = _mailbox(mail_world, dovecot)
    result = poll_mailbox(mailbox)
    assert result.error == ""
    assert (result.fetched, result.stored, result.duplicates) == (5, 5, 0)
    assert result.processed == {"parsed": 3, "quarantined": 1, "ignored": 1}
    assert _unseen(dovecot) == 0
    rows = {r.message_id: r for r in RawMessage.objects.filter(source="imap")}
    assert rows["<reply-13@example.test>"].case == mail_world.case_a
    poison = rows["<poison-17@client.test>"]
    assert poison.state == RawState.QUARANTINED and poison.crisis_flagged
    assert Notification.objects.filter(user=mail_world.supervisor, kind="crisis").count() == 2
    mailbox.refresh_from_db()
    assert mailbox.last_poll_at is not None and mailbox.last_poll_error == ""
    # the same mail delivered again (a re-fetch after a crash before \Seen): no second entry
    _append(dovecot, [fixture_bytes("01_plain.eml")])
    again = poll_all()[0]
    assert (again.fetched, again.stored, again.duplicates) == (1, 0, 1)
    assert Interaction.objects.filter(data__message_id="<plain-01@client.test>").count() == 1


def test_wrong_password_is_recorded_not_raised(mail_world, dovecot):
    mailbox = _mailbox(mail_world, dovecot, imap_password="wrong")
    result = poll_mailbox(mailbox)
    assert result.error and result.stored == 0
    mailbox.refresh_from_db()
    assert mailbox.last_poll_error == result.error


def test_a_folder_with_a_non_ascii_name_is_polled(mail_world, dovecot):
    """Folder names go to the server in modified UTF-7 (imap-tools encodes them)."""
    folder = "Żale klientów"
    conn = imaplib.IMAP4("127.0.0.1", dovecot, timeout=10)
    conn.login(USER, PASSWORD)
    encoded = '"&AXs-ale klient&APM-w"'  # the name in modified UTF-7 (RFC 3501 5.1.3)
    assert conn.create(encoded)[0] == "OK"
    assert conn.append(encoded, "", None, fixture_bytes("01_plain.eml"))[0] == "OK"
    conn.logout()
    result = poll_mailbox(_mailbox(mail_world, dovecot, imap_folder=folder))
    assert result.error == ""
    assert (result.fetched, result.stored) == (1, 1)


def test_a_missing_folder_is_recorded_not_raised(mail_world, dovecot):
    result = poll_mailbox(_mailbox(mail_world, dovecot, imap_folder="No such folder"))
    assert result.error and result.fetched == 0
