"""`newsdesk bounces` against a real IMAP server (Debian's dovecot, tests/support/dovecot.py)
holding the DSN and ARF samples of tests/fixtures/bounces/: what they report reaches the
list, with why and when; a server that is down, refuses the login or answers garbage is
one line and changes nothing."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest
import tomlkit
from dovecot import PASSWORD, PORT, USER, Folder, imap_folder  # noqa: F401
from mail_newsroom import subscriber_rows, write_subscribers
from smtp_server import free_port

from newsdesk.mail.roster import Roster
from newsdesk.mail.tokens import Signer, list_id_of
from newsdesk.newsroom import Newsroom
from newsdesk.store import Store

pytestmark = pytest.mark.slow
SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "bounces"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def configure_bounces(root: Path, **values: object) -> None:
    config = root / "sources.toml"
    document = tomlkit.parse(config.read_text(encoding="utf-8"))
    table = document.setdefault("bounces", tomlkit.table())
    settings = {"host": "127.0.0.1", "port": PORT, "security": "none", "user": USER, "timeout": 10}
    settings.update(values)
    for key, value in settings.items():
        table[key] = value
    config.write_text(tomlkit.dumps(document), encoding="utf-8")


@pytest.fixture
def room(newsroom_dir: Path, run, monkeypatch) -> Path:
    monkeypatch.setenv("NEWSDESK_IMAP_PASSWORD", PASSWORD)
    write_subscribers(newsroom_dir, subscriber_rows(10))
    assert run("subscribers").exit_code == 0  # the file brought into the list
    return newsroom_dir


def states(room: Path) -> dict[str, tuple[str, str, str]]:
    with Store(room / ".newsdesk" / "store.sqlite3") as store:
        return {m.address: (m.state, m.reason, m.changed_at) for m in Roster(store).members()}


def test_hard_bounces_and_complaints_suppress_at_once_soft_ones_after_the_limit(
    room: Path, imap_folder: Folder, run
) -> None:
    configure_bounces(room, mailbox=imap_folder.name, soft_limit=2)
    imap_folder.append(
        *(
            sample(name)
            for name in (
                "hard_bounce.eml",
                "soft_bounce.eml",
                "delayed.eml",
                "complaint_arf.eml",
                "complaint_arf_redacted.eml",
                "out_of_office.eml",
            )
        )
    )
    before = states(room)

    result = run("bounces")
    assert result.exit_code == 0, result.output
    assert (
        f"{imap_folder.name}: 6 new messages: 1 hard bounce, 1 soft, 2 complaints, 1 not a report, "
        "0 about addresses not in the list; 3 suppressed"
    ) in result.output
    after = states(room)
    state, reason, when = after["reader00002@readers.example"]
    assert state == "bounced"
    assert reason.startswith("hard bounce: 5.1.1 (smtp; 550 5.1.1 <reader00002@readers.example>: Recipient address")
    assert reason.endswith("from mx.socialcredit.example")
    assert when >= before["reader00002@readers.example"][2]
    assert after["reader00006@readers.example"][:2] == ("complained", "complaint (ARF abuse) from mail.example")
    assert after["reader00007@readers.example"][:2] == ("complained", "complaint (ARF abuse) from ISPFBL/2.1")
    assert after["reader00004@readers.example"][0] == "subscribed"  # one soft bounce of two
    assert after["reader00005@readers.example"][0] == "subscribed"  # delayed is not a bounce
    assert after["reader00001@readers.example"][0] == "subscribed"  # an out-of-office reply
    assert imap_folder.unseen() == 0

    again = run("bounces")
    assert "0 new messages" in again.output

    imap_folder.append(sample("soft_bounce.eml"))
    second = run("bounces", "--json")
    assert second.exit_code == 0, second.output
    assert '"soft": 1' in second.output and '"address": "reader00004@readers.example"' in second.output
    state, reason, _ = states(room)["reader00004@readers.example"]
    assert state == "bounced" and reason.startswith("soft bounce: 4.2.2 (smtp; 452 4.2.2 Mailbox full)")
    assert reason.endswith("(soft bounce 2 of 2)")

    counts = run("subscribers")
    assert "list: 0 pending, 6 subscribed, 0 unsubscribed, 2 bounced, 2 complained" in counts.output


def test_a_server_that_is_down_is_one_line(room: Path, run) -> None:
    configure_bounces(room, port=free_port())
    before = states(room)
    result = run("bounces")
    assert result.exit_code == 1
    assert result.output.startswith("newsdesk: error: cannot reach the IMAP server 127.0.0.1:")
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert states(room) == before


def test_a_server_answering_garbage_is_one_line(room: Path, run) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def answer_garbage() -> None:
        for _ in range(2):
            connection, _ = listener.accept()
            with connection:
                connection.sendall(b"\x00\xffHELLO THIS IS NOT IMAP\r\n")

    thread = threading.Thread(target=answer_garbage, daemon=True)
    thread.start()
    configure_bounces(room, port=listener.getsockname()[1])
    before = states(room)
    result = run("bounces")
    listener.close()
    assert result.exit_code == 1
    assert "newsdesk: error: the server at 127.0.0.1:" in result.output and "did not speak IMAP" in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert states(room) == before


def test_a_server_that_never_greets_did_not_speak_imap(room: Path, run, monkeypatch) -> None:
    import newsdesk.mail.bounces as bounces

    # The greeting's limit (5 s) cut to half a second: the test waits it out, and the
    # configured timeout (30 s) must still not stretch it.
    monkeypatch.setattr(bounces, "GREETING_SECONDS", 0.5)
    listener = socket.socket()  # accepts, then says nothing (a web server waits for the client)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    configure_bounces(room, port=port, timeout=30)
    try:
        result = run("bounces")
    finally:
        listener.close()
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"newsdesk: error: the server at 127.0.0.1:{port} did not speak IMAP: no greeting within 0.5 s "
        "(is it the IMAP port? 993 with TLS, 143 with STARTTLS)"
    )


def test_a_smtp_server_did_not_speak_imap(room: Path, run) -> None:
    from smtp_server import SmtpServer

    with SmtpServer() as smtp:
        configure_bounces(room, port=smtp.port)
        result = run("bounces")
    assert result.exit_code == 1
    assert result.output.startswith(f"newsdesk: error: the server at 127.0.0.1:{smtp.port} did not speak IMAP")
    assert len(result.output.strip().splitlines()) == 1


def test_tls_against_a_plain_imap_port_says_the_server_does_not_speak_tls(room: Path, imap_folder: Folder, run) -> None:
    configure_bounces(room, mailbox=imap_folder.name, security="tls")  # dovecot's plain port
    result = run("bounces")
    assert result.exit_code == 1
    assert result.output.strip() == (
        f'newsdesk: error: the server at 127.0.0.1:{PORT} does not speak TLS (try security = "starttls" or "none")'
    )


def test_a_refused_login_is_one_line(room: Path, imap_folder: Folder, run, monkeypatch) -> None:
    configure_bounces(room, mailbox=imap_folder.name)
    monkeypatch.setenv("NEWSDESK_IMAP_PASSWORD", "wrong")
    result = run("bounces")
    assert result.exit_code == 1
    assert "newsdesk: error: the IMAP server 127.0.0.1:" in result.output and "login" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_no_password_is_invalid_input(room: Path, run, monkeypatch) -> None:
    configure_bounces(room)
    monkeypatch.delenv("NEWSDESK_IMAP_PASSWORD")
    result = run("bounces")
    assert result.exit_code == 2
    assert "$NEWSDESK_IMAP_PASSWORD is empty" in result.output


def test_a_bounce_to_a_verp_address_names_the_subscriber_even_from_a_forward(
    room: Path, imap_folder: Folder, run, monkeypatch
) -> None:
    secret = "verp-secret-0123456789abcdef"
    monkeypatch.setenv("NEWSDESK_SECRET", secret)
    config = room / "sources.toml"
    document = tomlkit.parse(config.read_text(encoding="utf-8"))
    document["newsroom"]["bounce_address"] = "bounces@socialcredit.example"  # type: ignore[index]
    config.write_text(tomlkit.dumps(document), encoding="utf-8")
    configure_bounces(room, mailbox=imap_folder.name)
    newsroom = Newsroom.open(room)
    signer = Signer(secret.encode(), list_id_of(newsroom.config.newsroom))
    with newsroom.store() as store:
        reader = Roster(store).get("reader00003@readers.example")
    template = sample("hard_bounce_forwarded.eml")
    forged = Signer(b"another-secret-0123456789", list_id_of(newsroom.config.newsroom)).bounce_token(reader.id)
    imap_folder.append(
        template.replace(b"VERP_TOKEN", signer.bounce_token(reader.id).encode()),
        template.replace(b"VERP_TOKEN", forged.encode()),
    )

    result = run("bounces")
    assert result.exit_code == 0, result.output
    assert (
        "2 new messages: 1 hard bounce, 0 soft, 0 complaints, 0 not reports, "
        "1 about addresses not in the list; 1 suppressed"
    ) in result.output
    state, reason, _ = states(room)["reader00003@readers.example"]
    assert state == "bounced"
    assert (
        reason
        == "hard bounce: 5.1.1 (smtp; 550 5.1.1 No such user) from forwarder.example, for old.reader@forwarded.example"
    )
    # The forged token named nobody: its report was about an address the list does not hold.
