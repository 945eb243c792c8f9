"""Organisations, users and tokens against real databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from simhub.app import App
from simhub.errors import Conflict, NotFound, Unauthenticated
from simhub.identity.model import Role
from simhub.identity.service import IdentityService
from simhub.storage.identity_repo import SqlIdentityRepository
from simhub.storage.tables import ApiTokenRow


def test_token_is_stored_hashed_and_authenticates(app: App) -> None:
    org = app.identity.create_organisation("Acme")
    user = app.identity.create_user(org.id, "eve", Role.ENGINEER)
    issued = app.identity.issue_token(user.id)
    with app.db.read() as s:
        stored = s.scalars(select(ApiTokenRow)).all()
    assert [r.id for r in stored] == [issued.token.id]
    assert issued.secret not in {r.secret_sha256 for r in stored}
    principal = app.identity.authenticate(issued.secret)
    assert (principal.user_id, principal.organisation_id, principal.role) == (
        user.id,
        org.id,
        Role.ENGINEER,
    )


def test_wrong_revoked_and_expired_tokens_fail(app: App) -> None:
    org = app.identity.create_organisation("Acme")
    user = app.identity.create_user(org.id, "eve", Role.ENGINEER)
    good = app.identity.issue_token(user.id)
    tampered = good.secret[:-2] + ("AA" if not good.secret.endswith("AA") else "BB")
    for bad in ("", "nonsense", tampered, "shb_tok_000000000000_x"):
        with pytest.raises(Unauthenticated):
            app.identity.authenticate(bad)

    app.identity.revoke_token(good.token.id)
    with pytest.raises(Unauthenticated, match="revoked"):
        app.identity.authenticate(good.secret)

    two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
    past = IdentityService(SqlIdentityRepository(app.db), clock=lambda: two_hours_ago)
    expired = past.issue_token(user.id, timedelta(hours=1))
    with pytest.raises(Unauthenticated, match="expired"):
        app.identity.authenticate(expired.secret)
    fresh = app.identity.issue_token(user.id, timedelta(hours=1))
    assert app.identity.authenticate(fresh.secret).user_id == user.id


def test_names_and_ids(app: App) -> None:
    app.identity.create_organisation("Acme")
    with pytest.raises(Conflict):
        app.identity.create_organisation("Acme")
    with pytest.raises(NotFound):
        app.identity.revoke_token("tok_doesnotexist")
    with pytest.raises(NotFound):
        app.identity.create_user("org_missing", "x", Role.VIEWER)


def test_cached_authentication_still_honours_revocation_and_expiry(app: App) -> None:
    org = app.identity.create_organisation("Acme")
    user = app.identity.create_user(org.id, "eve", Role.ENGINEER)
    token = app.identity.issue_token(user.id)
    assert app.identity.authenticate(token.secret).user_id == user.id  # now cached
    app.identity.revoke_token(token.token.id)
    with pytest.raises(Unauthenticated, match="revoked"):
        app.identity.authenticate(token.secret)

    now = [datetime.now(UTC)]
    clocked = IdentityService(SqlIdentityRepository(app.db), clock=lambda: now[0])
    short = clocked.issue_token(user.id, timedelta(seconds=30))
    assert clocked.authenticate(short.secret).user_id == user.id  # cached for 2 s
    now[0] += timedelta(seconds=31)  # expired while still in the cache
    with pytest.raises(Unauthenticated, match="expired"):
        clocked.authenticate(short.secret)
