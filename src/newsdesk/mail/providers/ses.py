"""Amazon SES through its API v2 (boto3's ``sesv2`` client, ``SendEmail`` with ``Content.Raw``).

The message is the one SMTP would carry, byte for byte: built and DKIM-signed by
newsdesk.mail.message, handed to SES raw, addressed to its one recipient. SES's answer
sorts as SMTP's would:

* throttling (``TooManyRequestsException``, ``Throttling``) and SES's own 5xx errors are
  ``Transient``: the recipient is deferred while the others are sent;
* a refused message (``MessageRejected``, ``BadRequestException``) is ``Permanent``;
* an account or credential problem (suspended, sending paused, unverified MAIL FROM domain,
  wrong keys) is ``SmtpFatal``: nothing can be sent; everyone not yet sent stays pending;
* a connection that fails before the request is sent is retried; one that breaks after
  it (a read timeout) is retried too, and the recipient is in doubt, as after SMTP's DATA.

boto3's own retries are off (one attempt a call): the ledger decides what is tried again,
so a request SES may have taken is never repeated behind its back.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.utils import parseaddr
from typing import Any

from newsdesk.config import DeliverySettings
from newsdesk.errors import InvalidInput
from newsdesk.mail.smtp import Permanent, SmtpFatal, Transient

TRANSIENT_CODES = frozenset(
    {"TooManyRequestsException", "Throttling", "ThrottlingException", "LimitExceededException", "ServiceUnavailable"}
)
PERMANENT_CODES = frozenset({"MessageRejected", "BadRequestException", "InvalidParameterValue"})


@dataclass(frozen=True)
class SesClientSettings:
    region: str | None
    endpoint_url: str | None
    timeout: float

    def describe(self) -> str:
        where = self.endpoint_url or f"the {self.region or 'default'} region"
        return f"Amazon SES ({where})"

    def check(self) -> None:
        """Credentials and region as boto3 would find them; InvalidInput when either is missing."""
        import boto3

        session = boto3.session.Session(region_name=self.region)
        if session.get_credentials() is None:
            raise InvalidInput(
                "[delivery] provider is ses but no AWS credentials were found: export AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY (or AWS_PROFILE), or run where an IAM role provides them"
            )
        if not session.region_name:
            raise InvalidInput("[delivery] provider is ses but no region is set: set [delivery] region or AWS_REGION")


def ses_client_settings(settings: DeliverySettings) -> SesClientSettings:
    region = settings.region or os.environ.get("AWS_REGION") or None
    return SesClientSettings(region, settings.endpoint_url or None, settings.timeout)


def _error_code(error: Any) -> tuple[str, str, int]:
    response = getattr(error, "response", {}) or {}
    details = response.get("Error", {})
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return str(details.get("Code", "")), " ".join(str(details.get("Message", "")).split()), int(status or 0)


class SesTransport:
    """One sesv2 client, made on connect and reused for every message."""

    def __init__(self, client_settings: SesClientSettings, settings: DeliverySettings) -> None:
        self.client_settings = client_settings
        self.configuration_set = settings.configuration_set
        self.client: Any = None
        self.connections = 0
        self.unreachable = False  # the last request could not reach SES: connect() looks first

    def __enter__(self) -> SesTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def connect(self) -> None:
        import boto3
        from botocore import exceptions as aws
        from botocore.config import Config as BotoConfig

        if self.client is None:
            self.client = self._client(boto3, BotoConfig)
            self.connections += 1
        if self.unreachable:
            # As an SMTP reconnect would: a request that reaches SES (whatever it answers) says
            # it is back; otherwise Transient, and after the retries the run stops.
            try:
                self.client.list_email_identities(PageSize=1)
            except aws.ClientError:
                pass
            except aws.BotoCoreError as error:
                self.drop()
                raise Transient(f"cannot reach Amazon SES: {error}", reconnect=True) from None
            self.unreachable = False

    def _client(self, boto3: Any, BotoConfig: Any) -> Any:
        return boto3.session.Session(region_name=self.client_settings.region).client(
            "sesv2",
            endpoint_url=self.client_settings.endpoint_url,
            config=BotoConfig(
                retries={"total_max_attempts": 1, "mode": "standard"},
                connect_timeout=self.client_settings.timeout,
                read_timeout=self.client_settings.timeout,
            ),
        )

    def send(self, sender: str, recipient: str, data: bytes) -> str:
        """Hand SES the message for ``recipient``; returns ``SES accepted: MessageId=...``.

        SES takes the envelope sender from its own MAIL FROM domain, not from ``sender``:
        its bounces come back as notifications (the /webhooks/ses endpoint of `newsdesk serve`).
        """
        from botocore import exceptions as aws

        if self.client is None:
            self.connect()
        headers = BytesHeaderParser().parsebytes(data)
        request: dict[str, Any] = {
            "FromEmailAddress": parseaddr(str(headers.get("From", "")))[1],
            "Destination": {"ToAddresses": [recipient]},
            "Content": {"Raw": {"Data": data}},
        }
        if self.configuration_set:
            request["ConfigurationSetName"] = self.configuration_set
        try:
            answer = self.client.send_email(**request)
        except aws.ClientError as error:
            code, message, status = _error_code(error)
            reply = f"SES {status} {code}: {message}".strip()
            if code in TRANSIENT_CODES or status == 429 or status >= 500:
                raise Transient(reply) from None
            if code in PERMANENT_CODES:
                raise Permanent(reply) from None
            raise SmtpFatal(f"Amazon SES refused to send: {reply}") from None
        except (aws.NoCredentialsError, aws.PartialCredentialsError) as error:
            raise SmtpFatal(f"Amazon SES: {error}") from None
        except aws.ConnectionError as error:  # no connection, a connect timeout, a TLS failure
            self.unreachable = True
            raise Transient(f"cannot reach Amazon SES: {error}", reconnect=True) from None
        except aws.HTTPClientError as error:
            # The request went out (a read timeout, a closed connection): SES may have taken
            # the message without our hearing so.
            raise Transient(f"Amazon SES did not answer: {error}", reconnect=True, in_doubt=True) from None
        except aws.BotoCoreError as error:
            raise SmtpFatal(f"Amazon SES cannot be used: {error}") from None
        return f"SES accepted: MessageId={answer['MessageId']}"

    def drop(self) -> None:
        if self.client is not None:
            self.client.close()
        self.client = None

    def close(self) -> None:
        self.drop()
