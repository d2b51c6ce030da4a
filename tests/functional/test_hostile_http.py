"""Hostile feeds at the HTTP level: every bad server gives one clear line, nothing crashes.

Each test fetches from a real server on 127.0.0.1 (tests/hostile_server.py).
"""

from __future__ import annotations

import socket

import pytest
from hostile.fixtures import fetch_one, make_newsroom, server  # noqa: F401
from hostile.generate import BOMB_CHUNK, deflate_bomb, good_feed, gzip_bomb
from hostile_server import StalledListener, closed_port

from newsdesk.feeds.compression import BodyTooLarge, BoundedDecoder
from newsdesk.feeds.fetch import fetch

pytestmark = pytest.mark.slow


def assert_failed(result, *phrases: str) -> None:
    assert result.failed, result.line()
    line = result.line()
    assert line.startswith("hostile: failed: "), line
    assert "\n" not in line
    for phrase in phrases:
        assert phrase in line, line


def stored_count(root) -> int:
    from newsdesk.newsroom import Newsroom

    with Newsroom.open(root).store() as store:
        return store.count_items()


# Status codes -----------------------------------------------------------


def test_404_is_reported(tmp_path, server):
    assert_failed(fetch_one(tmp_path, server.url("/status/404")), "HTTP 404 Not Found")


def test_410_says_the_feed_is_gone(tmp_path, server):
    assert_failed(fetch_one(tmp_path, server.url("/status/410")), "HTTP 410 Gone", "remove it from sources.toml")


def test_500_is_reported(tmp_path, server):
    assert_failed(fetch_one(tmp_path, server.url("/status/500")), "HTTP 500 Internal Server Error")


# Connections --------------------------------------------------------------


def test_connection_refused(tmp_path):
    assert_failed(fetch_one(tmp_path, f"http://127.0.0.1:{closed_port()}/feed.xml"), "connection refused")


@pytest.fixture
def lookups(monkeypatch):
    """Every host name resolved during the test; .invalid names must never get here."""
    asked: list[str] = []
    real = socket.getaddrinfo

    def recording(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else str(host)
        asked.append(name)
        if name.rstrip(".").endswith(".invalid"):
            raise AssertionError(f"a lookup of {name} would leave the machine")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", recording)
    return asked


def test_unknown_host_under_invalid_never_asks_dns(tmp_path, lookups):
    result = fetch_one(tmp_path, "http://feeds.nowhere.invalid/rss")
    assert_failed(result, "unknown host feeds.nowhere.invalid")
    assert lookups == []


def test_unknown_host_from_the_resolver(tmp_path, lookups):
    # A 64-character label is not a valid DNS name: the resolver refuses it locally,
    # so this exercises the real lookup failure without a packet leaving the machine.
    host = "x" * 64 + ".example"
    assert_failed(fetch_one(tmp_path, f"http://{host}/rss"), f"unknown host {host}")
    assert lookups and lookups[0] == host


def test_redirect_to_an_invalid_host_never_asks_dns(tmp_path, server, lookups):
    url = server.url("/redirect-to?url=http%3A%2F%2Fevil.invalid%2Frss")
    assert_failed(fetch_one(tmp_path, url), "unknown host evil.invalid")
    assert lookups == []


def test_redirect_to_a_local_file_is_refused(tmp_path, server):
    secret = tmp_path / "secret.xml"
    secret.write_bytes(good_feed("secret"))
    url = server.url(f"/redirect-to?url=file%3A%2F%2F{secret}")
    assert_failed(fetch_one(tmp_path / "room", url), "redirected to an unsupported URL")
    assert stored_count(tmp_path / "room") == 0


def test_slow_connect_hits_the_connect_timeout(tmp_path):
    stalled = StalledListener()
    try:
        # The connect timeout's own words: the per-feed deadline would say so otherwise.
        result = fetch_one(tmp_path, f"http://127.0.0.1:{stalled.port}/feed.xml")
        assert_failed(result, "timed out connecting")
    finally:
        stalled.close()


def test_slow_headers_hit_the_read_timeout(tmp_path, server):
    assert_failed(fetch_one(tmp_path, server.url("/slow-headers/10")), "timed out: no data for 1.5 s")


def test_dribbling_server_hits_the_per_feed_deadline(tmp_path, server):
    # One byte a second never trips the read timeout; the per-feed deadline must.
    result = fetch_one(tmp_path, server.url("/dribble"))
    assert_failed(result, "took longer than the per-feed deadline (3 s)")


def test_truncated_body_is_a_broken_connection(tmp_path, server):
    assert_failed(fetch_one(tmp_path, server.url("/truncated")), "connection broken")


def test_server_that_hangs_up(tmp_path, server):
    assert_failed(fetch_one(tmp_path, server.url("/hang-up")), "connection broken")


def test_garbage_instead_of_http(tmp_path, server):
    assert_failed(fetch_one(tmp_path, server.url("/garbage")), "the server's answer is not HTTP")


# Redirects ----------------------------------------------------------------


def test_redirect_loop_stops_at_the_limit(tmp_path, server):
    assert_failed(fetch_one(tmp_path, server.url("/loop")), "too many redirects (more than 5)")
    assert len(server.requested("/loop")) == 6


def test_long_redirect_chain_stops_at_the_limit(tmp_path, server):
    assert_failed(fetch_one(tmp_path, server.url("/chain/8")), "too many redirects (more than 5)")
    assert not server.requested("/chain/0")


def test_short_redirect_chain_is_followed_quietly(tmp_path, server):
    result = fetch_one(tmp_path, server.url("/chain/3"))
    assert result.status == "new" and result.new == 2
    assert result.moved_to is None  # 302s are temporary: nothing to update


@pytest.mark.parametrize("code", [301, 308])
def test_permanent_redirect_is_followed_and_reported(tmp_path, server, code):
    target = server.serve("new-home", good_feed("moved"))
    result = fetch_one(tmp_path, server.url(f"/moved/{code}/new-home"))
    assert result.status == "new" and result.new == 2
    assert result.moved_to == target
    assert f"moved permanently to {target} (update sources.toml)" in result.line()


# Sizes ----------------------------------------------------------------------


def bomb(kind: str) -> bytes:
    return gzip_bomb() if kind == "gzip" else deflate_bomb(raw=kind == "raw-deflate")


@pytest.mark.parametrize("kind", ["gzip", "deflate", "raw-deflate"])
def test_compression_bomb_is_capped(tmp_path, server, kind):
    body = bomb(kind)  # made now: made while the server answers, it can outlast a read timeout
    # Timeouts far from the bomb's cost even on a loaded machine: the size cap must fire.
    result = fetch_one(tmp_path, server.url(f"/bomb/{kind}"), read_timeout=30, feed_deadline=60)
    assert_failed(result, "too large: over 10 MB")
    # And the cap stops the decoding where it is: never a byte past it, the bomb unfinished.
    decoder = BoundedDecoder("gzip" if kind == "gzip" else "deflate", 10_000_000)
    fed = 0
    with pytest.raises(BodyTooLarge):
        for start in range(0, len(body), BOMB_CHUNK):
            fed += BOMB_CHUNK
            decoder.feed(body[start : start + BOMB_CHUNK])
    assert decoder.decoded <= 10_000_000 and fed < len(body)


def test_endless_body_is_capped(tmp_path, server):
    result = fetch_one(tmp_path, server.url("/endless"), max_bytes=2_000_000)
    assert_failed(result, "too large: over 2 MB")


def test_declared_length_over_the_cap_fails_before_reading(tmp_path, server):
    # The declared length's words: reading the body first would end in the read timeout.
    assert_failed(fetch_one(tmp_path, server.url("/liar-length")), "too large: 1,000,000,000,000 bytes declared")


def test_cap_is_configurable(tmp_path, server):
    url = server.serve("fits", good_feed("fits", 50))
    assert not fetch_one(tmp_path / "a", url).failed
    assert_failed(fetch_one(tmp_path / "b", url, max_bytes=1000), "too large", "the limit is 0.001 MB")


def test_corrupt_gzip_body(tmp_path, server):
    assert_failed(fetch_one(tmp_path, server.url("/corrupt-gzip")), "gzip body is corrupt")


# Content types and pages that are not feeds -----------------------------------


@pytest.mark.parametrize("content_type", ["text/html; charset=utf-8", "application/octet-stream", "text/plain", None])
def test_feed_with_a_wrong_content_type_is_still_read(tmp_path, server, content_type):
    result = fetch_one(tmp_path, server.serve("typed", good_feed("typed"), content_type=content_type))
    assert result.status == "new" and result.new == 2, result.line()


def test_html_page_is_not_a_feed(tmp_path, server):
    page = b"<!DOCTYPE html><html><head><title>Home</title></head><body><p>Welcome</p></body></html>"
    result = fetch_one(tmp_path, server.serve("page", page, content_type="text/html"))
    assert_failed(result, "not a feed: an HTML page")
    assert "links a feed" not in result.line()


def test_html_page_names_the_feed_it_links(tmp_path, server):
    page = (
        b"<!doctype html><html><head><title>Home</title>"
        b"<link rel='stylesheet' href='/style.css'>"
        b'<link type="application/rss+xml" title="News" rel="alternate feed" href="/news/rss.xml?a=1&amp;b=2">'
        b"</head><body>Welcome</body></html>"
    )
    result = fetch_one(tmp_path, server.serve("page", page, content_type="text/html"))
    assert_failed(result, "not a feed: an HTML page; the page links a feed at " + server.url("/news/rss.xml?a=1&b=2"))


def test_empty_response_is_not_a_feed(tmp_path, server):
    assert_failed(fetch_one(tmp_path, server.serve("empty", b"")), "not a feed: the response is empty")


# A run with everything at once ------------------------------------------------


def test_every_bad_feed_one_line_and_every_good_feed_stored(tmp_path, server):
    good = [(f"good-{n}", server.serve(f"good-{n}", good_feed(f"good{n}", 3))) for n in range(5)]
    bad = {
        "missing": server.url("/status/404"),
        "gone": server.url("/status/410"),
        "broken": server.url("/status/500"),
        "refused": f"http://127.0.0.1:{closed_port()}/rss",
        "nowhere": "http://feeds.nowhere.invalid/rss",
        "dribble": server.url("/dribble"),
        "slow": server.url("/slow-headers/30"),
        "loop": server.url("/loop"),
        "gzip-bomb": server.url("/bomb/gzip"),
        "deflate-bomb": server.url("/bomb/deflate"),
        "endless": server.url("/endless"),
        "page": server.serve("page", b"<html><body>hi</body></html>", content_type="text/html"),
        "garbage": server.url("/garbage"),
    }
    room = make_newsroom(tmp_path, good + list(bad.items()))
    report = fetch(room)
    # All at once: every request began while the dribbling one (cut at the deadline) went on.
    assert server.began_after_end_of("/dribble") == []
    by_name = {r.source: r for r in report.results}
    for name, _ in good:
        assert by_name[name].status == "new" and by_name[name].new == 3, by_name[name].line()
    for name in bad:
        line = by_name[name].line()
        assert by_name[name].failed and line.startswith(f"{name}: failed: "), line
        assert "\n" not in line and len(line) < 300, line
    with room.store() as store:
        assert store.count_items() == 15


def test_run_deadline_bounds_the_whole_run(tmp_path, server):
    sources = [(f"dribble-{n}", server.url(f"/dribble?{n}")) for n in range(3)]
    sources.append(("good", server.serve("good", good_feed("good"))))
    room = make_newsroom(tmp_path, sources, feed_deadline=30, run_deadline=2, concurrency=2)
    report = fetch(room)
    lines = [r.line() for r in report.results]
    assert sum("the run's deadline (2 s) passed first" in line for line in lines) >= 3, lines
