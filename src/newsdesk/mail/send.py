"""Sending an issue to its subscribers, exactly once each, over one or more SMTP sessions.

The ledger (ledger.py) is the truth about who has the issue. A run:

1. turns rows a killed run left in flight into "in doubt" rows, and by the default policy
   (``in_doubt="resend"``) sends them again with the same Message-ID, so at most one
   reader gets a recognisable second copy; ``in_doubt="skip"`` records them as failed;
2. adds subscribers not yet in the ledger as pending (subscribers who left since are
   skipped, whatever their row says);
3. sends each pending message: in flight (committed), the SMTP transaction, then sent
   (committed), unless the list (newsdesk.mail.roster), read again just before, has the
   address unsubscribed, bounced or complained since the run began. A 4xx reply defers
   the recipient to its own later turn while the others are sent; a dropped connection is
   reconnected and the message retried with a doubling backoff; 5xx replies are recorded
   for that recipient and never retried. Each connection takes the next recipient from
   one queue, so however many there are, each row is in flight on one of them at a time;
4. when every subscriber is sent (or refused for good), marks the send complete and the
   issue "sent". Running it again then sends nothing and says so.
"""

from __future__ import annotations

import collections
import heapq
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from newsdesk.config import SmtpSettings
from newsdesk.errors import Refused
from newsdesk.issue import Issue, load_issue, save_issue
from newsdesk.mail.ledger import Entry, Ledger
from newsdesk.mail.message import MessageFactory, Outgoing, what_changed
from newsdesk.mail.providers import Transport
from newsdesk.mail.roster import Roster
from newsdesk.mail.smtp import Permanent, SmtpFatal, Transient
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
    defer: float = 60.0  # seconds before a deferred (4xx) recipient is tried again, doubled each time after
    connections: int = 1  # SMTP sessions at once
    new_version: bool = False  # the message changed since readers had it: send the new one to the rest

    @classmethod
    def from_settings(cls, smtp: SmtpSettings, **overrides: object) -> Policy:
        values: dict[str, object] = {
            "rate": smtp.rate,
            "retries": smtp.retries,
            "backoff": smtp.backoff,
            "defer": smtp.defer,
            "connections": smtp.connections,
        }
        return cls(**(values | overrides))  # type: ignore[arg-type]


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
    recorded: int = 0  # rows in the ledger: 0 when this newsroom never sent the issue
    version: int = 1  # of the message the last run sent
    changed: tuple[str, ...] = ()  # how the message differs from the one readers already have


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    address: str
    outcome: str  # sent | failed | retry | deferred | waiting (for a deferred recipient's turn)


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
    deferred: int = 0  # times a recipient was deferred (4xx) and put back for later
    connections: int = 0
    seconds: float = 0.0
    complete: bool = False
    nothing_to_do: bool = False
    stopped: str | None = None  # why the run stopped early
    notes: list[str] = field(default_factory=list)

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
            + (f", deferred {self.deferred} times (the server asked to try later)" if self.deferred else "")
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
        out += [f"note: {note}" for note in self.notes]
        if self.stopped:
            out.append(f"stopped: {self.stopped}")
        if self.complete:
            out.append(f"{self.issue}: the send is complete (every subscriber sent, or refused by the server)")
        elif not self.stopped:
            out.append(f"{self.issue}: not finished; run send again to retry the rest")
        return out


class RateLimiter:
    """At most ``rate`` messages per second, on average, with no burst after a pause; shared
    by every connection of a send."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.clock = clock
        self.next_at = 0.0
        self.lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self.lock:
            now = self.clock()
            slot = max(now, self.next_at)
            self.next_at = slot + self.interval
        if slot > now:
            time.sleep(slot - now)


@dataclass(order=True)
class _Deferred:
    due: float
    order: int
    entry: Entry = field(compare=False)


class _Queue:
    """What to send next, for every connection of a run: the pending rows in the ledger's
    order, and a deferred recipient as soon as its turn has come. When only deferred
    recipients are left, ``next`` waits for the first one's turn."""

    def __init__(
        self,
        pending: Iterator[Entry],
        active: dict,
        policy: Policy,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        on_wait: Callable[[], None],
    ) -> None:
        self.lock = threading.Lock()
        self.pending = pending
        self.active = active
        self.policy = policy
        self.clock = clock
        self.sleep = sleep
        self.on_wait = on_wait
        self.deferred: list[_Deferred] = []
        self.deferrals: dict[str, int] = {}  # this run's deferrals, per address
        self.order = itertools.count()
        self.stopped = False

    def defer(self, entry: Entry, delay: float) -> None:
        with self.lock:
            heapq.heappush(self.deferred, _Deferred(self.clock() + delay, next(self.order), entry))

    def count_deferral(self, address: str) -> int:
        with self.lock:
            self.deferrals[address] = self.deferrals.get(address, 0) + 1
            return self.deferrals[address]

    def stop(self) -> None:
        with self.lock:
            self.stopped = True

    def next(self, before_wait: Callable[[], None] | None = None) -> Entry | None:
        """The next recipient to send to, or None when there is none left (or the run stopped).
        ``before_wait`` runs before waiting for a deferred recipient's turn."""
        while True:
            with self.lock:
                if self.stopped:
                    return None
                now = self.clock()
                if self.deferred and self.deferred[0].due <= now:
                    return heapq.heappop(self.deferred).entry
                entry = self._next_pending(now)
                if entry is not None:
                    return entry
                if not self.deferred:
                    return None
                wait = self.deferred[0].due - now
            if before_wait is not None:
                before_wait()
            self.on_wait()
            self.sleep(min(wait, 1.0))

    def _next_pending(self, now: float) -> Entry | None:
        for entry in self.pending:
            if entry.key not in self.active:
                continue
            if entry.reply and entry.reply[:1] == "4" and entry.updated_at:
                # Deferred by an earlier run: its turn comes ``defer`` seconds after that try.
                last = datetime.strptime(entry.updated_at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
                left = self.policy.defer - (datetime.now(UTC) - last).total_seconds()
                if left > 0:
                    heapq.heappush(self.deferred, _Deferred(now + left, next(self.order), entry))
                    continue
            return entry
        return None


class _Prefetch:
    """Messages built ahead of the connections, on a thread of its own: building a copy
    (rendering, encoding, signing) then overlaps with the connections' waits for the
    server, instead of coming between them. Up to ``depth`` copies wait built.

    It hands out recipients in the queue's order; it ends once the queue is empty and no
    recipient it handed out can still be deferred back into it."""

    def __init__(self, queue: _Queue, build: Callable[[Entry], Outgoing], depth: int) -> None:
        self.queue = queue
        self.build = build
        self.depth = depth
        self.items: collections.deque[tuple[Entry, Outgoing]] = collections.deque()
        self.ready = threading.Condition()
        self.outstanding = 0  # handed to a connection and not yet settled
        self.done = False
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while True:
                with self.ready:
                    while len(self.items) >= self.depth and not self.queue.stopped:
                        self.ready.wait(0.1)
                entry = self.queue.next()
                if entry is None:
                    with self.ready:  # nothing built and waiting, nothing at a connection
                        idle = self.outstanding == 0 and not self.items
                    if self.queue.stopped:
                        return
                    if not idle:
                        time.sleep(0.005)  # a connection may yet defer the message it has
                        continue
                    # Every connection settled: whatever one deferred is in the queue by now.
                    entry = self.queue.next()
                    if entry is None:
                        return
                outgoing = self.build(entry)
                with self.ready:
                    self.items.append((entry, outgoing))
                    self.ready.notify()
        except BaseException as error:  # raised again by the connections
            self.error = error
            self.queue.stop()
        finally:
            with self.ready:
                self.done = True
                self.ready.notify_all()

    def next(self, before_wait: Callable[[], None]) -> tuple[Entry, Outgoing] | None:
        """The next recipient and its copy; ``before_wait`` runs before waiting for one."""
        with self.ready:
            empty = not self.items and not self.done
        if empty:
            before_wait()
        with self.ready:
            while not self.items and not self.done:
                self.ready.wait(0.1)
            if self.items:
                self.outstanding += 1
                item = self.items.popleft()
                self.ready.notify_all()
                return item
            if self.error is not None:
                raise self.error
            return None

    def settled(self) -> None:
        with self.ready:
            self.outstanding -= 1


class _Carry:
    """A connection's last message accepted by the server and not yet recorded as sent."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.value: tuple[str, str] | None = None

    def take(self) -> tuple[str, str] | None:
        value, self.value = self.value, None
        return value

    def flush(self) -> None:
        if (value := self.take()) is not None:
            self.ledger.mark_sent(*value)


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
        sent = refused = doubt = recorded = 0
        for entry in ledger.entries(["sent", "failed", "in_flight", "pending"]):
            recorded += 1
            if entry.key not in self.active:
                continue
            if entry.state == "sent":
                sent += 1
            elif entry.state == "in_flight":
                doubt += 1
            elif entry.state == "failed" and entry.permanent and not self.policy.retry_failed:
                refused += 1
        if doubt and self.policy.in_doubt == "skip":
            refused += doubt
        versions = ledger.versions()
        changed: tuple[str, ...] = ()
        if versions and (sent or doubt):
            now = self.factory.content()
            if now.digest != versions[-1].digest:
                changed = tuple(what_changed(versions[-1], now))
        if completed:
            # A complete send sends nothing more, but --retry-failed tries its refused again.
            retried = 0
            if self.policy.retry_failed:
                retried = sum(1 for e in ledger.entries(["failed"]) if e.key in self.active)
            to_send = retried
        else:
            to_send = len(self.active) - sent - refused
        return Plan(
            subscribed=len(self.active),
            to_send=to_send,
            already_sent=sent,
            refused_before=refused,
            in_doubt=doubt,
            complete=completed is not None,
            completed_at=completed,
            recorded=recorded,
            version=versions[-1].version if versions else 1,
            changed=changed,
        )

    def run(
        self,
        ledger: Ledger,
        transport: Transport,
        on_progress: Callable[[Progress], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        *,
        clock: Callable[[], float] = time.monotonic,
        open_transport: Callable[[], Transport] | None = None,
    ) -> SendReport:
        """Send what is left. ``transport`` is the first connection; with ``connections``
        above 1, ``open_transport`` makes each of the others."""
        policy = self.policy
        report = SendReport(issue=self.issue.name, in_doubt_policy=policy.in_doubt)
        started = time.monotonic()
        completed = ledger.completed_at()
        if completed and not (policy.retry_failed and ledger.tally().failed):
            report.nothing_to_do = report.complete = True
            report.already_sent = ledger.tally().sent
            return report

        # 0. The message readers already have is the one this run sends, or a new version.
        self._settle_version(ledger)
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
        # 2. Everyone subscribed gets a row; a row that exists keeps its state. Once the send
        # is complete, nobody new is added: --retry-failed only retries the refused.
        if not completed:
            ledger.begin(self.subscribers.subscribed, self.factory.message_id, self.factory.version)

        # 3. Send what is pending, in the order subscribers were added, over each connection.
        total = 0
        for e in ledger.entries(["pending"]):
            if e.key in self.active:
                total += 1
            else:
                report.skipped += 1  # no longer subscribed
        self._lock = threading.Lock()
        self._done = 0
        self._total = total
        self._refused_in_a_row = 0
        self._deferred_in_a_row = 0
        self._on_progress = on_progress
        self._crash: BaseException | None = None  # what stopped a connection's thread, raised here
        limiter = RateLimiter(policy.rate)

        def waiting() -> None:
            if on_progress:
                on_progress(Progress(self._done, total, "", "waiting"))

        queue = _Queue(ledger.entries(["pending"]), self.active, policy, clock, sleep, waiting)
        transports = [transport]
        try:
            if total:
                self._reconnect(transport, sleep)  # a wrong password stops the run here
                for _ in range(policy.connections - 1):
                    if open_transport is None:
                        break
                    extra = open_transport()
                    try:
                        self._reconnect(extra, sleep)
                    except SmtpFatal as error:  # the server takes fewer sessions: go on with those
                        report.notes.append(f"opened {len(transports)} of {policy.connections} connections: {error}")
                        break
                    transports.append(extra)
                prefetch = _Prefetch(queue, lambda entry: self.factory.build(entry.subscriber()), 2 * len(transports))
                builder = threading.Thread(target=prefetch.run, name="smtp-build", daemon=True)
                workers = [
                    threading.Thread(
                        target=self._work,
                        args=(t, ledger, queue, prefetch, limiter, report, sleep),
                        name=f"smtp-{n}",
                        daemon=True,
                    )
                    for n, t in enumerate(transports, start=1)
                ]
                builder.start()
                for worker in workers:
                    worker.start()
                try:
                    for worker in workers:
                        while worker.is_alive():
                            worker.join(0.2)
                    builder.join()
                    if self._crash is not None:
                        raise self._crash
                except BaseException:
                    queue.stop()  # each connection finishes the message it has, then stops
                    for worker in [*workers, builder]:
                        worker.join(policy.retries * 2 + 30)
                    raise
        except SmtpFatal as error:
            report.stopped = f"{error.message}; the recipients not yet sent stay pending"
        finally:
            report.connections = sum(t.connections for t in transports)
            for each in transports:
                each.close()
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

    def _work(
        self,
        transport: Transport,
        ledger: Ledger,
        queue: _Queue,
        prefetch: _Prefetch,
        limiter: RateLimiter,
        report: SendReport,
        sleep: Callable[[float], None],
    ) -> None:
        """One connection's loop: take the next recipient, send, settle, until none is left.

        Without a rate limit, a message's "sent" is committed with the next message's "in
        flight" (one commit a message): still at most one row of the connection is in flight
        at any moment, and whatever would make the connection wait first commits it."""
        carry = _Carry(ledger)
        try:
            while (item := prefetch.next(before_wait=carry.flush)) is not None:
                entry, outgoing = item
                try:
                    if self.roster is not None and self.roster.suppressed(entry.address):
                        with self._lock:
                            self.left.add(entry.key)
                            report.skipped += 1
                        continue
                    if limiter.interval:
                        carry.flush()
                        limiter.wait()
                    outcome = self._deliver(entry, outgoing, ledger, transport, report, sleep, queue, carry)
                finally:
                    prefetch.settled()
                with self._lock:
                    if outcome != "deferred":
                        self._done += 1
                    self._refused_in_a_row = self._refused_in_a_row + 1 if outcome == "refused" else 0
                    self._deferred_in_a_row = self._deferred_in_a_row + 1 if outcome == "deferred" else 0
                    if self._on_progress:
                        shown = {"sent": "sent", "deferred": "deferred"}.get(outcome, "failed")
                        self._on_progress(Progress(self._done, self._total, entry.address, shown))
                    if self._refused_in_a_row >= MAX_REFUSED_IN_A_ROW and report.stopped is None:
                        report.stopped = (
                            f"the server refused the last {self._refused_in_a_row} messages in a row "
                            f"(last: {report.failed[-1][1]}); fix the cause, then run send --retry-failed"
                        )
                        queue.stop()
                    if self._deferred_in_a_row >= MAX_REFUSED_IN_A_ROW and report.stopped is None:
                        report.stopped = (
                            f"the server deferred the last {self._deferred_in_a_row} messages in a row "
                            f"(last: {entry.address}: {ledger_reply(ledger, entry.address)}); "
                            "it is refusing mail for now: run send again later"
                        )
                        queue.stop()
        except SmtpFatal as error:
            with self._lock:
                if report.stopped is None:
                    report.stopped = f"{error.message}; the recipients not yet sent stay pending"
            queue.stop()
        except BaseException as error:  # anything else stops every connection, and the run
            with self._lock:
                self._crash = self._crash or error
            queue.stop()
        finally:
            carry.flush()

    def _settle_version(self, ledger: Ledger) -> None:
        """Which version of the message this run sends. The first run records version 1. A
        message that changed since (an edited title, a fixed link) while readers already have
        the earlier one is refused, unless ``new_version``: then it is the next version, with
        Message-IDs of its own, so a copy resent in doubt is never the same id for other content."""
        now = self.factory.content()
        versions = ledger.versions()
        if not versions:
            self.factory.version = ledger.record_version(now)
            return
        latest = versions[-1]
        if latest.digest == now.digest:
            self.factory.version = latest.version
            return
        tally = ledger.tally()
        if not tally.sent and not tally.in_flight and not ledger.in_doubt():
            self.factory.version = ledger.record_version(now, replace=True)  # nobody has the old one
            return
        if not self.policy.new_version:
            raise Refused(
                f"{self.issue.name}: the message changed since {tally.sent} subscribers were sent version "
                f"{latest.version}: " + "; ".join(what_changed(latest, now)[:5])
            )
        self.factory.version = ledger.record_version(now)

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
        outgoing: Outgoing,
        ledger: Ledger,
        transport: Transport,
        report: SendReport,
        sleep: Callable[[float], None],
        queue: _Queue,
        carry: _Carry | None = None,
    ) -> str:
        """Send one message; returns sent, refused, deferred or failed.

        A 4xx reply defers the recipient: it goes back in the queue for its turn, ``defer``
        seconds later (doubled each time), while the others are sent. A dropped connection
        is reconnected and the message retried at once, with the backoff.
        """
        sender = self.factory.envelope_sender(entry.address)
        attempt = 0
        while True:
            attempt += 1
            ledger.mark_in_flight(
                entry.address, outgoing.message_id, self.factory.version, then_sent=carry.take() if carry else None
            )
            try:
                reply = transport.send(sender, entry.address, outgoing.data)
            except Permanent as refusal:
                ledger.mark_failed(entry.address, refusal.reply, permanent=True)
                with self._lock:
                    report.failed.append((entry.address, refusal.reply))
                return "refused"
            except Transient as problem:
                with self._lock:
                    if problem.in_doubt and entry.address not in report.in_doubt:
                        report.in_doubt.append(entry.address)
                if not problem.reconnect:
                    deferrals = queue.count_deferral(entry.address)
                    if deferrals > self.policy.retries:
                        reason = f"{problem.reply} (deferred {deferrals} times; the next run tries again)"
                        ledger.mark_failed(entry.address, reason, permanent=False)
                        with self._lock:
                            report.failed.append((entry.address, reason))
                        return "failed"
                    ledger.mark_pending(entry.address, problem.reply, in_doubt=problem.in_doubt)
                    queue.defer(entry, self.policy.defer * 2 ** (deferrals - 1))
                    with self._lock:
                        report.deferred += 1
                    return "deferred"
                if attempt > self.policy.retries:
                    reason = f"{problem.reply} (gave up after {attempt} attempts)"
                    ledger.mark_failed(entry.address, reason, permanent=False)
                    with self._lock:
                        report.failed.append((entry.address, reason))
                    return "failed"
                ledger.mark_pending(entry.address, problem.reply, in_doubt=problem.in_doubt)
                with self._lock:
                    report.retries += 1
                    if self._on_progress:
                        self._on_progress(Progress(self._done, self._total, entry.address, "retry"))
                sleep(self.policy.backoff * 2 ** (attempt - 1))
                self._reconnect(transport, sleep)
                continue
            except SmtpFatal as error:
                # Raised before the message went out (session, login, sender): not delivered.
                ledger.mark_pending(entry.address, error.message)
                raise
            # Anything else (an interrupt) leaves the row in flight: in doubt for the next run.
            if carry is not None:
                carry.value = (entry.address, reply)  # committed with the next message's "in flight"
            else:
                ledger.mark_sent(entry.address, reply)
            with self._lock:
                report.sent += 1
            return "sent"

    def _reconnect(self, transport: Transport, sleep: Callable[[float], None]) -> None:
        """A new session, trying as often as a message would be retried before giving up."""
        for attempt in range(1, self.policy.retries + 2):
            try:
                transport.connect()
                return
            except Transient as problem:
                if attempt > self.policy.retries:
                    raise SmtpFatal(f"{problem.reply} (after {attempt} attempts)") from None
                sleep(self.policy.backoff * 2 ** (attempt - 1))


def ledger_reply(ledger: Ledger, address: str) -> str:
    entry = ledger.entry(address)
    return (entry.reply or "") if entry else ""
