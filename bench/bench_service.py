"""Load on `newsdesk serve` while a send runs: 200 concurrent one-click unsubscribes and 200
sign-ups against the service while `newsdesk send` mails 5,000 subscribers.

    .venv/bin/python bench/bench_service.py
    .venv/bin/python bench/bench_service.py --subscribers 1000 --unsubscribes 50 --signups 50

The newsroom is built in a temporary folder from the tests' sample newsroom; the service
(`newsdesk serve`) and the send (`newsdesk send --yes`) are real subprocesses; the SMTP
server is aiosmtpd (tests/support/smtp_server.py) in this process, noting when each message
arrives; the requests are httpx, all in flight at once. The burst starts once the send has
delivered --start-after messages.

Checked, and the run fails if not: every request answered 200; every unsubscribed address
is unsubscribed in the store and received nothing after its POST returned; every sign-up is
pending in the store with its confirmation email received; the send completes. Printed:
requests/s over the burst, p50 and p99 latency of each kind, the send's messages/s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests" / "support")]

from conftest import copy_sample_newsroom  # noqa: E402
from mail_newsroom import ISSUE, configure_smtp, subscriber_rows, write_ready_issue, write_subscribers  # noqa: E402
from smtp_server import Recorder, SmtpServer, free_port  # noqa: E402
from web_service import SECRET, configure_web  # noqa: E402

from newsdesk.mail.roster import Roster  # noqa: E402
from newsdesk.mail.tokens import Signer, list_id_of  # noqa: E402
from newsdesk.newsroom import Newsroom  # noqa: E402


class TimedRecorder(Recorder):
    """Counts messages without keeping them, noting each recipient's arrival times."""

    def __init__(self) -> None:
        super().__init__(keep=False)
        self.arrivals: dict[str, list[float]] = {}

    async def handle_DATA(self, server, session, envelope):
        arrived = time.monotonic()
        reply = await super().handle_DATA(server, session, envelope)
        if reply.startswith("250"):
            with self.lock:
                self.arrivals.setdefault(envelope.rcpt_tos[0].lower(), []).append(arrived)
        return reply


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


async def burst(base: str, unsubscribe_urls: dict[str, str], signups: list[str]):
    """Every request at once; (kind, address, status, latency, returned_at) for each."""
    limits = httpx.Limits(max_connections=len(unsubscribe_urls) + len(signups))
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:

        async def one(kind: str, address: str, url: str, data: dict[str, str]):
            started = time.monotonic()
            try:
                response = await client.post(url, data=data)
                status = response.status_code
            except httpx.HTTPError as error:
                status = f"{type(error).__name__}: {error}"
            returned = time.monotonic()
            return kind, address, status, returned - started, returned

        tasks = [
            one("unsubscribe", address, url, {"List-Unsubscribe": "One-Click"})
            for address, url in unsubscribe_urls.items()
        ]
        tasks += [
            one("signup", address, f"{base}/subscribe", {"email": address, "name": "New Reader"}) for address in signups
        ]
        return await asyncio.gather(*tasks)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=5000)
    parser.add_argument("--unsubscribes", type=int, default=200)
    parser.add_argument("--signups", type=int, default=200)
    parser.add_argument("--start-after", type=int, default=300, help="messages delivered before the burst")
    args = parser.parse_args()

    env = {**os.environ, "NEWSDESK_SECRET": SECRET, "CI": "true"}
    os.environ["NEWSDESK_SECRET"] = SECRET
    with tempfile.TemporaryDirectory() as folder, SmtpServer(TimedRecorder()) as smtp:
        recorder: TimedRecorder = smtp.recorder  # type: ignore[assignment]
        root = copy_sample_newsroom(Path(folder) / "newsroom")
        rows = subscriber_rows(args.subscribers)
        write_ready_issue(root, lambda path: f"https://stories.example{path}")
        write_subscribers(root, rows)
        configure_smtp(root, smtp.port, rate=0, retries=3, backoff=0.1, timeout=30)
        port = free_port()
        configure_web(root, port, signups_per_hour=args.signups * 10)
        command = [sys.executable, "-m", "newsdesk", "--newsroom", str(root)]
        subprocess.run([*command, "subscribers"], env=env, check=True, capture_output=True)

        # The addresses that leave: spread over the second half of the send's order.
        room = Newsroom.open(root)
        signer = Signer(SECRET.encode(), list_id_of(room.config.newsroom))
        half = args.subscribers // 2
        step = max(1, (args.subscribers - half) // args.unsubscribes)
        leaving = [rows[i][0] for i in range(half, args.subscribers, step)][: args.unsubscribes]
        with room.store() as store:
            ids = Roster(store).ids(leaving)
        base = f"http://127.0.0.1:{port}"
        urls = {address: f"{base}/unsubscribe/{signer.unsubscribe_token(ids[address.lower()])}" for address in leaving}
        newcomers = [f"newcomer{n:04d}@signups.example" for n in range(args.signups)]

        service = subprocess.Popen(
            [*command, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{base}/healthz").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or service.poll() is not None:
                    raise SystemExit("the service did not start")
                time.sleep(0.05)

            send_started = time.monotonic()
            send = subprocess.Popen(
                [*command, "send", ISSUE, "--yes", "--force"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            output: list[str] = []
            reader = threading.Thread(target=lambda: output.append(send.stdout.read()), daemon=True)  # type: ignore[union-attr]
            reader.start()
            while recorder.delivered < args.start_after and send.poll() is None:
                time.sleep(0.01)
            sent_before_burst = recorder.delivered
            burst_started = time.monotonic()
            results = asyncio.run(burst(base, urls, newcomers))
            burst_seconds = time.monotonic() - burst_started
            sent_during_burst = recorder.delivered - sent_before_burst
            send.wait(600)
            reader.join(10)
            send_seconds = time.monotonic() - send_started
        finally:
            service.terminate()
            service.wait(30)

        errors = [r for r in results if r[2] != 200]
        returned = {address: at for kind, address, _, _, at in results if kind == "unsubscribe"}
        late = [a for a in leaving if any(t > returned[a] for t in recorder.arrivals.get(a.lower(), []))]
        with room.store() as store:
            roster = Roster(store)
            not_unsubscribed = [a for a in leaving if roster.get(a).state != "unsubscribed"]  # type: ignore[union-attr]
            not_pending = [a for a in newcomers if (m := roster.get(a)) is None or m.state != "pending"]
        unconfirmed = [a for a in newcomers if a not in recorder.arrivals]
        latency = {kind: [r[3] for r in results if r[0] == kind] for kind in ("unsubscribe", "signup")}

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"send: {args.subscribers} subscribers in {send_seconds:.1f} s; exit {send.returncode}")
    print("".join(output).strip().splitlines()[-2] if output and output[0].strip() else "(no send output)")
    print(
        f"burst: {len(results)} requests in {burst_seconds:.2f} s = {len(results) / burst_seconds:.0f} requests/s "
        f"(the send delivered {sent_during_burst} messages meanwhile)"
    )
    for kind, values in latency.items():
        print(
            f"  {kind}: {len(values)} requests, p50 {percentile(values, 0.5) * 1000:.0f} ms, "
            f"p99 {percentile(values, 0.99) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms"
        )
    print(
        f"errors: {len(errors)}; unsubscribed but mailed after their POST returned: {len(late)}; "
        f"not unsubscribed in the store: {len(not_unsubscribed)}; sign-ups not pending: {len(not_pending)}; "
        f"sign-ups without a confirmation email: {len(unconfirmed)}"
    )
    for problem in errors[:5]:
        print(f"  error: {problem[0]} {problem[1]}: {problem[2]}")
    failed = errors or late or not_unsubscribed or not_pending or unconfirmed or send.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
