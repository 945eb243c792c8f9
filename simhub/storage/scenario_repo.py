"""``ScenarioStore`` over SQLAlchemy."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from simhub.errors import Conflict
from simhub.identity.tokens import new_id
from simhub.scenario import Finding
from simhub.scenario.library import Bundle, BundleFile, ScenarioVersion, StoredScenario
from simhub.storage.db import Database
from simhub.storage.scenario_tables import ScenarioFileRow, ScenarioRow, ScenarioVersionRow


def _scenario(row: ScenarioRow) -> StoredScenario:
    return StoredScenario(
        id=row.id,
        organisation_id=row.organisation_id,
        name=row.name,
        description=row.description,
        latest_version=row.latest_version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _version(row: ScenarioVersionRow) -> ScenarioVersion:
    return ScenarioVersion(
        scenario_id=row.scenario_id,
        version=row.version,
        main_file=row.main_file,
        format=row.format,
        size_bytes=row.size_bytes,
        concrete_scenarios=row.concrete_scenarios,
        warnings=tuple(Finding(**w) for w in json.loads(row.warnings_json)),
        created_at=row.created_at,
        created_by_user_id=row.created_by_user_id,
    )


_LIVE = ScenarioRow.deleted_at.is_(None)


class SqlScenarioStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, scenario_id: str) -> StoredScenario | None:
        with self._db.read() as s:
            row = s.scalar(select(ScenarioRow).where(ScenarioRow.id == scenario_id, _LIVE))
            return _scenario(row) if row else None

    def list_scenarios(
        self, organisation_id: str | None, limit: int, offset: int
    ) -> list[StoredScenario]:
        query = select(ScenarioRow).where(_LIVE).order_by(ScenarioRow.name, ScenarioRow.id)
        if organisation_id is not None:
            query = query.where(ScenarioRow.organisation_id == organisation_id)
        with self._db.read() as s:
            return [_scenario(r) for r in s.scalars(query.offset(offset).limit(limit))]

    def versions(self, scenario_id: str) -> list[ScenarioVersion]:
        query = (
            select(ScenarioVersionRow)
            .where(ScenarioVersionRow.scenario_id == scenario_id)
            .order_by(ScenarioVersionRow.version.desc())
        )
        with self._db.read() as s:
            return [_version(r) for r in s.scalars(query)]

    def bundle(self, scenario_id: str, version: int) -> Bundle | None:
        with self._db.read() as s:
            head = s.get(ScenarioVersionRow, (scenario_id, version))
            if head is None:
                return None
            files = s.scalars(
                select(ScenarioFileRow)
                .where(
                    ScenarioFileRow.scenario_id == scenario_id, ScenarioFileRow.version == version
                )
                .order_by(ScenarioFileRow.path)
            )
            return Bundle(head.main_file, tuple(BundleFile(f.path, f.content) for f in files))

    def add_version(
        self,
        organisation_id: str,
        name: str,
        description: str,
        draft: ScenarioVersion,
        bundle: Bundle,
    ) -> tuple[StoredScenario, ScenarioVersion]:
        try:
            return self._add_version(organisation_id, name, description, draft, bundle)
        except IntegrityError as exc:  # PostgreSQL: a concurrent first upload of the same name
            raise Conflict(
                f"scenario {name!r} was uploaded concurrently by someone else; upload again "
                "to add your version after theirs"
            ) from exc

    def _add_version(
        self,
        organisation_id: str,
        name: str,
        description: str,
        draft: ScenarioVersion,
        bundle: Bundle,
    ) -> tuple[StoredScenario, ScenarioVersion]:
        now = draft.created_at
        with self._db.write() as s:
            query = select(ScenarioRow).where(
                ScenarioRow.organisation_id == organisation_id, ScenarioRow.name == name, _LIVE
            )
            if self._db.is_postgres:
                query = query.with_for_update()
            row = s.scalar(query)
            if row is None:
                row = ScenarioRow(
                    id=new_id("scn"),
                    organisation_id=organisation_id,
                    name=name,
                    description=description,
                    latest_version=0,
                    created_at=now,
                    updated_at=now,
                )
                s.add(row)
            row.latest_version += 1
            row.updated_at = now
            if description:
                row.description = description
            s.flush()
            version = replace(draft, scenario_id=row.id, version=row.latest_version)
            s.add(
                ScenarioVersionRow(
                    scenario_id=row.id,
                    version=version.version,
                    main_file=version.main_file,
                    format=version.format,
                    size_bytes=version.size_bytes,
                    concrete_scenarios=version.concrete_scenarios,
                    warnings_json=json.dumps([vars(w) for w in version.warnings]),
                    created_at=now,
                    created_by_user_id=version.created_by_user_id,
                )
            )
            s.flush()
            s.add_all(
                ScenarioFileRow(
                    scenario_id=row.id, version=version.version, path=f.path, content=f.content
                )
                for f in bundle.files
            )
            return _scenario(row), version

    def delete(self, scenario_id: str, at: datetime) -> None:
        """Soft delete: the name is free again; the files of its versions are dropped."""
        with self._db.write() as s:
            row = s.get(ScenarioRow, scenario_id)
            if row is None or row.deleted_at is not None:
                return
            row.deleted_at = at
            s.execute(delete(ScenarioFileRow).where(ScenarioFileRow.scenario_id == scenario_id))
