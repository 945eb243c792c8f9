"""The ``simhub`` command as a newcomer runs it: demo load, serve, Ctrl-C/SIGTERM."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import grpc

from simhub._proto.simhub.v1 import facility_pb2, facility_pb2_grpc
from tests.net import free_port

REPO = Path(__file__).resolve().parents[1]
TOKEN = re.compile(r"(engineer|operator) \([^)]*\): (shb_\S+)")


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "SIMHUB_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "SIMHUB_GRPC_PORT": "0",
        "SIMHUB_WEB_PORT": "0",
    }


def simhub(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simhub", *args],
        cwd=REPO,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_demo_load_prints_tokens_once(tmp_path: Path) -> None:
    first = simhub(tmp_path, "demo", "load")
    assert first.returncode == 0, first.stderr
    tokens = dict(TOKEN.findall(first.stdout))
    assert set(tokens) == {"engineer", "operator"}
    assert "scenario library: uploaded" in first.stdout and "cut_in" in first.stdout
    second = simhub(tmp_path, "demo", "load")
    assert second.returncode == 0 and not TOKEN.search(second.stdout)
    assert "scenario library: uploaded" not in second.stdout  # unchanged files: no new version
    assert "exists already" in second.stdout


def test_token_create_and_revoke(tmp_path: Path) -> None:
    assert simhub(tmp_path, "admin", "org", "create", "Acme").returncode == 0
    created = simhub(tmp_path, "admin", "token", "create", "--org", "Acme", "--role", "viewer")
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip().startswith("shb_tok_")
    token_id = re.search(r"token (tok_\w+)", created.stderr)
    assert token_id
    assert simhub(tmp_path, "admin", "token", "revoke", token_id.group(1)).returncode == 0
    missing = simhub(tmp_path, "admin", "token", "create", "--org", "Nobody", "--role", "viewer")
    assert missing.returncode == 1 and "no organisation" in missing.stderr
    bad_role = simhub(tmp_path, "admin", "token", "create", "--org", "Acme", "--role", "king")
    assert bad_role.returncode != 0 and "king" in bad_role.stderr


def test_serve_answers_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    load = simhub(tmp_path, "demo", "load")
    token = dict(TOKEN.findall(load.stdout))["engineer"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "simhub", "serve"],
        cwd=REPO,
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        port = None
        deadline = time.monotonic() + 180
        assert proc.stdout is not None
        while port is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            match = re.search(r"listening address=127\.0\.0\.1:(\d+)", line)
            port = int(match.group(1)) if match else None
        assert port, "server did not report its port"
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = facility_pb2_grpc.FacilityServiceStub(channel)
            reply = stub.ListCabins(
                facility_pb2.ListCabinsRequest(), metadata=[("authorization", f"Bearer {token}")]
            )
            assert len(reply.cabins) == 3
        listed = simhub(tmp_path, "call", "--list", "--address", f"127.0.0.1:{port}")
        assert "simhub.v1.FacilityService" in listed.stdout.split()
        address = ("--address", f"127.0.0.1:{port}")
        cabin = simhub(
            tmp_path,
            "call",
            *address,
            "--token",
            token,
            "simhub.v1.FacilityService/GetCabin",
            '{"cabinId": "commercial"}',
        )
        assert cabin.returncode == 0 and '"VEHICLE_MODEL_KST"' in cabin.stdout
        anonymous = simhub(tmp_path, "call", *address, "simhub.v1.FacilityService/ListCabins")
        assert anonymous.returncode == 2 and "UNAUTHENTICATED" in anonymous.stderr
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert "stopped" in proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()


def test_malformed_cabin_file_fails_start_with_file_and_key(tmp_path: Path) -> None:
    cabins = tmp_path / "cabins"
    cabins.mkdir()
    for f in (REPO / "cabins").glob("*.toml"):
        (cabins / f.name).write_text(f.read_text())
    (cabins / "special.toml").write_text(
        (cabins / "special.toml").read_text().replace("mass_kg = 16000.0", "mass_kg = true")
    )
    env = {**_env(tmp_path), "SIMHUB_CABINS_DIR": str(cabins)}
    result = subprocess.run(
        [sys.executable, "-m", "simhub", "serve"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "special.toml: vehicle.mass_kg" in result.stderr and "Traceback" not in result.stderr


def test_scenario_render_png_and_gif(tmp_path: Path) -> None:
    import cv2

    scenario = REPO / "scenarios" / "cut_in.yaml"
    png = tmp_path / "cut_in.png"
    made = simhub(tmp_path, "scenario", "render", str(scenario), "-o", str(png), "--at", "1")
    assert made.returncode == 0, made.stderr
    image = cv2.imread(str(png))
    assert image is not None and image.shape[0] > 100 and image.shape[1] > 100
    gif = tmp_path / "cut_in.gif"
    video = simhub(
        tmp_path,
        "scenario",
        "render",
        str(scenario),
        "-o",
        str(gif),
        "--duration",
        "2",
        "--fps",
        "5",
    )
    assert video.returncode == 0, video.stderr
    assert "(11 frames)" in video.stderr  # t = 0, 0.2, ..., 2.0 s
    bad = simhub(tmp_path, "scenario", "render", str(scenario), "-o", str(tmp_path / "x.doc"))
    assert bad.returncode == 1 and "allowed" in bad.stderr and "Traceback" not in bad.stderr


def test_plain_run_args_reads_plain_lines_and_leaves_the_rest_to_typer() -> None:
    from simhub.cli_run import RunArgs, plain_run_args

    assert plain_run_args(["a.xosc"]) == RunArgs(Path("a.xosc"))
    assert plain_run_args(["--dt", "0.05", "a.xosc", "--duration=20", "--csv", "s.csv",
                           "--events", "e.jsonl"]) == RunArgs(
        Path("a.xosc"), 0.05, 20.0, Path("s.csv"), Path("e.jsonl"))
    assert plain_run_args(["a.xosc", "--dt", "1e-2", "--duration", "3."]) == RunArgs(
        Path("a.xosc"), 0.01, 3.0)
    for line in (
        [],
        ["--help"],
        ["a.xosc", "b.xosc"],
        ["a.xosc", "--dt"],
        ["a.xosc", "--dt", "0.1", "--dt", "0.2"],
        ["a.xosc", "--dt", "-0.1"],
        ["a.xosc", "--dt", "nan"],
        ["a.xosc", "--dt", "1e999"],
        ["a.xosc", "--dt", "1_0"],
        ["a.xosc", "--duration", " 2"],
        ["a.xosc", "--dur", "2"],
        ["a.xosc", "--csv="],
        ["--", "a.xosc"],
        [""],
    ):
        assert plain_run_args(line) is None, line


def test_plain_and_typer_read_run_lines_give_the_same_run(tmp_path: Path) -> None:
    """A plain line skips typer; a repeated option goes through it. Same files, same output."""
    scenario = str(REPO / "scenarios" / "cut_in.yaml")
    runs = []
    for name, extra in (("plain", []), ("typer", ["--dt", "0.5"])):
        csv, events = tmp_path / f"{name}.csv", tmp_path / f"{name}.jsonl"
        done = simhub(tmp_path, "scenario", "run", scenario, *extra, "--dt", "0.01",
                      "--duration", "2", "--csv", str(csv), "--events", str(events))
        assert done.returncode == 0, done.stderr
        runs.append((done.stdout, done.stderr, csv.read_bytes(), events.read_bytes()))
    assert runs[0] == runs[1]
    missing = simhub(tmp_path, "scenario", "run", str(tmp_path / "none.xosc"))
    assert missing.returncode == 1 and "none.xosc" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_serve_freezes_what_start_up_made(tmp_path: Path) -> None:
    """Once `simhub serve` listens, what it loaded (modules, app, servers) is out of the cyclic
    collector's generations: a full collection under load walks only what serving made since
    (see simhub.rpc.server._freeze_start_up). Without it ~150,000 objects stay tracked."""
    program = (
        "import gc, json, os, signal, socket, sys, threading, time\n"
        "sys.argv = ['simhub', 'serve']\n"
        "def probe():\n"
        "    deadline = time.monotonic() + 60\n"
        "    while time.monotonic() < deadline:\n"
        "        time.sleep(0.2)\n"
        "        with socket.socket() as s:\n"
        "            up = s.connect_ex(('127.0.0.1', int(os.environ['SIMHUB_GRPC_PORT']))) == 0\n"
        "        if up and len(gc.get_objects()) < 20_000:\n"
        "            break\n"
        "    print(json.dumps([len(gc.get_objects()), gc.get_freeze_count()]), flush=True)\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "threading.Thread(target=probe, daemon=True).start()\n"
        "import simhub.cli_main\n"
        "simhub.cli_main.main()\n"
    )
    env = {**_env(tmp_path), "SIMHUB_GRPC_PORT": str(free_port()), "SIMHUB_WEB_PORT": "0"}
    done = subprocess.run([sys.executable, "-c", program], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=180)
    tracked, frozen = json.loads(done.stdout.splitlines()[-1])
    assert done.returncode == 0, done.stderr
    assert tracked < 20_000 and frozen > 100_000, (tracked, frozen)


def test_scenario_run_imports_no_service_stack(tmp_path: Path) -> None:
    """`simhub scenario run` is timed from start-up: it loads neither typer and pydantic nor the
    server stacks, and numba takes its no-scipy, no-cffi path (see simhub.cli_numba). The
    cyclic collector is off while it starts and back on, start-up frozen, before it steps."""
    scenario = str(REPO / "scenarios" / "cut_in.yaml")
    program = (
        "import gc, json, sys\n"
        f"sys.argv = ['simhub', 'scenario', 'run', {scenario!r}, '--duration', '1']\n"
        "import simhub.cli_main\n"
        "simhub.cli_main.exit_now = sys.exit  # stay alive to report\n"
        "try:\n    simhub.cli_main.main()\nexcept SystemExit:\n    pass\n"
        "print(json.dumps([gc.isenabled(), gc.get_freeze_count()]))\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", program], cwd=REPO, env=_env(tmp_path),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stdout.splitlines()[-1]))
    enabled, frozen = json.loads(done.stdout.splitlines()[-2])
    assert enabled and frozen > 50_000
    assert "simhub.engine" in loaded
    forbidden = {"typer", "pydantic", "pydantic_settings", "sqlalchemy", "grpc", "fastapi",
                 "starlette", "zmq", "ray", "cv2", "scipy", "cffi", "simhub.settings",
                 "simhub.app", "simhub.rpc", "simhub.web", "simhub.storage",
                 # no vehicle dynamics or traffic models here: only the collision kernels
                 "simhub.dynamics.api", "simhub.dynamics.drivers", "simhub.dynamics.integrate",
                 "simhub.facility"}
    assert not {name for name in loaded for root in forbidden
                if name == root or name.startswith(root + ".")}


def test_run_without_csv_runs_whole_stretches_with_the_same_transitions(tmp_path: Path) -> None:
    """Without --csv the command lets the engine run whole stretches (the fused kernel for
    cut_in.yaml); its transitions and end state equal those of stepping one step at a time, which
    the command does when it writes a CSV row per step. Until the storyboard ends and for a set
    duration that is not a whole number of progress stretches."""
    scenario = str(REPO / "scenarios" / "cut_in.yaml")
    for duration in ([], ["--duration", "7.37"]):
        outputs = []
        for name, extra in (("run", []), ("step", ["--csv", str(tmp_path / "rows.csv")])):
            events = tmp_path / f"{name}.jsonl"
            done = simhub(tmp_path, "scenario", "run", scenario, *duration, "--events",
                          str(events), *extra)
            assert done.returncode == 0, done.stderr
            outputs.append((done.stdout, events.read_bytes()))
        assert outputs[0] == outputs[1]
        assert outputs[0][1].count(b"\n") > 5  # the cut-in's acts, maneuvers and events


def test_scenario_run_exits_with_its_output_flushed_and_its_code(tmp_path: Path) -> None:
    """A plain run ends the process without the interpreter's teardown (``exit_now``): what it
    printed into a pipe and its CSV are complete, and a failed run still exits 1."""
    csv = tmp_path / "run.csv"
    done = simhub(
        tmp_path, "scenario", "run", str(REPO / "scenarios" / "cut_in.yaml"), "--csv", str(csv)
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().splitlines()[-1].endswith("transitions")
    assert csv.read_text().endswith("\n") and len(csv.read_text().splitlines()) > 100
    broken = tmp_path / "broken.xosc"
    broken.write_text("<OpenSCENARIO>")
    failed = simhub(tmp_path, "scenario", "run", str(broken))
    assert failed.returncode == 1 and "broken.xosc:1:" in failed.stderr


def test_numba_imports_pyyaml_only_to_read_its_config_file(tmp_path: Path) -> None:
    """A run imports numba without PyYAML unless numba has a config file to read; with one,
    numba reads it as always, and PyYAML stays importable either way."""
    program = (
        "import sys\n"
        "from simhub.cli_numba import import_numba_as_without_extras\n"
        "import_numba_as_without_extras()\n"
        "import numba\n"
        "print('yaml' in sys.modules, numba.config.BOUNDSCHECK)\n"
        "import yaml\n"
        "print(yaml.safe_load('a: 1'))\n"
    )

    def run(cwd: Path) -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", program],
            cwd=cwd,
            env={**_env(tmp_path), "PYTHONPATH": str(REPO)},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.splitlines()

    plain = tmp_path / "plain"
    configured = tmp_path / "configured"
    plain.mkdir()
    configured.mkdir()
    (configured / ".numba_config.yaml").write_text("boundscheck: 1\n")
    assert run(plain) == ["False None", "{'a': 1}"]
    assert run(configured) == ["True 1", "{'a': 1}"]
