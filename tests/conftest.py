"""Shared fixtures: a private copy of the sample newsroom, and the CLI run in-process."""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

# The sample newsroom the tests copy: a fixture of its own, so that an editor trying the
# repository's sample newsroom (fetching, editing its issues) never changes a test.
SAMPLE_NEWSROOM = Path(__file__).resolve().parent / "fixtures" / "newsroom"
SAMPLE_PARTS = ("sources.toml", "samples", "templates", "issues", "subscribers.csv")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-goldens", action="store_true", help="Rewrite the golden files from the current output.")


@pytest.fixture(autouse=True)
def no_proxy_from_this_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """The machine's proxy settings stay out of the tests: they talk to servers they start
    on loopback, and the tests of proxies name their own."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


def copy_sample_newsroom(target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for part in SAMPLE_PARTS:
        source = SAMPLE_NEWSROOM / part
        if source.is_dir():
            shutil.copytree(source, target / part)
        elif source.exists():
            shutil.copy2(source, target / part)
    return target


@pytest.fixture
def newsroom_dir(tmp_path: Path) -> Path:
    """A fresh copy of the repository's sample newsroom, never fetched."""
    return copy_sample_newsroom(tmp_path / "newsroom")


@pytest.fixture(scope="module")
def shared_newsroom_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the sample newsroom made once for a module whose tests only read it."""
    return copy_sample_newsroom(tmp_path_factory.mktemp("shared") / "newsroom")


@pytest.fixture
def run(newsroom_dir: Path):
    """Run `newsdesk ARGS...` in-process against the copied newsroom."""

    def invoke(*args: str, input: str | None = None) -> Result:
        from newsdesk.cli import cli

        return CliRunner().invoke(cli, ["--newsroom", str(newsroom_dir), *args], input=input, catch_exceptions=False)

    return invoke


@pytest.fixture(scope="session")
def fetched_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The state folder (.newsdesk: the store) of the sample newsroom after one fetch of
    its bundled feeds: fetched once a session, as every test would fetch it alike."""
    from newsdesk.cli import cli

    room = copy_sample_newsroom(tmp_path_factory.mktemp("fetched") / "newsroom")
    result = CliRunner().invoke(cli, ["--newsroom", str(room), "fetch"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return room / ".newsdesk"


@pytest.fixture
def fetched(newsroom_dir: Path, fetched_state: Path) -> Path:
    """The sample newsroom after one fetch of its bundled feeds (a copy of its own)."""
    shutil.copytree(fetched_state, newsroom_dir / ".newsdesk")
    return newsroom_dir


@pytest.fixture(scope="session")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (and feeds.test, a name only the test proxy
    resolves), made by the openssl command."""
    if shutil.which("openssl") is None:
        if os.environ.get("CI"):
            pytest.fail("the openssl command is missing: scripts/ci/openssl.sh installs it")
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:feeds.test",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    """A TLS server context with the test certificate (for servers started by tests)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


@pytest.fixture
def links():
    """A link server for read-more links (tests/support/link_server.py)."""
    from link_server import LinkServer

    server = LinkServer().start()
    yield server
    server.stop()


@pytest.fixture
def smtp():
    """A real SMTP server (aiosmtpd) on loopback (tests/support/smtp_server.py)."""
    from smtp_server import SmtpServer

    with SmtpServer() as server:
        yield server
