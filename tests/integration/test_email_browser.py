"""The email in a real headless browser (Debian's chromium, over the DevTools protocol):
every piece of text readable, at WCAG AA's 4.5:1, for each theme, in light mode, in dark
mode (prefers-color-scheme: dark, as Apple Mail and iOS Mail apply it), under partial
inversion (a client that lightens dark text on its own and keeps the email's backgrounds,
marking what it changed with data-ogsc, as Outlook.com does) and under full inversion (the
Gmail app's, which marks nothing).

Chromium comes from scripts/ci/chromium.sh. Without it these tests are skipped, except under
CI, where a missing browser is a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from devtools import Browser, find_chromium

from newsdesk.issue import load_issue
from newsdesk.newsroom import Newsroom
from newsdesk.output.render import Renderer
from newsdesk.output.theme import make_theme

pytestmark = pytest.mark.slow

AA = 4.5

# Each text element's colour against the background painted behind it: the first opaque
# background among it and its ancestors, with any translucent ones on the way composited
# over it. Elements that take no space (the hidden preheader) are not seen by anyone.
CONTRAST = r"""
(() => {
  const parse = (value) => {
    const m = value.match(/rgba?\(([^)]*)\)/);
    if (!m) throw new Error("unexpected colour " + value);
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const channel = (c) => { c /= 255; return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
  const luminance = (c) => 0.2126 * channel(c[0]) + 0.7152 * channel(c[1]) + 0.0722 * channel(c[2]);
  const over = (top, under) => [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3])).concat([1]);
  const background = (el) => {
    const layers = [];
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const bg = parse(getComputedStyle(node).backgroundColor);
      if (bg[3] > 0) layers.push(bg);
      if (bg[3] >= 1) break;
    }
    let painted = [255, 255, 255, 1];  // the canvas, if nothing on the way is opaque
    for (const layer of layers.reverse()) painted = over(layer, painted);
    return painted;
  };
  const seen = new Set(), out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let text = walker.nextNode(); text; text = walker.nextNode()) {
    const el = text.parentElement;
    if (!text.textContent.trim() || seen.has(el)) continue;
    seen.add(el);
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    if (style.visibility === "hidden" || box.width === 0 || box.height === 0) continue;
    let opacity = 1;
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) opacity *= Number(getComputedStyle(node).opacity);
    if (opacity < 0.05) continue;
    const fg = over(parse(style.color), background(el)), bg = background(el);
    const [a, b] = [luminance(fg), luminance(bg)].sort((x, y) => y - x);
    out.push({text: el.textContent.trim().slice(0, 80), tag: el.tagName.toLowerCase(),
              color: style.color, background: "rgb(" + bg.slice(0, 3).map(Math.round).join(", ") + ")",
              ratio: Math.round(((a + 0.05) / (b + 0.05)) * 100) / 100});
  }
  return out;
})()
"""

# A client that darkens on its own: every dark text colour lightened (its HSL lightness
# mirrored), the original kept in data-ogsc, as Outlook.com marks what it changed; the
# email's own backgrounds, inline white included, left as they are.
PARTIAL_INVERSION = r"""
(() => {
  const parse = (value) => value.match(/[\d.]+/g).map(Number);
  const hsl = ([r, g, b]) => {
    r /= 255; g /= 255; b /= 255;
    const max = Math.max(r, g, b), min = Math.min(r, g, b), l = (max + min) / 2;
    if (max === min) return [0, 0, l];
    const d = max - min, s = l > 0.5 ? d / (2 - max - min) : d / (max + min);
    const h = max === r ? (g - b) / d + (g < b ? 6 : 0) : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
    return [h * 60, s, l];
  };
  const changes = [];
  for (const el of document.querySelectorAll("body, body *")) {
    const colour = getComputedStyle(el).color, [h, s, l] = hsl(parse(colour));
    if (l < 0.5) changes.push([el, colour, "hsl(" + h + ", " + s * 100 + "%, " + (1 - l) * 100 + "%)"]);
  }
  for (const [el, colour, lighter] of changes) {  // all measured first: colours are inherited
    el.style.setProperty("color", lighter);
    el.setAttribute("data-ogsc", colour);
  }
  return changes.length;
})()
"""


# A client that darkens everything on its own and marks nothing (the Gmail app's full
# inversion): every light background and every dark text colour has its HSL lightness
# mirrored, whatever the email's own rules say.
FULL_INVERSION = r"""
(() => {
  const parse = (value) => value.match(/[\d.]+/g).map(Number);
  const hsl = ([r, g, b]) => {
    r /= 255; g /= 255; b /= 255;
    const max = Math.max(r, g, b), min = Math.min(r, g, b), l = (max + min) / 2;
    if (max === min) return [0, 0, l];
    const d = max - min, s = l > 0.5 ? d / (2 - max - min) : d / (max + min);
    const h = max === r ? (g - b) / d + (g < b ? 6 : 0) : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
    return [h * 60, s, l];
  };
  const mirrored = ([h, s, l]) => "hsl(" + h + ", " + s * 100 + "%, " + (1 - l) * 100 + "%)";
  const changes = [];
  for (const el of document.querySelectorAll("html, body, body *")) {
    const style = getComputedStyle(el), colour = hsl(parse(style.color));
    const background = parse(style.backgroundColor);
    if (colour[2] < 0.5) changes.push([el, "color", mirrored(colour)]);
    if ((background.length < 4 || background[3] > 0) && hsl(background)[2] >= 0.5)
      changes.push([el, "background-color", mirrored(hsl(background))]);
  }
  for (const [el, property, value] of changes) el.style.setProperty(property, value, "important");
  return changes.length;
})()
"""


@pytest.fixture(scope="module")
def browser():
    found = find_chromium()
    if not found:
        reason = "Debian's chromium is not installed: run scripts/ci/chromium.sh"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    with Browser(found) as opened:
        yield opened


# Every theme, each with a brand colour of its own: the default's red, and a blue that
# must be darkened for links on white and lightened for dark mode.
THEMES = {"serif": "#9b1c1c", "sans": "#1a73e8"}


@pytest.fixture(scope="module", params=list(THEMES))
def theme_name(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def email_file(tmp_path_factory, theme_name) -> Path:
    from conftest import copy_sample_newsroom

    root = copy_sample_newsroom(tmp_path_factory.mktemp("email") / "newsroom")
    config = root / "sources.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "[newsroom]\n",
            f'[newsroom]\ntheme = "{theme_name}"\nbrand_colour = "{THEMES[theme_name]}"\n'
            'manage_url = "https://socialcredit.example/settings?email={email}"\n',
            1,
        ),
        encoding="utf-8",
    )
    room = Newsroom.open(root)
    issue = load_issue(room.issues_dir / "2017-07-03.md")
    # Links, a list and a quote in an annotation: the editor's Markdown, styled by the theme.
    issue.developments[1].annotation += (
        "\n\nSee [the city's rules](https://suqian.example/rules):\n\n- one [file](https://suqian.example/file)"
        " per official\n\n> Integrity first."
    )
    path = room.root / "email.html"
    path.write_text(Renderer(room).email_html(issue, recipient="reader@example.org"), encoding="utf-8")
    return path


def measured(browser: Browser, email_file: Path, mode: str, width: int) -> list[dict]:
    browser.open(email_file.as_uri(), width=width, dark=mode == "dark")
    if mode == "partial inversion":
        assert browser.evaluate(PARTIAL_INVERSION) > 0
    if mode == "full inversion":
        assert browser.evaluate(FULL_INVERSION) > 0
    return browser.evaluate(CONTRAST)


@pytest.mark.parametrize("width", [320, 420, 600, 1200])
@pytest.mark.parametrize("mode", ["light", "dark", "partial inversion", "full inversion"])
def test_every_text_element_reaches_4_5_to_1(browser, email_file, mode, width):
    elements = measured(browser, email_file, mode, width)
    texts = " ".join(e["text"] for e in elements)
    # All of it was measured: masthead, headlines, body, links and footer.
    for expected in (
        "Social Credit Weekly News Summary",
        "Issue 2",
        "Hebei invites the public",
        "Read more",
        "Unsubscribe",
        "Shared under CC BY",
    ):
        assert expected in texts, (expected, texts)
    poor = [e for e in elements if e["ratio"] < AA]
    assert poor == [], "\n".join(
        f"{e['ratio']}:1 {e['tag']} {e['color']} on {e['background']}: {e['text']}" for e in poor
    )


LINK_COLOURS = """[].map.call(document.querySelectorAll("a[href^='https://suqian.example/']"),
                                 (a) => getComputedStyle(a).color)"""


def rgb(colour: str) -> str:
    return f"rgb({int(colour[1:3], 16)}, {int(colour[3:5], 16)}, {int(colour[5:7], 16)})"


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_links_in_annotations_are_the_themes_colour(browser, email_file, theme_name, mode):
    browser.open(email_file.as_uri(), width=600, dark=mode == "dark")
    theme = make_theme(THEMES[theme_name], theme_name)
    palette = theme.light if mode == "light" else theme.dark
    assert browser.evaluate(LINK_COLOURS) == [rgb(palette.link)] * 2


# Heights of what a thumb must hit (the read-more links and the footer's row of links; a link
# inside a sentence is exempt, as WCAG 2.2 has it), and the characters a line of body text holds.
LAYOUT = r"""
(() => {
  const targets = [].map.call(document.querySelectorAll("a.nd-button, td.nd-footer p:last-child a"), (a) => {
    const box = a.getBoundingClientRect();
    return {text: a.textContent.trim(), height: box.height, top: box.top};
  });
  const paragraph = document.querySelector("td.nd-text h2 ~ p");
  const lines = paragraph.getBoundingClientRect().height / parseFloat(getComputedStyle(paragraph).lineHeight);
  const card = document.querySelector(".nd-card").getBoundingClientRect();
  return {targets: targets, perLine: paragraph.textContent.length / Math.round(lines),
          card: {left: card.left, top: card.top, right: card.right}, width: innerWidth};
})()
"""


@pytest.mark.parametrize("width", [320, 600, 1200])
def test_tap_targets_measure_and_gutters(browser, email_file, width):
    browser.open(email_file.as_uri(), width=width)
    layout = browser.evaluate(LAYOUT)
    names = [t["text"] for t in layout["targets"]]
    assert len([n for n in names if n.startswith("Read more at ")]) == 3
    assert {"View in your browser", "Past issues", "Manage your subscription", "Unsubscribe"} <= set(names)
    assert [t for t in layout["targets"] if t["height"] < 44] == []
    if width >= 600:
        assert 55 <= layout["perLine"] <= 75, layout["perLine"]  # a comfortable measure
    if width > 600:
        assert layout["card"]["top"] > 0 and layout["card"]["left"] > 0  # the page shows around it
    else:
        assert layout["perLine"] >= 30


# Where the reading starts: the top of the first paragraph after the masthead, and of the
# first headline.
MASTHEAD = r"""
(() => {
  const top = (selector) => document.querySelector(selector).getBoundingClientRect().top;
  return {intro: top("td.nd-text p"), headline: top("td.nd-text h2"), brand: top("td.nd-brand")};
})()
"""


@pytest.mark.parametrize("width", [320, 1200])
def test_the_masthead_is_one_brand_line_before_the_reading(browser, email_file, width):
    browser.open(email_file.as_uri(), width=width)
    where = browser.evaluate(MASTHEAD)
    # The name, and the number and date: two lines of small print (the name wraps once on a
    # phone), the page's margin and the card's padding above them.
    assert where["intro"] - where["brand"] <= (100 if width == 320 else 80), where
    assert where["headline"] < (400 if width == 320 else 320), where  # y≈425 at 320 px with the old masthead


# The backgrounds painted in the email's column, page and card alike, that are light.
LIGHT_BACKGROUNDS = r"""
(() => {
  const out = [];
  for (const el of document.querySelectorAll("body, body *")) {
    const m = getComputedStyle(el).backgroundColor.match(/[\d.]+/g).map(Number);
    if ((m.length < 4 || m[3] > 0) && (m[0] + m[1] + m[2]) / 3 > 128 && el.getBoundingClientRect().height > 0)
      out.push(el.tagName.toLowerCase() + "." + el.className + " " + getComputedStyle(el).backgroundColor);
  }
  return out;
})()
"""


@pytest.mark.parametrize("width", [320, 1200])
def test_dark_mode_leaves_no_light_box(browser, email_file, width):
    browser.open(email_file.as_uri(), width=width, dark=True)
    assert browser.evaluate(LIGHT_BACKGROUNDS) == []


# The vertical rhythm: the margins of the text's blocks, and the gaps a reader sees between
# a headline and its text, between paragraphs, and between a divider and the next headline.
RHYTHM = r"""
(() => {
  const blocks = document.querySelectorAll("td.nd-text p, td.nd-text h1, td.nd-text h2, td.nd-text li, "
                                           + "td.nd-text ul, td.nd-text blockquote, td.nd-footer p, td.nd-brand p");
  const margins = [].map.call(blocks, (el) => [parseFloat(getComputedStyle(el).marginTop),
                                              parseFloat(getComputedStyle(el).marginBottom)]).flat();
  const gap = (a, b) => b.getBoundingClientRect().top - a.getBoundingClientRect().bottom;
  const h2 = document.querySelector("td.nd-text h2"), text = h2.nextElementSibling;
  const paragraphs = [].filter.call(document.querySelectorAll("td.nd-text p + p"),
                                    (p) => !p.querySelector(".nd-button") && !p.previousElementSibling.querySelector(".nd-button"));
  const rule = h2.closest("tr").previousElementSibling.querySelector("td.nd-rule p");
  return {margins: margins, headingToText: gap(h2, text), ruleToHeading: gap(rule, h2),
          betweenParagraphs: paragraphs.map((p) => gap(p.previousElementSibling, p))};
})()
"""


@pytest.mark.parametrize("width", [320, 1200])
def test_spacing_keeps_an_8_px_rhythm(browser, email_file, width):
    browser.open(email_file.as_uri(), width=width)
    rhythm = browser.evaluate(RHYTHM)
    assert [m for m in rhythm["margins"] if m % 8] == []
    assert rhythm["headingToText"] == 8 and rhythm["ruleToHeading"] == 24
    assert rhythm["betweenParagraphs"] and set(rhythm["betweenParagraphs"]) == {16}
