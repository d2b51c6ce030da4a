"""The service's pages: plain HTML, one small stylesheet, every value escaped.

Each page is a whole document with a heading and a sentence or two; the error pages say
what went wrong in words, never with a traceback.
"""

from __future__ import annotations

from html import escape

_STYLE = """
body { font: 18px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1d1d1f;
       background: #fafaf7; margin: 0; padding: 2rem 1rem; }
main { max-width: 32rem; margin: 0 auto; }
h1 { font-size: 1.5rem; line-height: 1.25; margin: 0 0 1rem; }
label { display: block; font-size: 0.9rem; color: #555; margin-top: 0.75rem; }
input[type=email], input[type=text] { width: 100%; box-sizing: border-box; min-height: 44px; font: inherit;
       padding: 0.4rem 0.6rem; border: 1px solid #888; border-radius: 4px; }
button { min-height: 44px; margin-top: 1rem; font-family: inherit; font-size: 1rem; font-weight: 600;
       line-height: 1; padding: 0 1.25rem; border: 0;
       border-radius: 4px; background: #8a1c1c; color: #fff; cursor: pointer; }
.website { position: absolute; left: -10000px; width: 1px; height: 1px; overflow: hidden; }
@media (prefers-color-scheme: dark) { body { background: #161616; color: #eee; } label { color: #bbb; } }
"""


def page(title: str, *paragraphs: str, body_html: str = "", list_name: str = "") -> str:
    """A whole page: ``paragraphs`` are text (escaped here), ``body_html`` is markup."""
    heading = escape(title)
    where = f" · {escape(list_name)}" if list_name and list_name not in title else ""  # the name once
    text = "".join(f"<p>{escape(paragraph)}</p>\n" for paragraph in paragraphs)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex">\n'
        f"<title>{heading}{where}</title>\n<style>{_STYLE}</style>\n</head>\n"
        f"<body>\n<main>\n<h1>{heading}</h1>\n{text}{body_html}</main>\n</body>\n</html>\n"
    )


def signup_form(list_name: str, action: str = "/subscribe") -> str:
    """The sign-up form: email, name, and ``website``, a honeypot hidden from people (and
    from screen readers) that only robots fill in."""
    return page(
        f"Subscribe to {list_name}",
        "One email a week. You will get a message with a link to confirm; nothing is sent before you follow it.",
        body_html=(
            f'<form method="post" action="{escape(action)}">\n'
            '<label for="email">Email address</label>\n'
            '<input id="email" type="email" name="email" required maxlength="254" autocomplete="email">\n'
            '<label for="name">Name (optional)</label>\n'
            '<input id="name" type="text" name="name" maxlength="100" autocomplete="name">\n'
            '<p class="website" aria-hidden="true"><label for="website">Leave this field empty</label>\n'
            '<input id="website" type="text" name="website" tabindex="-1" autocomplete="off"></p>\n'
            '<button type="submit">Subscribe</button>\n'
            "</form>\n"
        ),
        list_name=list_name,
    )


def button_page(title: str, text: str, action: str, button: str, list_name: str, fields: dict[str, str]) -> str:
    """A page whose one button POSTs ``fields`` to ``action`` (GET never acts by itself)."""
    hidden = "".join(
        f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">\n' for name, value in fields.items()
    )
    form = f'<form method="post" action="{escape(action)}">\n{hidden}<button type="submit">{escape(button)}</button>\n</form>\n'
    return page(title, text, body_html=form, list_name=list_name)
