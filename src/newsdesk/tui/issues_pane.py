"""The Issues pane: every issue of the newsroom with where it stands (draft, checked, sent,
published; outputs stale), and what the editor does with one: open it in the desk, open its
rendered email or post in the browser, check it, send a test copy to their own address, and
publish it (after a confirmation). The work is the core's, in thread workers."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from newsdesk.errors import NewsdeskError
from newsdesk.output.state import IssueState
from newsdesk.tui import keys
from newsdesk.tui.base import DeskBase
from newsdesk.tui.messages import IssuesListed, JobDone
from newsdesk.tui.screens import ConfirmScreen

STATE_STYLES = {"draft": "yellow", "ready": "cyan", "sent": "green", "published": "bold green"}


class IssuesList(OptionList):
    BINDINGS = keys.bindings("issues")


class IssuesPane(DeskBase):
    issue_rows: list[IssueState]
    scheduled: dict  # issue name -> newsdesk.mail.schedule.ScheduledSend

    def refresh_issues(self) -> None:
        self.issues_worker()

    @work(thread=True, exclusive=True, group="issues", exit_on_error=False)
    def issues_worker(self) -> None:
        from newsdesk.mail.schedule import Schedule
        from newsdesk.output.state import issue_states

        try:
            states = issue_states(self.room)
            with self.room.store() as store:
                scheduled = {entry.issue: entry for entry in Schedule(store).all()}
        except NewsdeskError as error:
            self.post_message(JobDone("Issues", [error.message], ok=False))
            return
        self.post_message(IssuesListed(states, scheduled))

    @on(IssuesListed)
    def issues_listed(self, message: IssuesListed) -> None:
        self.issue_rows = message.states
        self.scheduled = message.scheduled
        listing = self.main.query_one(IssuesList)
        highlighted = listing.highlighted
        listing.set_options([Option(self.issue_line(state), id=str(state.path)) for state in self.issue_rows])
        if self.issue_rows:
            current = next((n for n, s in enumerate(self.issue_rows) if s.path == self.session.path), 0)
            listing.highlighted = current if highlighted is None else min(highlighted, len(self.issue_rows) - 1)
        self.show_issue_state()

    def issue_line(self, state: IssueState) -> Text:
        line = Text("▶ " if state.path == self.session.path else "  ")
        line.append(f"{state.name}  ")
        # The date and the state, one line each: the title is beside, in the issue's details.
        line.append(state.label(), style="red" if state.problem else STATE_STYLES.get(state.status, ""))
        if state.name in getattr(self, "scheduled", {}):
            line.append(", scheduled", style="magenta")
        return line

    @property
    def selected_issue(self) -> IssueState | None:
        index = self.main.query_one(IssuesList).highlighted
        rows = getattr(self, "issue_rows", [])
        return rows[index] if index is not None and index < len(rows) else None

    @on(OptionList.OptionHighlighted, "#issues-list")
    def issue_highlighted(self) -> None:
        self.show_issue_state()

    def show_issue_state(self) -> None:
        state = self.selected_issue
        text = Text()
        if state is None:
            text.append("No issue files in issues/ yet.", style="dim")
        elif state.problem:
            text.append(state.problem, style="red")
            text.append("\n\nenter opens it, to see the broken line and fix it.", style="dim")
        else:
            text.append(state.title + "\n", style="bold")
            text.append(f"{state.path.name} · {state.status}\n")
            text.append("Complete\n" if not state.missing else "Missing: " + "; ".join(state.missing) + "\n")
            outputs = {
                "none": "Outputs: not rendered yet",
                "fresh": "Outputs: up to date in build/",
                "stale": "Outputs: stale (" + ", ".join(state.stale) + "): R or b renders them again",
            }
            text.append(outputs[state.outputs] + "\n")
            if state.check is not None:
                when = datetime.fromisoformat(state.check.finished).astimezone(self.room.config.newsroom.zone)
                text.append(f"Checked: {state.check.summary()} ({when:%a %d %b, %H:%M})\n")
                for line in state.check.lines:
                    text.append(f"  {line}\n", style="red" if line.startswith("error") else "yellow")
            else:
                text.append("Not checked since its last change (C checks it)\n", style="dim")
            if (entry := getattr(self, "scheduled", {}).get(state.name)) is not None:
                settings = self.room.config.newsroom
                when = entry.when.astimezone(settings.zone)
                text.append(
                    f"Scheduled to send: {when:%a %d %b %Y, %H:%M} {settings.timezone} "
                    f"(`newsdesk schedule cancel {state.name}` cancels it)\n",
                    style="magenta",
                )
            if state.post_url:
                text.append(f"Published: {state.post_url}\n")
            if state.path == self.session.path:
                text.append("\nOpen in the desk now.", style="dim")
        self.main.query_one("#issue-state", Static).update(text)

    # What the editor does with the selected issue -------------------------------------

    def selected_or_say(self) -> IssueState | None:
        state = self.selected_issue
        if state is None:
            self.note("Choose an issue first")
            return None
        if state.path == self.session.path:  # the desk's words first, then the job
            self.sync_editor()
            if self.session.dirty and not self.autosave():
                return None
        return state

    @on(OptionList.OptionSelected, "#issues-list")
    def issue_chosen(self) -> None:
        self.action_open_issue()

    def action_open_issue(self) -> None:
        state = self.selected_or_say()
        if state is None:
            return
        if state.path == self.session.path:
            self.call_later(self.run_action, "show_tab('issue')")
            return
        self.sync_editor()
        if self.session.dirty and not self.autosave():
            return  # the conflict screen asks first
        self.exit(state.path)  # `newsdesk edit` opens the desk again on it

    def action_open_output(self, name: str) -> None:
        state = self.selected_or_say()
        if state is not None and not state.problem:
            self.note(f"Rendering {state.name} to open its {name}…")
            self.output_worker(state.path, name)

    @work(thread=True, exclusive=True, group="issue-job", exit_on_error=False)
    def output_worker(self, path: Path, name: str) -> None:
        from newsdesk.issue import load_issue
        from newsdesk.output.render import Renderer

        try:
            issue = load_issue(path)
            out = self.room.root / "build" / issue.name
            rendered = Renderer(self.room).render_all(issue, out)
        except NewsdeskError as error:
            self.post_message(JobDone(f"Cannot render {path.stem}", [error.message], ok=False, path=path))
            return
        lines = [f"Rendered {len(rendered.files)} files to {out}", *rendered.warnings]
        self.post_message(JobDone(f"Opened {name}", lines, ok=True, path=path, open_file=out / name))

    def action_check_issue(self) -> None:
        state = self.selected_or_say()
        if state is not None and not state.problem:
            self.note(f"Checking {state.name} (its links too)…")
            self.check_worker(state.path)

    @work(thread=True, exclusive=True, group="issue-job", exit_on_error=False)
    def check_worker(self, path: Path) -> None:
        from newsdesk.issue import load_issue
        from newsdesk.mail.checks import check_issue
        from newsdesk.output.state import save_check

        try:
            report = check_issue(self.room, load_issue(path), links=True)
            lines = [finding.line() for finding in report.findings]
            with self.room.store() as store:
                save_check(store, path, lines, len(report.errors), len(report.warnings))
        except NewsdeskError as error:
            self.post_message(JobDone(f"Cannot check {path.stem}", [error.message], ok=False, path=path))
            return
        summary = f"{path.stem}: {report.summary()}"
        self.post_message(JobDone(summary, [*lines, summary], ok=not report.errors, path=path))

    def action_test_send(self) -> None:
        state = self.selected_or_say()
        if state is None or state.problem:
            return
        settings = self.room.config.newsroom
        address = settings.reply_to or settings.sender_email
        if not address:
            self.toast("Set reply_to or sender_email in sources.toml: the test copy goes there.")
            return
        from newsdesk.mail.providers import delivery_for

        try:
            server = delivery_for(self.room.config, credentials=False).describe()
        except NewsdeskError as error:
            self.toast(error.message, title="No test copy", severity="error")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.note(f"Sending a test copy of {state.name} to {address}…")
                self.test_send_worker(state.path, address)

        self.push_screen(ConfirmScreen(f"Send one test copy of {state.name} to {address} through {server}?"), answered)

    @work(thread=True, exclusive=True, group="issue-job", exit_on_error=False)
    def test_send_worker(self, path: Path, address: str) -> None:
        from newsdesk.issue import load_issue
        from newsdesk.mail.providers import delivery_for
        from newsdesk.mail.test_copy import send_test_copy

        try:
            line = send_test_copy(self.room, load_issue(path), delivery_for(self.room.config), address)
        except NewsdeskError as error:
            self.post_message(JobDone("Test copy not sent", [error.message], ok=False, path=path))
            return
        except OSError as error:
            self.post_message(JobDone("Test copy not sent", [f"{error.strerror or error}"], ok=False, path=path))
            return
        self.post_message(JobDone(line, [line], ok=True, path=path))

    def action_publish_issue(self) -> None:
        state = self.selected_or_say()
        if state is None or state.problem:
            return
        if state.missing:
            self.toast(f"{state.name} is incomplete: {'; '.join(state.missing)}", title="Not published")
            return
        names = ", ".join(f"{blog.name} ({blog.kind})" for blog in self.room.config.blog_targets)

        def answered(yes: bool | None) -> None:
            if yes:
                self.note(f"Publishing {state.name}…")
                self.publish_worker(state.path)

        again = " again (it updates what is there)" if state.status == "published" else ""
        self.push_screen(ConfirmScreen(f"Publish {state.name}{again} to {names}?"), answered)

    @work(thread=True, exclusive=True, group="issue-job", exit_on_error=False)
    def publish_worker(self, path: Path) -> None:
        from newsdesk.publish.targets import Publisher, select_targets

        try:
            report = Publisher(self.room).publish(path, select_targets(self.room, None))
        except NewsdeskError as error:
            self.post_message(JobDone("Not published", [error.message], ok=False, path=path))
            return
        lines = [f"{'✓' if r.ok else '✗'} {r.label}: {r.summary}" for r in report.results]
        if report.failed:
            title = f"Not published to {', '.join(r.blog.name for r in report.failed)}"
        else:
            where = f": {report.issue.post_url}" if report.issue.post_url else ""
            title = f"{report.issue.name} is {report.issue.status}{where}"
        self.post_message(JobDone(title, [*lines, title], ok=not report.failed, path=path))

    @on(JobDone)
    def job_done(self, message: JobDone) -> None:
        self.note(message.title)
        if not message.ok:
            self.toast("\n".join(message.lines), title=message.title, severity="error", timeout=15)
        if message.open_file is not None:
            self.open_in_browser(message.open_file.as_uri())
        result = Text("\n".join(message.lines), style="" if message.ok else "red")
        self.main.query_one("#issue-result", Static).update(result)
        self.refresh_issues()
