"""Signed tokens for the links in the emails: which subscriber of which list, never the
address itself, with an HMAC-SHA256 signature under the newsroom's secret.

A token is ``<payload>.<signature>``, both base64url without padding. The payload is the
purpose (``unsubscribe`` or ``confirm``), the list's id, the subscriber's id in the store
and, for a confirmation, the link's nonce and issue time, joined by U+001F. Anything not
signed by this secret, for this purpose and list, is refused as one: a forged or altered
token is indistinguishable from garbage, and ``TokenError`` says only that it is invalid.

The secret comes from the environment variable NEWSDESK_SECRET (at least 16 characters;
`python -c "import secrets; print(secrets.token_urlsafe(32))"` makes one). Changing it
invalidates every link already sent.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from newsdesk.errors import InvalidInput

if TYPE_CHECKING:
    from newsdesk.config import Config, NewsroomSettings
    from newsdesk.mail.roster import Roster

SECRET_ENV = "NEWSDESK_SECRET"
MIN_SECRET = 16
_SEPARATOR = "\x1f"
_SIGNATURE_BYTES = 16  # 128 bits: forging one is out of reach, and the links stay short
_MAX_TOKEN = 512


class TokenError(ValueError):
    """A token that is not one of ours, or no longer valid; the message is safe to show."""


def secret_from_env(environ: dict[str, str] | None = None) -> bytes:
    """The signing secret, or an InvalidInput naming the variable."""
    value = (os.environ if environ is None else environ).get(SECRET_ENV, "")
    if not value:
        raise InvalidInput(
            f"${SECRET_ENV} is not set: the unsubscribe and confirmation links are signed with it "
            f'(make one with: python3 -c "import secrets; print(secrets.token_urlsafe(32))")'
        )
    if len(value) < MIN_SECRET:
        raise InvalidInput(f"${SECRET_ENV} is too short ({len(value)} characters; at least {MIN_SECRET})")
    return value.encode("utf-8")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not text or not all(c.isascii() and (c.isalnum() or c in "-_") for c in text):
        raise TokenError("the link is not valid")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise TokenError("the link is not valid") from None
    if _b64(data) != text:  # the last character's unused bits: one encoding per token, no aliases
        raise TokenError("the link is not valid")
    return data


@dataclass(frozen=True)
class Confirmation:
    member_id: int
    nonce: str
    issued: int  # Unix time


class Signer:
    """Makes and checks the tokens of one list."""

    def __init__(self, secret: bytes, list_id: str) -> None:
        if not secret:
            raise ValueError("an empty secret")
        self._key = hashlib.sha256(b"newsdesk tokens\0" + secret).digest()
        self.list_id = list_id

    def _signature(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:_SIGNATURE_BYTES]

    def sign(self, purpose: str, *fields: str) -> str:
        payload = _SEPARATOR.join((purpose, self.list_id, *fields)).encode("utf-8")
        return f"{_b64(payload)}.{_b64(self._signature(payload))}"

    def verify(self, token: str, purpose: str) -> list[str]:
        """The token's fields after purpose and list; TokenError unless we signed it so."""
        if not isinstance(token, str) or len(token) > _MAX_TOKEN or token.count(".") != 1:
            raise TokenError("the link is not valid")
        encoded, signature = token.split(".")
        payload = _unb64(encoded)
        if not hmac.compare_digest(_unb64(signature), self._signature(payload)):
            raise TokenError("the link is not valid")
        try:
            parts = payload.decode("utf-8").split(_SEPARATOR)
        except UnicodeDecodeError:
            raise TokenError("the link is not valid") from None
        if len(parts) < 2 or parts[0] != purpose or parts[1] != self.list_id:
            raise TokenError("the link is not valid")
        return parts[2:]

    # The two kinds -------------------------------------------------------

    def unsubscribe_token(self, member_id: int) -> str:
        return self.sign("unsubscribe", str(member_id))

    def read_unsubscribe(self, token: str) -> int:
        fields = self.verify(token, "unsubscribe")
        if len(fields) != 1 or not fields[0].isdigit():
            raise TokenError("the link is not valid")
        return int(fields[0])

    def confirm_token(self, member_id: int, nonce: str, issued: int | None = None) -> str:
        return self.sign("confirm", str(member_id), nonce, str(int(time.time()) if issued is None else issued))

    def read_confirm(self, token: str, max_age: float, now: float | None = None) -> Confirmation:
        fields = self.verify(token, "confirm")
        if len(fields) != 3 or not fields[0].isdigit() or not fields[2].isdigit():
            raise TokenError("the link is not valid")
        confirmation = Confirmation(int(fields[0]), fields[1], int(fields[2]))
        if (time.time() if now is None else now) - confirmation.issued > max_age:
            raise TokenError("the link has expired: sign up again for a new one")
        return confirmation

    # Bounces (VERP) ---------------------------------------------------------

    def bounce_token(self, member_id: int) -> str:
        """A short token for an envelope sender's local part (``bounces+TOKEN@…``): the
        subscriber's id and a signature, in lowercase letters and digits only, because a
        local part is limited to 64 characters and some servers change its case."""
        return f"{member_id}-{self._bounce_signature(member_id)}"

    def read_bounce(self, token: str) -> int:
        """The subscriber id a bounce token names; TokenError unless we signed it."""
        member, _, signature = token.lower().partition("-")
        if not member.isdigit() or len(member) > 12 or not signature:
            raise TokenError("the bounce address is not one of ours")
        if not hmac.compare_digest(signature, self._bounce_signature(int(member))):
            raise TokenError("the bounce address is not one of ours")
        return int(member)

    def _bounce_signature(self, member_id: int) -> str:
        payload = _SEPARATOR.join(("bounce", self.list_id, str(member_id))).encode("utf-8")
        return base64.b32encode(self._signature(payload)[:10]).decode("ascii").lower()


def verp_address(bounce_address: str, token: str) -> str:
    """``bounces@news.example.org`` and a token: ``bounces+TOKEN@news.example.org``."""
    local, _, domain = bounce_address.rpartition("@")
    return f"{local}+{token}@{domain}"


def bounce_token_of(recipient: str) -> str | None:
    """The token in a VERP address (a DSN's recipient of the bounce), or None."""
    local, _, _domain = recipient.rpartition("@")
    if "+" not in local:
        return None
    return local.rpartition("+")[2] or None


class BounceAddresses:
    """Each subscriber's envelope sender, for MessageFactory.return_path: the bounce address
    with that subscriber's signed token. An address the list does not hold (a test copy)
    gets the bare bounce address."""

    def __init__(self, signer: Signer, bounce_address: str, ids: Callable[[str], int | None]) -> None:
        self.signer = signer
        self.bounce_address = bounce_address
        self.ids = ids

    def __call__(self, address: str) -> str:
        member_id = self.ids(address)
        if member_id is None:
            return self.bounce_address
        return verp_address(self.bounce_address, self.signer.bounce_token(member_id))


def bounce_addresses(config: Config, roster: Roster) -> BounceAddresses | None:
    """The envelope senders when newsroom.bounce_address is set (NEWSDESK_SECRET then needed), else None."""
    if not config.newsroom.bounce_address:
        return None

    def ids(address: str) -> int | None:
        member = roster.get(address)
        return member.id if member is not None else None

    return BounceAddresses(signer_for(config), config.newsroom.bounce_address, ids)


def unsubscribe_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/unsubscribe/{token}"


def confirm_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/confirm/{token}"


class UnsubscribeLinks:
    """Each subscriber's signed unsubscribe link, for MessageFactory.links. An address the
    list does not hold (a test copy to the editor) gets the service's plain page."""

    def __init__(self, signer: Signer, public_url: str, ids: Callable[[str], int | None]) -> None:
        self.signer = signer
        self.public_url = public_url.rstrip("/")
        self.ids = ids

    def __call__(self, address: str) -> str:
        member_id = self.ids(address)
        if member_id is None:
            return f"{self.public_url}/unsubscribe"
        return unsubscribe_url(self.public_url, self.signer.unsubscribe_token(member_id))


def list_id_of(settings: NewsroomSettings) -> str:
    """The list's id as the List-Id header gives it (newsroom.list_id, else from the sender)."""
    if settings.list_id:
        return settings.list_id
    local, _, domain = settings.sender_email.partition("@")
    return f"{local}.{domain}"


def signer_for(config: Config, environ: dict[str, str] | None = None) -> Signer:
    """The newsroom's signer; InvalidInput when NEWSDESK_SECRET is unset or too short."""
    return Signer(secret_from_env(environ), list_id_of(config.newsroom))


def signed_links(config: Config, roster: Roster) -> UnsubscribeLinks | None:
    """The emails' signed unsubscribe links when the web service is configured ([web]
    public_url), else None (the links stay newsroom.unsubscribe_url's)."""
    if not config.web.public_url:
        return None

    def ids(address: str) -> int | None:
        member = roster.get(address)
        return member.id if member is not None else None

    return UnsubscribeLinks(signer_for(config), config.web.public_url, ids)
