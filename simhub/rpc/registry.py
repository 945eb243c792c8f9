"""Where services register their handlers: the grpc.aio server, seen through ``GenericOnly``.

The generated ``add_*Servicer_to_server`` functions hand a service's handlers over twice: once
as one generic handler (``add_generic_rpc_handlers``) and once as registered methods
(``add_registered_method_handlers``, the same handlers by name). Either serves every method.
``GenericOnly`` passes the generic handler on and drops the registration.

Why: since grpc 1.8x (grpc/grpc#41796) the asyncio server accepts the calls of each registered
method in a queue of its own, one call per method each time round its accept loop, and the
unregistered calls in one more. Calls are then not taken in the order they came: under load
the busiest method waits longest. In the booking benchmark's mix at 32 clients (35%
GetSchedule, 35% ListBookings, 20% FindSlots, 10% RequestBooking) a GetSchedule call waited
a median 34 ms before its handler ran, a FindSlots call 5 ms, and the handlers themselves took
under 1 ms. Through generic handlers alone the server has one queue, first come first served,
as the bare echo servicer of the benchmark has (``benchmarks/booking_load.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import grpc


class Registry(Protocol):
    """What a generated ``add_*Servicer_to_server`` function calls on the server."""

    def add_generic_rpc_handlers(self, handlers: Sequence[grpc.GenericRpcHandler]) -> None: ...

    def add_registered_method_handlers(
        self, service: str, handlers: dict[str, grpc.RpcMethodHandler]
    ) -> None: ...


class GenericOnly:
    """Stands in for *server* when services register: generic handlers go on to it, registered
    methods are dropped (module doc)."""

    def __init__(self, server: Registry) -> None:
        self._server = server

    def add_generic_rpc_handlers(self, handlers: Sequence[grpc.GenericRpcHandler]) -> None:
        self._server.add_generic_rpc_handlers(handlers)

    def add_registered_method_handlers(
        self, service: str, handlers: dict[str, grpc.RpcMethodHandler]
    ) -> None:
        """Dropped: the generic handler registered with them serves the same methods."""
