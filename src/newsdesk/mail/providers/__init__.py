"""Who delivers the messages: the SMTP server, Amazon SES or Postmark (``[delivery] provider``).

Every provider is a transport with the SMTP transport's shape (newsdesk.mail.smtp): ``connect()``,
``send(sender, recipient, data) -> reply`` and ``close()``, raising the same three kinds of
failure (``Transient``, ``Permanent``, ``SmtpFatal``), so the sender (newsdesk.mail.send) and its
exactly-once ledger are the same whoever delivers. The reply a provider returns names the
message id it gave the message (``SES accepted: MessageId=...``); the ledger keeps it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from newsdesk.config import Config
from newsdesk.errors import InvalidInput


class Transport(Protocol):
    """What the sender needs of whoever delivers: SmtpTransport, SesTransport, PostmarkTransport."""

    connections: int

    def connect(self) -> None: ...

    def send(self, sender: str, recipient: str, data: bytes) -> str: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Delivery:
    """The provider a send goes through: how it reads in messages, and how to open a transport."""

    provider: str
    description: str
    opener: Callable[[], Transport]
    rate: float = 10.0  # messages per second at most; 0: no limit

    def describe(self) -> str:
        return self.description

    def open(self) -> Transport:
        return self.opener()


def provider_rate(config: Config, provider: str) -> float:
    """Messages per second at most: [delivery] rate for SES and Postmark when set, else [smtp] rate."""
    if provider != "smtp" and config.delivery.rate is not None:
        return config.delivery.rate
    return config.smtp.rate


def delivery_for(
    config: Config, smtp_url: str | None = None, *, credentials: bool = True, transactional: bool = False
) -> Delivery:
    """The configured provider, or the SMTP server of ``--smtp URL`` for this run.

    With ``credentials``, a missing password, token or AWS credential is reported now, as
    one line, before anything is sent. ``transactional``: for one person's own email (a
    confirmation), which Postmark wants in a transactional stream, not the newsletter's.
    """
    provider = "smtp" if smtp_url else config.delivery.provider
    rate = provider_rate(config, provider)
    if provider == "ses":
        from newsdesk.mail.providers.ses import SesTransport, ses_client_settings

        settings = ses_client_settings(config.delivery)
        if credentials:
            settings.check()
        return Delivery("ses", settings.describe(), lambda: SesTransport(settings, config.delivery), rate)
    if provider == "postmark":
        from newsdesk.mail.providers.postmark import PostmarkTransport, postmark_token, postmark_url

        token = postmark_token() if credentials else ""
        url = postmark_url(config.delivery)
        stream = config.delivery.transactional_stream if transactional else config.delivery.message_stream
        return Delivery(
            "postmark",
            f"Postmark ({url}, stream {stream})",
            lambda: PostmarkTransport(config.delivery, token, stream),
            rate,
        )
    if provider != "smtp":
        raise InvalidInput(f"unknown delivery provider {provider!r}")
    from newsdesk.mail.smtp import SmtpTransport, smtp_target

    target = smtp_target(config.smtp, smtp_url)
    password = target.password() if credentials else None
    return Delivery("smtp", target.describe(), lambda: SmtpTransport(target, password), rate)
