"""newsdesk: a desk for editors of a curated weekly newsletter."""

__version__ = "0.1.0"
