"""Authentication of every call, and the per-call caller.

Every method except health and reflection needs ``authorization: Bearer <token>``. Our
services register through ``AuthenticatedServer``, which wraps each of their handlers once:
the wrapper resolves the token (from the identity service's cache on the
event loop, else a database read off it), puts the ``Principal`` into a context variable that
the servicers read with ``current_principal()``, turns ``SimhubError`` into a status with rich
details, logs one line per call, and answers INTERNAL (and logs the traceback) for anything
unexpected. A handler may return its reply already serialised (``bytes``): it is sent as is.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import grpc

from simhub.errors import SimhubError, Unauthenticated
from simhub.identity.model import Principal
from simhub.identity.service import IdentityService
from simhub.rpc.blocking import Blocking
from simhub.rpc.errors import code_of, to_grpc_status
from simhub.rpc.registry import Registry

log = logging.getLogger("simhub.rpc")


_principal: contextvars.ContextVar[Principal] = contextvars.ContextVar("simhub_principal")


def current_principal() -> Principal:
    """The caller of the RPC being served (set by ``AuthInterceptor``)."""
    return _principal.get()


def _bearer(context: grpc.aio.ServicerContext) -> str:
    for key, value in context.invocation_metadata() or ():
        if key == "authorization":
            scheme, _, token = str(value).partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise Unauthenticated("authorization metadata must read 'Bearer <token>'")
            return token.strip()
    raise Unauthenticated("missing 'authorization: Bearer <token>' metadata")


class Authenticator:
    """Resolves the bearer token of a call to its caller.

    A token the identity service's cache does not answer is looked up once however many of
    its calls are waiting: they share the one lookup in flight. A client with many calls open
    otherwise sent all of them to the thread pool the moment its cached entry aged out (every
    2 s), and the server stalled for tens of ms while they read the same row (the slowest 1%
    of the booking benchmark's calls came in such bursts, 2 s apart)."""

    def __init__(self, identity: IdentityService, blocking: Blocking) -> None:
        self._identity = identity
        self._blocking = blocking
        self._in_flight: dict[str, asyncio.Future[Principal]] = {}

    async def __call__(self, context: grpc.aio.ServicerContext) -> Principal:
        token = _bearer(context)
        cached = self._identity.cached_principal(token)  # in memory: no thread hop
        if cached is not None:
            return cached
        lookup = self._in_flight.get(token)
        if lookup is None:
            lookup = asyncio.ensure_future(self._blocking.run(self._identity.authenticate, token))
            self._in_flight[token] = lookup
            lookup.add_done_callback(lambda done: self._landed(token, done))
        # shielded: a caller that goes away does not cancel the lookup the others wait for
        return await asyncio.shield(lookup)

    def _landed(self, token: str, lookup: asyncio.Future[Principal]) -> None:
        del self._in_flight[token]
        if not lookup.cancelled():
            lookup.exception()  # seen here: no "never retrieved" warning when every caller left


class AuthenticatedServer:
    """Stands in for the server when servicers register (``add_*Servicer_to_server``): every
    method handler they hand over is wrapped (``_wrap``) once, here, and goes on to *server*.
    The same as a ``grpc.aio.ServerInterceptor``, without the interceptor pipeline grpc.aio
    runs on every call (a quarter of a bare echo's throughput on a busy machine)."""

    def __init__(self, server: Registry, authenticate: Authenticate) -> None:
        self._server = server
        self._authenticate = authenticate

    def add_registered_method_handlers(
        self, service: str, handlers: dict[str, grpc.RpcMethodHandler]
    ) -> None:
        self._server.add_registered_method_handlers(
            service,
            {
                name: _wrap(handler, f"/{service}/{name}", self._authenticate)
                for name, handler in handlers.items()
            },
        )

    def add_generic_rpc_handlers(self, handlers: Sequence[grpc.GenericRpcHandler]) -> None:
        self._server.add_generic_rpc_handlers(
            tuple(_AuthenticatedHandler(h, self._authenticate) for h in handlers)
        )


class _AuthenticatedHandler(grpc.GenericRpcHandler):
    def __init__(self, inner: grpc.GenericRpcHandler, authenticate: Authenticate) -> None:
        self._inner = inner
        self._authenticate = authenticate
        self._wrapped: dict[str, grpc.RpcMethodHandler | None] = {}

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler:
        method: str = handler_call_details.method
        if method not in self._wrapped:
            handler = self._inner.service(handler_call_details)
            self._wrapped[method] = (
                None if handler is None else _wrap(handler, method, self._authenticate)
            )
        return self._wrapped[method]


Authenticate = Callable[[grpc.aio.ServicerContext], Awaitable[Principal]]


async def _fail(context: grpc.aio.ServicerContext, method: str, error: SimhubError) -> None:
    status = to_grpc_status(error)
    log.info(
        "rpc failed", extra={"method": method, "code": code_of(error).name, "error": error.message}
    )
    await context.abort(status.code, status.details, status.trailing_metadata)


def _wrap(
    handler: grpc.RpcMethodHandler, method: str, authenticate: Authenticate
) -> grpc.RpcMethodHandler:
    async def unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
        started = time.perf_counter()
        reset = None
        try:
            reset = _principal.set(await authenticate(context))
            response = await inner_unary(request, context)
            _log_ok(method, started)
            return response
        except SimhubError as error:
            await _fail(context, method, error)
        except Exception:
            if context.code() not in (None, grpc.StatusCode.OK):
                raise  # an abort the servicer chose
            log.exception("rpc crashed", extra={"method": method})
            await context.abort(grpc.StatusCode.INTERNAL, "internal error; see the server log")
        finally:
            if reset is not None:
                _principal.reset(reset)

    async def streaming(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        started = time.perf_counter()
        try:
            _principal.set(await authenticate(context))
            async for item in inner_stream(request, context):
                yield item
            _log_ok(method, started)
        except SimhubError as error:
            await _fail(context, method, error)

    kwargs = {
        "request_deserializer": handler.request_deserializer,
        "response_serializer": _passing_bytes(handler.response_serializer),
    }
    if handler.unary_unary:
        inner_unary = handler.unary_unary
        return grpc.unary_unary_rpc_method_handler(unary, **kwargs)
    if handler.stream_unary:
        inner_unary = handler.stream_unary
        return grpc.stream_unary_rpc_method_handler(unary, **kwargs)
    if handler.unary_stream:
        inner_stream = handler.unary_stream
        return grpc.unary_stream_rpc_method_handler(streaming, **kwargs)
    inner_stream = handler.stream_stream
    return grpc.stream_stream_rpc_method_handler(streaming, **kwargs)


def _passing_bytes(
    serialize: Callable[[Any], bytes] | None,
) -> Callable[[Any], bytes] | None:
    """*serialize*, except that a reply a handler already serialised (a reply it keeps for a
    cached answer) goes out as it is."""
    if serialize is None:
        return None
    inner = serialize

    def serialize_unless_bytes(reply: Any) -> bytes:
        return reply if reply.__class__ is bytes else inner(reply)

    return serialize_unless_bytes


def _log_ok(method: str, started: float) -> None:
    if log.isEnabledFor(logging.INFO):  # skip building the record's fields when not logged
        log.info(
            "rpc ok",
            extra={"method": method, "ms": round((time.perf_counter() - started) * 1e3, 3)},
        )
