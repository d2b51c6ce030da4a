"""The sources.toml a new newsroom starts with: every setting shown, with its default."""

from __future__ import annotations

import json


def starter_config(name: str) -> str:
    quoted = json.dumps(name, ensure_ascii=False)
    return f"""# newsdesk newsroom settings. Every key is optional except each source's name and url.

[newsroom]
name = {quoted}
sender_name = ""
sender_email = ""
reply_to = ""
blog_url = "https://example.org"
developments = 3          # developments per issue
week_start = "monday"     # the first day of the week an issue covers
publication_day = "monday"
timezone = "UTC"          # an IANA name, e.g. "Asia/Shanghai"
project = ""              # shown in the footer
copyright = ""
clean_links = true        # picked items' links lose utm_*, fbclid, gclid, mc_eid and the like
tracking_params = []      # more query parameters to take out, e.g. ["ref", "src_*"]

# [fetch]
# concurrency = 16
# feed_deadline = 45       # seconds one feed may take in all
# max_bytes = 10000000     # the largest feed body accepted

# One [[sources]] table per feed: http(s) URL, file:// URL or a path in this folder.
# [[sources]]
# name = "Example feed"
# url = "https://example.org/feed.xml"
# tags = ["policy"]
# weight = 1.0
# enabled = true
"""
