"""Read-more links without tracking parameters; item links refused only when unsafe."""

import pytest

from newsdesk.urls import item_link, without_tracking


@pytest.mark.parametrize(
    ("url", "clean"),
    [
        ("https://a.example/s?id=7&utm_source=rss&utm_medium=feed", "https://a.example/s?id=7"),
        ("https://a.example/s?fbclid=IwAR0&gclid=x&mc_eid=1&mc_cid=2", "https://a.example/s"),
        # What is kept stays as written: order, case, escapes and the fragment.
        ("https://a.example/s?b=2&UTM_Source=x&a=%2F1#part", "https://a.example/s?b=2&a=%2F1#part"),
        ("https://a.example/s?b=2&a=1", "https://a.example/s?b=2&a=1"),
        ("https://a.example/s?q=a+b&utm%5Fsource=x", "https://a.example/s?q=a+b"),
        ("https://a.example/s?utm_source=x#top", "https://a.example/s#top"),
        ("https://a.example/s", "https://a.example/s"),
    ],
)
def test_without_tracking_drops_only_tracking_parameters(url, clean):
    assert without_tracking(url) == clean


def test_without_tracking_takes_more_names_and_prefixes():
    url = "https://a.example/s?ref=home&src_a=1&src=2&id=3"
    assert without_tracking(url, ("ref", "src_*")) == "https://a.example/s?src=2&id=3"


@pytest.mark.parametrize(
    ("value", "base", "expected"),
    [
        ("http://127.0.0.1:8000/a", None, ("http://127.0.0.1:8000/a", None)),
        ("http://localhost/a", None, ("http://localhost/a", None)),
        ("/a", "http://10.0.0.2/feed", ("http://10.0.0.2/a", None)),
        ("", None, (None, None)),
        ("javascript:alert(1)", None, (None, "not http(s)")),
        ("http://user:pw@127.0.0.1/a", None, (None, "with a user name or password in them")),
        ("https://user@news.example/a", None, (None, "with a user name or password in them")),
        ("/a", None, (None, "relative, with no address to resolve them against")),
    ],
)
def test_item_links_are_refused_only_when_unsafe(value, base, expected):
    assert item_link(value, base) == expected
