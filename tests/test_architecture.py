"""The layering rule of ARCHITECTURE.md, read from the imports with ``ast``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SIMHUB = Path(__file__).resolve().parents[1] / "simhub"

CORE = (
    "facility",
    "identity",
    "booking",
    "dynamics",
    "road",
    "scenario",
    "engine",
    "session",
    "evaluation",
    "motion",
)
FORBIDDEN_LIBRARIES = (
    "grpc",
    "grpc_health",
    "grpc_reflection",
    "grpc_status",
    "google.rpc",
    "google.protobuf",
    "zmq",
    "fastapi",
    "starlette",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "cv2",
    "ray",
    "onnxruntime",
    "typer",
    "rich",
    "pydantic",
    "pydantic_settings",
    "mcap",
)
EDGES_AND_ADAPTERS = (
    "simhub._proto",
    "simhub.rpc",
    "simhub.stream",
    "simhub.storage",
    "simhub.record",
    "simhub.render",
    "simhub.cluster",
    "simhub.cli",
    "simhub.app",
    "simhub.settings",
    "simhub.web",
    "simhub.demo",
)


def imported_modules(path: Path, root: Path = SIMHUB) -> list[tuple[int, str]]:
    """Every module *path* (a file of the package at *root*) imports, absolute, with its
    line (relative imports resolved)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = ".".join(path.relative_to(root.parent).with_suffix("").parts[:-1])
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.append((node.lineno, module))
    return found


def violations(package_dir: Path, root: Path = SIMHUB) -> list[str]:
    bad = []
    for path in sorted(package_dir.rglob("*.py")):
        for line, module in imported_modules(path, root):
            forbidden = FORBIDDEN_LIBRARIES + EDGES_AND_ADAPTERS
            if any(module == f or module.startswith(f + ".") for f in forbidden):
                bad.append(f"{path.relative_to(root.parent)}:{line} imports {module}")
    return bad


@pytest.mark.parametrize("package", CORE)
def test_core_package_imports_no_adapter_or_edge(package: str) -> None:
    package_dir = SIMHUB / package
    if not package_dir.exists():
        pytest.skip(f"simhub/{package} does not exist yet")
    assert violations(package_dir) == []


def test_rule_catches_a_violation(tmp_path: Path) -> None:
    """The checker itself: a core module importing sqlalchemy and simhub.rpc is reported.
    The probe lives in a copy of the package's layout under tmp_path, not in the source
    tree, where the other checks (in other test processes) would read it."""
    root = tmp_path / "simhub"
    (root / "facility").mkdir(parents=True)
    (root / "facility" / "_architecture_probe.py").write_text(
        "import sqlalchemy\nfrom ..rpc import auth\nfrom simhub.errors import NotFound\n"
    )
    found = violations(root / "facility", root)
    assert found == [
        "simhub/facility/_architecture_probe.py:1 imports sqlalchemy",
        "simhub/facility/_architecture_probe.py:2 imports simhub.rpc",
    ]


def test_only_edges_and_wire_adapters_import_generated_code() -> None:
    """Generated code belongs to the edges (gRPC servicers, the CLI's gRPC clients, the web)
    and the adapters that put protobuf on the wire or on disk (ZeroMQ, MCAP)."""
    allowed = ("rpc", "_proto", "web", "stream", "record")
    for path in sorted(SIMHUB.rglob("*.py")):
        top = path.relative_to(SIMHUB).parts[0]
        if top in allowed or top.startswith("cli"):
            continue
        for line, module in imported_modules(path):
            assert not module.startswith("simhub._proto"), f"{path}:{line} imports {module}"
