"""[delivery] rate paces SES and Postmark; without it, and always for SMTP, [smtp] rate does."""

from pathlib import Path

import pytest

from newsdesk.config import parse_config
from newsdesk.errors import ConfigError
from newsdesk.mail.providers import delivery_for


def rate(text: str, smtp_url: str | None = None) -> float:
    config = parse_config(text, Path("sources.toml"))
    return delivery_for(config, smtp_url, credentials=False).rate


def test_the_provider_rate_overrides_the_smtp_rate_only_for_a_provider() -> None:
    assert rate("[smtp]\nrate = 3\n") == 3.0
    assert rate('[smtp]\nrate = 3\n[delivery]\nprovider = "ses"\nregion = "eu-west-1"\n') == 3.0
    assert rate('[smtp]\nrate = 3\n[delivery]\nprovider = "ses"\nregion = "eu-west-1"\nrate = 14\n') == 14.0
    assert rate('[smtp]\nrate = 3\n[delivery]\nprovider = "postmark"\nrate = 0\n') == 0.0
    # SMTP ignores [delivery] rate, and so does a run through --smtp.
    assert rate("[smtp]\nrate = 3\n[delivery]\nrate = 50\n") == 3.0
    assert rate('[smtp]\nrate = 3\n[delivery]\nprovider = "postmark"\nrate = 50\n', "smtp://127.0.0.1:2525") == 3.0


def test_a_negative_rate_names_its_line() -> None:
    with pytest.raises(ConfigError, match=r"sources.toml:3: delivery.rate must not be negative"):
        parse_config('[delivery]\nprovider = "postmark"\nrate = -1\n', Path("sources.toml"))
