"""DKIM signatures (dkimpy): RSA-SHA256 and Ed25519-SHA256 (RFC 8463) on every message.

Gmail and Yahoo ask bulk senders for a DKIM signature aligned with the From domain; RFC
8058 asks that List-Unsubscribe and List-Unsubscribe-Post be signed, so a one-click
unsubscribe cannot be forged onto a message. Both signatures cover the same headers, with
relaxed canonicalization (a relay that refolds a header or trims spaces does not break them).
A header in the list that a message lacks is signed as absent, so nobody can add one later.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import dkim

from newsdesk.config import DkimSettings
from newsdesk.errors import InvalidInput

SIGNED_HEADERS = (
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Reply-To",
    "List-Id",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "MIME-Version",
    "Content-Type",
)
ALGORITHMS = {"rsa": b"rsa-sha256", "ed25519": b"ed25519-sha256"}


@dataclass(frozen=True)
class DkimKey:
    algorithm: str  # rsa | ed25519
    selector: str
    private_key: bytes


class DkimSigner:
    """Signs messages for one domain with one or two keys."""

    def __init__(self, domain: str, keys: list[DkimKey]) -> None:
        self.domain = domain
        self.keys = keys
        self.headers = [name.encode("ascii") for name in SIGNED_HEADERS]

    def signatures(self, data: bytes) -> bytes:
        """The DKIM-Signature header lines for ``data`` (a whole message, CRLF line ends)."""
        lines = []
        for key in self.keys:
            lines.append(
                dkim.sign(
                    data,
                    key.selector.encode("ascii"),
                    self.domain.encode("ascii"),
                    key.private_key,
                    canonicalize=(b"relaxed", b"relaxed"),
                    signature_algorithm=ALGORITHMS[key.algorithm],
                    include_headers=self.headers,
                    linesep=b"\r\n",
                )
            )
        return b"".join(lines)

    def sign(self, data: bytes) -> bytes:
        return self.signatures(data) + data


def load_signer(settings: DkimSettings, root: Path, sender_domain: str, where: str) -> DkimSigner | None:
    """The signer [dkim] describes, its keys read and tried once; None without keys.

    A missing, unreadable or malformed key is an InvalidInput naming the file and the key."""
    if not settings.enabled:
        return None
    keys = []
    for algorithm in ("rsa", "ed25519"):
        configured = getattr(settings, f"{algorithm}_key")
        if not configured:
            continue
        path = Path(configured).expanduser()
        path = path if path.is_absolute() else root / path
        try:
            private_key = path.read_bytes()
        except OSError as error:
            raise InvalidInput(f"{where}: dkim.{algorithm}_key: cannot read {path}: {error.strerror}") from None
        keys.append(DkimKey(algorithm, getattr(settings, f"{algorithm}_selector"), private_key.strip()))
    signer = DkimSigner(settings.domain or sender_domain, keys)
    probe = b"From: a@b.example\r\nSubject: probe\r\n\r\nprobe\r\n"
    for key in keys:
        try:
            DkimSigner(signer.domain, [key]).signatures(probe)
        except (dkim.DKIMException, ValueError, TypeError) as error:  # the kinds a bad key raises
            raise InvalidInput(
                f"{where}: dkim.{key.algorithm}_key: {getattr(settings, f'{key.algorithm}_key')} is not a "
                f"usable {key.algorithm} private key ({error or type(error).__name__})"
            ) from None
    return signer
