"""Errors an editor sees as one clear line, and the exit codes they map to."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1  # the work ran but did not succeed (no source fetched, mail refused)
EXIT_INVALID = 2  # bad input: config, issue file, arguments, unknown item
EXIT_REFUSED = 3  # refused to act: would overwrite, --strict, newsroom busy


class NewsdeskError(Exception):
    """An error with a one-line message meant for the editor, and an exit code."""

    exit_code = EXIT_FAILED

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code

    @property
    def message(self) -> str:
        return str(self.args[0])


class InvalidInput(NewsdeskError):
    """The editor's input (a file, an argument) is wrong."""

    exit_code = EXIT_INVALID


class ConfigError(InvalidInput):
    """sources.toml is invalid."""


class IssueFileError(InvalidInput):
    """An issue file is malformed: the message names the file and line; ``line`` is the line
    (None when the problem is the whole file), ``problem`` the message without the place."""

    def __init__(self, message: str, *, line: int | None = None, problem: str = "") -> None:
        super().__init__(message)
        self.line = line
        self.problem = problem or message


class Refused(NewsdeskError):
    """newsdesk declined to act, to protect the editor's work."""

    exit_code = EXIT_REFUSED


class TemplateProblem(NewsdeskError):
    """A template failed to load or render."""

    exit_code = EXIT_INVALID
