"""``IdentityRepository`` over SQLAlchemy."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update

from simhub.identity.model import ApiToken, Organisation, Role, User, WebSession
from simhub.storage.db import Database
from simhub.storage.tables import ApiTokenRow, OrganisationRow, UserRow, WebSessionRow


def _org(row: OrganisationRow) -> Organisation:
    return Organisation(id=row.id, name=row.name, created_at=row.created_at)


def _user(row: UserRow) -> User:
    return User(
        id=row.id,
        organisation_id=row.organisation_id,
        name=row.name,
        role=Role(row.role),
        created_at=row.created_at,
    )


def _token(row: ApiTokenRow) -> ApiToken:
    return ApiToken(
        id=row.id,
        user_id=row.user_id,
        secret_sha256=row.secret_sha256,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
    )


class SqlIdentityRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def add_organisation(self, organisation: Organisation) -> None:
        with self._db.write() as s:
            s.add(OrganisationRow(**vars(organisation)))

    def organisation_by_name(self, name: str) -> Organisation | None:
        with self._db.read() as s:
            row = s.scalar(select(OrganisationRow).where(OrganisationRow.name == name))
            return _org(row) if row else None

    def get_organisation(self, organisation_id: str) -> Organisation | None:
        with self._db.read() as s:
            row = s.get(OrganisationRow, organisation_id)
            return _org(row) if row else None

    def list_organisations(self) -> list[Organisation]:
        with self._db.read() as s:
            return [
                _org(r) for r in s.scalars(select(OrganisationRow).order_by(OrganisationRow.name))
            ]

    def add_user(self, user: User) -> None:
        with self._db.write() as s:
            s.add(
                UserRow(
                    id=user.id,
                    organisation_id=user.organisation_id,
                    name=user.name,
                    role=user.role.value,
                    created_at=user.created_at,
                )
            )

    def get_user(self, user_id: str) -> User | None:
        with self._db.read() as s:
            row = s.get(UserRow, user_id)
            return _user(row) if row else None

    def user_by_name(self, organisation_id: str, name: str) -> User | None:
        with self._db.read() as s:
            row = s.scalar(
                select(UserRow)
                .where(UserRow.organisation_id == organisation_id, UserRow.name == name)
                .order_by(UserRow.created_at)
                .limit(1)
            )
            return _user(row) if row else None

    def add_token(self, token: ApiToken) -> None:
        with self._db.write() as s:
            s.add(ApiTokenRow(**vars(token)))

    def get_token(self, token_id: str) -> ApiToken | None:
        with self._db.read() as s:
            row = s.get(ApiTokenRow, token_id)
            return _token(row) if row else None

    def revoke_token(self, token_id: str, at: datetime) -> None:
        with self._db.write() as s:
            s.execute(
                update(ApiTokenRow)
                .where(ApiTokenRow.id == token_id, ApiTokenRow.revoked_at.is_(None))
                .values(revoked_at=at)
            )

    def add_web_session(self, session: WebSession) -> None:
        with self._db.write() as s:
            s.add(WebSessionRow(**vars(session)))

    def get_web_session(self, id_sha256: str) -> WebSession | None:
        with self._db.read() as s:
            row = s.get(WebSessionRow, id_sha256)
            if row is None:
                return None
            return WebSession(
                id_sha256=row.id_sha256,
                token_id=row.token_id,
                csrf_token=row.csrf_token,
                created_at=row.created_at,
                expires_at=row.expires_at,
            )

    def delete_web_session(self, id_sha256: str) -> None:
        with self._db.write() as s:
            s.execute(delete(WebSessionRow).where(WebSessionRow.id_sha256 == id_sha256))
