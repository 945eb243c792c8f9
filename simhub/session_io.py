"""The adapters of one live session, wired for the service (composition, like ``app.py``):
ZeroMQ publisher, snapshot socket and control receiver on the configured host's free ports,
and an MCAP recording in ``recordings_dir``."""

from __future__ import annotations

from pathlib import Path

import zmq

from simhub.record.recorder import McapRecorder
from simhub.session.controls import ControlMailbox
from simhub.session.model import Session
from simhub.session.service import SessionIo
from simhub.stream.curve import CurveKeys
from simhub.stream.publisher import ZmqControlReceiver, ZmqPublisher


class LiveIo:
    """An ``IoFactory``: call it with a session and its mailbox to open its adapters."""

    def __init__(
        self,
        recordings_dir: Path,
        *,
        host: str = "127.0.0.1",
        curve: CurveKeys | None = None,
        record: bool = True,
    ) -> None:
        self.recordings_dir = recordings_dir
        self.host = host
        self.curve = curve
        self.record = record
        self._context: zmq.Context[zmq.Socket[bytes]] = zmq.Context()

    def __call__(self, session: Session, mailbox: ControlMailbox) -> SessionIo:
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
            recorder = McapRecorder(self.recordings_dir / f"{session.id}.mcap", session.id)
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

    def close(self) -> None:
        self._context.term()
