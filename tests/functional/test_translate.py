"""Draft translations from an OpenAI-compatible engine: a small server of the tests' own on
loopback that answers POST /v1/chat/completions (tests/support/chat_server.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from chat_server import ChatServer

from newsdesk.config import TranslationSettings
from newsdesk.translate import TranslationProblem, draft_translation

TITLE = "最高法：失信被执行人名单将与更多部门共享"


@pytest.fixture
def engine():
    server = ChatServer().start()
    yield server
    server.stop()


def configure(root: Path, url: str, extra: str = "") -> None:
    config = root / "sources.toml"
    config.write_text(
        config.read_text(encoding="utf-8") + f'\n[translation]\nurl = "{url}"\nmodel = "qwen2.5-0.5b"\n{extra}',
        encoding="utf-8",
    )


def test_a_draft_of_the_title_and_lead(engine: ChatServer):
    settings = TranslationSettings(url=engine.base, model="qwen2.5-0.5b", timeout=10)
    draft = draft_translation(settings, TITLE, "失信被执行人名单")
    assert draft.title == "Supreme People's Court: judgment defaulters list to be shared with more departments"
    assert draft.text == "judgment defaulters list"
    assert draft.model == "tiny-test-model"
    assert draft.label == "Machine translation (tiny-test-model), a draft to check"
    sent = engine.requests[0]
    assert sent["model"] == "qwen2.5-0.5b" and sent["temperature"] == 0
    assert sent["messages"][1]["content"] == f"Title: {TITLE}\n\nParagraph: 失信被执行人名单"


def test_failures_are_one_line(engine: ChatServer, monkeypatch: pytest.MonkeyPatch):
    settings = TranslationSettings(url=engine.base, timeout=0.5)
    engine.delay = 1.5
    with pytest.raises(TranslationProblem, match="timed out"):
        draft_translation(settings, TITLE)
    engine.delay, engine.status = 0.0, 500
    with pytest.raises(TranslationProblem, match="HTTP 500"):
        draft_translation(settings, TITLE)
    engine.status, engine.garbage = 200, True
    with pytest.raises(TranslationProblem, match="not JSON"):
        draft_translation(settings, TITLE)
    with pytest.raises(TranslationProblem, match="HTTP 404"):
        draft_translation(TranslationSettings(url=engine.url("/nothing/v1")), TITLE)
    with pytest.raises(TranslationProblem, match=r"\$ENGINE_KEY is not set"):
        draft_translation(TranslationSettings(url=engine.base, api_key_env="ENGINE_KEY"), TITLE)
    monkeypatch.setenv("ENGINE_KEY", "sekrit")
    engine.garbage = False
    draft_translation(TranslationSettings(url=engine.base, api_key_env="ENGINE_KEY"), TITLE)
    assert engine.headers[-1]["Authorization"] == "Bearer sekrit"
    with pytest.raises(TranslationProblem, match="no translation engine is configured"):
        draft_translation(TranslationSettings(), TITLE)


def test_the_translate_command(fetched: Path, engine: ChatServer, run):
    absent = run("translate", TITLE)
    assert absent.exit_code == 2 and "no translation engine is configured" in absent.output
    configure(fetched, engine.base)
    result = run("translate", TITLE)
    assert result.exit_code == 0, result.output
    assert result.output == (
        "[Machine translation (tiny-test-model), a draft to check]\n"
        "Supreme People's Court: judgment defaulters list to be shared with more departments\n"
    )
    # The glossary's terms in the text go with it, for the draft to use them.
    assert run("glossary", "add", "失信被执行人", "judgment defaulters").exit_code == 0
    assert run("glossary", "add", "联合惩戒", "joint punishment").exit_code == 0
    assert run("translate", TITLE).exit_code == 0
    prompt = engine.requests[-1]["messages"][1]["content"]
    assert prompt == f"Title: {TITLE}\n\nUse these renderings: 失信被执行人 = judgment defaulters."
    neither = run("translate", "hello")
    assert neither.exit_code == 2 and "no Chinese text and no item with id 'hello'" in neither.output
    engine.status = 503
    failed = run("translate", TITLE)
    assert failed.exit_code == 1 and failed.output.startswith(
        f"newsdesk: error: {engine.base}/chat/completions: HTTP 503"
    )
