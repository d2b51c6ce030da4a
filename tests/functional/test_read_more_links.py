"""A picked item's read-more link loses its tracking parameters (utm_*, fbclid, gclid,
mc_eid and the like), by the CLI and by the desk; sources.toml can turn that off or name
more parameters."""

from __future__ import annotations

from newsdesk.curation.session import DeskSession
from newsdesk.issue import load_issue
from newsdesk.newsroom import Newsroom

# In the sample feeds with ?utm_source=rss&utm_medium=feed&utm_campaign=weekly.
TRACKED = "8e115134a19a"
CLEAN = "http://www.xinhuacredit.example/2017-06/28/c_1121230564.htm"


def set_newsroom_keys(root, text: str) -> None:
    config = root / "sources.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("[newsroom]\n", f"[newsroom]\n{text}\n", 1), encoding="utf-8"
    )


def test_pick_drops_the_tracking_parameters(fetched, run):
    result = run("pick", "2017-07-10", TRACKED)
    assert result.exit_code == 0, result.output
    assert load_issue(fetched / "issues" / "2017-07-10.md").developments[0].read_more == CLEAN


def test_the_desk_drops_them_too(fetched):
    room = Newsroom.open(fetched)
    session = DeskSession(room, fetched / "issues" / "2017-07-10.md")
    with room.store() as store:
        item = store.item(TRACKED)
    assert item is not None and "utm_source" in (item.url or "")
    assert session.pick(item).read_more == CLEAN


def test_clean_links_off_keeps_the_link_as_the_feed_gave_it(fetched, run):
    set_newsroom_keys(fetched, "clean_links = false")
    assert run("pick", "2017-07-10", TRACKED).exit_code == 0
    link = load_issue(fetched / "issues" / "2017-07-10.md").developments[0].read_more
    assert link == CLEAN + "?utm_source=rss&utm_medium=feed&utm_campaign=weekly"


def test_more_parameters_can_be_named(fetched, run):
    set_newsroom_keys(fetched, 'tracking_params = ["utm_medium", "utm_c*"]')
    # Named parameters are dropped as well as the ones newsdesk knows.
    assert run("pick", "2017-07-10", TRACKED).exit_code == 0
    assert load_issue(fetched / "issues" / "2017-07-10.md").developments[0].read_more == CLEAN


def test_a_bad_parameter_name_is_one_line_naming_the_key(newsroom_dir, run):
    set_newsroom_keys(newsroom_dir, 'tracking_params = ["utm_*", "a b"]')
    result = run("candidates")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"newsdesk: error: {newsroom_dir / 'sources.toml'}:5: newsroom.tracking_params: 'a b' is not a query "
        "parameter name (a name, or a prefix ending in *)"
    )
