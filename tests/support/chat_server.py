"""A small server of the tests' own that speaks OpenAI's chat completions API
(POST /v1/chat/completions, as llama.cpp's server, Ollama and vLLM do) on loopback.

It "translates" by a phrase table: each known Chinese phrase in the user's message is
replaced by its English, so a test knows what the draft must say. It checks the request
is the API's (a model, a system and a user message), can be slow (``delay``), fail
(``status``), answer what is not the API's (``garbage``) or wait to be let go (``gate``),
and keeps the requests."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from loopback import LoopbackServer

PHRASES = {
    "最高法": "Supreme People's Court",
    "失信被执行人": "judgment defaulters",
    "名单": "list",
    "将与更多部门共享": "to be shared with more departments",
    "：": ":",
    "Title: ": "",
    "Paragraph: ": "",
}


def translate(text: str) -> str:
    for chinese, english in sorted(PHRASES.items(), key=lambda pair: -len(pair[0])):
        text = text.replace(chinese, f" {english} " if english else "")
    return "\n".join(" ".join(line.split()).replace(" :", ":") for line in text.splitlines())


@dataclass
class ChatServer(LoopbackServer):
    delay: float = 0.0
    status: int = 200
    garbage: bool = False
    model: str = "tiny-test-model"
    gate: threading.Event | None = None  # when set, each answer waits for it to be set
    requests: list[dict] = field(default_factory=list)
    headers: list[dict] = field(default_factory=list)

    def start(self) -> ChatServer:
        state = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def answer(self, status: int, body: bytes, kind: str = "application/json") -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (the timeout tests)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                try:
                    request = json.loads(self.rfile.read(length))
                except ValueError:
                    self.answer(400, b'{"error": {"message": "not JSON"}}')
                    return
                state.requests.append(request)
                state.headers.append(dict(self.headers))
                if self.path != "/v1/chat/completions":
                    self.answer(404, b'{"error": {"message": "no such endpoint"}}')
                    return
                roles = [m.get("role") for m in request.get("messages", [])]
                if not isinstance(request.get("model"), str) or roles != ["system", "user"]:
                    self.answer(400, b'{"error": {"message": "want a model, a system and a user message"}}')
                    return
                if state.gate is not None:
                    state.gate.wait(10)
                if state.delay:
                    time.sleep(state.delay)
                if state.status != 200:
                    self.answer(state.status, b'{"error": {"message": "the engine failed"}}')
                    return
                if state.garbage:
                    self.answer(200, b"<html>not the API</html>", "text/html")
                    return
                content = translate(request["messages"][1]["content"])
                reply = {
                    "id": "chatcmpl-test",
                    "object": "chat.completion",
                    "model": state.model,
                    "choices": [
                        {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
                    ],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }
                self.answer(200, json.dumps(reply).encode())

        self.serve(Handler)
        return self

    @property
    def base(self) -> str:
        return self.url("/v1")
