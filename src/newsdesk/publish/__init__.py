"""An issue published to the blog targets: the static site and WordPress."""
