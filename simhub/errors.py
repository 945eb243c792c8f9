"""The errors a user can cause, as one tree.

Every layer raises these; the edges (``simhub.rpc.errors`` for gRPC, the web routes for HTTP)
translate them to status codes, each in one place. A message says what was wrong, where (file
and line, or field) and what is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldViolation:
    """One bad field: ``field`` is a dotted path (``cabins/passenger.toml:vehicle.mass_kg``)."""

    field: str
    description: str


@dataclass(frozen=True)
class QuotaViolation:
    """One exhausted quota: ``subject`` is who it applies to (``organisation:acme``)."""

    subject: str
    description: str


@dataclass(frozen=True)
class PreconditionViolation:
    """One unmet precondition: ``type`` is a short kind (``CHANGEOVER``), ``subject`` the thing."""

    type: str
    subject: str
    description: str


class SimhubError(Exception):
    """Base of every error a caller can cause."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(SimhubError):
    """The thing does not exist, or belongs to another organisation (existence is not leaked)."""


class Conflict(SimhubError):
    """The request collides with the current state (a slot taken meanwhile, a duplicate name)."""


class Unauthenticated(SimhubError):
    """No valid credentials: missing, unknown, revoked or expired token."""


class PermissionDenied(SimhubError):
    """The caller is known but its role may not do this."""


class InvalidArgument(SimhubError):
    """The request or file is malformed; ``violations`` lists every bad field at once."""

    def __init__(self, message: str, violations: list[FieldViolation] | None = None) -> None:
        super().__init__(message)
        self.violations: tuple[FieldViolation, ...] = tuple(violations or ())

    def __str__(self) -> str:
        if not self.violations:
            return self.message
        lines = [self.message, *(f"  {v.field}: {v.description}" for v in self.violations)]
        return "\n".join(lines)


class QuotaExceeded(SimhubError):
    """An organisation's quota would be exceeded."""

    def __init__(self, message: str, violations: list[QuotaViolation] | None = None) -> None:
        super().__init__(message)
        self.violations: tuple[QuotaViolation, ...] = tuple(violations or ())


class FailedPrecondition(SimhubError):
    """The system is not in a state that allows this now (a changeover in progress)."""

    def __init__(self, message: str, violations: list[PreconditionViolation] | None = None) -> None:
        super().__init__(message)
        self.violations: tuple[PreconditionViolation, ...] = tuple(violations or ())
