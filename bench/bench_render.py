"""Benchmark rendering: one issue's full render, and the static site's archive of 500
issues built from scratch and rebuilt after editing one.

    .venv/bin/python bench/bench_render.py                 # 500 issues, 5 runs
    .venv/bin/python bench/bench_render.py --issues 100 --runs 1 --no-record
    .venv/bin/python bench/bench_render.py --profile       # profile the incremental rebuild

The newsroom is the sample one (its templates, its three issues) copied to a temporary
folder, with generated issues added: weekly, published, each with three developments
written like the samples, two tags each (of eight, one Chinese). "One issue's full render" is ``Renderer.render_all`` as
`newsdesk render ISSUE` runs it: a new Renderer (templates compiled), the email (MJML
to HTML and plaintext), the post and the archive pages, written to disk. The site is
``site.SiteBuilder`` as `newsdesk publish` runs it for a static target: the issues
loaded from their files, every page rendered, only changed files written. Results go
to docs/benchmarks.md under "## Render" (--no-record to skip that).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REPO, git_revision, show_results, summary, versions  # noqa: E402

SAMPLE_PARTS = ("sources.toml", "samples", "templates", "issues")
WORDS = (
    "credit system court blacklist company regulator pilot city province data platform market "
    "finance bank loan trust record policy document council ministry enforcement debtor travel "
    "ban flight train ticket public list punishment reward joint mechanism standard industry"
).split()
TAGS = ("courts", "blacklists", "Hebei", "Shanghai", "finance", "信用", "travel bans", "data")


def make_newsroom(folder: Path, issues: int, seed: int = 1) -> Path:
    root = folder / "newsroom"
    root.mkdir()
    for part in SAMPLE_PARTS:
        source = REPO / part
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, root / part)
    rng = random.Random(seed)
    first = date(2017, 6, 26)  # the earliest sample issue; generated ones go back from it
    for n in range(1, issues - 2):
        day = first - timedelta(weeks=n)
        (root / "issues" / f"{day.isoformat()}.md").write_text(issue_text(day, rng), encoding="utf-8")
    # Each file last changed on its day, as an archive's files were, not all this second
    # (the site's index does not trust a file changed in the last moments).
    for path in (root / "issues").glob("*.md"):
        stamp = datetime.combine(date.fromisoformat(path.stem), datetime.min.time()).timestamp()
        os.utime(path, (stamp, stamp))
    return root


def sentence(rng: random.Random, words: int = 14) -> str:
    chosen = rng.choices(WORDS, k=words)
    return chosen[0].capitalize() + " " + " ".join(chosen[1:]) + "."


def issue_text(day: date, rng: random.Random) -> str:
    week_start, week_end = day - timedelta(days=7), day - timedelta(days=1)
    sections = []
    for n in range(3):
        annotation = " ".join(sentence(rng) for _ in range(rng.randint(3, 6)))
        sections.append(
            f"## {sentence(rng, 7)[:-1]} ({day.isoformat()} #{n + 1})\n\n"
            f"{annotation} *{sentence(rng, 4)}* and **{sentence(rng, 3)}**\n\n"
            f"[Read more here](https://news{n}.example/{day.isoformat()}/story-{n})\n"
        )
    return (
        "+++\n"
        f'title = "Social Credit Weekly News Summary – {day.isoformat()}"\n'
        f"date = {day.isoformat()}\nweek_start = {week_start.isoformat()}\nweek_end = {week_end.isoformat()}\n"
        'status = "published"\n'
        f"tags = {json.dumps(rng.sample(TAGS, 2), ensure_ascii=False)}\n+++\n\n"
        f"Welcome to this week's edition. {sentence(rng)}\n\n" + "\n".join(sections)
    )


def render_one(root: Path) -> float:
    from newsdesk.issue import load_issue
    from newsdesk.newsroom import Newsroom
    from newsdesk.output.render import Renderer

    room = Newsroom.open(root)
    issue = load_issue(room.issue_path(date(2017, 7, 10)))
    out = Path(tempfile.mkdtemp(prefix="bench-render-"))
    started = time.perf_counter()
    Renderer(room).render_all(issue, out)
    seconds = time.perf_counter() - started
    shutil.rmtree(out)
    return seconds


def build_site(root: Path, site: Path, cpu: list[float] | None = None) -> tuple[float, object]:
    """One build as `newsdesk publish` runs it; its wall time, and its CPU time added to
    ``cpu`` (steadier than wall time on a machine others share)."""
    from newsdesk.newsroom import Newsroom
    from newsdesk.output.site import SiteBuilder, site_issues

    room = Newsroom.open(root)
    started, started_cpu = time.perf_counter(), time.process_time()
    result = SiteBuilder(room, site).build(site_issues(room))
    if cpu is not None:
        cpu.append(time.process_time() - started_cpu)
    return time.perf_counter() - started, result


def snapshot(site: Path) -> dict[str, bytes]:
    return {str(p.relative_to(site)): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def edit_one(root: Path, n: int) -> None:
    """Change one annotation of a mid-archive issue, as an editor fixing a typo would."""
    from newsdesk.issue import load_issue, save_issue

    files = sorted((root / "issues").glob("*.md"))
    issue = load_issue(files[len(files) // 2])
    issue.developments[0].annotation += f" (Corrected, edit {n}.)"
    save_issue(issue)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--issues", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-record", action="store_true", help="print only; leave docs/benchmarks.md alone")
    parser.add_argument("--profile", action="store_true", help="profile one incremental rebuild with pyinstrument")
    args = parser.parse_args(argv)
    one: list[float] = []
    sample: list[float] = []
    scratch: list[float] = []
    incremental: list[float] = []
    unchanged: list[float] = []
    scratch_cpu: list[float] = []
    incremental_cpu: list[float] = []
    ratio: list[float] = []  # the rebuild after one edit over the build from scratch, each run
    same: list[bool] = []  # the rebuild's bytes are a fresh build's, each run
    written = files = 0
    with tempfile.TemporaryDirectory(prefix="bench-render-") as tmp:
        root = make_newsroom(Path(tmp), args.issues)
        (Path(tmp) / "sample").mkdir()
        sample_root = make_newsroom(Path(tmp) / "sample", 3)  # the sample newsroom as it ships
        count = len(list((root / "issues").glob("*.md")))
        render_one(root)  # imports and MJML's first start, outside the clock
        if args.profile:
            from pyinstrument import Profiler

            site = Path(tmp) / "site"
            build_site(root, site)
            edit_one(root, 0)
            profiler = Profiler(interval=0.001)
            with profiler:
                build_site(root, site)
            print(profiler.output_text(color=False))
            return 0
        for run in range(args.runs):
            sample.append(render_one(sample_root))
            one.append(render_one(root))
            site = Path(tmp) / f"site-{run}"
            seconds, result = build_site(root, site, scratch_cpu)
            scratch.append(seconds)
            files = len(result.written)
            seconds, result = build_site(root, site)
            unchanged.append(seconds)
            edit_one(root, run)
            seconds, result = build_site(root, site, incremental_cpu)
            incremental.append(seconds)
            written = len(result.written)
            ratio.append(incremental[-1] / scratch[-1])
            # The rebuilt site is byte for byte a build from nothing.
            fresh = Path(tmp) / f"fresh-{run}"
            build_site(root, fresh)
            same.append(snapshot(fresh) == snapshot(site))
            print(
                f"run {run + 1}/{args.runs}: one issue {sample[-1] * 1000:.0f} ms ({one[-1] * 1000:.0f} ms with {count} archived), site from scratch {scratch[-1]:.2f} s "
                f"({files} files), unchanged {unchanged[-1]:.2f} s, after one edit {incremental[-1]:.3f} s ({written} written, "
                f"{ratio[-1]:.3f} of from scratch; {'the same bytes as' if same[-1] else 'DIFFERENT from'} a fresh build)"
            )
    lines = [
        f"Command: `.venv/bin/python bench/bench_render.py --issues {args.issues} --runs {args.runs}` (revision {git_revision()})",
        f"Versions: {versions('jinja2', 'mjml-python', 'markdown-it-py')}",
        f"Newsroom: the sample newsroom with {count} published issues (three developments each); "
        f"the site has {files} files.",
        "",
        "| measure | median (min–max) | target |",
        "|---|---|---|",
        f"| one issue, full render (email HTML + text, post, archive), sample newsroom (3 issues) | {summary([x * 1000 for x in sample], ' ms', 0)} | < 150 ms |",
        f"| one issue, full render, {count} issues in the archive | {summary([x * 1000 for x in one], ' ms', 0)} | < 150 ms |",
        f"| site of {count} issues, from scratch | {summary(scratch, ' s', 2)} | < 5 s |",
        f"| site rebuilt after editing one issue ({written} file{'' if written == 1 else 's'} written) | {summary(incremental, ' s', 2)} | < 0.5 s |",
        f"| site rebuilt, nothing changed | {summary(unchanged, ' s', 2)} | |",
        f"| rebuilt after one edit / from scratch, wall time, each run | {summary(ratio, '', 3)} | ≤ 0.1 |",
        f"| rebuilt site byte for byte a build from nothing | {sum(same)} of {len(same)} runs | every run |",
        f"| CPU time: from scratch; after one edit | {summary(scratch_cpu, ' s', 2)}; "
        f"{summary(incremental_cpu, ' s', 3)} | |",
    ]
    show_results("Render", lines, record=not args.no_record)
    return 0 if all(same) else 1


if __name__ == "__main__":
    sys.exit(main())
