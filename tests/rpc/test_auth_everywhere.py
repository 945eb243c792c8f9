"""Every method of every simhub service refuses a call without a valid token.

Authentication wraps each of our handlers when its service is registered (``simhub.rpc.auth``),
so a service added to the server without the wrapper would answer anonymous callers: this test
walks the services in our protos, not a list kept by hand, and fails for any such method.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import grpc
import pytest
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor

from simhub._proto.simhub.v1 import (
    booking_pb2,
    evaluation_pb2,
    facility_pb2,
    scenario_pb2,
    session_pb2,
)
from tests.conftest import RunningServer, bearer

MODULES = (booking_pb2, evaluation_pb2, facility_pb2, scenario_pb2, session_pb2)


def services() -> Iterator[ServiceDescriptor]:
    for module in MODULES:
        yield from module.DESCRIPTOR.services_by_name.values()


def call(channel: grpc.Channel, service: ServiceDescriptor, method: MethodDescriptor,
         metadata: list[tuple[str, str]] | None) -> grpc.StatusCode:
    """The status of one call of ``method`` with an empty request (and, when the client
    streams, an empty stream of requests)."""
    path = f"/{service.full_name}/{method.name}"
    same: Callable[[bytes], bytes] = lambda raw: raw  # noqa: E731
    kind = (method.client_streaming, method.server_streaming)
    try:
        if kind == (False, False):
            channel.unary_unary(path, same, same)(b"", metadata=metadata, timeout=10)
        elif kind == (False, True):
            list(channel.unary_stream(path, same, same)(b"", metadata=metadata, timeout=10))
        elif kind == (True, False):
            channel.stream_unary(path, same, same)(iter(()), metadata=metadata, timeout=10)
        else:
            list(channel.stream_stream(path, same, same)(iter(()), metadata=metadata,
                                                         timeout=10))
    except grpc.RpcError as error:
        return error.code()
    return grpc.StatusCode.OK


@pytest.mark.parametrize("metadata", [None, bearer("shb_tok_0_wrong")], ids=["none", "wrong"])
def test_every_method_of_every_service_needs_a_token(
    server: RunningServer, metadata: list[tuple[str, str]] | None
) -> None:
    answered = {}
    for service in services():
        for method in service.methods:
            answered[f"{service.name}.{method.name}"] = call(server.channel, service, method,
                                                             metadata)
    assert len(answered) > 40
    assert {name: code for name, code in answered.items()
            if code != grpc.StatusCode.UNAUTHENTICATED} == {}
