"""The SMTP connection: one session reused for many messages, and what each failure means.

Failures are sorted into three kinds, because each asks for something different:

* ``Transient``: a 4xx reply, a dropped connection, a timeout. Retry later, reconnecting
  if the session is gone. ``in_doubt`` is set when the drop came after the message body
  was sent: the server may have accepted it without our hearing so.
* ``Permanent``: a 5xx reply to one recipient or one message. Record it; never retry.
* ``SmtpFatal``: nothing can be sent this way (wrong password, no TLS, sender refused,
  server unreachable). Stop the run; every recipient not yet sent stays pending.
"""

from __future__ import annotations

import os
import smtplib
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from newsdesk.config import SmtpSettings
from newsdesk.errors import InvalidInput, NewsdeskError
from newsdesk.urls import is_loopback


class SmtpFatal(NewsdeskError):
    """The server cannot be used for this run."""


class Transient(Exception):
    def __init__(self, reply: str, *, reconnect: bool = False, in_doubt: bool = False) -> None:
        super().__init__(reply)
        self.reply = reply
        self.reconnect = reconnect
        self.in_doubt = in_doubt


class Permanent(Exception):
    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply


@dataclass(frozen=True)
class SmtpTarget:
    """Where and how to connect: [smtp] in sources.toml, or --smtp for one run."""

    host: str
    port: int
    security: str  # starttls | tls | none
    user: str = ""
    password_env: str = "NEWSDESK_SMTP_PASSWORD"
    timeout: float = 30.0

    def describe(self) -> str:
        scheme = "smtps" if self.security == "tls" else "smtp"
        user = f"{self.user}@" if self.user else ""
        note = {"starttls": " (STARTTLS)", "none": " (no TLS)"}.get(self.security, "")
        return f"{scheme}://{user}{self.host}:{self.port}{note}"

    def password(self) -> str | None:
        """The password from its environment variable; None without a user."""
        if not self.user:
            return None
        password = os.environ.get(self.password_env, "")
        if not password:
            raise InvalidInput(
                f"the SMTP user is {self.user!r} but ${self.password_env} is empty: "
                f"export the password in {self.password_env} (it is never read from a file)"
            )
        return password


def smtp_target(settings: SmtpSettings, override: str | None = None) -> SmtpTarget:
    """The target from [smtp], or from ``--smtp smtp://[user@]host:port`` / ``smtps://...``.

    ``smtp://`` uses STARTTLS, unless [smtp] security is "none" (a local test server);
    ``smtps://`` uses TLS from the first byte.
    """
    target = SmtpTarget(
        host=settings.host,
        port=settings.port,
        security=settings.security,
        user=settings.user,
        password_env=settings.password_env,
        timeout=settings.timeout,
    )
    if not override:
        return target
    try:
        parts = urlsplit(override)
        port = parts.port
    except ValueError as error:
        raise InvalidInput(f"--smtp {override!r}: {error}") from None
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise InvalidInput(f"--smtp {override!r}: expected smtp://[user@]host:port or smtps://[user@]host:port")
    if parts.password is not None:
        raise InvalidInput(f"--smtp: leave the password out of the URL; put it in ${settings.password_env}")
    if parts.path not in ("", "/") or parts.query:
        raise InvalidInput(f"--smtp {override!r}: nothing may follow host:port")
    if parts.scheme == "smtps":
        security = "tls"
    else:
        security = "none" if settings.security == "none" else "starttls"
    default_port = 465 if security == "tls" else 587
    return SmtpTarget(
        host=parts.hostname,
        port=port or default_port,
        security=security,
        user=unquote(parts.username) if parts.username else "",
        password_env=settings.password_env,
        timeout=settings.timeout,
    )


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(text.split())}".strip()


class SmtpTransport:
    """One SMTP session at a time, opened on demand and reused for every message."""

    def __init__(self, target: SmtpTarget, password: str | None = None) -> None:
        self.target = target
        self.password = password
        self.session: smtplib.SMTP | None = None
        self.connections = 0
        if password and target.security == "none" and not is_loopback(target.host):
            raise InvalidInput(
                f"refusing to send the SMTP password unencrypted to {target.host}: "
                'set [smtp] security to "starttls" or "tls"'
            )

    def __enter__(self) -> SmtpTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def connect(self) -> None:
        """Open a session: connect, TLS, EHLO, AUTH. Transient or SmtpFatal on failure."""
        self.close()
        target = self.target
        where = f"{target.host}:{target.port}"
        try:
            if target.security == "tls":
                session: smtplib.SMTP = smtplib.SMTP_SSL(
                    target.host, target.port, timeout=target.timeout, context=ssl.create_default_context()
                )
            else:
                session = smtplib.SMTP(target.host, target.port, timeout=target.timeout)
            try:
                session.ehlo()
                if target.security == "starttls":
                    if not session.has_extn("starttls"):
                        raise SmtpFatal(
                            f'{where} does not offer STARTTLS; use smtps:// (security = "tls"), '
                            'or security = "none" for a local test server'
                        )
                    session.starttls(context=ssl.create_default_context())
                    session.ehlo()
                if self.password is not None:
                    self._login(session, where)
            except BaseException:
                session.close()
                raise
        except SmtpFatal:
            raise
        except ssl.SSLCertVerificationError as error:
            raise SmtpFatal(f"{where}: the server's TLS certificate is not trusted: {error.verify_message}") from None
        except ssl.SSLError as error:
            raise SmtpFatal(f"{where}: TLS failed: {error.reason or error}") from None
        except smtplib.SMTPResponseException as error:
            if 400 <= error.smtp_code < 500:
                raise Transient(f"{where}: {_reply(error.smtp_code, error.smtp_error)}", reconnect=True) from None
            raise SmtpFatal(f"{where} refused the session: {_reply(error.smtp_code, error.smtp_error)}") from None
        except socket.gaierror as error:
            raise SmtpFatal(f"cannot find the SMTP server {target.host!r}: {error.strerror}") from None
        except (smtplib.SMTPException, OSError) as error:
            raise Transient(f"cannot connect to {where}: {error}", reconnect=True) from None
        self.session = session
        self.connections += 1

    def _login(self, session: smtplib.SMTP, where: str) -> None:
        if not session.has_extn("auth"):
            raise SmtpFatal(f"{where} does not offer authentication (AUTH), but [smtp] user is set")
        try:
            session.login(self.target.user, self.password or "")
        except smtplib.SMTPAuthenticationError as error:
            raise SmtpFatal(
                f"{where} refused the login of {self.target.user!r}: "
                f"{_reply(error.smtp_code, error.smtp_error)} (check ${self.target.password_env})"
            ) from None
        except smtplib.SMTPNotSupportedError:
            raise SmtpFatal(f"{where} offers no authentication method newsdesk knows (PLAIN, LOGIN)") from None

    def send(self, sender: str, recipient: str, data: bytes) -> str:
        """Deliver one message to one recipient; returns the server's acceptance."""
        if self.session is None:
            self.connect()
        session = self.session
        assert session is not None
        stage = "MAIL"
        try:
            code, text = session.mail(sender)
            if code != 250:
                self._refused_sender(code, text, sender)
            stage = "RCPT"
            code, text = session.rcpt(recipient)
            if code not in (250, 251):
                self._refused(code, text)
            stage = "DATA"
            try:
                code, text = session.data(data)
            except smtplib.SMTPDataError as error:  # DATA itself was refused
                self._refused(error.smtp_code, error.smtp_error)
            if code != 250:
                self._refused(code, text)
            return _reply(code, text)
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            self.drop()
            # After the body went out, the server may have taken it before the line died.
            raise Transient(
                f"connection lost during {stage}: {error or 'closed by the server'}",
                reconnect=True,
                in_doubt=stage == "DATA",
            ) from None

    def _reset(self, code: int) -> None:
        if code == 421:  # the server is closing the session
            self.drop()
            return
        try:
            assert self.session is not None
            self.session.rset()
        except (smtplib.SMTPException, OSError):
            self.drop()

    def _refused(self, code: int, text: bytes | str) -> None:
        self._reset(code)
        reply = _reply(code, text)
        if 400 <= code < 500:
            raise Transient(reply, reconnect=code == 421)
        raise Permanent(reply)

    def _refused_sender(self, code: int, text: bytes | str, sender: str) -> None:
        self._reset(code)
        reply = _reply(code, text)
        if 400 <= code < 500:
            raise Transient(reply, reconnect=code == 421)
        if code == 530:
            raise SmtpFatal(
                f"{self.target.host}:{self.target.port} requires authentication ({reply}): "
                f"set [smtp] user, and the password in ${self.target.password_env}"
            )
        raise SmtpFatal(f"{self.target.host}:{self.target.port} refused the sender {sender}: {reply}")

    def drop(self) -> None:
        """Forget a session that is broken, without talking to the server."""
        if self.session is not None:
            try:
                self.session.close()
            except OSError:
                pass
        self.session = None

    def close(self) -> None:
        """End the session politely (QUIT)."""
        if self.session is not None:
            try:
                self.session.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self.drop()
