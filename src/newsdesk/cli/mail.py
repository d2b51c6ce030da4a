"""`newsdesk check`, `newsdesk send` and `newsdesk subscribers`: the email's way out.

Exit codes: 0 done (or nothing to do); 1 checks found errors, or some recipients failed,
or the server could not be used; 2 invalid input (config, subscribers file, --smtp,
a missing password variable); 3 refused (checks failed without --force, no confirmation,
another send running).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from newsdesk.cli._common import editor_errors, open_newsroom
from newsdesk.errors import EXIT_FAILED, InvalidInput, NewsdeskError, Refused

if TYPE_CHECKING:  # imported where used, so `newsdesk --help` stays quick
    from newsdesk.issue import Issue
    from newsdesk.mail.checks import CheckReport
    from newsdesk.mail.ledger import Ledger
    from newsdesk.mail.providers import Delivery
    from newsdesk.mail.send import Progress
    from newsdesk.mail.subscribers import Subscriber, SubscriberList
    from newsdesk.newsroom import Newsroom
    from newsdesk.store import Store

CONFIRM_ABOVE = 10  # a real send to more recipients than this asks first
LINE_SECONDS = 10.0  # without a terminal, a progress line at least this often
DATE_SLACK_DAYS = 7  # an issue dated further than this from today is warned about
SCHEDULE_SECONDS = 60.0  # how often `newsdesk serve` looks for scheduled sends that are due
SHOWN_WARNINGS = 20


def _interactive() -> bool:
    """A person at a terminal who can answer a question (not CI, not a pipe)."""
    ci = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
    return not ci and sys.stdin.isatty()


def _load_issue(room: Newsroom, issue: str) -> Issue:
    from newsdesk.curation.editing import resolve_issue
    from newsdesk.issue import load_issue

    return load_issue(resolve_issue(room, issue))


def _load_subscribers(room: Newsroom, *, quiet: bool = False) -> SubscriberList:
    from newsdesk.mail.subscribers import load_subscribers, subscribers_path

    subscribers = load_subscribers(subscribers_path(room.root, room.config.newsroom.subscribers))
    if not quiet:
        for warning in subscribers.warnings[:SHOWN_WARNINGS]:
            click.echo(f"warning: {warning}", err=True)
        if len(subscribers.warnings) > SHOWN_WARNINGS:
            more = len(subscribers.warnings) - SHOWN_WARNINGS
            click.echo(f"warning: … and {more} more in {subscribers.path.name} (see `newsdesk subscribers`)", err=True)
    return subscribers


def _the_list(room: Newsroom, store: Store, *, quiet: bool = False) -> SubscriberList:
    """Who is to be mailed: the subscribers file brought into the list in the store, or
    the list alone when there is no file but the list has people (sign-ups, an import)."""
    from newsdesk.mail.roster import Roster
    from newsdesk.mail.subscribers import subscribers_path

    roster = Roster(store)
    path = subscribers_path(room.root, room.config.newsroom.subscribers)
    if not path.exists() and any(roster.counts().values()):
        return roster.recipients(path)
    return roster.sync_file(_load_subscribers(room, quiet=quiet))


def _run_checks(room: Newsroom, loaded: Issue, *, links: bool = True, err: bool = True) -> CheckReport:
    from newsdesk.mail.checks import check_issue

    report = check_issue(room, loaded, links=links)
    for finding in report.findings:
        click.echo(finding.line(), err=err)
    return report


def _keep_check(room: Newsroom, loaded: Issue, report: CheckReport) -> None:
    """The desk's Issues tab shows the last check of each issue (while its file is unchanged)."""
    from newsdesk.output.state import save_check

    if loaded.path is not None:
        with room.store() as store:
            lines = [finding.line() for finding in report.findings]
            save_check(store, loaded.path, lines, len(report.errors), len(report.warnings))


@click.command()
@click.argument("issue")
@click.option("--offline", is_flag=True, help="Skip the requests that check the read-more links.")
@click.pass_context
@editor_errors
def check(ctx: click.Context, issue: str, offline: bool) -> None:
    """Check ISSUE before sending: content, dates, links, size, repeats, unsubscribe link.

    Errors and warnings, one line each; exits 1 when there are errors.
    """
    room = open_newsroom(ctx)
    loaded = _load_issue(room, issue)
    report = _run_checks(room, loaded, links=not offline, err=False)
    click.echo(f"{loaded.name}: {report.summary()}")
    _keep_check(room, loaded, report)
    if report.errors:
        sys.exit(EXIT_FAILED)


@click.group(invoke_without_command=True)
@click.option("--issue", "issue", metavar="ISSUE", help="Also show the send ledger of ISSUE.")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@click.pass_context
@editor_errors
def subscribers(ctx: click.Context, issue: str | None, as_json: bool) -> None:
    """Count the subscribers by state (and report bad lines in the subscribers file).

    The list lives in the newsroom's store; the subscribers file is brought into it first.
    """
    if ctx.invoked_subcommand is not None:
        return
    from newsdesk.mail.roster import Roster

    room = open_newsroom(ctx)
    path = _list_path(room)
    with room.store() as store:
        roster = Roster(store)
        # No file (a new newsroom, or a list kept only in the store): the list alone, maybe empty.
        in_file = _load_subscribers(room, quiet=as_json) if path.exists() else None
        listing = roster.sync_file(in_file) if in_file is not None else roster.recipients(path)
        states = roster.counts()
    counts: dict[str, Any] = {
        "file": str(path),
        # The file's own lines; the list's counts by state are "states".
        "subscribed": len(in_file.subscribed) if in_file else 0,
        "unsubscribed": len(in_file.unsubscribed) if in_file else 0,
        "invalid": in_file.invalid if in_file else 0,
        "duplicates": in_file.duplicates if in_file else 0,
        "recipients": len(listing.subscribed),
        "states": states,
    }
    if issue:
        from newsdesk.mail.ledger import Ledger

        loaded = _load_issue(room, issue)
        with room.store() as store:
            ledger = Ledger(store, loaded.name)
            tally = ledger.tally()
            failures = ledger.failures()
            doubtful = ledger.in_doubt()
            versions = ledger.versions()
            by_version = ledger.sent_by_version()
            completed = ledger.completed_at()
        counts["ledger"] = {
            "issue": loaded.name,
            "sent": tally.sent,
            "pending": tally.pending,
            "in_flight": tally.in_flight,
            "failed": tally.failed,
            "completed_at": completed,
            "failures": [{"address": f.address, "reply": f.reply} for f in failures],
            "in_doubt": [{"address": d.address, "state": d.state} for d in doubtful],
            "versions": [
                {"version": v.version, "subject": v.subject, "made_at": v.made_at, "sent": by_version.get(v.version, 0)}
                for v in versions
            ],
        }
    if as_json:
        click.echo(json.dumps(counts, ensure_ascii=False, indent=2))
        return
    if in_file is not None:
        click.echo(f"{path.name}: {in_file.summary()}")
    else:
        click.echo(f"{path.name}: no such file (the list in the store alone)")
    click.echo("list: " + ", ".join(f"{count} {state}" for state, count in states.items()))
    if ledger_counts := counts.get("ledger"):
        state = f"completed {ledger_counts['completed_at']}" if ledger_counts["completed_at"] else "not completed"
        click.echo(
            f"{ledger_counts['issue']}: {ledger_counts['sent']} sent, {ledger_counts['pending']} pending, "
            f"{ledger_counts['in_flight']} in flight, {ledger_counts['failed']} failed ({state})"
        )
        for failure in ledger_counts["failures"]:
            click.echo(f"failed: {failure['address']}: {failure['reply']}")
        if len(ledger_counts["versions"]) > 1:
            for v in ledger_counts["versions"]:
                click.echo(f"version {v['version']} ({v['made_at'][:16]}, “{v['subject']}”): {v['sent']} sent")
        for doubt in ledger_counts["in_doubt"]:
            meaning = {
                "sent": "sent again, may have two copies",
                "failed": "not sent again, may have none",
            }.get(doubt["state"], "not yet sent again")
            click.echo(f"in doubt: {doubt['address']}: {meaning}")


@subscribers.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
@editor_errors
def import_subscribers(ctx: click.Context, file: Path) -> None:
    """Bring FILE (a subscribers file or an export) into the list, every line at once or none.

    A bad line (not an address, an unknown status) imports nothing: the bad lines are
    listed and the exit is 2. An address that left the list (unsubscribed, bounced,
    complained) stays suppressed whatever FILE says.
    """
    from newsdesk.mail.roster import Roster
    from newsdesk.mail.subscribers import load_subscribers

    room = open_newsroom(ctx)
    listing = load_subscribers(file)
    skipped = ("; line skipped", "; lines skipped")
    shown = [
        f"error: {warning.removesuffix(skipped[0]).removesuffix(skipped[1])}"
        if warning.endswith(skipped)
        else f"warning: {warning}"
        for warning in listing.warnings
    ]
    for line in shown[:SHOWN_WARNINGS]:
        click.echo(line, err=True)
    if len(shown) > SHOWN_WARNINGS:
        click.echo(f"warning: … and {len(shown) - SHOWN_WARNINGS} more in {file.name}", err=True)
    if listing.invalid:
        lines = "line" if listing.invalid == 1 else "lines"
        raise InvalidInput(f"{file}: {listing.invalid} bad {lines}; nothing imported (fix them and import again)")
    with room.store() as store:
        report = Roster(store).import_list(listing)
    for address in report.kept[:SHOWN_WARNINGS]:
        click.echo(f"warning: {address} left the list before; kept suppressed", err=True)
    click.echo(f"{file.name}: {report.line()}")


@subscribers.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
@editor_errors
def export_subscribers(ctx: click.Context, file: Path) -> None:
    """Write the whole list to FILE (CSV: every state, date, reason and bounce count)."""
    from newsdesk.mail.roster import Roster

    room = open_newsroom(ctx)
    if not file.parent.is_dir():
        raise InvalidInput(f"{file}: no folder {file.parent}")
    with room.store() as store:
        path = _list_path(room)
        if path.exists():
            _the_list(room, store)
        try:
            count = Roster(store).export(file)
        except OSError as error:  # named by the path given, not by the temp file beside it
            raise NewsdeskError(f"{file}: cannot write: {error.strerror or error}") from None
    click.echo(f"{file}: {count} addresses written")


@subscribers.command("forget")
@click.argument("address")
@click.pass_context
@editor_errors
def forget_subscriber(ctx: click.Context, address: str) -> None:
    """Erase ADDRESS everywhere newsdesk keeps it: the list, the send ledgers, the subscribers file."""
    from newsdesk.mail.roster import Roster, erase_from_file

    room = open_newsroom(ctx)
    path = _list_path(room)
    lines = erase_from_file(path, address) if path.exists() else 0
    with room.store() as store:
        rows, clean = Roster(store).forget(address)
    if not clean:
        click.echo(
            f"warning: another program was reading the store, so {store.path.name}-wal may still hold the "
            "erased rows until the store's next checkpoint",
            err=True,
        )
    if not rows and not lines:
        raise InvalidInput(f"{address}: not in the list, the send ledgers or {path.name}")
    rows_said = f"{rows} row" + ("" if rows == 1 else "s")
    lines_said = f"{lines} line" + ("" if lines == 1 else "s")
    click.echo(f"{address}: forgotten ({rows_said} in the store, {lines_said} in {path.name})")


def _list_path(room: Newsroom) -> Path:
    from newsdesk.mail.subscribers import subscribers_path

    return subscribers_path(room.root, room.config.newsroom.subscribers)


class SendProgress:
    """A progress bar on stderr when it is a terminal; otherwise a plain line every 10% and
    at least every 10 seconds (for logs and cron mail)."""

    def __init__(
        self,
        total: int,
        *,
        terminal: bool,
        clock: Callable[[], float] = time.monotonic,
        every: float = LINE_SECONDS,
        echo: Callable[[str], None] | None = None,
    ) -> None:
        self.progress = None
        self.total = total
        self.clock = clock
        self.every = every
        self.echo = echo or (lambda line: click.echo(line, err=True))
        self.started = self.said_at = clock()
        self.said_tenth = 0
        self.failed = 0
        self.deferred = 0
        self.lines = not terminal and total > 0
        if terminal and total:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.progress = Progress(
                TextColumn("sending"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                TextColumn("{task.description}"),
                console=Console(stderr=True),
                transient=True,
            )
            self.task = self.progress.add_task("", total=total)

    def __call__(self, event: Progress) -> None:
        if event.outcome == "failed":
            self.failed += 1
        elif event.outcome == "deferred":
            self.deferred += 1
        if self.progress is not None:
            note = {"retry": f"retrying {event.address}", "waiting": "waiting for deferred recipients"}
            self.progress.update(self.task, completed=event.done, description=note.get(event.outcome, event.address))
        elif self.lines:
            now = self.clock()
            tenth = event.done * 10 // self.total
            if tenth > self.said_tenth or now - self.said_at >= self.every:
                self.said_tenth = max(self.said_tenth, tenth)
                self.said_at = now
                seconds = now - self.started
                rate = f", {event.done / seconds:.0f}/s" if seconds > 0 else ""
                waiting = ", waiting for deferred recipients" if event.outcome == "waiting" else ""
                self.echo(
                    f"sending: {event.done}/{self.total} ({event.done * 100 // self.total}%){rate}, "
                    f"{self.failed} failed, {self.deferred} deferred{waiting}"
                )

    def __enter__(self) -> SendProgress:
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()


def _warn_about_the_date(room: Newsroom, loaded: Issue, today: date | None = None) -> str | None:
    """A warning when the issue is dated far from today (an old issue sent by mistake, or a
    machine whose clock is wrong)."""
    from datetime import datetime

    today = today or datetime.now(room.config.newsroom.zone).date()
    days = (loaded.date - today).days
    if abs(days) <= DATE_SLACK_DAYS:
        return None
    when = f"{-days} days before" if days < 0 else f"{days} days after"
    line = (
        f"warning: {loaded.name} is dated {when} today ({today.isoformat()}, {room.config.newsroom.timezone}): "
        "is it the issue you mean to send, and is this machine's clock right?"
    )
    click.echo(line, err=True)
    return line


@click.command()
@click.argument("issue")
@click.option("--dry-run", is_flag=True, help="Count the recipients and print the first message; send nothing.")
@click.option(
    "--test", "test_address", metavar="ADDRESS", help="Send one copy to ADDRESS only; the ledger is untouched."
)
@click.option("--yes", "-y", is_flag=True, help=f"Do not ask before sending to more than {CONFIRM_ABOVE} subscribers.")
@click.option("--force", is_flag=True, help="Send even though the pre-send checks found errors.")
@click.option(
    "--smtp",
    "smtp_url",
    metavar="URL",
    help="smtp://[user@]host:port or smtps://…, instead of [smtp] (and [delivery] provider) for this run.",
)
@click.option(
    "--in-doubt",
    type=click.Choice(["resend", "skip"]),
    default="resend",
    show_default=True,
    help="What to do with a message an interrupted send left in doubt.",
)
@click.option("--retry-failed", is_flag=True, help="Try again the recipients an earlier run's server refused (5xx).")
@click.option(
    "--at",
    "at",
    metavar="TIME",
    help='Do not send now: schedule the send for TIME ("2017-07-03 07:00", the newsroom\'s timezone).',
)
@click.pass_context
@editor_errors
def send(
    ctx: click.Context,
    issue: str,
    dry_run: bool,
    test_address: str | None,
    yes: bool,
    force: bool,
    smtp_url: str | None,
    in_doubt: str,
    retry_failed: bool,
    at: str | None,
) -> None:
    """Send ISSUE to every subscriber, exactly once each, after the pre-send checks.

    Safe to run again: whoever has the issue is skipped, whoever is missing gets it.
    """
    from newsdesk.mail.providers import delivery_for

    room = open_newsroom(ctx)
    loaded = _load_issue(room, issue)
    if at is not None:
        if dry_run or test_address or smtp_url or retry_failed:
            raise InvalidInput("--at schedules the send itself: leave out --dry-run, --test, --smtp and --retry-failed")
        _schedule_send(room, loaded, at, force=force, in_doubt=in_doubt)
        return
    # A missing password, token or AWS credential is reported before anything else.
    delivery = delivery_for(room.config, smtp_url, credentials=not dry_run)
    if room.config.web.public_url or room.config.newsroom.bounce_address:
        from newsdesk.mail.tokens import signer_for

        signer_for(room.config)  # so is a missing $NEWSDESK_SECRET: once, before the checks say it again
    if test_address:
        _send_test(room, loaded, delivery, test_address)
        return
    _send_all(
        room,
        loaded,
        delivery,
        dry_run=dry_run,
        yes=yes,
        force=force,
        in_doubt=in_doubt,
        retry_failed=retry_failed,
    )


def _send_test(room: Newsroom, loaded: Issue, delivery: Delivery, address: str) -> None:
    from newsdesk.mail.subscribers import address_problem
    from newsdesk.mail.test_copy import send_test_copy

    if problem := address_problem(address):
        raise InvalidInput(f"--test: {problem}")
    _run_checks(room, loaded)  # shown, never blocking: a test copy is how an editor looks
    click.echo(send_test_copy(room, loaded, delivery, address))


def _send_all(
    room: Newsroom,
    loaded: Issue,
    delivery: Delivery,
    *,
    dry_run: bool,
    yes: bool,
    force: bool,
    in_doubt: str,
    retry_failed: bool,
) -> None:
    from newsdesk.mail.ledger import Ledger
    from newsdesk.mail.message import preview
    from newsdesk.mail.roster import Roster
    from newsdesk.mail.send import Policy, SendJob
    from newsdesk.mail.tokens import bounce_addresses, signed_links

    policy = Policy.from_settings(
        room.config.smtp, rate=delivery.rate, in_doubt=in_doubt, retry_failed=retry_failed, new_version=force
    )
    with room.exclusive("send"), room.store() as store:
        listing = _the_list(room, store)
        if not listing.subscribed:
            raise InvalidInput(f"{listing.path}: no subscribed addresses; nothing to send")
        ledger = Ledger(store, loaded.name)
        roster = Roster(store)
        job = SendJob(room, loaded, listing, policy, roster=roster)
        job.factory.links = signed_links(room.config, roster)
        job.factory.return_path = bounce_addresses(room.config, roster)
        plan = job.plan(ledger)
        if plan.complete and not plan.to_send:
            again = "" if retry_failed else "; --retry-failed tries again the recipients the server refused"
            refused = f", {plan.refused_before} refused" if plan.refused_before else ""
            click.echo(
                f"{loaded.name} was already sent to {plan.already_sent} subscribers{refused} "
                f"(completed {plan.completed_at}); nothing to send{again if plan.refused_before else ''}"
            )
            return
        forceable: list[str] = []  # what would refuse the real send unless --force (a dry run says it)
        if loaded.status in ("sent", "published") and plan.recorded == 0 and not force:
            forceable.append(
                f"the issue file says it was {loaded.status}, but this newsroom's ledger has no record of sending it"
            )
        if loaded.status in ("sent", "published") and plan.recorded == 0 and not (force or dry_run):
            # The ledger is the guard against a second send, and it lives in .newsdesk/:
            # a fresh clone has none. The issue file says it went out: believe it.
            raise Refused(
                f"{loaded.name}: the issue file says it was {loaded.status}, but this newsroom's "
                "ledger has no record of sending it; send again anyway with --force"
            )
        if plan.changed:
            have = plan.already_sent + plan.in_doubt
            head = (
                f"{loaded.name}: the message differs from version {plan.version}, which {have} "
                f"subscribers already have:"
            )
            if dry_run and not force:
                forceable.append(f"the message changed since {have} subscribers got it")
            if force or dry_run:
                click.echo(f"warning: {head}", err=True)
                for line in plan.changed:
                    click.echo(f"warning: {line}", err=True)
                if force and not dry_run:
                    click.echo(
                        f"warning: sending version {plan.version + 1} to the rest (with Message-IDs of its own)",
                        err=True,
                    )
            else:
                click.echo(head, err=True)
                for line in plan.changed:
                    click.echo(line, err=True)
                raise Refused(
                    f"{loaded.name}: not sent: the message changed since {have} subscribers got it; undo the "
                    f"change to send them all the same message, or send the new version to the rest with --force"
                )
        checks = _run_checks(room, loaded)
        _warn_about_the_date(room, loaded)
        if checks.errors and not (force or dry_run):
            who = ""
            if plan.already_sent:
                who = (
                    f"; {plan.already_sent} of {plan.subscribed} subscribers already have this issue from an "
                    f"earlier run (`newsdesk subscribers --issue {loaded.name}` lists them), so fix what the checks "
                    "found or send the rest anyway with --force"
                )
            raise Refused(
                f"{loaded.name}: the pre-send checks found {checks.summary()}"
                + (who or "; fix them, or send anyway with --force")
            )
        doubt = f", {plan.in_doubt} in doubt ({in_doubt})" if plan.in_doubt else ""
        click.echo(
            f"{loaded.name}: {plan.to_send} to send of {plan.subscribed} subscribed "
            f"({plan.already_sent} sent before, {plan.refused_before} refused before{doubt}) via {delivery.describe()}"
            + (f", at most {policy.rate:g}/s" if policy.rate else ", no rate limit")
        )
        if dry_run:
            first = next((s for s in listing.subscribed if _unsent(ledger, s)), None)
            if first is not None:
                click.echo(f"--- the first message, to {first.email} ---")
                click.echo(preview(job.factory.build(first).data), nl=False)
            if checks.errors and not force:
                forceable.append(f"the pre-send checks found {checks.summary()}")
            refusals = "; ".join(forceable) + (" (--force sends anyway)" if forceable else "")
            if plan.to_send > CONFIRM_ABOVE and not yes and not _interactive():
                confirmation = (
                    f"sending to {plan.to_send} subscribers needs a confirmation: run it in a terminal, or pass --yes"
                )
                refusals = f"{refusals}; {confirmation}" if refusals else confirmation
            click.echo("dry run: nothing sent" + (f"; a real send would be refused: {refusals}" if refusals else ""))
            return
        if plan.to_send > CONFIRM_ABOVE and not yes:
            question = f"Send “{loaded.title}” to {plan.to_send} subscribers via {delivery.describe()}?"
            if not _interactive():
                raise Refused(
                    f"sending to {plan.to_send} subscribers needs a confirmation: run it in a terminal, or pass --yes"
                )
            if not click.confirm(question, default=False, err=True):
                raise Refused("not sent: the send was not confirmed")
        transport = delivery.open()
        with SendProgress(plan.to_send, terminal=sys.stderr.isatty()) as progress:
            report = job.run(ledger, transport, on_progress=progress, open_transport=delivery.open)
    for line in report.lines():
        click.echo(line)
    if not report.ok:
        sys.exit(EXIT_FAILED)


def _schedule_send(room: Newsroom, loaded: Issue, at: str, *, force: bool, in_doubt: str) -> None:
    from datetime import UTC, datetime

    from newsdesk.mail.schedule import Schedule, ScheduledSend, parse_at

    settings = room.config.newsroom
    when = parse_at(at, settings.zone, settings.timezone)
    now = datetime.now(UTC)
    if when <= now:
        raise InvalidInput(f"--at {at!r}: that time has passed ({_local(when, room)}); send it now without --at")
    checks = _run_checks(room, loaded)
    if checks.errors and not force:
        raise Refused(
            f"{loaded.name}: the pre-send checks found {checks.summary()}; fix them, or schedule it anyway with --force"
        )
    _warn_about_the_date(room, loaded, today=when.astimezone(settings.zone).date())
    with room.store() as store:
        schedule = Schedule(store)
        before = schedule.get(loaded.name)
        schedule.add(
            ScheduledSend(
                loaded.name, when.isoformat(), now.isoformat(timespec="seconds"), force=force, in_doubt=in_doubt
            )
        )
    moved = f" (was {_local(before.when, room)})" if before else ""
    click.echo(
        f"{loaded.name} is scheduled for {_local(when, room)}{moved}; `newsdesk schedule run` (from cron or a "
        f"systemd timer) sends it when due, `newsdesk schedule cancel {loaded.name}` cancels it"
    )


def _local(moment: Any, room: Newsroom) -> str:
    settings = room.config.newsroom
    return f"{moment.astimezone(settings.zone):%Y-%m-%d %H:%M} {settings.timezone}"


@click.group(invoke_without_command=True)
@click.pass_context
@editor_errors
def schedule(ctx: click.Context) -> None:
    """List the scheduled sends (`newsdesk send ISSUE --at TIME` adds one)."""
    if ctx.invoked_subcommand is not None:
        return
    from datetime import UTC, datetime

    from newsdesk.mail.schedule import Schedule

    room = open_newsroom(ctx)
    with room.store() as store:
        entries = Schedule(store).all()
    if not entries:
        click.echo("no scheduled sends")
        return
    now = datetime.now(UTC)
    for entry in entries:
        state = {"waiting": "waiting", "due": "due now", "late": "late: waits for a human"}[entry.state(now)]
        flags = " (--force)" if entry.force else ""
        click.echo(f"{entry.issue}: {_local(entry.when, room)}, {state}{flags}")


@schedule.command("cancel")
@click.argument("issue")
@click.pass_context
@editor_errors
def cancel_schedule(ctx: click.Context, issue: str) -> None:
    """Cancel ISSUE's scheduled send."""
    from newsdesk.mail.schedule import Schedule

    room = open_newsroom(ctx)
    loaded = _load_issue(room, issue)
    with room.store() as store:
        if not Schedule(store).cancel(loaded.name):
            raise InvalidInput(f"{loaded.name}: no scheduled send to cancel")
    click.echo(f"{loaded.name}: the scheduled send is cancelled")


@schedule.command("run")
@click.pass_context
@editor_errors
def run_schedule(ctx: click.Context) -> None:
    """Start the scheduled sends that are due (run it every few minutes from cron or a timer).

    A send more than three hours past its time is not started unattended: at a terminal it
    asks; otherwise it says so and waits for a human (exit 3). A send under way is carried on.
    """
    code = run_due_sends(open_newsroom(ctx), ask=_interactive())
    if code:
        sys.exit(code)


def run_due_sends(room: Newsroom, *, ask: bool) -> int:
    """Send what is due; the worst exit code of those sends (3 for one left waiting)."""
    from datetime import UTC, datetime

    from newsdesk.errors import NewsdeskError
    from newsdesk.mail.ledger import Ledger
    from newsdesk.mail.providers import delivery_for
    from newsdesk.mail.schedule import Schedule

    with room.store() as store:
        entries = Schedule(store).all()
    now = datetime.now(UTC)
    worst = 0
    for entry in entries:
        state = entry.state(now)
        if state == "waiting":
            continue
        with room.store() as store:
            started = Ledger(store, entry.issue).tally().total > 0
        if state == "late" and not started:
            hours = (now - entry.when).total_seconds() / 3600
            late = f"{entry.issue} was due at {_local(entry.when, room)}, {hours:.1f} hours ago"
            if not (ask and click.confirm(f"{late}. Send it now?", default=False, err=True)):
                click.echo(
                    f"{late}: not sent unattended; send it with `newsdesk send {entry.issue}`, "
                    f"or `newsdesk schedule cancel {entry.issue}`",
                    err=True,
                )
                worst = max(worst, 3)
                continue
        click.echo(f"{entry.issue}: scheduled for {_local(entry.when, room)}; sending")
        try:
            loaded = _load_issue(room, entry.issue)
            _send_all(
                room,
                loaded,
                delivery_for(room.config),
                dry_run=False,
                yes=True,
                force=entry.force,
                in_doubt=entry.in_doubt,
                retry_failed=False,
            )
            code = 0
        except NewsdeskError as error:
            click.echo(f"newsdesk: error: {error}", err=True)
            code = error.exit_code
        except SystemExit as stop:  # a send that did not finish (it is carried on next time)
            code = stop.code if isinstance(stop.code, int) else 1
        with room.store() as store:
            if Ledger(store, entry.issue).completed_at():
                Schedule(store).cancel(entry.issue)
        worst = max(worst, code)
    return worst


def schedule_loop(room: Newsroom, stop: threading.Event, every: float = SCHEDULE_SECONDS) -> None:
    """`newsdesk serve`'s scheduler: the due sends at start, then every ``every`` seconds,
    never asking (a late send waits for a human), until ``stop`` is set."""
    from newsdesk.errors import NewsdeskError

    while True:
        try:
            run_due_sends(room, ask=False)
        except NewsdeskError as error:  # the store or the config: said, and tried again later
            click.echo(f"newsdesk serve: scheduled sends: {error}", err=True)
        if stop.wait(every):
            return


COMMANDS = (check, send, subscribers, schedule)


def _unsent(ledger: Ledger, subscriber: Subscriber) -> bool:
    entry = ledger.entry(subscriber.email)
    return entry is None or entry.state != "sent"
