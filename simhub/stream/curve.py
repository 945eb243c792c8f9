"""Optional CURVE encryption and authentication for a session's sockets.

The server (the session) has one key pair; clients present their public keys, and only the
keys registered for the session's organisation are let in (telemetry is confidential: a
competitor's key is refused at the handshake). Keys are Z85 strings as ``zmq.curve_keypair``
makes them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import zmq
from zmq.auth.thread import ThreadAuthenticator


@dataclass(frozen=True)
class CurveKeys:
    """``server_public`` / ``server_secret``: the session's pair; ``clients``: organisation id
    -> the public keys of that organisation's clients."""

    server_public: bytes
    server_secret: bytes
    clients: Mapping[str, frozenset[bytes]] = field(default_factory=dict)

    def allowed(self, organisation_id: str) -> frozenset[bytes]:
        return self.clients.get(organisation_id, frozenset())


def new_keys(clients: Mapping[str, Iterable[bytes]] | None = None) -> CurveKeys:
    public, secret = zmq.curve_keypair()
    return CurveKeys(public, secret, {k: frozenset(v) for k, v in (clients or {}).items()})


class _Allowed:
    """pyzmq's authenticator hands the client's key over Z85-encoded."""

    def __init__(self, keys: frozenset[bytes]) -> None:
        self._keys = {k if len(k) == 40 else zmq.utils.z85.encode(k) for k in keys}

    def callback(self, domain: str, key: bytes) -> bool:
        return key in self._keys


def start_authenticator(
    context: zmq.Context[zmq.Socket[bytes]], keys: CurveKeys, organisation_id: str
) -> ThreadAuthenticator:
    """An authenticator on *context* admitting only *organisation_id*'s client keys."""
    auth = ThreadAuthenticator(context)
    auth.start()
    auth.configure_curve_callback("*", credentials_provider=_Allowed(keys.allowed(organisation_id)))
    return auth


def make_server(socket: zmq.Socket[bytes], keys: CurveKeys) -> None:
    socket.curve_server = True
    socket.curve_secretkey = keys.server_secret
    socket.curve_publickey = keys.server_public


def make_client(
    socket: zmq.Socket[bytes], server_public: bytes, public: bytes, secret: bytes
) -> None:
    socket.curve_serverkey = server_public
    socket.curve_publickey = public
    socket.curve_secretkey = secret
