"""Running the app: uvicorn on the configured address, until SIGINT or SIGTERM."""

from __future__ import annotations

import socket

import click
import uvicorn
from uvicorn.config import STARTUP_FAILURE

from newsdesk.errors import NewsdeskError
from newsdesk.mail.providers import delivery_for
from newsdesk.mail.smtp import smtp_target
from newsdesk.mail.tokens import signer_for
from newsdesk.newsroom import Newsroom
from newsdesk.web.app import Service, create_app


def service_for(room: Newsroom) -> Service:
    """The service of ``room``; InvalidInput when the secret or the SMTP password (or the
    provider's credentials, with [delivery] provider SES or Postmark) is missing."""
    signer = signer_for(room.config)
    if room.config.delivery.provider != "smtp":
        return Service(
            room=room, signer=signer, smtp_password=None, delivery=delivery_for(room.config, transactional=True)
        )
    password = smtp_target(room.config.smtp).password()
    return Service(room=room, signer=signer, smtp_password=password)


def uvicorn_config(service: Service, host: str, port: int, *, access_log: bool = True) -> uvicorn.Config:
    web = service.room.config.web
    return uvicorn.Config(
        create_app(service),
        host=host,
        port=port,
        lifespan="on",
        access_log=access_log,
        # Behind nginx or Caddy on the same machine, the client's address is the one they forward.
        proxy_headers=web.trusted_proxy,
        forwarded_allow_ips="127.0.0.1" if web.trusted_proxy else None,
        server_header=False,
        log_level="info",
    )


def _where(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` for uvicorn to serve on; NewsdeskError (exit 1) in one
    line when it cannot be had (the port in use, an address not of this machine)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as error:
        raise NewsdeskError(f"cannot listen on {_where(host, port)}: {error.strerror}") from None
    listener = socket.socket(family, kind, proto)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
    except OSError as error:
        listener.close()
        reason = (error.strerror or str(error)).lower()
        raise NewsdeskError(f"cannot listen on {_where(host, port)}: {reason}") from None
    return listener


def serve(service: Service, host: str, port: int, listener: socket.socket | None = None) -> None:
    if not service.room.config.web.public_url:  # trying it locally: the links point where it listens
        service.public_url = f"http://{_where(host, port)}"
    listener = listener or listening_socket(host, port)
    server = uvicorn.Server(uvicorn_config(service, host, port))
    click.echo(f"newsdesk serve: listening on http://{_where(host, port)} (Ctrl+C stops it)", err=True)
    try:
        server.run(sockets=[listener])
    except SystemExit as stop:  # uvicorn's 3 when the app's startup failed (it said why)
        if stop.code == STARTUP_FAILURE:
            raise NewsdeskError("the service did not start") from None
        raise
