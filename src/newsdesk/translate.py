"""A draft English translation of a Chinese title and lead paragraph, from the editor's own
engine: an OpenAI-compatible chat completions API (a llama.cpp server, Ollama, vLLM), as
``[translation]`` in sources.toml names it. Nothing is downloaded and nothing leaves for a
service the editor did not configure; without ``url`` there are no drafts.

A draft is marked as machine translation wherever it is shown. Every failure (no server,
a refusal, an answer that is not the API's, a timeout) is ``TranslationProblem`` with one
line saying which.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass

from newsdesk.config import TranslationSettings
from newsdesk.errors import NewsdeskError
from newsdesk.http import ERRORS, Http, describe_status

SYSTEM_PROMPT = (
    "You translate Chinese news into English for a newsletter editor. Translate the title "
    "and the paragraph you are given. Reply with the English only: the title on the first "
    "line, the paragraph after it. Keep names, figures and dates exact."
)
MAX_ANSWER_BYTES = 200_000


class TranslationProblem(NewsdeskError):
    """The engine gave no draft; the message says why, in one line."""


@dataclass(frozen=True)
class Draft:
    title: str
    text: str
    model: str  # as the engine names it
    seconds: float

    @property
    def label(self) -> str:
        return f"Machine translation ({self.model or 'unnamed model'}), a draft to check"


def _endpoint(settings: TranslationSettings) -> str:
    return settings.url.rstrip("/") + "/chat/completions"


MAX_RENDERINGS = 40  # of the glossary's terms, the most the engine is told


def draft_translation(
    settings: TranslationSettings, title: str, lead: str = "", renderings: Sequence[tuple[str, str]] = ()
) -> Draft:
    """Ask the engine for an English draft of ``title`` and ``lead``; ``renderings`` (the
    glossary's terms found in them, as (Chinese, English)) are given to it as an instruction
    to use them, so the draft agrees with the glossary."""
    if not settings.enabled:
        raise TranslationProblem("no translation engine is configured ([translation] url in sources.toml)")
    lead = lead.strip()[: settings.max_characters]
    prompt = f"Title: {title.strip()}" + (f"\n\nParagraph: {lead}" if lead else "")
    if renderings:
        given = "; ".join(f"{zh} = {en}" for zh, en in renderings[:MAX_RENDERINGS])
        prompt += f"\n\nUse these renderings: {given}."
    body = {
        "model": settings.model or "default",
        "messages": [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": prompt}],
        "temperature": 0,
        "stream": False,
    }
    headers = {"Accept": "application/json"}
    if settings.api_key_env:
        key = os.environ.get(settings.api_key_env, "")
        if not key:
            raise TranslationProblem(f"translation.api_key_env: ${settings.api_key_env} is not set")
        headers["Authorization"] = f"Bearer {key}"
    http = Http("newsdesk (translation)", connect_timeout=min(settings.timeout, 10.0), read_timeout=settings.timeout)
    endpoint = _endpoint(settings)
    started = time.monotonic()
    try:
        with http.client(headers=headers, follow_redirects=False) as client:
            response = client.post(endpoint, json=body)
            if response.status_code >= 400:
                raise TranslationProblem(f"{endpoint}: {describe_status(response)}")
            if len(response.content) > MAX_ANSWER_BYTES:
                raise TranslationProblem(f"{endpoint}: the answer is larger than {MAX_ANSWER_BYTES // 1000} KB")
            answer = response.json()
    except ERRORS as error:
        raise TranslationProblem(f"{endpoint}: {http.reason(error)}") from None
    except ValueError:
        raise TranslationProblem(f"{endpoint}: the answer is not JSON (is this an OpenAI-compatible API?)") from None
    seconds = time.monotonic() - started
    if seconds > settings.timeout:
        raise TranslationProblem(f"{endpoint}: no draft within {settings.timeout:g} s")
    try:
        content = answer["choices"][0]["message"]["content"]
        if not isinstance(content, str):
            raise TypeError
    except (KeyError, IndexError, TypeError):
        raise TranslationProblem(f"{endpoint}: the answer has no choices[0].message.content") from None
    lines = [line.strip() for line in content.strip().splitlines()]
    first = next((line for line in lines if line), "")
    rest = "\n".join(lines[lines.index(first) + 1 :]).strip() if first else ""
    for prefix in ("Title:", "title:"):
        first = first.removeprefix(prefix).strip()
    for prefix in ("Paragraph:", "paragraph:"):
        rest = rest.removeprefix(prefix).strip()
    if not first:
        raise TranslationProblem(f"{endpoint}: the engine answered with no text")
    model = answer.get("model") if isinstance(answer.get("model"), str) else settings.model
    return Draft(title=first, text=rest, model=model or settings.model, seconds=seconds)
