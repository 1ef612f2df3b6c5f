"""Domain errors. Entry points map them to HTTP, pages and exit codes in one place each."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldProblem:
    """One reason one field is wrong: ``field`` is a dotted path such as ``members.1.birth_date``."""

    field: str
    reason: str


class DomainError(Exception):
    """Base of every error a user can cause; its message is safe to show to that user."""

    code = "domain_error"

    def __init__(self, message: str, *, problems: list[FieldProblem] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems: list[FieldProblem] = problems or []


class NotFound(DomainError):
    code = "not_found"


class Invalid(DomainError):
    """The input breaks a rule (a field is malformed, a household would have two heads)."""

    code = "invalid"


class Conflict(DomainError):
    """The input is well formed but clashes with the current state (a duplicate code, a stale key)."""

    code = "conflict"


class Forbidden(DomainError):
    code = "forbidden"


class Unauthenticated(DomainError):
    code = "unauthenticated"


@dataclass
class ProblemCollector:
    """Collects field problems so a form or a row reports all of them at once, not the first."""

    prefix: str = ""
    problems: list[FieldProblem] = field(default_factory=list)

    def add(self, field_name: str, reason: str) -> None:
        path = f"{self.prefix}.{field_name}" if self.prefix else field_name
        self.problems.append(FieldProblem(path, reason))

    def raise_if_any(self, message: str = "The input has errors") -> None:
        if self.problems:
            raise Invalid(message, problems=list(self.problems))
