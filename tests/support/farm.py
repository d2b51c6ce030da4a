"""A feed farm: N realistic feeds made from a seed, and a loopback server for them.

    .venv/bin/python tests/support/farm.py --feeds 200                 # describe the farm
    .venv/bin/python tests/support/farm.py --feeds 200 --write /tmp/f  # write it to a folder
    .venv/bin/python tests/support/farm.py --feeds 200 --serve         # serve it until Ctrl+C

The feeds are what a newsroom follows in practice: WordPress RSS 2.0 with
content:encoded, Atom with html and with xhtml content, RSS 1.0; 10 to 100 items each;
sizes from 5 KB to about 2 MB, most of them small (a 200-feed farm is about 42 MB);
some in Chinese, some of those encoded as GB2312 or GBK; and stories that several
outlets carry, each linking it with its own tracking parameters. The same seed gives
the same bytes.

The server (asyncio, 127.0.0.1 only) waits a configurable latency before each answer,
honours If-None-Match and If-Modified-Since with 304, gzips when asked, and counts
requests, 304s, bytes and the most connections open at once.
"""

from __future__ import annotations

import argparse
import asyncio
import email.utils
import gzip
import hashlib
import html
import random
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

BASE_TIME = datetime(2017, 7, 2, 12, 0, tzinfo=UTC)  # the farm's "now": its newest item
MIN_SIZE, MAX_SIZE = 5_000, 2_000_000
SKEW = 1.7  # quantile exponent of the size distribution: median ~30 KB, mean ~210 KB
KINDS = ("rss2-wordpress", "rss2-wordpress", "atom-html", "atom-xhtml", "rss1")

# Common characters, all in GB2312, so a Chinese feed encodes in GB2312 and GBK alike.
HANZI = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过"
    "子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制"
    "机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正"
    "心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党"
    "程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角"
    "期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压"
    "志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万"
    "每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林"
    "律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史"
    "感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层"
    "片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严"
)
WORDS = (
    "credit system rating score court blacklist company regulator pilot city province data "
    "platform market finance bank loan trust record policy document council notice ministry "
    "enforcement debtor travel ban flight train ticket public list punishment reward joint "
    "mechanism standard industry tax customs environment food safety supervision government "
    "report analysis research translation commentary draft rules information sharing national "
    "local official announced published week month plan measures guidance social the of and to "
    "in for on with by from at as is are was were will would could should new more most about"
).split()
TRACKING = (
    "utm_source=feed&utm_medium=rss&utm_campaign=weekly",
    "utm_source=rss&utm_medium=feed",
    "fbclid=IwAR0farm",
    "utm_source=twitter&utm_medium=social&utm_content=story",
    "gclid=farm123&utm_term=credit",
    "mc_cid=f00d&mc_eid=beef",
)


@dataclass(frozen=True)
class Story:
    """A development several outlets may carry."""

    key: int
    title: str
    url: str
    chinese: bool


@dataclass(frozen=True)
class FarmFeed:
    path: str  # "/feeds/007.xml"
    body: bytes
    content_type: str
    kind: str  # one of KINDS
    language: str  # "en" or "zh"
    encoding: str  # "utf-8", "gb2312" or "gbk"
    items: int
    modified: float  # Last-Modified, as a POSIX time

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self.body).hexdigest()[:20] + '"'


class _Writer:
    """Sentences and paragraphs from a fixed pool, so making 40 MB of text is quick."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.english = [self._english_sentence() for _ in range(600)]
        self.chinese = [self._chinese_sentence() for _ in range(600)]

    def _english_sentence(self) -> str:
        words = self.rng.choices(WORDS, k=self.rng.randint(8, 22))
        return words[0].capitalize() + " " + " ".join(words[1:]) + "."

    def _chinese_sentence(self) -> str:
        chars = self.rng.choices(HANZI, k=self.rng.randint(12, 40))
        cut = self.rng.randint(4, len(chars) - 4)
        return "".join(chars[:cut]) + "，" + "".join(chars[cut:]) + "。"

    def sentence(self, chinese: bool) -> str:
        return self.rng.choice(self.chinese if chinese else self.english)

    def title(self, chinese: bool) -> str:
        if chinese:
            return "".join(self.rng.choices(HANZI, k=self.rng.randint(8, 20)))
        words = self.rng.choices(WORDS, k=self.rng.randint(5, 11))
        return " ".join(w.capitalize() if i == 0 or len(w) > 4 else w for i, w in enumerate(words))

    def paragraph(self, chinese: bool) -> str:
        return ("" if chinese else " ").join(self.sentence(chinese) for _ in range(self.rng.randint(2, 6)))


def _with_tracking(url: str, rng: random.Random) -> str:
    return url + ("&" if "?" in url else "?") + rng.choice(TRACKING)


def _body_html(writer: _Writer, rng: random.Random, chinese: bool, size: int, site: str) -> str:
    """An article body in WordPress style, about ``size`` characters, XHTML-clean
    (void elements closed, attributes quoted, no named entities) so it also fits Atom's
    xhtml content."""
    parts: list[str] = []
    total = 0
    n = 0
    while total < size:
        n += 1
        roll = rng.random()
        text = html.escape(writer.paragraph(chinese), quote=False)
        if roll < 0.55:
            piece = f"<p>{text}</p>"
        elif roll < 0.70:
            link = _with_tracking(f"https://{site}/{rng.randint(1000, 9999)}/related", rng)
            piece = (
                f'<p>{text[: len(text) // 2]} <a href="{html.escape(link)}" rel="noopener">'
                f"<strong>{text[len(text) // 2 :]}</strong></a></p>"
            )
        elif roll < 0.78:
            image = f"https://{site}/wp-content/uploads/2017/06/photo-{rng.randint(1, 999)}.jpg"
            piece = (
                f'<figure class="wp-caption" style="width: 640px"><img class="size-large" '
                f'src="{image}" alt="{text[:30]}" width="640" height="360" '
                f'srcset="{image} 640w, {image}?w=300 300w" sizes="(max-width: 640px) 100vw, 640px"/>'
                f"<figcaption>{text[:80]}</figcaption></figure>"
            )
        elif roll < 0.85:
            items = "".join(
                f"<li>{html.escape(writer.sentence(chinese), quote=False)}</li>" for _ in range(rng.randint(2, 5))
            )
            piece = f"<ul>{items}</ul>"
        elif roll < 0.90:
            piece = f"<blockquote><p><em>{text}</em></p></blockquote>"
        elif roll < 0.94:
            piece = f"<h2>{html.escape(writer.title(chinese), quote=False)}</h2>"
        elif roll < 0.97:
            piece = (
                '<div class="sharedaddy sd-sharing-enabled"><script type="text/javascript">'
                "window.share = {counts: 1};</script>"
                f'<a class="share-twitter" href="https://{site}/?share=twitter" target="_blank">Twitter</a></div>'
            )
        else:
            piece = (
                f'<p><iframe width="560" height="315" src="https://video.example/embed/{rng.randint(1, 99999)}" '
                'frameborder="0" allowfullscreen="allowfullscreen"></iframe></p>'
            )
        parts.append(piece)
        total += len(piece)
    parts.append(f'<img src="https://{site}/pixel.gif?n={n}" width="1" height="1" alt=""/>')  # a tracking pixel
    return "\n".join(parts)


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


@dataclass
class _Entry:
    title: str
    link: str
    guid: str
    published: datetime
    author: str
    categories: list[str]
    excerpt: str
    body: str


def _rss2(site: str, title: str, entries: list[_Entry], language: str, encoding: str) -> str:
    out = [
        f'<?xml version="1.0" encoding="{encoding.upper()}"?>',
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:wfw="http://wellformedweb.org/CommentAPI/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:atom="http://www.w3.org/2005/Atom" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/" '
        'xmlns:slash="http://purl.org/rss/1.0/modules/slash/">',
        "<channel>",
        f"\t<title>{html.escape(title)}</title>",
        f'\t<atom:link href="https://{site}/feed/" rel="self" type="application/rss+xml" />',
        f"\t<link>https://{site}</link>",
        f"\t<description>{html.escape(title)}: news and analysis</description>",
        f"\t<lastBuildDate>{email.utils.format_datetime(entries[0].published)}</lastBuildDate>",
        f"\t<language>{'zh-CN' if language == 'zh' else 'en-US'}</language>",
        "\t<sy:updatePeriod>hourly</sy:updatePeriod>",
        "\t<sy:updateFrequency>1</sy:updateFrequency>",
        "\t<generator>https://wordpress.org/?v=4.8</generator>",
    ]
    for e in entries:
        cats = "".join(f"\t\t<category>{_cdata(c)}</category>\n" for c in e.categories)
        out.append(
            "\t<item>\n"
            f"\t\t<title>{html.escape(e.title, quote=False)}</title>\n"
            f"\t\t<link>{html.escape(e.link)}</link>\n"
            f"\t\t<comments>{html.escape(e.link)}#respond</comments>\n"
            f"\t\t<pubDate>{email.utils.format_datetime(e.published)}</pubDate>\n"
            f"\t\t<dc:creator>{_cdata(e.author)}</dc:creator>\n"
            f"{cats}"
            f'\t\t<guid isPermaLink="false">{html.escape(e.guid)}</guid>\n'
            f"\t\t<description>{_cdata(e.excerpt + ' [&#8230;]')}</description>\n"
            + (f"\t\t<content:encoded>{_cdata(e.body)}</content:encoded>\n" if e.body else "")
            + f"\t\t<wfw:commentRss>{html.escape(e.link)}feed/</wfw:commentRss>\n"
            f"\t\t<slash:comments>{len(e.categories)}</slash:comments>\n"
            "\t</item>"
        )
    out += ["</channel>", "</rss>", ""]
    return "\n".join(out)


def _atom(site: str, title: str, entries: list[_Entry], language: str, encoding: str, xhtml: bool) -> str:
    out = [
        f'<?xml version="1.0" encoding="{encoding}"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{language}">',
        f"  <title>{html.escape(title)}</title>",
        f"  <id>tag:{site},2017:feed</id>",
        f"  <updated>{entries[0].published.isoformat()}</updated>",
        f'  <link rel="alternate" type="text/html" href="https://{site}/"/>',
        f'  <link rel="self" type="application/atom+xml" href="https://{site}/atom.xml"/>',
        "  <generator>farm</generator>",
    ]
    for n, e in enumerate(entries):
        # Titles alternate between Atom's text and html types, as real feeds do.
        title_type = "html" if n % 3 == 0 else "text"
        title_value = html.escape(f"<b>{e.title}</b>" if title_type == "html" and n % 2 else e.title, quote=False)
        if not e.body:
            content = ""
        elif xhtml:
            content = f'<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">{e.body}</div></content>'
        else:
            content = f'<content type="html">{html.escape(e.body, quote=False)}</content>'
        cats = "".join(f'<category term="{html.escape(c)}"/>' for c in e.categories)
        out.append(
            "  <entry>\n"
            f'    <title type="{title_type}">{title_value}</title>\n'
            f'    <link rel="alternate" type="text/html" href="{html.escape(e.link)}"/>\n'
            f"    <id>{html.escape(e.guid)}</id>\n"
            f"    <published>{e.published.isoformat()}</published>\n"
            f"    <updated>{(e.published + timedelta(hours=2)).isoformat()}</updated>\n"
            f"    <author><name>{html.escape(e.author)}</name></author>\n"
            f"    {cats}\n"
            f'    <summary type="html">{html.escape(e.excerpt, quote=False)}</summary>\n'
            f"    {content}\n"
            "  </entry>"
        )
    out += ["</feed>", ""]
    return "\n".join(out)


def _rss1(site: str, title: str, entries: list[_Entry], language: str, encoding: str) -> str:
    seq = "".join(f'<rdf:li rdf:resource="{html.escape(e.link)}"/>' for e in entries)
    out = [
        f'<?xml version="1.0" encoding="{encoding}"?>',
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/">',
        f'<channel rdf:about="https://{site}/index.rdf">',
        f"<title>{html.escape(title)}</title>",
        f"<link>https://{site}/</link>",
        f"<description>{html.escape(title)}</description>",
        f"<dc:language>{language}</dc:language>",
        f"<items><rdf:Seq>{seq}</rdf:Seq></items>",
        "</channel>",
    ]
    for e in entries:
        subjects = "".join(f"<dc:subject>{html.escape(c)}</dc:subject>" for c in e.categories)
        out.append(
            f'<item rdf:about="{html.escape(e.link)}">\n'
            f"<title>{html.escape(e.title, quote=False)}</title>\n"
            f"<link>{html.escape(e.link)}</link>\n"
            f"<description>{html.escape(e.excerpt, quote=False)}</description>\n"
            + (f"<content:encoded>{_cdata(e.body)}</content:encoded>\n" if e.body else "")
            + f"<dc:date>{e.published.isoformat()}</dc:date>\n"
            f"<dc:creator>{html.escape(e.author)}</dc:creator>\n"
            f"{subjects}\n"
            "</item>"
        )
    out += ["</rdf:RDF>", ""]
    return "\n".join(out)


def _sizes(count: int, rng: random.Random) -> list[int]:
    """Target sizes at evenly spaced quantiles of a skewed distribution, shuffled."""
    sizes = [int(MIN_SIZE * (MAX_SIZE / MIN_SIZE) ** (((i + 0.5) / count) ** SKEW)) for i in range(count)]
    rng.shuffle(sizes)
    return sizes


def make_farm(count: int = 200, seed: int = 1) -> list[FarmFeed]:
    """``count`` feeds, the same bytes for the same seed."""
    rng = random.Random(seed)
    writer = _Writer(rng)
    stories = [
        Story(
            key=n,
            title=writer.title(n % 5 == 0),
            url=f"https://wire{n % 7}.example/2017/06/story-{n}",
            chinese=n % 5 == 0,
        )
        for n in range(max(30, count))
    ]
    feeds = []
    for index, size in enumerate(_sizes(count, rng)):
        # Items are made twice: the second time with bodies sized to land on the target.
        n_items = random.Random(f"{seed}/{index}/count").randint(10, max(10, min(100, size // 450)))
        budget = size / n_items - 1000
        feed = _make_feed(index, seed, n_items, budget, writer, stories)
        budget += (size - len(feed.body)) / n_items
        feeds.append(_make_feed(index, seed, n_items, budget, writer, stories))
    return feeds


def _make_feed(index: int, seed: int, n_items: int, budget: float, writer: _Writer, stories: list[Story]) -> FarmFeed:
    rng = random.Random(f"{seed}/{index}")
    writer.rng = rng
    kind = KINDS[index % len(KINDS)]
    chinese = index % 7 == 3  # about one feed in seven
    encoding = "utf-8"
    if chinese and index % 3 == 1:
        encoding = "gb2312"
    elif chinese and index % 3 == 2:
        encoding = "gbk"
    # Chinese characters take 2 bytes in GB2312/GBK and 3 in UTF-8, 1 character each.
    per_char = 1 if not chinese else (2 if encoding != "utf-8" else 3)
    site = f"outlet{index:03d}.example"
    title = writer.title(chinese) if chinese else f"Outlet {index:03d}: " + writer.title(False)
    shared = [s for s in stories if s.chinese == chinese]
    entries = []
    for n in range(n_items):
        published = BASE_TIME - timedelta(minutes=37 * n + index, days=rng.random() * 0.2 * n)
        if rng.random() < 0.3 and shared:
            story = shared.pop(rng.randrange(len(shared)))  # another outlet's story, this one's tracking
            link, item_title = _with_tracking(story.url, rng), story.title
        else:
            link = f"https://{site}/2017/06/{index}-{n}/"
            item_title = writer.title(chinese)
        share = rng.uniform(0.6, 1.4)
        size = int(budget * share / per_char)
        body = _body_html(writer, rng, chinese, size, site) if size > 150 else ""
        entries.append(
            _Entry(
                title=item_title,
                link=link,
                guid=f"https://{site}/?p={index * 1000 + n}",
                published=published,
                author=rng.choice(["Li Wei", "Jane Doe", "编辑部", "Staff"]),
                categories=rng.sample(["Credit", "Policy", "Courts", "Finance", "信用", "政策"], k=rng.randint(1, 3)),
                excerpt=writer.paragraph(chinese)[: 300 if body else 120],
                body=body,
            )
        )
    language = "zh" if chinese else "en"
    if kind == "rss2-wordpress":
        text = _rss2(site, title, entries, language, encoding)
        mime = "application/rss+xml"
    elif kind == "rss1":
        text = _rss1(site, title, entries, language, encoding)
        mime = "application/rdf+xml"
    else:
        text = _atom(site, title, entries, language, encoding, xhtml=kind == "atom-xhtml")
        mime = "application/atom+xml"
    return FarmFeed(
        path=f"/feeds/{index:03d}.xml",
        body=text.encode(encoding),
        content_type=f"{mime}; charset={encoding}",
        kind=kind,
        language=language,
        encoding=encoding,
        items=n_items,
        modified=(BASE_TIME - timedelta(minutes=index)).timestamp(),
    )


# The server -----------------------------------------------------------------


@dataclass
class Counters:
    requests: int = 0
    ok: int = 0  # 200 with a body
    not_modified: int = 0
    gzipped: int = 0
    bytes_sent: int = 0
    open_connections: int = 0
    max_connections: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    conditional: int = 0  # requests that carried a validator

    def snapshot(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class FarmServer:
    """Serves a farm on 127.0.0.1 from a thread of its own (its own event loop)."""

    feeds: list[FarmFeed]
    latency: float = 0.05
    gzip_level: int = 6
    counters: Counters = field(default_factory=Counters)

    def __post_init__(self) -> None:
        self.routes = {f.path: f for f in self.feeds}
        # Compressed once, before any timing starts.
        self.gzipped = {f.path: gzip.compress(f.body, self.gzip_level, mtime=0) for f in self.feeds}
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._server: asyncio.Server | None = None

    def url(self, feed: FarmFeed) -> str:
        return f"http://127.0.0.1:{self.port}{feed.path}"

    def urls(self) -> list[str]:
        return [self.url(f) for f in self.feeds]

    def reset_counters(self) -> None:
        self.counters = Counters()

    def start(self) -> FarmServer:
        self._thread = threading.Thread(target=self._run, name="farm-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the farm server did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._server is not None:
            self._loop.call_soon_threadsafe(self._server.close)
            self._loop.call_soon_threadsafe(self._stop_loop)
        if self._thread is not None:
            self._thread.join(10)
        self._thread = None

    def __enter__(self) -> FarmServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _stop_loop(self) -> None:
        assert self._loop is not None
        for task in asyncio.all_tasks(self._loop):
            task.cancel()
        self._loop.call_soon(self._loop.stop)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._server = loop.run_until_complete(asyncio.start_server(self._connection, "127.0.0.1", 0, backlog=512))
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(asyncio.sleep(0))
            loop.close()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        c = self.counters
        c.open_connections += 1
        c.max_connections = max(c.max_connections, c.open_connections)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    return
                keep_alive = await self._answer(head, writer)
                await writer.drain()
                if not keep_alive:
                    return
        except (ConnectionError, asyncio.CancelledError):
            return
        finally:
            c.open_connections -= 1
            writer.close()

    async def _answer(self, head: bytes, writer: asyncio.StreamWriter) -> bool:
        c = self.counters
        c.requests += 1
        c.in_flight += 1
        c.max_in_flight = max(c.max_in_flight, c.in_flight)
        try:
            lines = head.decode("latin-1").split("\r\n")
            method, target, version = (lines[0].split(" ") + ["", "", ""])[:3]
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            keep_alive = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
            if self.latency:
                await asyncio.sleep(self.latency)
            feed = self.routes.get(target.split("?", 1)[0])
            if method not in ("GET", "HEAD") or feed is None:
                writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                return keep_alive
            modified = email.utils.formatdate(feed.modified, usegmt=True)
            if "if-none-match" in headers or "if-modified-since" in headers:
                c.conditional += 1
            if _not_modified(headers, feed.etag, feed.modified):
                c.not_modified += 1
                writer.write(
                    f"HTTP/1.1 304 Not Modified\r\nETag: {feed.etag}\r\nLast-Modified: {modified}\r\n\r\n".encode()
                )
                return keep_alive
            body = feed.body
            extra = ""
            if "gzip" in headers.get("accept-encoding", "").lower():
                body = self.gzipped[feed.path]
                extra = "Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n"
                c.gzipped += 1
            c.ok += 1
            c.bytes_sent += len(body)
            writer.write(
                (
                    f"HTTP/1.1 200 OK\r\nContent-Type: {feed.content_type}\r\nContent-Length: {len(body)}\r\n"
                    f"ETag: {feed.etag}\r\nLast-Modified: {modified}\r\n{extra}"
                    f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n"
                ).encode()
            )
            if method == "GET":
                writer.write(body)
            return keep_alive
        finally:
            c.in_flight -= 1


def _not_modified(headers: dict[str, str], etag: str, modified: float) -> bool:
    """RFC 9110: If-None-Match decides when present; otherwise If-Modified-Since."""
    if "if-none-match" in headers:
        tags = [t.strip() for t in headers["if-none-match"].split(",")]
        return etag in tags or "*" in tags or f"W/{etag}" in tags
    since = headers.get("if-modified-since")
    if since:
        try:
            return email.utils.parsedate_to_datetime(since).timestamp() >= int(modified)
        except (TypeError, ValueError):
            return False
    return False


# The command ----------------------------------------------------------------


def describe(feeds: list[FarmFeed]) -> str:
    sizes = sorted(len(f.body) for f in feeds)
    total = sum(sizes)
    kinds: dict[str, int] = {}
    for f in feeds:
        kinds[f.kind] = kinds.get(f.kind, 0) + 1
    encodings: dict[str, int] = {}
    for f in feeds:
        encodings[f.encoding] = encodings.get(f.encoding, 0) + 1
    return "\n".join(
        [
            f"{len(feeds)} feeds, {total / 1e6:.1f} MB, {sum(f.items for f in feeds):,} items",
            f"sizes: min {sizes[0] / 1e3:.0f} KB, median {sizes[len(sizes) // 2] / 1e3:.0f} KB, "
            f"max {sizes[-1] / 1e6:.2f} MB",
            "kinds: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())),
            "Chinese: "
            + str(sum(f.language == "zh" for f in feeds))
            + " ("
            + ", ".join(f"{k} {v}" for k, v in sorted(encodings.items()))
            + ")",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds before each answer")
    parser.add_argument("--write", type=Path, help="write the feeds into this folder")
    parser.add_argument("--serve", action="store_true", help="serve the farm on 127.0.0.1 until Ctrl+C")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    feeds = make_farm(args.feeds, args.seed)
    print(describe(feeds))
    print(f"made in {time.perf_counter() - started:.1f} s")
    if args.write:
        args.write.mkdir(parents=True, exist_ok=True)
        for feed in feeds:
            (args.write / Path(feed.path).name).write_bytes(feed.body)
        print(f"written to {args.write}")
    if args.serve:
        with FarmServer(feeds, latency=args.latency) as server:
            print(f"serving http://127.0.0.1:{server.port}/feeds/000.xml ... (Ctrl+C stops)")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
            print(server.counters.snapshot())
    return 0


if __name__ == "__main__":
    sys.exit(main())
