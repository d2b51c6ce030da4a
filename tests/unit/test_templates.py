"""The sample newsroom's templates (the repository's templates/ and the tests' copy) are the
packaged defaults: an editor who copies one starts from what newsdesk renders."""

from pathlib import Path

import pytest

from newsdesk.output.render import DEFAULT_TEMPLATES

ROOT = Path(__file__).resolve().parents[2]
COPIES = [ROOT / "templates", ROOT / "tests" / "fixtures" / "newsroom" / "templates"]
DEFAULTS = sorted(path.name for path in DEFAULT_TEMPLATES.iterdir() if path.is_file())


@pytest.mark.parametrize("copy", COPIES, ids=["templates", "tests-fixture"])
def test_the_copies_are_the_packaged_defaults(copy):
    assert sorted(path.name for path in copy.iterdir() if path.is_file()) == DEFAULTS
    differing = [name for name in DEFAULTS if (copy / name).read_bytes() != (DEFAULT_TEMPLATES / name).read_bytes()]
    assert differing == [], f"{copy} differs from {DEFAULT_TEMPLATES} in {differing}: copy the defaults over"
