from pathlib import Path

import pytest

from newsdesk.config import Config, load_config, parse_config
from newsdesk.errors import EXIT_INVALID, ConfigError

GOOD = """
[newsroom]
name = "Test Weekly"
timezone = "Asia/Shanghai"

[[sources]]
name = "One"
url = "https://one.example/feed.xml"

[[sources]]
name = "Two"
url = "feeds/two.xml"
tags = ["local"]
weight = 2
enabled = false
"""


def parse(text: str) -> Config:
    return parse_config(text, Path("sources.toml"))


def problem(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse(text)
    assert caught.value.exit_code == EXIT_INVALID
    message = caught.value.message
    assert "\n" not in message
    return message


def test_defaults_live_in_the_model():
    config = parse(GOOD)
    assert config.newsroom.developments == 3
    assert config.newsroom.week_start == "monday"
    assert config.newsroom.publication_day == "monday"
    assert config.fetch.max_bytes == 10_000_000
    two = config.source("Two")
    assert two is not None and two.weight == 2.0 and two.tags == ("local",) and not two.enabled
    assert [s.name for s in config.enabled_sources] == ["One"]


def test_the_sample_newsroom_config_is_valid():
    config = load_config(Path(__file__).resolve().parents[2] / "sources.toml")
    assert len(config.sources) >= 6
    assert config.newsroom.name == "Social Credit Weekly News Summary"


def test_bad_toml_names_the_line():
    assert problem('[newsroom]\nname = "x\n').startswith("sources.toml: invalid TOML")
    assert "line 2" in problem('[newsroom]\nname = "x\n')


def test_unknown_key_names_file_line_and_key():
    text = GOOD.replace('url = "https://one.example/feed.xml"', 'url = "https://one.example/feed.xml"\nweigth = 2')
    message = problem(text)
    assert message.startswith("sources.toml:9:")
    assert "'weigth'" in message and "source 'One'" in message


def test_wrong_type_is_named():
    message = problem(GOOD.replace("weight = 2", 'weight = "heavy"'))
    assert message.startswith("sources.toml:14:") and "source 'Two': weight must be a number" in message


def test_missing_url():
    message = problem('[[sources]]\nname = "No URL"\n')
    assert message == "sources.toml:1: source 'No URL' is missing the required key 'url'"


def test_duplicate_names_case_insensitively():
    message = problem(GOOD.replace('name = "Two"', 'name = "one"'))
    assert message.startswith("sources.toml:11:") and "duplicate source name 'one'" in message


def test_bad_weekday_timezone_and_scheme():
    assert "weekday" in problem('[newsroom]\nweek_start = "mon"\n')
    assert "timezone" in problem('[newsroom]\ntimezone = "Mars/Olympus"\n')
    assert "ftp://" in problem('[[sources]]\nname = "x"\nurl = "ftp://x.example/feed"\n')


def test_unknown_table():
    assert "'smpt'" in problem("[smpt]\nhost = 'x'\n")


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "sources.toml")


def test_cli_reports_bad_config_in_one_line_with_exit_2(run, newsroom_dir):
    config = newsroom_dir / "sources.toml"
    config.write_text(config.read_text(encoding="utf-8") + "\n[[sources]]\nname = 'Broken'\n", encoding="utf-8")
    result = run("fetch")
    assert result.exit_code == 2
    assert result.output.count("\n") == 1
    assert "sources.toml:" in result.output and "'url'" in result.output
    assert "Traceback" not in result.output


def test_a_table_array_entry_that_is_not_a_table():
    assert "must be a table" in problem('sources = ["a"]\n')
    assert "must be a table" in problem("blogs = [1]\n")


def test_a_wordpress_password_never_travels_over_plain_http_off_loopback():
    base = '[[blogs]]\nname = "wp"\nkind = "wordpress"\nuser = "ed"\npassword_env = "WP"\nurl = '
    assert "must be https://" in problem(base + '"http://blog.example.org"\n')
    parse(base + '"http://127.0.0.1:8089"\n')
    parse(base + '"https://blog.example.org"\n')


def test_the_emails_theme_brand_colour_and_logo_are_checked():
    settings = parse('[newsroom]\ntheme = "sans"\nbrand_colour = "#1A73E8"\nlogo_url = "https://x.example/l.png"\n')
    assert (settings.newsroom.theme, settings.newsroom.brand_colour) == ("sans", "#1A73E8")
    assert parse("").newsroom.theme == "serif"
    assert problem('[newsroom]\nname = "x"\ntheme = "comic"\n') == (
        "sources.toml:3: newsroom.theme must be one of serif, sans, not 'comic'"
    )
    assert problem('[newsroom]\nbrand_colour = "red"\n').startswith("sources.toml:2: newsroom.brand_colour must be")
    assert "#fff" in problem('[newsroom]\nbrand_colour = "#fff"\n')
    assert "http(s)" in problem('[newsroom]\nlogo_url = "javascript:alert(1)"\n')
    assert "manage_url" in problem('[newsroom]\nmanage_url = "settings?email={email}"\n')
    assert parse('[newsroom]\nmanage_url = "https://x.example/s?e={email}"\n').newsroom.manage_url


def test_a_misspelt_key_is_answered_with_the_key_meant():
    message = problem('[newsroom]\nbrand_color = "#1a7f37"\n')
    assert message == "sources.toml:2: unknown key 'brand_color' in newsroom: did you mean 'brand_colour'?"


def test_delivery_provider_and_its_endpoint():
    assert parse("").delivery.provider == "smtp"
    assert parse('[delivery]\nprovider = "ses"\nregion = "eu-west-1"\n').delivery.region == "eu-west-1"
    assert problem('[delivery]\nprovider = "mailchimp"\n').startswith(
        "sources.toml:2: delivery.provider must be one of"
    )
    assert "https://" in problem('[delivery]\nendpoint_url = "http://ses.example.org"\n')
    assert parse('[delivery]\nendpoint_url = "http://127.0.0.1:4566"\n').delivery.endpoint_url
    assert "AWS region" in problem('[delivery]\nregion = "Ireland"\n')
    assert parse('[delivery]\nprovider = "postmark"\n').delivery.message_stream == "broadcast"
    assert "message stream" in problem('[delivery]\nmessage_stream = " "\n')
    assert "SNS topic ARN" in problem('[delivery]\nsns_topics = ["newsletter"]\n')
    assert "host pattern" in problem('[delivery]\nsns_certificate_hosts = ["https://sns.example/"]\n')
