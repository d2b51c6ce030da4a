"""WordPress through its REST API, with an application password.

Routes go through ``/?rest_route=`` so the site needs no pretty permalinks. Every failure
becomes one line naming the blog and what to do: a wrong password (401), a site that
cannot be reached, a post WordPress rejects.

WordPress treats a post's title and excerpt and a term's name as HTML (an editor account
may even post script), and expands [shortcodes] in all of them and in the content. So this
client takes text for the title, the excerpt and term names and sends them escaped, and
sends the content's square brackets as character references: what readers see is what
was written.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

from newsdesk.errors import NewsdeskError
from newsdesk.http import ERRORS, Http, Refused
from newsdesk.text import clean_text, untrusted_html_to_text

# Every status a post can have: where an earlier post of ours may be.
_ANY_STATUS = "publish,future,draft,pending,private,trash"
# What WordPress appends to the slug of a post it moves to the trash.
_TRASHED = "__trashed"
_TAXONOMIES = {"categories": "category", "tags": "tag"}


def as_html(text: str) -> str:
    """Text as HTML that shows it as written on WordPress: escaped, brackets included."""
    return _no_shortcodes(html.escape(text, quote=True))


def _no_shortcodes(fragment: str) -> str:
    """HTML whose brackets WordPress cannot take for a shortcode; browsers show the same.

    In HTML a bracket only appears in text and attribute values, where a character
    reference means the same thing, so the replacement needs no parsing."""
    return fragment.replace("[", "&#91;").replace("]", "&#93;")


class WordPressError(NewsdeskError):
    """WordPress refused, failed or could not be reached (exit 1)."""

    def __init__(self, message: str, *, status: int | None = None, code: str = "", data: Any = None) -> None:
        super().__init__(message)
        self.status = status  # the HTTP status, when WordPress answered
        self.code = code  # WordPress's error code, like rest_invalid_param
        self.data = data  # the error's data, like {"term_id": 12}


@dataclass(frozen=True)
class Post:
    """A post as WordPress holds it after a save."""

    id: int
    link: str
    status: str  # publish, future (scheduled), draft, ...
    created: bool  # a new post, not an update
    note: str = ""  # how an existing post was found, when that is worth saying

    @property
    def public(self) -> bool:
        return self.status in ("publish", "future")


class WordPress:
    """A client for one WordPress site."""

    def __init__(
        self,
        url: str,
        user: str,
        password: str,
        *,
        name: str = "",
        password_hint: str = "",
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.user = user
        self.name = name
        self.password_hint = password_hint
        self.timeout = timeout
        self.stack = Http("newsdesk (publish)", connect_timeout=min(timeout, 10.0), read_timeout=timeout)
        self.http = self.stack.client(
            auth=(user, password.strip()),
            follow_redirects=False,  # a redirected POST would arrive as a GET
            headers={"Accept": "application/json"},
            transport=transport,
        )

    def __enter__(self) -> WordPress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    # The API ---------------------------------------------------------------

    def request(
        self,
        method: str,
        route: str,
        *,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        doing: str = "answer",
    ) -> Any:
        """Call ``route`` (like ``/wp/v2/posts``); the decoded JSON, or WordPressError."""
        query = {"rest_route": route, **(params or {})}
        try:
            response = self.http.request(method, f"{self.url}/", params=query, json=body)
        except ERRORS as error:
            # Whether the site was reached: "cannot reach URL: connection refused", "cannot
            # talk to URL: timed out: no data for 30 s".
            reached = not (self.stack.unreachable(error) or isinstance(error, (httpx.ConnectTimeout, Refused)))
            verb = "talk to" if reached else "reach"
            raise self.error(f"cannot {verb} {self.url}: {self.stack.reason(error)}") from None
        return self._decode(response, doing)

    def _decode(self, response: httpx.Response, doing: str) -> Any:
        status = response.status_code
        try:
            data = response.json()
        except ValueError:
            data = None
        if 300 <= status < 400:
            where = response.headers.get("location", "elsewhere")
            raise self.error(f"{self.url} redirects to {where}: set the blog's url to the address it redirects to")
        code, message = _wp_error(data)
        if status == 401:
            hint = f" (read from ${self.password_hint})" if self.password_hint else ""
            raise self.error(
                f"{self.url} refused user {self.user!r}: wrong user or application password{hint} "
                f"(401 {code or 'unauthorized'})"
            )
        if status == 403:
            raise self.error(f"user {self.user!r} is not allowed to {doing} (403 {code}: {message})")
        if status == 404 and code == "rest_no_route":
            raise self.error(f"no WordPress REST API at {self.url} (404 rest_no_route): is the url right?")
        if status >= 400:
            what = "rejected the post" if doing.endswith("post") else f"would not {doing}"
            raise self.error(
                f"WordPress {what} ({status} {code or 'error'}): {message or response.reason_phrase}",
                status=status,
                code=code,
                data=data.get("data") if isinstance(data, dict) else None,
            )
        if data is None:
            kind = response.headers.get("content-type", "no content type")
            raise self.error(f"{self.url} did not answer like WordPress (HTTP {status}, {kind}): is the url right?")
        return data

    def error(self, message: str, **details: Any) -> WordPressError:
        return WordPressError(f"{self.name}: {message}" if self.name else message, **details)

    def timezone(self) -> tzinfo | None:
        """The site's timezone as its settings give it (a place, or an offset from UTC);
        None when the site does not say."""
        index = self.request("GET", "/", params={"_fields": "timezone_string,gmt_offset"}, doing="answer")
        if not isinstance(index, dict):
            return None
        name = str(index.get("timezone_string") or "")
        if name:
            try:
                return ZoneInfo(name)
            except (ValueError, ZoneInfoNotFoundError):
                pass  # a name this machine does not know: the offset says the same today
        try:
            hours = float(str(index.get("gmt_offset")))  # "0", "-7", "5.5": WordPress keeps a string
        except (TypeError, ValueError):
            return None
        return timezone(timedelta(hours=hours)) if -24 < hours < 24 else None

    # Terms -----------------------------------------------------------------

    def term_ids(self, taxonomy: str, names: tuple[str, ...] | list[str]) -> list[int]:
        """The ids of categories or tags by name, creating the missing ones."""
        kind = _TAXONOMIES[taxonomy]
        ids = []
        for name in names:
            # WordPress keeps the name as the HTML sent, and searches in that.
            found = self.request(
                "GET", f"/wp/v2/{taxonomy}", params={"search": as_html(name), "per_page": 100}, doing=f"read {taxonomy}"
            )
            match = next(
                (t["id"] for t in found if html.unescape(str(t.get("name", ""))).casefold() == name.casefold()),
                None,
            )
            if match is None:
                try:
                    made = self.request(
                        "POST", f"/wp/v2/{taxonomy}", body={"name": as_html(name)}, doing=f"create the {kind} {name!r}"
                    )
                    match = made["id"]
                except WordPressError as error:
                    # Found under another spelling (search is fuzzy, names are unique): use it.
                    existing = _term_exists(error)
                    if existing is None:
                        raise
                    match = existing
            ids.append(int(match))
        return ids

    # Posts -----------------------------------------------------------------

    def get_post(self, post_id: int) -> dict[str, Any] | None:
        try:
            return self.request(
                "GET", f"/wp/v2/posts/{post_id}", params={"context": "edit"}, doing=f"read post {post_id}"
            )
        except WordPressError as error:
            if error.status in (404, 410):
                return None
            raise

    def find_post(self, slug: str) -> dict[str, Any] | None:
        """The post with this slug, or the one WordPress renamed when it trashed it."""
        found = self.request(
            "GET",
            "/wp/v2/posts",
            params={"slug": f"{slug},{slug}{_TRASHED}", "status": _ANY_STATUS, "context": "edit", "per_page": 10},
            doing="look for the post",
        )
        if not isinstance(found, list) or not found:
            return None
        # A post out of the trash first: that is the one readers may see.
        return min(found, key=lambda post: post.get("status") == "trash")

    def _refuse_trashed(self, post: dict[str, Any]) -> None:
        """Neither restore a post someone trashed nor publish a second one beside it."""
        if post.get("status") == "trash":
            raise self.error(
                f"post {post.get('id')} is in WordPress's trash: restore it on the blog to publish this "
                "issue there again, or delete it permanently to publish it as a new post"
            )

    def save_post(self, fields: dict[str, Any], post_id: int | None = None) -> Post:
        """Update post ``post_id``, or the post with the same slug, or create one.

        ``fields`` are the REST API's, except that the title and the excerpt are text (sent
        escaped) and the content is HTML as a browser should show it.

        Looking the slug up before creating means that losing the recorded id (an issue
        file restored from a backup) still updates the post rather than adding a second."""
        fields = dict(fields)
        for key in ("title", "excerpt"):
            if key in fields:
                fields[key] = as_html(fields[key])
        if "content" in fields:
            fields["content"] = _no_shortcodes(fields["content"])
        note = ""
        if post_id is not None:
            current = self.get_post(post_id)
            if current is None:
                note = f"post {post_id} no longer exists"
                post_id = None
            else:
                self._refuse_trashed(current)
        if post_id is None:
            existing = self.find_post(fields["slug"])
            if existing is not None:
                self._refuse_trashed(existing)
                post_id = int(existing["id"])
                note = f"{note}; " if note else ""
                note += f"found post {post_id} by its slug"
        if post_id is None:
            data = self.request("POST", "/wp/v2/posts", body=fields, doing="create the post")
        else:
            data = self.request("POST", f"/wp/v2/posts/{post_id}", body=fields, doing="update the post")
        try:
            return Post(
                id=int(data["id"]),
                link=str(data["link"]),
                status=str(data["status"]),
                created=post_id is None,
                note=note,
            )
        except (KeyError, TypeError, ValueError):
            raise self.error(f"{self.url} answered the post's save without an id and link") from None


def one_line(body: str, limit: int = 300) -> str:
    """What an answer says, as one line of text for an error: WordPress's messages may be
    HTML (``<h1>Error establishing a database connection</h1>``), with entities and breaks."""
    line = " ".join(clean_text(untrusted_html_to_text(body)).split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def _wp_error(data: Any) -> tuple[str, str]:
    """WordPress's error code and message, with the reasons for invalid parameters."""
    if not isinstance(data, dict):
        return "", ""
    code = one_line(str(data.get("code", "")))
    message = one_line(str(data.get("message", "")))
    params = (data.get("data") or {}).get("params") if isinstance(data.get("data"), dict) else None
    if isinstance(params, dict) and params:
        message = f"{message} (" + "; ".join(one_line(str(v)) for v in params.values()) + ")"
    return code, message.strip()


def _term_exists(error: WordPressError) -> int | None:
    """The id of the term a failed create found already there."""
    if error.code != "term_exists" or not isinstance(error.data, dict):
        return None
    term_id = error.data.get("term_id")
    return int(term_id) if isinstance(term_id, int) else None
