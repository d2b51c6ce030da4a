"""What `newsdesk doctor` asks the delivery provider (``[delivery] provider``), read-only.

* **Amazon SES**: the credentials boto3's chain finds, then its API (the classic ``ses``
  actions, which every SES account answers): ``GetSendQuota`` (the account answers, its
  quota and rate), ``GetIdentityVerificationAttributes`` (the sender or its domain verified),
  ``GetIdentityDkimAttributes`` (Easy DKIM's three tokens for the From domain) and
  ``GetIdentityMailFromDomainAttributes`` (a custom MAIL FROM domain, the envelope's).
* **Postmark**: ``GET /server`` with the server token (the token answers), and
  ``GET /message-streams/{stream}`` (the newsletter's stream exists, and is a broadcast one).

Nothing is sent. A failure is a ``ProviderProblem``: one line, and its fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from newsdesk.config import DeliverySettings
from newsdesk.errors import InvalidInput
from newsdesk.http import ERRORS, Http

# SES's error codes that say the credentials (or their permissions) are wrong.
_CREDENTIAL_CODES = frozenset(
    {"InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException", "AccessDenied", "ExpiredToken"}
)


class ProviderProblem(Exception):
    def __init__(self, detail: str, fix: str) -> None:
        super().__init__(detail)
        self.detail = detail
        self.fix = fix


@dataclass(frozen=True)
class SesFacts:
    where: str  # "Amazon SES (the eu-west-1 region)"
    credentials: str  # where boto3 found them: env, shared-credentials-file, iam-role, ...
    max_per_day: float
    max_rate: float
    sent_today: float
    verification: dict[str, str]  # identity (the sender, its domain) -> Success, Pending, Failed, ...
    dkim_enabled: bool
    dkim_status: str
    dkim_tokens: tuple[str, ...]
    mail_from: str  # the custom MAIL FROM domain; "" for SES's own (amazonses.com)
    mail_from_status: str


def ses_facts(delivery: DeliverySettings, sender: str, timeout: float) -> SesFacts:
    import boto3
    from botocore import exceptions as aws
    from botocore.config import Config as BotoConfig

    from newsdesk.mail.providers.ses import _error_code, ses_client_settings

    settings = ses_client_settings(delivery)
    try:
        settings.check()
    except InvalidInput as error:
        raise ProviderProblem(
            error.message.removeprefix("[delivery] provider is ses but "),
            "export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE), and AWS_REGION or [delivery] region",
        ) from None
    session = boto3.session.Session(region_name=settings.region)
    credentials = session.get_credentials()
    client = session.client(
        "ses",
        endpoint_url=settings.endpoint_url,
        config=BotoConfig(
            retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=timeout, read_timeout=timeout
        ),
    )
    domain = sender.rpartition("@")[2].lower()
    identities = [sender, domain]
    try:
        quota = client.get_send_quota()
        verification = client.get_identity_verification_attributes(Identities=identities)["VerificationAttributes"]
        dkim = client.get_identity_dkim_attributes(Identities=[domain])["DkimAttributes"].get(domain, {})
        mail_from_attributes = client.get_identity_mail_from_domain_attributes(Identities=identities)[
            "MailFromDomainAttributes"
        ]
    except aws.ClientError as error:
        code, message, status = _error_code(error)
        fix = (
            "check the AWS credentials: the doctor needs ses:GetSendQuota and ses:GetIdentity*, the send ses:SendRawEmail"
            if code in _CREDENTIAL_CODES or status in (401, 403)
            else "check [delivery] region and endpoint_url"
        )
        raise ProviderProblem(f"{settings.describe()} refused: {code or status}: {message}".strip(), fix) from None
    except aws.BotoCoreError as error:
        raise ProviderProblem(
            f"cannot reach {settings.describe()}: {error}", "check [delivery] region and endpoint_url, and the network"
        ) from None
    finally:
        client.close()
    mail_from: dict[str, Any] = next(
        (mail_from_attributes[i] for i in identities if (mail_from_attributes.get(i) or {}).get("MailFromDomain")),
        {},
    )
    return SesFacts(
        where=settings.describe(),
        credentials=str(getattr(credentials, "method", "") or "boto3's chain"),
        max_per_day=float(quota.get("Max24HourSend", 0)),
        max_rate=float(quota.get("MaxSendRate", 0)),
        sent_today=float(quota.get("SentLast24Hours", 0)),
        verification={i: str(v.get("VerificationStatus", "")) for i, v in verification.items()},
        dkim_enabled=bool(dkim.get("DkimEnabled")),
        dkim_status=str(dkim.get("DkimVerificationStatus", "")),
        dkim_tokens=tuple(dkim.get("DkimTokens") or ()),
        mail_from=str(mail_from.get("MailFromDomain") or "").lower(),
        mail_from_status=str(mail_from.get("MailFromDomainStatus") or ""),
    )


@dataclass(frozen=True)
class PostmarkFacts:
    url: str
    server: str  # the server's name
    server_id: int
    stream: str
    stream_type: str | None  # Broadcasts, Transactional, ...; None: no such stream


def postmark_facts(delivery: DeliverySettings, timeout: float, user_agent: str) -> PostmarkFacts:
    from newsdesk.mail.providers.postmark import postmark_token, postmark_url

    try:
        token = postmark_token()
    except InvalidInput as error:
        raise ProviderProblem(
            error.message.removeprefix("[delivery] provider is postmark but "),
            "export the server's API token (Postmark: Servers → API Tokens) in $POSTMARK_SERVER_TOKEN",
        ) from None
    url = postmark_url(delivery)
    http = Http(user_agent, connect_timeout=timeout, read_timeout=timeout)
    headers = {"Accept": "application/json", "X-Postmark-Server-Token": token}
    with http.client(headers=headers, follow_redirects=False) as client:
        try:
            server = client.get(f"{url}/server")
            answer = _json(server)
            if server.status_code == 401 or answer.get("ErrorCode") == 10:
                raise ProviderProblem(
                    f"{url} refused the server token in $POSTMARK_SERVER_TOKEN (ErrorCode 10)",
                    "export the token of the server that sends the newsletter (Postmark: Servers → API Tokens)",
                )
            if server.status_code != 200:
                raise ProviderProblem(
                    f"GET {url}/server answered {server.status_code}: {answer.get('Message', '')}".strip(),
                    "check [delivery] endpoint_url (empty: https://api.postmarkapp.com)",
                )
            stream = client.get(f"{url}/message-streams/{delivery.message_stream}")
        except ERRORS as error:
            raise ProviderProblem(
                f"cannot reach Postmark at {url}: {http.reason(error)}",
                "check [delivery] endpoint_url and the network",
            ) from None
    described = _json(stream)
    return PostmarkFacts(
        url=url,
        server=str(answer.get("Name", "")),
        server_id=int(answer.get("ID", 0) or 0),
        stream=delivery.message_stream,
        stream_type=str(described.get("MessageStreamType", "")) if stream.status_code == 200 else None,
    )


def _json(response: Any) -> dict[str, Any]:
    try:
        answer = response.json()
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}
