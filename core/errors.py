"""Errors that carry what a clerk needs to fix bad input: where, which field, what is wrong."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InputProblem:
    """One problem in a file or form, located by file, line and field."""

    message: str
    source: str = ""
    line: int | None = None
    field: str = ""

    def __str__(self) -> str:
        where = [p for p in (self.source, str(self.line) if self.line else "", self.field) if p]
        return f"{':'.join(where)}: {self.message}" if where else self.message


class InputError(ValueError):
    """Bad input: one or more located problems; nothing was changed."""

    def __init__(self, problems: list[InputProblem] | InputProblem | str) -> None:
        if isinstance(problems, str):
            problems = [InputProblem(problems)]
        elif isinstance(problems, InputProblem):
            problems = [problems]
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class ConflictError(RuntimeError):
    """Somebody else changed the record since it was read; nothing was written."""


class PermissionDenied(RuntimeError):
    """The user's role does not allow the action."""
