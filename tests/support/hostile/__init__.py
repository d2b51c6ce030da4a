"""Hostile feeds: a corpus of small files (corpus/) and generators for the big ones."""
