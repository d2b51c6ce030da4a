"""Publish an issue to every blog target: the static site, WordPress.

Targets run in the order sources.toml lists them. The first one configured is the
primary blog: its post URL is the one recorded in the issue file (``post_url``), so the
archive, the feed and every later render link to it. A target that fails does not stop
the others; the report says which got the issue and which did not, and everything that
did happen is recorded (a WordPress post id is saved the moment the post exists).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from newsdesk.config import Blog
from newsdesk.dates import long_date, publication_instant
from newsdesk.errors import InvalidInput, NewsdeskError, Refused
from newsdesk.issue import Issue, load_issue, save_issue
from newsdesk.newsroom import Newsroom
from newsdesk.output.archive import archive_entry, blog_root, issue_slug, post_path
from newsdesk.output.catalog import Listing, listing
from newsdesk.output.render import Renderer, xml_text
from newsdesk.output.site import SiteBuilder, SiteResult, blog_warnings, check_paths, site_folder, site_issues


@dataclass
class TargetResult:
    """How one target went, in one line."""

    blog: Blog
    ok: bool
    summary: str
    url: str | None = None  # the post's public address on this target
    public: bool = False  # readers can see it (not a WordPress draft)

    @property
    def label(self) -> str:
        return f"{self.blog.name} ({self.blog.kind})"


@dataclass
class PublishReport:
    issue: Issue
    results: list[TargetResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # likely mistakes, one line each

    @property
    def failed(self) -> list[TargetResult]:
        return [r for r in self.results if not r.ok]


@dataclass
class SitesReport:
    """How building the static sites alone went (Publisher.build_sites)."""

    results: list[TargetResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[TargetResult]:
        return [r for r in self.results if not r.ok]


def select_targets(newsroom: Newsroom, name: str | None) -> list[Blog]:
    """Every target, or the one called ``name``."""
    targets = list(newsroom.config.blog_targets)
    if name is None:
        return targets
    chosen = [t for t in targets if t.name.casefold() == name.casefold()]
    if not chosen:
        known = ", ".join(t.name for t in targets)
        raise InvalidInput(f"no blog target {name!r} in {newsroom.config.path} (targets: {known})")
    return chosen


def passwords(targets: list[Blog], environ: Mapping[str, str]) -> dict[str, str]:
    """The WordPress passwords from the environment, checked before anything is published."""
    found = {}
    for blog in targets:
        if blog.kind != "wordpress":
            continue
        password = environ.get(blog.password_env, "").strip()
        if not password:
            raise InvalidInput(
                f"blog {blog.name!r}: set the environment variable {blog.password_env} to the "
                f"application password of WordPress user {blog.user!r}"
            )
        found[blog.name] = password
    return found


class Publisher:
    def __init__(self, newsroom: Newsroom, *, environ: Mapping[str, str] | None = None, timeout: float = 30.0) -> None:
        self.newsroom = newsroom
        self.settings = newsroom.config.newsroom
        self.environ = os.environ if environ is None else environ
        self.timeout = timeout
        self.primary = newsroom.config.blog_targets[0]

    def publish(
        self, path: Path, targets: list[Blog], on_result: Callable[[TargetResult], None] | None = None
    ) -> PublishReport:
        with self.newsroom.exclusive("publish"):
            issue = load_issue(path)
            problems = issue.problems(self.settings.developments)
            if problems:
                raise Refused(f"{path}: not ready to publish: {'; '.join(problems)}")
            secrets = passwords(targets, self.environ)
            # Read every issue the site shows before any target runs: a broken file is
            # bad input (exit 2), found before anything is published anywhere.
            on_site = site_issues(self.newsroom, issue) if any(b.kind == "static" for b in targets) else []
            check_paths(on_site, [archive_entry(i, self.settings) for i in on_site])
            report = PublishReport(issue=issue)
            for blog in targets:
                try:
                    if blog.kind == "wordpress":
                        result = self.to_wordpress(issue, blog, secrets[blog.name])
                    else:
                        result = self.to_static(issue, blog, on_site)
                except NewsdeskError as error:
                    result = TargetResult(blog, ok=False, summary=error.message)
                except OSError as error:  # a site folder or issue file that cannot be written
                    result = TargetResult(blog, ok=False, summary=f"cannot write {error.filename}: {error.strerror}")
                report.results.append(result)
                if on_result:
                    on_result(result)
            built = [site_folder(self.newsroom, r.blog) for r in report.results if r.ok and r.blog.kind == "static"]
            report.warnings = blog_warnings(self.settings, built)
            if any(r.ok and r.public for r in report.results) and issue.status != "published":
                issue.status = "published"
                _record(issue, "its status (published)")
            return report

    def build_sites(
        self, targets: list[Blog], on_result: Callable[[TargetResult], None] | None = None
    ) -> SitesReport | None:
        """Build every static site among ``targets`` from the issue files as they are, with
        no issue published and no issue file changed; None when ``targets`` has no static site."""
        sites = [blog for blog in targets if blog.kind == "static"]
        if not sites:
            return None
        with self.newsroom.exclusive("publish"):
            on_site = site_issues(self.newsroom)
            check_paths(on_site, [archive_entry(i, self.settings) for i in on_site])
            report = SitesReport()
            for blog in sites:
                root = site_folder(self.newsroom, blog)
                try:
                    built = SiteBuilder(self.newsroom, root).build(on_site)
                except NewsdeskError as error:
                    result = TargetResult(blog, ok=False, summary=error.message)
                except OSError as error:
                    result = TargetResult(blog, ok=False, summary=f"cannot write {error.filename}: {error.strerror}")
                else:
                    result = TargetResult(blog, ok=True, summary=f"{_counts(built)} in {_shown(root)}", public=True)
                report.results.append(result)
                if on_result:
                    on_result(result)
            built_sites = [site_folder(self.newsroom, r.blog) for r in report.results if r.ok]
            report.warnings = blog_warnings(self.settings, built_sites)
            return report

    # Targets ----------------------------------------------------------------

    def to_static(self, issue: Issue, blog: Blog, on_site: list[Listing]) -> TargetResult:
        """Build the site; ``on_site`` lists ``issue`` itself, listed again here as it now
        is in memory, so that what WordPress recorded earlier in this run (the post URL)
        shows on the site too."""
        root = site_folder(self.newsroom, blog)
        url = f"{blog_root(self.settings)}/{post_path(issue)}" if self.settings.blog_url else None
        recorded = issue.post_url
        if url and blog == self.primary:
            issue.post_url = url  # before the build, so the page's canonical link is right
        try:
            built = SiteBuilder(self.newsroom, root).build(
                [listing(issue) if item.name == issue.name else item for item in on_site]
            )
        except BaseException:
            issue.post_url = recorded  # the page is not there: keep the address that was
            raise
        if issue.post_url != recorded:
            _record(issue, f"its post URL ({url})")
        shown = url or str(root / post_path(issue))
        return TargetResult(blog, ok=True, summary=f"{_counts(built)} in {_shown(root)}; {shown}", url=url, public=True)

    def to_wordpress(self, issue: Issue, blog: Blog, password: str) -> TargetResult:
        from newsdesk.publish.wordpress import (
            WordPress,  # httpx is imported only when publishing there
        )

        renderer = Renderer(self.newsroom)
        entry = archive_entry(issue, self.settings)
        with WordPress(blog.url, blog.user, password, password_hint=blog.password_env, timeout=self.timeout) as wp:
            # A time that is the publication day where the newsroom is and where the blog
            # is (WordPress dates the post in its own timezone); the feed's when they agree.
            zones = [self.settings.zone, *filter(None, [wp.timezone()])]
            appears = publication_instant(issue.date, *zones)
            if appears is None:
                raise wp.error(
                    f"no moment is {long_date(issue.date)} both in the newsroom's timezone ({self.settings.timezone}) "
                    f"and in the blog's ({zones[-1]}): set the blog's timezone nearer the newsroom's"
                )
            fields = {
                # Without what XML cannot carry: WordPress's own feed would break on it.
                "title": xml_text(issue.title),
                "content": xml_text(renderer.post_body(issue)),
                "excerpt": xml_text(entry.excerpt),
                "slug": issue_slug(issue),
                "status": blog.status,
                "date_gmt": appears.strftime("%Y-%m-%dT%H:%M:%S"),
                "categories": wp.term_ids("categories", blog.categories),
                "tags": wp.term_ids("tags", post_tags(blog, issue)),
            }
            post = wp.save_post(fields, issue.wordpress_id)
        # Remember the post at once: publishing again must update it, whatever fails next.
        issue.wordpress_id = post.id
        if blog == self.primary and post.public:
            issue.post_url = post.link
        _record(issue, f"post {post.id} ({post.link}): add wordpress_id = {post.id} to its front matter")
        verb = "created" if post.created else "updated"
        state = {"publish": "published", "future": "scheduled", "draft": "saved as a draft"}.get(
            post.status, post.status
        )
        note = f" ({post.note})" if post.note else ""
        return TargetResult(
            blog,
            ok=True,
            summary=f"{verb} post {post.id}, {state}{note}; {post.link}",
            url=post.link if post.public else None,
            public=post.public,
        )


def post_tags(blog: Blog, issue: Issue) -> list[str]:
    """The post's tags on WordPress: the blog's fixed ones, then the issue's own (a name
    given twice, in any case, once)."""
    tags: list[str] = []
    for tag in (*blog.tags, *issue.tags):
        if tag.casefold() not in {t.casefold() for t in tags}:
            tags.append(tag)
    return tags


def _record(issue: Issue, what: str) -> None:
    """Save the issue file, or say exactly what it failed to remember."""
    try:
        save_issue(issue)
    except OSError as error:
        raise NewsdeskError(f"{issue.path}: cannot write it ({error.strerror}), so it does not record {what}") from None


def _counts(built: SiteResult) -> str:
    counts = f"wrote {len(built.written)} files, {built.unchanged} unchanged"
    if built.removed:
        counts += f", removed {len(built.removed)}"
    return counts


def _shown(path: Path) -> str:
    try:
        return f"{path.relative_to(Path.cwd())}/"
    except ValueError:
        return f"{path}/"
