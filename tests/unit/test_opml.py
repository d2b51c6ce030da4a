"""OPML: export, import into another newsroom and get the same sources back; duplicates and
invalid entries reported; sources.toml keeps its comments."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from newsdesk.cli import cli
from newsdesk.newsroom import Newsroom

READER_EXPORT = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0">
  <head><title>My reader</title></head>
  <body>
    <outline text="China">
      <outline text="Policy">
        <outline type="rss" text="Credit Wire" title="Credit Wire" xmlUrl="https://creditwire.example/feed.xml" category="/law,courts"/>
      </outline>
      <outline type="rss" text="Court Blog" xmlUrl="https://courtblog.example/atom"/>
    </outline>
    <outline type="rss" text="Credit Policy Daily (again)" xmlUrl="https://creditpolicy.example/feed?utm_source=reader"/>
    <outline type="rss" text="No link"/>
    <outline type="rss" text="Gopher" xmlUrl="gopher://old.example/feed"/>
  </body>
</opml>
"""


def newsdesk(root: Path, *args: str):
    return CliRunner().invoke(cli, ["--newsroom", str(root), *args], catch_exceptions=False)


def test_export_then_import_gives_the_same_sources(newsroom_dir, tmp_path):
    exported = newsdesk(newsroom_dir, "sources", "export", "--out", str(tmp_path / "subs.opml"))
    assert exported.exit_code == 0, exported.output
    fresh = tmp_path / "fresh"
    assert newsdesk(fresh.parent, "init", str(fresh)).exit_code == 0
    imported = newsdesk(fresh, "sources", "import", str(tmp_path / "subs.opml"))
    assert imported.exit_code == 0, imported.output
    before = Newsroom.open(newsroom_dir).config.sources
    after = Newsroom.open(fresh).config.sources
    assert [(s.name, s.tags, s.weight, s.enabled) for s in after] == [
        (s.name, s.tags, s.weight, s.enabled) for s in before
    ]
    # local feeds travel as file:// URLs of the same files
    assert [Path(s.url.removeprefix("file://")) for s in after] == [
        Path(Newsroom.open(newsroom_dir).source_location(s.url)) for s in before
    ]
    again = newsdesk(fresh, "sources", "import", str(tmp_path / "subs.opml"))
    assert again.exit_code == 0
    assert f"added 0 of {len(before)} feeds" in again.output and "already in sources.toml" in again.output


def test_a_readers_export_adds_feeds_with_folder_tags_and_reports_the_rest(newsroom_dir, tmp_path):
    (newsroom_dir / "sources.toml").write_text(
        (newsroom_dir / "sources.toml").read_text(encoding="utf-8")
        + '\n[[sources]]\nname = "Online"\nurl = "https://creditpolicy.example/feed"\n',
        encoding="utf-8",
    )
    before = (newsroom_dir / "sources.toml").read_text(encoding="utf-8")
    opml = tmp_path / "reader.opml"
    opml.write_text(READER_EXPORT, encoding="utf-8")
    result = newsdesk(newsroom_dir, "sources", "import", str(opml))
    assert result.exit_code == 2  # some entries were invalid; the valid ones are in
    lines = result.output.splitlines()
    assert "added 'Credit Wire': https://creditwire.example/feed.xml" in lines
    assert "added 'Court Blog': https://courtblog.example/atom" in lines
    assert any(line.startswith("skipped 'Credit Policy Daily (again)'") and "'Online'" in line for line in lines)
    assert "invalid outline 'No link': no xmlUrl" in lines
    assert any(line.startswith("invalid 'Gopher'") and "http(s)" in line for line in lines)
    after = (newsroom_dir / "sources.toml").read_text(encoding="utf-8")
    assert after.startswith(before.rstrip("\n"))  # nothing before changed, comments included
    sources = {s.name: s for s in Newsroom.open(newsroom_dir).config.sources}
    assert sources["Credit Wire"].tags == ("China", "Policy", "law", "courts")
    assert sources["Court Blog"].tags == ("China",)


def test_new_sources_go_after_the_last_source_not_after_the_topics(newsroom_dir, tmp_path):
    opml = tmp_path / "one.opml"
    opml.write_text(
        '<opml version="2.0"><body><outline type="rss" text="Wire" xmlUrl="https://wire.example/rss"/></body></opml>',
        encoding="utf-8",
    )
    assert newsdesk(newsroom_dir, "sources", "import", str(opml)).exit_code == 0
    text = (newsroom_dir / "sources.toml").read_text(encoding="utf-8")
    assert text.index('name = "Wire"') < text.index("# What the newsletter covers") < text.index("[[topics]]")


def test_dry_run_changes_nothing(newsroom_dir, tmp_path):
    before = (newsroom_dir / "sources.toml").read_bytes()
    opml = tmp_path / "reader.opml"
    opml.write_text(READER_EXPORT, encoding="utf-8")
    result = newsdesk(newsroom_dir, "sources", "import", "--dry-run", str(opml))
    assert "would add 'Credit Wire': https://creditwire.example/feed.xml" in result.output
    assert "would add 3 of 5 feeds" in result.output
    assert (newsroom_dir / "sources.toml").read_bytes() == before


def test_broken_and_hostile_files_are_one_line_and_change_nothing(newsroom_dir, tmp_path):
    before = (newsroom_dir / "sources.toml").read_bytes()
    cases = {
        "broken.opml": ("<opml><body><outline text='x'></body>", "not valid XML"),
        "feed.xml": ("<rss version='2.0'><channel/></rss>", "not OPML"),
        "bomb.opml": (
            '<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaa">]><opml><body/></opml>',
            "DTD",
        ),
    }
    for name, (content, problem) in cases.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
        result = CliRunner().invoke(cli, ["--newsroom", str(newsroom_dir), "sources", "import", str(tmp_path / name)])
        assert result.exit_code == 2
        assert problem in result.output and len(result.output.strip().splitlines()) == 1
    missing = CliRunner().invoke(
        cli, ["--newsroom", str(newsroom_dir), "sources", "import", str(tmp_path / "nope.opml")]
    )
    assert missing.exit_code == 2 and "cannot read" in missing.output
    assert (newsroom_dir / "sources.toml").read_bytes() == before


def test_export_to_stdout_is_opml_2(newsroom_dir):
    result = newsdesk(newsroom_dir, "sources", "export")
    assert result.exit_code == 0
    assert '<opml xmlns:newsdesk="urn:newsdesk:opml" version="2.0">' in result.output
    assert 'text="法院诚信新闻"' in result.output and 'category="chinese,courts"' in result.output
