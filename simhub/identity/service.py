"""Identity use cases over the ``IdentityRepository`` port."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from simhub.errors import Conflict, InvalidArgument, NotFound, PermissionDenied, Unauthenticated
from simhub.identity.model import (
    ApiToken,
    IssuedToken,
    Organisation,
    Principal,
    Role,
    User,
    WebSession,
)
from simhub.identity.tokens import hash_secret, new_id, new_token, same_hash, token_id_of


class IdentityRepository(Protocol):
    """Port: where organisations, users and tokens are kept (``simhub.storage`` implements it)."""

    def add_organisation(self, organisation: Organisation) -> None: ...
    def organisation_by_name(self, name: str) -> Organisation | None: ...
    def get_organisation(self, organisation_id: str) -> Organisation | None: ...
    def list_organisations(self) -> list[Organisation]: ...
    def add_user(self, user: User) -> None: ...
    def get_user(self, user_id: str) -> User | None: ...
    def user_by_name(self, organisation_id: str, name: str) -> User | None: ...
    def add_token(self, token: ApiToken) -> None: ...
    def get_token(self, token_id: str) -> ApiToken | None: ...
    def revoke_token(self, token_id: str, at: datetime) -> None: ...
    def add_web_session(self, session: WebSession) -> None: ...
    def get_web_session(self, id_sha256: str) -> WebSession | None: ...
    def delete_web_session(self, id_sha256: str) -> None: ...


Clock = Callable[[], datetime]

AUTH_CACHE_SECONDS = 2.0
AUTH_CACHE_MAX_ENTRIES = 10_000


def utc_now() -> datetime:
    return datetime.now(UTC)


class IdentityService:
    def __init__(
        self,
        repository: IdentityRepository,
        clock: Clock = utc_now,
        cache_seconds: float = AUTH_CACHE_SECONDS,
    ) -> None:
        self._repo = repository
        self._clock = clock
        self._cache_seconds = cache_seconds
        # SHA-256 of the bearer -> (caller, token expiry, when cached [monotonic s])
        self._cache: dict[str, tuple[Principal, datetime | None, float]] = {}
        self._cache_lock = threading.Lock()

    def create_organisation(self, name: str) -> Organisation:
        name = name.strip()
        if not name:
            raise InvalidArgument("organisation name must not be empty")
        if self._repo.organisation_by_name(name) is not None:
            raise Conflict(f"an organisation named {name!r} exists already")
        org = Organisation(id=new_id("org"), name=name, created_at=self._clock())
        self._repo.add_organisation(org)
        return org

    def has_organisation(self, name: str) -> bool:
        return self._repo.organisation_by_name(name.strip()) is not None

    def find_organisation(self, name_or_id: str) -> Organisation:
        org = self._repo.get_organisation(name_or_id) or self._repo.organisation_by_name(name_or_id)
        if org is None:
            raise NotFound(f"no organisation with id or name {name_or_id!r}")
        return org

    def organisations(self) -> list[Organisation]:
        return self._repo.list_organisations()

    def create_user(self, organisation_id: str, name: str, role: Role) -> User:
        if self._repo.get_organisation(organisation_id) is None:
            raise NotFound(f"no organisation with id {organisation_id!r}")
        user = User(
            id=new_id("usr"),
            organisation_id=organisation_id,
            name=name,
            role=role,
            created_at=self._clock(),
        )
        self._repo.add_user(user)
        return user

    def find_user(self, organisation_id: str, name: str) -> User:
        user = self._repo.user_by_name(organisation_id, name)
        if user is None:
            raise NotFound(f"no user named {name!r} in organisation {organisation_id}")
        return user

    def issue_token(self, user_id: str, valid_for: timedelta | None = None) -> IssuedToken:
        """Issue a token for *user_id*; it expires after *valid_for* (None: never)."""
        if self._repo.get_user(user_id) is None:
            raise NotFound(f"no user with id {user_id!r}")
        if valid_for is not None and valid_for <= timedelta(0):
            raise InvalidArgument(f"token lifetime must be positive, found {valid_for}")
        now = self._clock()
        token_id = new_id("tok")
        secret = new_token(token_id)
        token = ApiToken(
            id=token_id,
            user_id=user_id,
            secret_sha256=hash_secret(secret),
            created_at=now,
            expires_at=None if valid_for is None else now + valid_for,
            revoked_at=None,
        )
        self._repo.add_token(token)
        return IssuedToken(token=token, secret=secret)

    def revoke_token(self, token_id: str) -> None:
        if self._repo.get_token(token_id) is None:
            raise NotFound(f"no token with id {token_id!r}")
        self._repo.revoke_token(token_id, self._clock())
        with self._cache_lock:  # this process refuses the token from the next call on
            for key in [k for k, v in self._cache.items() if v[0].token_id == token_id]:
                del self._cache[key]

    def authenticate(self, bearer: str) -> Principal:
        """The caller a token stands for; ``Unauthenticated`` for anything not currently valid.

        Successful lookups are remembered for ``cache_seconds`` (default 2 s), which spares
        every RPC two database reads. A revocation through this service takes effect at once;
        one made by another server replica within ``cache_seconds``. Expiry is always checked.
        """
        key = hash_secret(bearer)
        now_s = time.monotonic()
        principal = self._cached(key, now_s)
        if principal is not None:
            return principal
        token_id = token_id_of(bearer)
        stored = self._repo.get_token(token_id) if token_id else None
        if stored is None or not same_hash(stored.secret_sha256, key):
            raise Unauthenticated("invalid API token")
        principal = self._principal(stored)
        if self._cache_seconds > 0:
            with self._cache_lock:
                if len(self._cache) >= AUTH_CACHE_MAX_ENTRIES:
                    self._cache.clear()
                self._cache[key] = (principal, stored.expires_at, now_s)
        return principal

    def cached_principal(self, bearer: str) -> Principal | None:
        """What ``authenticate`` answers from its cache, without any I/O (so callers on an
        event loop can skip a thread hop); None: ask ``authenticate``."""
        return self._cached(hash_secret(bearer), time.monotonic())

    def _cached(self, key: str, now_s: float) -> Principal | None:
        with self._cache_lock:
            hit = self._cache.get(key)
        if hit is not None and now_s - hit[2] < self._cache_seconds:
            principal, expires_at, _ = hit
            if expires_at is None or self._clock() < expires_at:
                return principal
        return None

    def open_web_session(self, bearer: str, lifetime: timedelta) -> tuple[str, WebSession]:
        """Exchange an API token for a browser session; returns the cookie secret (shown once)."""
        principal = self.authenticate(bearer)
        stored = self._repo.get_token(principal.token_id)
        assert stored is not None
        now = self._clock()
        expires = now + lifetime
        if stored.expires_at is not None:
            expires = min(expires, stored.expires_at)
        secret = secrets.token_urlsafe(32)
        session = WebSession(
            id_sha256=hash_secret(secret),
            token_id=stored.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=expires,
        )
        self._repo.add_web_session(session)
        return secret, session

    def web_session(self, secret: str) -> tuple[Principal, WebSession]:
        """The caller behind a session cookie; ``Unauthenticated`` when expired or revoked."""
        session = self._repo.get_web_session(hash_secret(secret)) if secret else None
        if session is None or session.expires_at <= self._clock():
            raise Unauthenticated("not signed in, or the session expired")
        stored = self._repo.get_token(session.token_id)
        if stored is None:
            raise Unauthenticated("the session's API token no longer exists")
        return self._principal(stored), session

    def close_web_session(self, secret: str) -> None:
        self._repo.delete_web_session(hash_secret(secret))

    def _principal(self, stored: ApiToken) -> Principal:
        now = self._clock()
        if stored.revoked_at is not None:
            raise Unauthenticated(f"API token {stored.id} was revoked")
        if not stored.usable_at(now):
            raise Unauthenticated(f"API token {stored.id} expired at {stored.expires_at}")
        user = self._repo.get_user(stored.user_id)
        if user is None:
            raise Unauthenticated("API token's user no longer exists")
        return Principal(
            user_id=user.id,
            organisation_id=user.organisation_id,
            role=user.role,
            token_id=stored.id,
        )


def require_role(principal: Principal, *allowed: Role) -> None:
    """Raise ``PermissionDenied`` unless the caller has one of *allowed*."""
    if principal.role not in allowed:
        names = ", ".join(r.value for r in allowed)
        raise PermissionDenied(f"role {principal.role.value!r} may not do this; allowed: {names}")
