"""The desk: newsdesk's terminal UI. The only package that imports Textual."""
