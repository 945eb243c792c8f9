"""Settings: ``SIMHUB_*`` environment variables, then an optional TOML file, then defaults.

The TOML file is ``simhub.toml`` in the working directory, or the path in ``SIMHUB_CONFIG``.
Its keys are the field names below (``grpc_port = 50052``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SIMHUB_", frozen=True, extra="forbid")

    database_url: str = Field(
        "sqlite:///var/simhub.db",
        description="SQLAlchemy URL: sqlite:///PATH (default) or postgresql://user@host/db",
    )
    grpc_host: str = Field("127.0.0.1", description="address the gRPC server binds")
    grpc_port: int = Field(50051, ge=0, le=65535, description="gRPC port; 0 picks a free one")
    web_host: str = Field("127.0.0.1", description="address the web UI binds")
    web_port: int | None = Field(
        8000, ge=0, le=65535, description="web UI and JSON API port; unset (empty) to disable"
    )
    facility_file: Path = Field(Path("facility.toml"), description="platform and bays")
    cabins_dir: Path = Field(Path("cabins"), description="one TOML file per cabin")
    scenarios_dir: Path = Field(Path("scenarios"), description="the scenario library")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "console"] = Field(
        "console", description="json: one JSON object per line, for log collectors"
    )
    shutdown_grace_s: float = Field(
        10.0, gt=0, description="how long in-flight calls may finish after SIGTERM/SIGINT"
    )
    rpc_workers: int = Field(16, ge=1, description="threads for blocking database calls")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = Path(os.environ.get("SIMHUB_CONFIG", "simhub.toml"))
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file))
