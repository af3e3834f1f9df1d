"""Errors that end a step with a clear one-line message (never a bare traceback).

Exit codes: InputError / SpecError -> 2 (bad input or usage), ValidationFailed -> 1.
"""

from __future__ import annotations


class TrialflowError(Exception):
    """A problem the user can act on; names file, row, field and value where known."""

    exit_code = 2

    def __init__(self, message: str, *, file=None, row=None, field=None, value=None):
        super().__init__(message)
        self.message = message
        self.file = None if file is None else str(file)
        self.row = row
        self.field = field
        self.value = value

    def __str__(self) -> str:
        where = []
        if self.file is not None:
            where.append(f"file {self.file}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field is not None:
            where.append(f"field {self.field}")
        if self.value is not None:
            where.append(f"value {self.value!r}")
        return f"{self.message} ({', '.join(where)})" if where else self.message


class InputError(TrialflowError):
    """Bad raw data or bad data handed to a step."""


class SpecError(TrialflowError):
    """A spec (YAML metadata) that is malformed or inconsistent."""


class ValidationFailed(TrialflowError):
    """Validation found errors; exit code 1."""

    exit_code = 1
