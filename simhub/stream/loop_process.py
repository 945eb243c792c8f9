"""The real-time loop in a process of its own, so no thread of the server (gRPC, asyncio, the
web UI, recording) ever holds the interpreter lock the loop needs.

Child process (started from a fork server, which imported numpy, numba, zmq and the kernels
once): builds the world from the picklable ``LoopPlan`` (warm-up and compilation happen there,
before ``running``), runs ``LiveLoop`` on a thread and publishes frames, motion and events on the
session's ZeroMQ PUB and snapshot sockets itself, on the same ``tcp://host:*`` ports as before.
A copy of every message goes, already encoded, over a PUSH socket to the parent.

Parent (``ProcessLoop``, the service's ``LoopHandle``): keeps the ``ControlMailbox`` (ZeroMQ
control receiver and gRPC ``SendControls`` validate and count there, as before) and mirrors it
into shared memory under a sequence lock, which the child reads every tick without a system
call; a bridge thread receives the child's messages and hands them to the MCAP recorder and the
gRPC fan-out. The loop's counters and its lateness histogram live in the same shared memory,
written by the child once per frame. Commands (pause, resume, stop, reset statistics) go over a
pipe; the child stops when the pipe closes (the parent died) and is killed with its parent's
process by ``PR_SET_PDEATHSIG``.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing as mp
import os
import signal
import tempfile
import threading
import uuid
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import zmq

from simhub._proto.simhub.v1 import session_pb2 as pb
from simhub.errors import FailedPrecondition
from simhub.record.recorder import EVENTS, FRAMES, MOTION, McapRecorder
from simhub.session.controls import N_CONTROLS, VERDICTS, ControlMailbox, Verdict
from simhub.session.fanout import Fanout
from simhub.session.frame import Frame, FrameSink
from simhub.session.loop import LiveLoop
from simhub.session.model import SessionState, SessionStats
from simhub.session.realtime import HISTOGRAM_MAX_US, LatenessHistogram, LatenessSummary
from simhub.session.service import LoopPlan, loop_from_plan
from simhub.stream import codec
from simhub.stream.curve import CurveKeys
from simhub.stream.publisher import ZmqPublisher

log = logging.getLogger("simhub.stream")

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

# Loop statistics in shared memory (int64), written by the child once per frame.
S_STATE, S_TICKS, S_FRAMES, S_MISSES, S_SKIPPED, S_MAX_LATE_NS = 0, 1, 2, 3, 4, 5
S_CLIPPED, S_LATE_COUNT, S_PUB_DROPPED, S_SINK_ERRORS = 6, 7, 8, 9
N_STATS = 10
STATE_CODES = tuple(SessionState)
_PR_SET_PDEATHSIG = 1


class SharedBlock:
    """One shared-memory file, viewed as the arrays both processes use.

    ``seq``: the controls' sequence lock (odd while written); ``controls`` ``(n_egos,
    N_CONTROLS)``; ``received`` ``(n_egos,)`` (perf_counter ns, the same clock in every process
    of this machine); ``counts`` ``(len(VERDICTS),)``; ``stats`` ``(N_STATS,)``; ``bins`` the
    lateness histogram (1 us bins).
    """

    def __init__(self, path: str, n_egos: int, *, create: bool) -> None:
        self.path = path
        self.n_egos = n_egos
        sizes = (1, n_egos * N_CONTROLS, n_egos, len(VERDICTS), N_STATS, HISTOGRAM_MAX_US + 1)
        total = sum(sizes) * 8
        if create:
            with open(path, "wb") as f:
                f.truncate(total)
        self._map = np.memmap(path, dtype=np.uint8, mode="r+", shape=(total,))
        offset = 0
        views = []
        for size in sizes:
            views.append(self._map[offset : offset + size * 8])
            offset += size * 8
        self.seq: I64 = views[0].view(np.int64)
        self.controls: F64 = views[1].view(np.float64).reshape(n_egos, N_CONTROLS)
        self.received: I64 = views[2].view(np.int64)
        self.counts: I64 = views[3].view(np.int64)
        self.stats: I64 = views[4].view(np.int64)
        self.bins: I64 = views[5].view(np.int64)

    def write_controls(self, controls: F64, received: I64, counts: I64) -> None:
        """Parent, under the mailbox's lock (one writer)."""
        self.seq[0] += 1
        np.copyto(self.controls, controls)
        np.copyto(self.received, received)
        np.copyto(self.counts, counts)
        self.seq[0] += 1


class SharedControls:
    """The child's ``ControlReader``: the parent's mailbox, read through the sequence lock."""

    def __init__(self, block: SharedBlock, egos: tuple[str, ...]) -> None:
        self._block = block
        self.egos = egos

    def read_into(self, controls: F64, received_ns: I64) -> None:
        block = self._block
        while True:
            before = int(block.seq[0])
            if before & 1:
                continue
            np.copyto(controls, block.controls)
            np.copyto(received_ns, block.received)
            if int(block.seq[0]) == before:
                return

    def counts_into(self, counts: I64) -> None:
        np.copyto(counts, self._block.counts)

    def counts(self) -> dict[Verdict, int]:
        return {v: int(self._block.counts[k]) for k, v in enumerate(VERDICTS)}


def _write_stats(block: SharedBlock, loop: LiveLoop, publisher: ZmqPublisher) -> None:
    stats = block.stats
    stats[S_STATE] = STATE_CODES.index(loop.state)
    stats[S_TICKS] = loop.ticks
    stats[S_FRAMES] = loop.frames
    stats[S_MISSES] = loop.misses
    stats[S_SKIPPED] = loop.skipped
    stats[S_MAX_LATE_NS] = loop.lateness.max_ns
    stats[S_CLIPPED] = loop.clipped_frames
    stats[S_LATE_COUNT] = loop.lateness.count
    stats[S_PUB_DROPPED] = publisher.dropped
    stats[S_SINK_ERRORS] = loop.sink_errors


def _child(
    plan: LoopPlan,
    conn: Connection,
    block_path: str,
    tap_endpoint: str,
    host: str,
    curve: CurveKeys | None,
) -> None:
    """The loop process (see the module docstring)."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux: the pipe's end stops it
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    block = SharedBlock(block_path, len(plan.session.egos), create=False)
    context: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
    tap = context.socket(zmq.PUSH)
    tap.setsockopt(zmq.SNDHWM, 100_000)
    tap.setsockopt(zmq.LINGER, 2000)
    tap.connect(tap_endpoint)
    address = f"tcp://{host}:*"
    publisher = ZmqPublisher(
        context,
        plan.session,
        frames_endpoint=address,
        snapshot_endpoint=address,
        curve=curve,
        tap=tap,
    )
    send_lock = threading.Lock()

    def send(message: tuple[Any, ...]) -> None:
        with send_lock, contextlib.suppress(OSError):  # OSError: the parent is gone
            conn.send(message)

    def finished(state: SessionState, reason: str) -> None:
        send(("finished", state.value, reason))

    try:
        loop = loop_from_plan(
            plan,
            SharedControls(block, tuple(e.name for e in plan.session.egos)),
            (publisher,),
            (publisher,),
            finished,
            on_frame=lambda lp: _write_stats(block, lp, publisher),
            lateness=LatenessHistogram(block.bins),
        )
        loop.start()
    except Exception as exc:
        send(("failed", f"{type(exc).__name__}: {exc}"))
        publisher.close()
        tap.close(0)
        context.term()
        return
    _write_stats(block, loop, publisher)
    send(("ready", publisher.endpoints, loop.thread_notes))
    while True:
        try:
            command = conn.recv()
        except (EOFError, OSError):
            command = "stop"  # the parent died or closed the pipe
        if command == "pause":
            loop.pause()
        elif command == "resume":
            loop.resume()
        elif command == "reset":
            loop.reset_lateness()
        elif command == "stop":
            break
    loop.stop()
    _write_stats(block, loop, publisher)
    publisher.close()
    tap.close()  # lingers until the parent has every message
    context.term()
    send(("stopped",))


def _context() -> Any:
    context = mp.get_context("forkserver")
    context.set_forkserver_preload(["simhub.stream.loop_process"])
    return context


class ProcessLoop:
    """``LoopHandle`` of a loop running in a child process (see the module docstring)."""

    def __init__(
        self,
        plan: LoopPlan,
        mailbox: ControlMailbox,
        sinks: tuple[FrameSink, ...],
        on_finished: Callable[[SessionState, str], None],
        *,
        context: zmq.Context[zmq.Socket[bytes]],
        host: str = "127.0.0.1",
        curve: CurveKeys | None = None,
        endpoints: dict[str, str] | None = None,
    ) -> None:
        self.plan = plan
        self.config = plan.config
        self._recorders = [s for s in sinks if isinstance(s, McapRecorder)]
        self._fanouts = [s for s in sinks if isinstance(s, Fanout)]
        self._on_finished = on_finished
        self.endpoints = endpoints if endpoints is not None else {}
        folder = "/dev/shm" if os.path.isdir("/dev/shm") else None
        handle, path = tempfile.mkstemp(prefix="simhub-loop-", dir=folder)
        os.close(handle)
        self._block = SharedBlock(path, len(plan.session.egos), create=True)
        mailbox.mirror(self._block.write_controls)
        self._mailbox = mailbox
        self._tap = context.socket(zmq.PULL)
        self._tap.setsockopt(zmq.RCVHWM, 100_000)
        self._tap.setsockopt(zmq.LINGER, 0)
        tap_endpoint = f"ipc://{tempfile.gettempdir()}/simhub-tap-{uuid.uuid4().hex}"
        self._tap.bind(tap_endpoint)
        self._tap_path = Path(tap_endpoint.removeprefix("ipc://"))
        mpc = _context()
        self._conn, child_conn = mpc.Pipe()
        self._process = mpc.Process(
            target=_child,
            args=(plan, child_conn, path, tap_endpoint, host, curve),
            name=f"simhub-loop-{plan.session.id}",
            daemon=True,
        )
        self._child_conn = child_conn
        self._ready = threading.Event()
        self._stopped = threading.Event()
        self._failure = ""
        self._final: SessionState | None = None
        self.thread_notes: list[str] = []
        self._send_lock = threading.Lock()
        self._bridge = threading.Thread(
            target=self._run_bridge, name=f"simhub-bridge-{plan.session.id}", daemon=True
        )

    # ---- LoopHandle ------------------------------------------------------------------------

    @property
    def state(self) -> SessionState:
        if self._final is not None:
            return self._final
        return STATE_CODES[int(self._block.stats[S_STATE])]

    @property
    def failure_reason(self) -> str:
        return self._failure

    @property
    def ticks(self) -> int:
        return int(self._block.stats[S_TICKS])

    @property
    def skipped(self) -> int:
        return int(self._block.stats[S_SKIPPED])

    @property
    def misses(self) -> int:
        return int(self._block.stats[S_MISSES])

    @property
    def publisher_dropped(self) -> int:
        """Messages the child's PUB socket could not send (it never blocks)."""
        return int(self._block.stats[S_PUB_DROPPED])

    def start(self, timeout_s: float = 120.0) -> None:
        self._process.start()
        self._child_conn.close()
        self._bridge.start()
        if not self._ready.wait(timeout_s):
            self._command("stop")
            raise FailedPrecondition(f"warm-up took longer than {timeout_s} s")
        if self._failure:
            self._final = SessionState.FAILED
            raise FailedPrecondition(f"the session failed to start: {self._failure}")

    def pause(self) -> None:
        self._command("pause")

    def resume(self) -> None:
        self._command("resume")

    def reset_lateness(self) -> None:
        self._command("reset")

    def stop(self, timeout_s: float = 10.0) -> None:
        self._command("stop")
        self._process.join(timeout_s)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(2.0)
        self._stopped.wait(timeout_s)
        self._bridge.join(timeout_s)
        self._close()

    def stats(self) -> SessionStats:
        s = self._block.stats
        counts = self._mailbox.counts()
        return SessionStats(
            ticks=int(s[S_TICKS]),
            frames=int(s[S_FRAMES]),
            deadline_misses=int(s[S_MISSES]),
            skipped_ticks=int(s[S_SKIPPED]),
            max_lateness_us=int(s[S_MAX_LATE_NS]) / 1000.0,
            controls_accepted=counts[VERDICTS[0]],
            controls_rejected_nan=counts[VERDICTS[1]],
            controls_rejected_range=counts[VERDICTS[2]],
            controls_rejected_stale=counts[VERDICTS[3]],
            controls_rejected_unbound=counts[VERDICTS[4]],
            motion_clipped_frames=int(s[S_CLIPPED]),
        )

    def lateness_summary(self) -> LatenessSummary:
        histogram = LatenessHistogram(self._block.bins.copy())
        histogram.count = int(self._block.stats[S_LATE_COUNT])
        histogram.max_ns = int(self._block.stats[S_MAX_LATE_NS])
        return LatenessSummary(
            ticks=histogram.count,
            misses=self.misses,
            p50_us=histogram.percentile_us(0.5),
            p99_us=histogram.percentile_us(0.99),
            max_us=histogram.max_ns / 1000.0,
        )

    # ---- parent side -----------------------------------------------------------------------

    def _command(self, command: str) -> None:
        with self._send_lock, contextlib.suppress(OSError):  # OSError: the child is gone
            self._conn.send(command)

    def _run_bridge(self) -> None:
        poller = zmq.Poller()
        poller.register(self._tap, zmq.POLLIN)
        poller.register(self._conn.fileno(), zmq.POLLIN)
        child_done = False
        while True:
            events = dict(poller.poll(100 if not child_done else 50))
            if self._tap in events:
                while True:
                    try:
                        topic, payload = self._tap.recv_multipart(zmq.NOBLOCK)
                    except zmq.Again:
                        break
                    self._deliver(topic, payload)
            elif child_done:
                break  # the child ended and nothing more is queued
            if not child_done and (self._conn.fileno() in events or not self._process.is_alive()):
                child_done = self._control_message()
        self._stopped.set()

    def _control_message(self) -> bool:
        """Handle one message from the child; True once it has ended."""
        try:
            if not self._conn.poll():
                return not self._process.is_alive() and self._process.exitcode is not None
            message = self._conn.recv()
        except (EOFError, OSError):
            message = ("stopped",)
        kind = message[0]
        if kind == "ready":
            self.endpoints.update(message[1])
            self.thread_notes = list(message[2])
            self._ready.set()
        elif kind == "failed":
            self._failure = str(message[1])
            self._ready.set()
            return True
        elif kind == "finished":
            state = SessionState(message[1])
            self._failure = str(message[2])
            if state is SessionState.FAILED:
                self._final = state
                threading.Thread(
                    target=self._on_finished, args=(state, self._failure), daemon=True
                ).start()
        elif kind == "stopped":
            self._final = self._final or SessionState.STOPPED
            self._ready.set()
            return True
        return False

    def _deliver(self, topic: bytes, payload: bytes) -> None:
        """One message of the child to the recorder (bytes as they are) and the fan-out."""
        kind = topic.rsplit(b".", 1)[-1].decode()
        try:
            if kind == codec.EVENT:
                event = pb.SessionEvent()
                event.ParseFromString(payload)
                for recorder in self._recorders:
                    recorder.publish_encoded(EVENTS, event.unix_ns, payload)
                domain = codec.session_event(event)
                for fanout in self._fanouts:
                    fanout.publish_event(domain)
            elif kind in (codec.FRAME, codec.MOTION):
                frame = pb.TelemetryFrame()
                frame.ParseFromString(payload)
                channel = FRAMES if kind == codec.FRAME else MOTION
                for recorder in self._recorders:
                    recorder.publish_encoded(channel, frame.published_unix_ns, payload)
                if kind == codec.FRAME and self._fanouts:
                    shell = Frame(frame.session_id, (), 0, -1)
                    shell.sequence = frame.sequence
                    shell.wire = frame
                    for fanout in self._fanouts:
                        fanout.publish_encoded(shell)
        except Exception:
            log.exception("a sink failed on a message from the loop process")

    def _close(self) -> None:
        self._tap.close(0)
        self._tap_path.unlink(missing_ok=True)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._block.path)
        self._conn.close()
