"""Sending an issue to its subscribers, exactly once each, through one SMTP session.

The ledger (ledger.py) is the truth about who has the issue. A run:

1. turns rows a killed run left in flight into "in doubt" rows, and by the default policy
   (``in_doubt="resend"``) sends them again with the same Message-ID, so at most one
   reader gets a recognisable second copy; ``in_doubt="skip"`` records them as failed;
2. adds subscribers not yet in the ledger as pending (subscribers who left since are
   skipped, whatever their row says);
3. sends each pending message: in flight (committed), the SMTP transaction, then sent
   (committed), unless the list (newsdesk.mail.roster), read again just before, has the
   address unsubscribed, bounced or complained since the run began; 4xx replies and dropped connections are retried with a doubling backoff
   and a reconnect, 5xx replies are recorded for that recipient and never retried;
4. when every subscriber is sent (or refused for good), marks the send complete and the
   issue "sent". Running it again then sends nothing and says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from newsdesk.config import SmtpSettings
from newsdesk.issue import Issue, load_issue, save_issue
from newsdesk.mail.ledger import Entry, Ledger
from newsdesk.mail.message import MessageFactory
from newsdesk.mail.roster import Roster
from newsdesk.mail.smtp import Permanent, SmtpFatal, SmtpTransport, Transient
from newsdesk.mail.subscribers import SubscriberList
from newsdesk.newsroom import Newsroom

IN_DOUBT_POLICIES = ("resend", "skip")
# So many refusals in a row means the server refuses the message, not the recipients.
MAX_REFUSED_IN_A_ROW = 20


@dataclass(frozen=True)
class Policy:
    """How hard to try, and how fast to go."""

    rate: float = 10.0  # messages per second; 0: no limit
    retries: int = 4
    backoff: float = 2.0  # seconds before the first retry, doubled each time after
    in_doubt: str = "resend"
    retry_failed: bool = False  # retry recipients refused for good by an earlier run

    @classmethod
    def from_settings(cls, smtp: SmtpSettings, **overrides: object) -> Policy:
        return cls(rate=smtp.rate, retries=smtp.retries, backoff=smtp.backoff, **overrides)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Plan:
    """What a send would do, worked out without changing anything."""

    subscribed: int
    to_send: int
    already_sent: int
    refused_before: int  # permanently failed in an earlier run, not retried
    in_doubt: int  # left in flight by an interrupted run
    complete: bool  # an earlier run finished this issue
    completed_at: str | None = None


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    address: str
    outcome: str  # sent | failed | retry


@dataclass
class SendReport:
    issue: str
    sent: int = 0
    already_sent: int = 0
    skipped: int = 0  # no longer subscribed, though in the ledger
    failed: list[tuple[str, str]] = field(default_factory=list)
    in_doubt: list[str] = field(default_factory=list)
    in_doubt_policy: str = "resend"
    retries: int = 0
    connections: int = 0
    seconds: float = 0.0
    complete: bool = False
    nothing_to_do: bool = False
    stopped: str | None = None  # why the run stopped early

    @property
    def ok(self) -> bool:
        return self.complete and not self.failed and self.stopped is None

    def lines(self) -> list[str]:
        out = []
        if self.nothing_to_do:
            out.append(f"{self.issue} was already sent to {self.already_sent} subscribers; nothing to send")
            return out
        rate = f" in {self.seconds:.1f} s" if self.seconds else ""
        out.append(
            f"sent {self.sent}{rate}, skipped {self.already_sent + self.skipped} "
            f"({self.already_sent} sent before, {self.skipped} no longer subscribed), "
            f"failed {len(self.failed)}, in doubt {len(self.in_doubt)}"
        )
        if self.in_doubt:
            action = (
                "resent with the same Message-ID (a reader may see it twice)"
                if self.in_doubt_policy == "resend"
                else "not resent (--in-doubt skip), recorded as failed"
            )
            shown = ", ".join(self.in_doubt[:5]) + (" …" if len(self.in_doubt) > 5 else "")
            out.append(f"in doubt, {action}: {shown}")
        for address, reply in self.failed[:50]:
            out.append(f"failed: {address}: {reply}")
        if len(self.failed) > 50:
            out.append(f"failed: … and {len(self.failed) - 50} more (all are in the send ledger)")
        if self.stopped:
            out.append(f"stopped: {self.stopped}")
        if self.complete:
            out.append(f"{self.issue}: the send is complete (every subscriber sent, or refused by the server)")
        elif not self.stopped:
            out.append(f"{self.issue}: not finished; run send again to retry the rest")
        return out


class RateLimiter:
    """At most ``rate`` messages per second, on average, with no burst after a pause."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.clock = clock
        self.next_at = 0.0

    def wait(self) -> None:
        if not self.interval:
            return
        now = self.clock()
        if self.next_at > now:
            time.sleep(self.next_at - now)
            now = self.next_at
        self.next_at = now + self.interval


class SendJob:
    """One issue, its subscribers and its ledger; holds the newsroom's send lock meanwhile."""

    def __init__(
        self,
        newsroom: Newsroom,
        issue: Issue,
        subscribers: SubscriberList,
        policy: Policy,
        factory: MessageFactory | None = None,
        roster: Roster | None = None,
    ) -> None:
        if policy.in_doubt not in IN_DOUBT_POLICIES:
            raise ValueError(f"in_doubt must be one of {IN_DOUBT_POLICIES}")
        self.newsroom = newsroom
        self.issue = issue
        self.subscribers = subscribers
        self.policy = policy
        self.factory = factory or MessageFactory(newsroom, issue)
        self.active = subscribers.index  # key -> subscriber: membership without a copy
        # The list's suppressions, read again before each message: an unsubscribe, bounce or
        # complaint recorded while the send runs is final for the messages not yet sent.
        self.roster = roster
        self.left: set[str] = set()  # keys suppressed during this run

    def plan(self, ledger: Ledger) -> Plan:
        """What a run would do; reads the ledger and changes nothing."""
        completed = ledger.completed_at()
        sent = refused = doubt = 0
        for entry in ledger.entries(["sent", "failed", "in_flight"]):
            if entry.key not in self.active:
                continue
            if entry.state == "sent":
                sent += 1
            elif entry.state == "in_flight":
                doubt += 1
            elif entry.permanent and not self.policy.retry_failed:
                refused += 1
        if doubt and self.policy.in_doubt == "skip":
            refused += doubt
        to_send = 0 if completed else len(self.active) - sent - refused
        return Plan(
            subscribed=len(self.active),
            to_send=to_send,
            already_sent=sent,
            refused_before=refused,
            in_doubt=doubt,
            complete=completed is not None,
            completed_at=completed,
        )

    def run(
        self,
        ledger: Ledger,
        transport: SmtpTransport,
        on_progress: Callable[[Progress], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> SendReport:
        policy = self.policy
        report = SendReport(issue=self.issue.name, in_doubt_policy=policy.in_doubt)
        started = time.monotonic()
        if ledger.completed_at():
            report.nothing_to_do = report.complete = True
            report.already_sent = ledger.tally().sent
            return report

        # 1. What an interrupted run left in flight is in doubt.
        for entry in ledger.recover_in_flight():
            report.in_doubt.append(entry.address)
            if policy.in_doubt == "resend":
                ledger.mark_pending(entry.address, "in doubt after an interrupted send", in_doubt=True)
            else:
                ledger.mark_failed(
                    entry.address, "in doubt after an interrupted send; not resent (--in-doubt skip)", permanent=True
                )
        ledger.reopen_failed(permanent_too=policy.retry_failed)
        # 2. Everyone subscribed gets a row; a row that exists keeps its state.
        ledger.begin(self.subscribers.subscribed, self.factory.message_id)

        # 3. Send what is pending, in the order subscribers were added.
        total = sum(1 for e in ledger.entries(["pending"]) if e.key in self.active)
        limiter = RateLimiter(policy.rate)
        refused_in_a_row = 0
        done = 0
        try:
            if total:
                self._reconnect(transport, sleep)  # a wrong password stops the run here
            for entry in ledger.entries(["pending"]):
                if entry.key not in self.active:
                    report.skipped += 1
                    continue
                if self.roster is not None and self.roster.suppressed(entry.address):
                    self.left.add(entry.key)
                    report.skipped += 1
                    continue
                limiter.wait()
                outcome = self._deliver(entry, ledger, transport, report, sleep, on_progress, done, total)
                done += 1
                refused_in_a_row = refused_in_a_row + 1 if outcome == "refused" else 0
                if on_progress:
                    on_progress(Progress(done, total, entry.address, "sent" if outcome == "sent" else "failed"))
                if refused_in_a_row >= MAX_REFUSED_IN_A_ROW:
                    report.stopped = (
                        f"the server refused the last {refused_in_a_row} messages in a row "
                        f"(last: {report.failed[-1][1]}); fix the cause, then run send --retry-failed"
                    )
                    break
        except SmtpFatal as error:
            report.stopped = f"{error.message}; the recipients not yet sent stay pending"
        finally:
            report.connections = transport.connections
            transport.close()
            report.seconds = time.monotonic() - started

        # 4. Done when no subscriber is left pending, in flight or failed for a transient reason.
        tally_open = sum(
            1
            for e in ledger.entries(["pending", "in_flight", "failed"])
            if e.key in self.active and e.key not in self.left and (e.state != "failed" or not e.permanent)
        )
        report.already_sent = sum(1 for e in ledger.entries(["sent"]) if e.key in self.active) - report.sent
        if tally_open == 0 and report.stopped is None:
            ledger.complete()
            report.complete = True
            self._mark_sent()
        return report

    def _mark_sent(self) -> None:
        """Status "sent", read afresh: the editor may have touched the file during the send."""
        if self.issue.path is None:
            return
        current = load_issue(self.issue.path)
        if current.status in ("draft", "ready"):
            current.status = "sent"
            save_issue(current)
        self.issue.status = current.status

    def _deliver(
        self,
        entry: Entry,
        ledger: Ledger,
        transport: SmtpTransport,
        report: SendReport,
        sleep: Callable[[float], None],
        on_progress: Callable[[Progress], None] | None,
        done: int,
        total: int,
    ) -> str:
        """Send one message, retrying transient failures; returns sent, refused or failed."""
        outgoing = self.factory.build(entry.subscriber())
        sender = self.factory.sender
        attempt = 0
        while True:
            attempt += 1
            ledger.mark_in_flight(entry.address)
            try:
                reply = transport.send(sender, entry.address, outgoing.data)
            except Permanent as refusal:
                ledger.mark_failed(entry.address, refusal.reply, permanent=True)
                report.failed.append((entry.address, refusal.reply))
                return "refused"
            except Transient as problem:
                if problem.in_doubt and entry.address not in report.in_doubt:
                    report.in_doubt.append(entry.address)
                if attempt > self.policy.retries:
                    reason = f"{problem.reply} (gave up after {attempt} attempts)"
                    ledger.mark_failed(entry.address, reason, permanent=False)
                    report.failed.append((entry.address, reason))
                    return "failed"
                ledger.mark_pending(entry.address, problem.reply, in_doubt=problem.in_doubt)
                report.retries += 1
                if on_progress:
                    on_progress(Progress(done, total, entry.address, "retry"))
                sleep(self.policy.backoff * 2 ** (attempt - 1))
                if problem.reconnect:
                    self._reconnect(transport, sleep)
                continue
            except SmtpFatal as error:
                # Raised before the message went out (session, login, sender): not delivered.
                ledger.mark_pending(entry.address, error.message)
                raise
            # Anything else (an interrupt) leaves the row in flight: in doubt for the next run.
            ledger.mark_sent(entry.address, reply)
            report.sent += 1
            return "sent"

    def _reconnect(self, transport: SmtpTransport, sleep: Callable[[float], None]) -> None:
        """A new session, trying as often as a message would be retried before giving up."""
        for attempt in range(1, self.policy.retries + 2):
            try:
                transport.connect()
                return
            except Transient as problem:
                if attempt > self.policy.retries:
                    raise SmtpFatal(f"{problem.reply} (after {attempt} attempts)") from None
                sleep(self.policy.backoff * 2 ** (attempt - 1))
