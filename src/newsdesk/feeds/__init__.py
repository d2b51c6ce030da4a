"""Feeds in: download (httpx), decode, parse, and the sources' OPML."""
