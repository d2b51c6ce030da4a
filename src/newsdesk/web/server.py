"""Running the app: uvicorn on the configured address, until SIGINT or SIGTERM."""

from __future__ import annotations

import uvicorn

from newsdesk.mail.smtp import smtp_target
from newsdesk.mail.tokens import signer_for
from newsdesk.newsroom import Newsroom
from newsdesk.web.app import Service, create_app


def service_for(room: Newsroom) -> Service:
    """The service of ``room``; InvalidInput when the secret or the SMTP password is missing."""
    signer = signer_for(room.config)
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


def serve(service: Service, host: str, port: int) -> None:
    if not service.room.config.web.public_url:  # trying it locally: the links point where it listens
        service.public_url = f"http://{host}:{port}"
    uvicorn.Server(uvicorn_config(service, host, port)).run()
