"""A grpcurl-style client that needs no generated code: it learns the API by server reflection.

``simhub call --list`` names the services; ``simhub call simhub.v1.FacilityService/ListCabins
'{}'`` sends a JSON request and prints the JSON reply.
"""

from __future__ import annotations

import json
from typing import Any

import grpc
from google.protobuf import descriptor_pool, json_format, message_factory
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

from simhub.errors import InvalidArgument


def list_services(channel: grpc.Channel) -> list[str]:
    return sorted(ProtoReflectionDescriptorDatabase(channel).get_services())


def call(channel: grpc.Channel, method: str, request_json: str, token: str | None) -> str:
    """Call *method* (``package.Service/Method``) with a JSON request; return the JSON reply."""
    service_name, _, method_name = method.partition("/")
    if not method_name:
        raise InvalidArgument(f"method {method!r}: expected 'package.Service/Method'")
    pool = descriptor_pool.DescriptorPool(ProtoReflectionDescriptorDatabase(channel))
    try:
        service = pool.FindServiceByName(service_name)
    except KeyError as exc:
        raise InvalidArgument(f"the server has no service {service_name!r}") from exc
    descriptor = service.methods_by_name.get(method_name)
    if descriptor is None:
        allowed = ", ".join(sorted(service.methods_by_name))
        raise InvalidArgument(f"{service_name} has no method {method_name!r}; it has {allowed}")
    request_class: Any = message_factory.GetMessageClass(descriptor.input_type)
    response_class: Any = message_factory.GetMessageClass(descriptor.output_type)
    try:
        request = json_format.Parse(request_json or "{}", request_class())
    except json_format.ParseError as exc:
        raise InvalidArgument(f"request JSON for {descriptor.input_type.full_name}: {exc}") from exc
    rpc = channel.unary_unary(
        f"/{service_name}/{method_name}",
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=response_class.FromString,
    )
    metadata = [("authorization", f"Bearer {token}")] if token else None
    reply = rpc(request, metadata=metadata, timeout=30)
    return json.dumps(json_format.MessageToDict(reply), indent=2)
