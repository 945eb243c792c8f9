"""Who may call simhub: organisations, their users with one role each, and API tokens."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class Role(enum.StrEnum):
    VIEWER = "viewer"  # reads its organisation's data
    ENGINEER = "engineer"  # books, authors, runs and evaluates for its organisation
    OPERATOR = "operator"  # the facility: all organisations, approvals, blackouts, cabin swaps


@dataclass(frozen=True)
class Organisation:
    id: str
    name: str
    created_at: datetime


@dataclass(frozen=True)
class User:
    id: str
    organisation_id: str
    name: str
    role: Role
    created_at: datetime


@dataclass(frozen=True)
class ApiToken:
    """A stored token: only the SHA-256 of its secret is kept."""

    id: str
    user_id: str
    secret_sha256: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    def usable_at(self, now: datetime) -> bool:
        if self.revoked_at is not None and self.revoked_at <= now:
            return False
        return self.expires_at is None or now < self.expires_at


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of one request."""

    user_id: str
    organisation_id: str
    role: Role
    token_id: str

    @property
    def is_operator(self) -> bool:
        return self.role is Role.OPERATOR

    def can_see(self, organisation_id: str) -> bool:
        """Operators see every organisation; everyone else only their own."""
        return self.is_operator or organisation_id == self.organisation_id


@dataclass(frozen=True)
class WebSession:
    """A browser sign-in: the cookie's secret is stored hashed; it lives no longer than the API
    token it was opened with, and dies with it when that token is revoked."""

    id_sha256: str
    token_id: str
    csrf_token: str
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class IssuedToken:
    """A freshly issued token: ``secret`` is shown once and never stored."""

    token: ApiToken
    secret: str
