"""Glossary lookup and romanization on the desk's selected item, with a 5,000-term glossary.

    .venv/bin/python bench/bench_chinese.py [--terms 5000] [--runs 200] [--no-record]

The item is a Chinese story as the desk shows it once its article is read: a 30-character
title, a 300-character summary and a 3,000-character article. Each run does what the desk
does for the item: the glossary's terms found in all three (newsdesk.glossary, traditional
folded to simplified), and the title romanized as 汉字 Pinyin (newsdesk.chinese: jieba's
words, pypinyin's syllables). The glossary is made of terms drawn from the same characters,
so many of them are found. Also measured once: reading the 5,000-term glossary.toml, and the
first romanization of a process (jieba reading its dictionary; the desk does it in a worker
once the list is up).
Target (issue 20): lookup and romanization well under one frame, 16 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import git_revision, show_results, summary, versions  # noqa: E402

from newsdesk import chinese  # noqa: E402
from newsdesk.config import RomanizationSettings  # noqa: E402
from newsdesk.glossary import load_glossary  # noqa: E402

HANZI = (
    "社会信用体系建设失信被执行人联合惩戒守信激励地方条例法院公布名单企业个人政务诚信"
    "国务院办公厅关于加快推进监管平台共享市场主体行政许可处罚信息公开修复异议投诉"
)
TITLE = "上海市人大常委会通过社会信用条例 失信被执行人联合惩戒措施写入地方立法"


def glossary_text(count: int, rng: random.Random) -> str:
    terms: dict[str, str] = {"社会信用体系": "social credit system", "失信被执行人": "judgment defaulters"}
    while len(terms) < count:
        term = "".join(rng.choice(HANZI) for _ in range(rng.randint(2, 8)))
        terms.setdefault(term, f"term {len(terms)}")
    lines = ["# A generated glossary.", "[terms]"]
    lines += [f'"{zh}" = "{en}"' for zh, en in terms.items()]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--terms", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--no-record", action="store_true", help="Do not append to docs/benchmarks.md")
    args = parser.parse_args()

    rng = random.Random(20)
    summary_text = "".join(rng.choice(HANZI) for _ in range(300))
    article = "\n".join("".join(rng.choice(HANZI) for _ in range(150)) + "。" for _ in range(20))
    settings = RomanizationSettings()

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "glossary.toml").write_text(glossary_text(args.terms, rng), encoding="utf-8")
        started = time.perf_counter()
        glossary = load_glossary(root)
        load_ms = (time.perf_counter() - started) * 1000

    started = time.perf_counter()
    chinese.annotate(TITLE, settings)
    cold_ms = (time.perf_counter() - started) * 1000

    lookups, romanizations, both = [], [], []
    found = 0
    for _ in range(args.runs):
        started = time.perf_counter()
        found = len(glossary.find(TITLE, summary_text, article))
        middle = time.perf_counter()
        chinese.annotate(TITLE, settings)
        ended = time.perf_counter()
        lookups.append((middle - started) * 1000)
        romanizations.append((ended - middle) * 1000)
        both.append((ended - started) * 1000)

    p95 = statistics.quantiles(both, n=20)[-1]
    lines = [
        f"Command: `.venv/bin/python bench/bench_chinese.py --terms {args.terms} --runs {args.runs}`",
        f"Versions: newsdesk (commit {git_revision()}), {versions('pypinyin', 'jieba', 'opencc')}",
        f"Glossary: {len(glossary)} terms; the item: title {len(TITLE)}, summary {len(summary_text)}, "
        f"article {len(article)} characters; {found} terms found",
        "",
        "| measure | median (min–max) | target |",
        "|---|---|---|",
        f"| glossary lookup (title, summary, article) | {summary(lookups, ' ms', 2)} |  |",
        f"| romanize the title (汉字 Pinyin) | {summary(romanizations, ' ms', 2)} |  |",
        f"| both, per selected item | {summary(both, ' ms', 2)}; p95 {p95:.2f} ms | well under 16 ms |",
        f"| read the {len(glossary)}-term glossary.toml (once) | {load_ms:.0f} ms |  |",
        f"| first romanization of a process (jieba's dictionary, in a worker) | {cold_ms:.0f} ms |  |",
    ]
    show_results("Chinese: glossary and romanization", lines, record=not args.no_record)


if __name__ == "__main__":
    main()
