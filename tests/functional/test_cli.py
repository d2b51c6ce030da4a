"""Each command on a copy of the sample newsroom, as an editor runs it."""

import json
import subprocess
import sys
from datetime import date

import pytest

from newsdesk.issue import load_issue, save_issue


def test_candidates_of_a_week_newest_first(fetched, run):
    result = run("candidates", "--week", "2017-07-03")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "17 candidates from 26th June to 2nd July 2017, 3 picked"
    days = [line.split()[2] if line.startswith("*") else line.split()[1] for line in lines[1:]]
    assert days == sorted(days, reverse=True)
    assert sum(line.startswith("*") for line in lines[1:]) == 3


def test_candidates_json_and_search(fetched, run):
    result = run("candidates", "--week", "2017-07-03", "--search", "Hebei", "--json")
    items = json.loads(result.output)
    assert items and all(set(i) == {"id", "title", "url", "source", "published"} for i in items)
    from newsdesk.newsroom import Newsroom

    with Newsroom.open(fetched).store() as store:
        found = [store.item(i["id"]) for i in items]
        week = store.items()
    assert all("hebei" in (f.title + f.summary_text + f.source).lower() for f in found)
    expected = {
        i.id
        for i in week
        if "hebei" in (i.title + i.summary_text + i.source).lower()
        and date(2017, 6, 26) <= i.when.date() <= date(2017, 7, 2)
    }
    assert {i["id"] for i in items} == expected
    chinese = json.loads(run("candidates", "--week", "2017-07-03", "--search", "河北", "--json").output)
    assert any("河北" in i["title"] for i in chinese)
    # A Chinese source's name, in either script, as the desk's filter finds it.
    for name in ("法院诚信新闻", "法院誠信新聞"):
        by_source = json.loads(run("candidates", "--week", "2017-07-03", "--search", name, "--json").output)
        assert by_source and all(i["source"] == "法院诚信新闻" for i in by_source)
        assert {i["id"] for i in by_source} == {
            i.id for i in week if i.source == "法院诚信新闻" and date(2017, 6, 26) <= i.when.date() <= date(2017, 7, 2)
        }


def test_one_candidate_is_not_candidates(fetched, run):
    listed = json.loads(run("candidates", "--week", "2017-07-03", "--json").output)
    titles = [i["title"] for i in listed]
    unique = next(t for t in titles if sum(t in other for other in titles) == 1 and " " not in t)
    heading = run("candidates", "--week", "2017-07-03", "--search", unique).output.splitlines()[0]
    assert heading.startswith("1 candidate from 26th June")


def test_candidates_default_to_the_next_issue(fetched, run):
    assert run("candidates").output.startswith("21 candidates from 3rd July to 9th July 2017")


def test_new_creates_a_draft_and_never_overwrites(fetched, run):
    result = run("new", "--date", "2017-07-17")
    assert result.exit_code == 0
    issue = load_issue(fetched / "issues" / "2017-07-17.md")
    assert issue.title == "Social Credit Weekly News Summary – 17th July 2017"
    assert (issue.week_start, issue.week_end) == (date(2017, 7, 10), date(2017, 7, 16))
    assert "from 10th July to 16th July 2017" in issue.intro and "three most important" in issue.intro
    before = (fetched / "issues" / "2017-07-03.md").read_bytes()
    again = run("new", "--date", "2017-07-03")
    assert again.exit_code == 3 and "already exists" in again.output
    assert (fetched / "issues" / "2017-07-03.md").read_bytes() == before


def test_new_refuses_a_second_issue_for_a_week_already_covered(run, newsroom_dir):
    """2017-07-11 would cover 3rd to 9th July, the week of the 2017-07-10 issue."""
    issues = newsroom_dir / "issues"
    before = sorted(p.name for p in issues.iterdir())
    result = run("new", "--date", "2017-07-11")
    assert result.exit_code == 3
    assert result.stderr.strip() == (
        f"newsdesk: error: {issues / '2017-07-11.md'}: the week of 3rd July to 9th July 2017 is "
        f"already covered by {issues / '2017-07-10.md'}; edit that issue, or choose another --date"
    )
    assert sorted(p.name for p in issues.iterdir()) == before


def test_new_refuses_a_week_that_overlaps_one_set_by_hand(run, newsroom_dir):
    """An issue whose editor widened its week (to cover a holiday) keeps the days it took."""
    path = newsroom_dir / "issues" / "2017-07-10.md"
    issue = load_issue(path)
    issue.week_end = date(2017, 7, 12)
    save_issue(issue)
    result = run("new", "--date", "2017-07-17")
    assert result.exit_code == 3 and f"already covered by {path};" in result.stderr
    assert run("new", "--date", "2017-07-24").exit_code == 0


def test_new_reads_the_week_of_a_broken_issue_from_its_name(run, newsroom_dir):
    (newsroom_dir / "issues" / "2017-07-10.md").write_text("+++\ntitle = \n+++\n", encoding="utf-8")
    result = run("new", "--date", "2017-07-12")
    assert result.exit_code == 3 and "2017-07-10.md;" in result.stderr


def test_new_defaults_to_the_next_publication_day(fetched, run):
    result = run("new")
    assert result.exit_code == 0
    created = sorted((fetched / "issues").glob("*.md"))[-1]
    assert date.fromisoformat(created.stem).weekday() == 0 and date.fromisoformat(created.stem) >= date.today()


def test_pick_by_id_and_prefix_then_show(fetched, run):
    items = json.loads(run("candidates", "--json").output)
    first, second = items[0], items[1]
    result = run("pick", "2017-07-10", first["id"], second["id"][:6])
    assert result.exit_code == 0, result.output
    assert "2/3 picked" in result.output
    issue = load_issue(fetched / "issues" / "2017-07-10.md")
    assert [d.item_id for d in issue.developments] == [first["id"], second["id"]]
    assert issue.developments[0].headline == first["title"]
    assert issue.developments[0].read_more == first["url"]
    assert issue.developments[0].annotation == ""
    shown = run("show", "2017-07-10")
    assert f"1. {first['title']}" in shown.output
    assert "development 1: no annotation" in shown.output


def test_pick_lists_the_other_reports_of_the_story_as_the_desk_does(fetched, run):
    stories = json.loads(run("candidates", "--week", "2017-07-10", "--sort", "score", "--json").output)
    story = next(s for s in stories if len(s["cluster"]) > 1)
    lead, *others = story["cluster"]
    result = run("pick", "2017-07-10", lead["id"])
    assert result.exit_code == 0, result.output
    assert f"also reported by {', '.join(sorted({o['source'] for o in others}))}" in result.output
    issue = load_issue(fetched / "issues" / "2017-07-10.md")
    assert issue.developments[0].also == [o["id"] for o in others]
    again = run("pick", "2017-07-10", others[0]["id"])  # the same story through another source
    assert again.exit_code == 0 and f"already picked {others[0]['id']}" in again.output
    assert len(load_issue(fetched / "issues" / "2017-07-10.md").developments) == 1


def test_a_story_is_picked_once_whichever_of_its_reports_is_named(tmp_path):
    from datetime import UTC, datetime

    from newsdesk.config import NewsroomSettings
    from newsdesk.curation.editing import pick
    from newsdesk.issue import Development, Issue
    from newsdesk.items import Item

    def report(name: str) -> Item:
        when = datetime(2017, 6, 28, tzinfo=UTC)
        return Item(name, "S", name, name, None, None, "", when, when)

    a, b, d = report("a"), report("b"), report("d")
    # Picked before `d` joined the story: the development lists `b` only.
    issue = Issue(
        path=tmp_path / "x.md",
        title="T",
        date=date(2017, 7, 3),
        week_start=date(2017, 6, 26),
        week_end=date(2017, 7, 2),
        intro="",
        developments=[Development("A", "", "", "a", ["b"])],
    )
    result = pick(issue, [d], NewsroomSettings(developments=3), also={"d": [a, b]})
    assert result.already == [d] and len(issue.developments) == 1
    # Two reports of one new story named together: one development.
    e, f = report("e"), report("f")
    result = pick(issue, [e, f], NewsroomSettings(developments=3), also={"e": [f], "f": [e]})
    assert result.added == [e] and result.already == [f]
    assert issue.developments[-1].also == ["f"]


def test_pick_errors(fetched, run):
    unknown = run("pick", "2017-07-10", "ffffffffffff")
    assert unknown.exit_code == 2 and "unknown item id 'ffffffffffff'" in unknown.output
    # The leads of four stories (four items of the week may be reports of fewer).
    ids = [story["id"] for story in json.loads(run("candidates", "--sort", "score", "--json").output)[:4]]
    assert run("pick", "2017-07-10", *ids[:3]).exit_code == 0
    full = run("pick", "2017-07-10", ids[3])
    assert full.exit_code == 3 and "would have 4 developments" in full.output
    assert run("unpick", "2017-07-10", "2").exit_code == 0
    assert len(load_issue(fetched / "issues" / "2017-07-10.md").developments) == 2
    missing = run("pick", "2017-07-31", ids[0])
    assert missing.exit_code == 2 and "no such issue file" in missing.output


def test_render_writes_the_outputs_under_build(fetched, run):
    result = run("render", "2017-07-03")
    assert result.exit_code == 0
    out = fetched / "build" / "2017-07-03"
    for name in (
        "email.html",
        "email.txt",
        "post.html",
        "post_body.html",
        "post.md",
        "archive/index.html",
        "archive/feed.xml",
    ):
        assert (out / name).stat().st_size > 0, name


def test_init_creates_a_working_newsroom(tmp_path, run):
    room = tmp_path / "fresh"
    result = run("init", str(room), "--name", "Climate Weekly")
    assert result.exit_code == 0
    assert (room / "templates" / "email.mjml").exists() and (room / "issues").is_dir()
    from newsdesk.config import load_config

    assert load_config(room / "sources.toml").newsroom.name == "Climate Weekly"
    assert run("init", str(room)).exit_code == 3


def test_python_dash_m_and_errors_without_traceback(tmp_path):
    ok = subprocess.run([sys.executable, "-m", "newsdesk", "--version"], capture_output=True, text=True)
    assert ok.returncode == 0 and "newsdesk" in ok.stdout
    (tmp_path / "sources.toml").write_text("[newsroom\n", encoding="utf-8")
    bad = subprocess.run(
        [sys.executable, "-m", "newsdesk", "--newsroom", str(tmp_path), "fetch"], capture_output=True, text=True
    )
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and "sources.toml: invalid TOML" in bad.stderr
    assert "Traceback" not in bad.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["check"], "newsdesk check: missing argument 'ISSUE' (see newsdesk check --help)\n"),
        (["--bogus"], "newsdesk: no such option '--bogus' (see newsdesk --help)\n"),
        (["chek"], "newsdesk: no such command 'chek'. Did you mean 'check'? (see newsdesk --help)\n"),
    ],
)
def test_a_usage_error_is_one_line(args, expected, tmp_path):
    result = subprocess.run([sys.executable, "-m", "newsdesk", *args], capture_output=True, text=True, cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", expected)


def test_missing_issue_file_is_one_line(run):
    result = run("render", "2017-01-02")
    assert result.exit_code == 2
    assert result.output.strip().endswith("2017-01-02.md: no such issue file")


def test_unpick_never_guesses(fetched, run):
    ids = [i["id"] for i in json.loads(run("candidates", "--json").output)[:2]]
    run("pick", "2017-07-10", *ids)
    assert run("unpick", "2017-07-10", "9").exit_code == 2
    assert run("unpick", "2017-07-10", ids[1][:2]).exit_code == 2
    assert len(load_issue(fetched / "issues" / "2017-07-10.md").developments) == 2
    assert run("unpick", "2017-07-10", ids[1][:5]).exit_code == 0
    assert load_issue(fetched / "issues" / "2017-07-10.md").item_ids() == [ids[0]]


def test_a_folder_that_cannot_be_written_is_one_line(fetched, run):
    result = run("render", "2017-07-03", "--out", "/proc/newsdesk-out")
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "Traceback" not in result.output


def test_a_reader_that_stops_early_stops_the_listing_quietly(fetched):
    # As `newsdesk candidates | head -1` does: the pipe is closed before the listing is written.
    process = subprocess.Popen(
        [sys.executable, "-m", "newsdesk", "--newsroom", str(fetched), "candidates", "--week", "2017-07-10"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    process.stdout.close()
    errors = process.stderr.read().decode()
    assert process.wait(30) == 141 and errors == ""  # 128 + SIGPIPE, as the shell reports a tool stopped so


def test_a_broken_pipe_that_is_not_the_output_is_still_an_error(fetched):
    # The output is a live pipe; the broken one is elsewhere, as a mail server hanging up.
    script = (
        "import sys, newsdesk.curation.candidates as c\n"
        "def broken(*a, **k): raise BrokenPipeError(32, 'Broken pipe')\n"
        "c.week_candidates = broken\n"
        "from newsdesk.cli import main\n"
        "sys.argv = ['newsdesk', '--newsroom', sys.argv[1], 'candidates']\n"
        "main()\n"
    )
    result = subprocess.run([sys.executable, "-c", script, str(fetched)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 1 and result.stderr.strip() == "newsdesk: error: Broken pipe"


def test_romanize_filters_standard_input_as_the_newsroom_configures(newsroom_dir, run):
    result = run("romanize", input="the Regulations (上海市社会信用条例)\n诚信\n")
    assert result.exit_code == 0
    assert result.output == "the Regulations (上海市社会信用条例 Shanghaishi shehui xinyong tiaoli)\n诚信 Chengxin\n"
    config = newsroom_dir / "sources.toml"
    config.write_text(config.read_text() + '\n[romanization]\ntones = "marks"\n', encoding="utf-8")
    assert run("romanize", "--only", "社会信用").output == "Shèhuì xìnyòng\n"
    config.write_text(config.read_text() + 'capitalize = "loud"\n', encoding="utf-8")
    failed = run("romanize", "诚信")
    assert failed.exit_code == 2 and "romanization.capitalize must be one of" in failed.output


def test_romanize_keeps_figures_and_names(fetched, run):
    text = "2017年上半年全国法院新增失信被执行人146万人次"
    assert run("romanize", text).output == (
        f"{text} 2017 nian shangbannian quanguo fayuan xinzeng shixin beizhixingren 146 wanrenci\n"
    )
    assert (
        run("romanize", "--only", "习近平在北京，重庆市、长沙。").output
        == "Xi Jinping zai Beijing, Chongqingshi, Changsha.\n"
    )
    config = fetched / "sources.toml"
    config.write_text(config.read_text() + '\n[romanization]\nformat = "{pinyin} ({hanzi})"\n', encoding="utf-8")
    once = run("romanize", "the 诚信 plan").output
    assert once == "the Chengxin (诚信) plan\n"
    assert run("romanize", once.strip()).output == once


def test_glossary_add_list_and_the_terms_of_an_item(fetched, run):
    assert run("glossary", "list").output == ""
    added = run("glossary", "add", "诚信档案", "integrity records", "--also", "credit files", "--note", "for officials")
    assert added.exit_code == 0 and "诚信档案 = 'integrity records'" in added.output
    assert run("glossary", "add", "失信", "untrustworthy").exit_code == 0
    assert run("glossary", "add", "失信", "dishonest").exit_code == 3
    assert run("glossary", "list").output == (
        "诚信档案\tintegrity records (not: credit files) — for officials\n失信\tuntrustworthy\n"
    )
    items = json.loads(run("candidates", "--week", "2017-07-03", "--search", "诚信档案", "--json").output)
    found = json.loads(run("glossary", "find", items[0]["id"], "--json").output)
    assert {term["zh"] for term in found} == {"诚信档案", "失信"}
    assert (
        run("glossary", "find", "建立誠信檔案").output
        == "诚信档案\tintegrity records (not: credit files) — for officials\n"
    )
    latin = run("glossary", "add", "诚信honesty", "honesty")
    assert latin.exit_code == 2 and "'诚信honesty' is not a Chinese term: it has Latin letters" in latin.output
    neither = run("glossary", "find", "no chinese here")
    assert neither.exit_code == 2
    assert (
        neither.output
        == "newsdesk: error: no Chinese text and no item with id 'no chinese here' (see `newsdesk candidates`)\n"
    )
    (fetched / "glossary.toml").write_text('[terms]\n"失信" = 1\n', encoding="utf-8")
    broken = run("glossary", "list")
    assert broken.exit_code == 2 and "glossary.toml:2: term '失信' must be its English" in broken.output
