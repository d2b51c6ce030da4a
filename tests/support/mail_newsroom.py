"""Helpers that turn a copy of the sample newsroom into one ready to send an issue."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import tomlkit

ISSUE = "2017-07-10"
CHINESE_NAMES = ("李明", "王芳", "张伟", "刘洋", "陈静", "杨磊")
CHINESE_LINE = "最高人民法院通报：上半年新增失信被执行人146万人次。"


def write_ready_issue(root: Path, link: callable) -> Path:
    """A complete issue for 2017-07-10 whose read-more links point at ``link(path)``."""
    path = root / "issues" / f"{ISSUE}.md"
    path.write_text(
        f"""+++
title = "Social Credit Weekly News Summary – 10th July 2017"
date = 2017-07-10
week_start = 2017-07-03
week_end = 2017-07-09
status = "ready"
+++

Welcome to this week's edition of the Social Credit Weekly News Summary, with the three developments we judged most important from 3rd July to 9th July 2017.

## Courts add 1.46 million defaulters in the first half of 2017

The Supreme People's Court reported the half-year figures: {CHINESE_LINE} The blacklist keeps growing faster than people leave it.

[Read more here]({link("/ok/courts-first-half")})
<!-- item: 54512d6947cf -->

## Red lists are the quieter half of social credit

Most coverage is about punishment, but 守信联合激励 (joint incentives for keeping trust) matter as much to local governments.

[Read more here]({link("/moved/red-lists")})
<!-- item: 9544e26fe339 -->

## Xiamen names 215 firms and 38 individuals on its first red list

Xiamen (厦门) published its first list of trustworthy firms and people, with the benefits they may claim.

[Read more here]({link("/nohead")})
<!-- item: f0932c856675 -->
""",
        encoding="utf-8",
    )
    return path


def subscriber_rows(count: int) -> list[tuple[str, str]]:
    """``count`` subscribers; every third has a Chinese name, one has a comma in it."""
    rows = []
    for number in range(count):
        if number % 3 == 0:
            name = CHINESE_NAMES[number % len(CHINESE_NAMES)] + f" {number}"
        elif number == 1:
            name = "Lee, Jordan"
        else:
            name = f"Reader {number}"
        rows.append((f"reader{number:05d}@readers.example", name))
    return rows


def write_subscribers(root: Path, rows: list[tuple[str, str]], extra: list[list[str]] = ()) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["email", "name", "status", "date"])
    for email, name in rows:
        writer.writerow([email, name, "subscribed", "2017-06-01"])
    for row in extra:
        writer.writerow(row)
    (root / "subscribers.csv").write_text(out.getvalue(), encoding="utf-8")


def configure_smtp(root: Path, port: int, **values: object) -> None:
    """Point [smtp] at a loopback server, with no rate limit and short retries by default."""
    config = root / "sources.toml"
    document = tomlkit.parse(config.read_text(encoding="utf-8"))
    smtp = document.setdefault("smtp", tomlkit.table())
    settings = {
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "rate": 0,
        "backoff": 0.01,
        "defer": 0.01,
        "retries": 3,
        "timeout": 5,
    }
    settings.update(values)
    for key, value in settings.items():
        smtp[key] = value
    config.write_text(tomlkit.dumps(document), encoding="utf-8")
