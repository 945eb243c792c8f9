"""The adapters of one live session, wired for the service (composition, like ``app.py``):
ZeroMQ publisher, snapshot socket and control receiver on the configured host's free ports,
and an MCAP recording in ``recordings_dir``.

With ``process=True`` (the default) the real-time loop runs in a process of its own
(``simhub.stream.loop_process``) that owns the PUB and snapshot sockets; the control receiver,
the recording and the gRPC fan-out stay in this process. ``process=False`` runs the loop on a
thread of this process (tests of the loop's logic, embedding).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import zmq

from simhub.record.recorder import McapRecorder
from simhub.session.controls import ControlMailbox
from simhub.session.frame import FrameSink
from simhub.session.model import Session, SessionState
from simhub.session.service import LoopHandle, LoopPlan, SessionIo
from simhub.stream.curve import CurveKeys
from simhub.stream.publisher import ZmqControlReceiver, ZmqPublisher


def _recorder(recordings_dir: Path, session: Session) -> McapRecorder:
    """The session's recording, with what rendering it later needs: the road network (as an
    attachment) or the built-in road's layout, and the scenario reference."""
    road = Path(session.road_file).read_bytes() if session.road_file else None
    return McapRecorder(
        recordings_dir / f"{session.id}.mcap",
        session.id,
        metadata={
            "scenario_ref": session.scenario_ref,
            "road_file": session.road_file,
            "lanes": str(session.traffic.lanes),
            "lane_width_m": str(session.traffic.lane_width_m),
        },
        road_xodr=road,
    )


class LiveIo:
    """An ``IoFactory``: call it with a session and its mailbox to open its adapters."""

    def __init__(
        self,
        recordings_dir: Path,
        *,
        host: str = "127.0.0.1",
        curve: CurveKeys | None = None,
        record: bool = True,
        process: bool = True,
    ) -> None:
        self.recordings_dir = recordings_dir
        self.host = host
        self.curve = curve
        self.record = record
        self.process = process
        self._context: zmq.Context[zmq.Socket[bytes]] = zmq.Context()

    def __call__(self, session: Session, mailbox: ControlMailbox) -> SessionIo:
        if self.process:
            return self._process_io(session, mailbox)
        address = f"tcp://{self.host}:*"
        publisher = ZmqPublisher(
            self._context,
            session,
            frames_endpoint=address,
            snapshot_endpoint=address,
            curve=self.curve,
        )
        receiver = ZmqControlReceiver(
            self._context, session.id, mailbox, endpoint=address, curve=self.curve
        )
        recorder = None
        path = ""
        if self.record:
            recorder = _recorder(self.recordings_dir, session)
            mailbox.observe(recorder.observe_control)
            path = str(recorder.path)

        def close() -> None:
            receiver.close()
            publisher.close()
            if recorder is not None:
                recorder.close()

        sinks = (publisher,) if recorder is None else (publisher, recorder)
        return SessionIo(
            sinks=sinks,
            motion_sinks=(publisher,),
            endpoints={**publisher.endpoints, "controls": receiver.endpoint},
            recording_path=path,
            close=close,
        )

    def _process_io(self, session: Session, mailbox: ControlMailbox) -> SessionIo:
        from simhub.stream.loop_process import ProcessLoop

        receiver = ZmqControlReceiver(
            self._context, session.id, mailbox, endpoint=f"tcp://{self.host}:*", curve=self.curve
        )
        recorder = None
        if self.record:
            recorder = _recorder(self.recordings_dir, session)
            mailbox.observe(recorder.observe_control)
        endpoints = {"controls": receiver.endpoint}

        def loop_factory(
            plan: LoopPlan,
            mailbox: ControlMailbox,
            sinks: tuple[FrameSink, ...],
            on_finished: Callable[[SessionState, str], None],
        ) -> LoopHandle:
            return ProcessLoop(
                plan,
                mailbox,
                sinks,
                on_finished,
                context=self._context,
                host=self.host,
                curve=self.curve,
                endpoints=endpoints,
            )

        def close() -> None:
            receiver.close()
            if recorder is not None:
                recorder.close()

        return SessionIo(
            sinks=(recorder,) if recorder is not None else (),
            endpoints=endpoints,
            recording_path=str(recorder.path) if recorder is not None else "",
            close=close,
            loop_factory=loop_factory,
        )

    def close(self) -> None:
        self._context.term()
