"""The one place that turns a ``SimhubError`` into a gRPC status with google.rpc details."""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from simhub import errors

_CODES: dict[type[errors.SimhubError], int] = {
    errors.NotFound: code_pb2.NOT_FOUND,
    errors.Conflict: code_pb2.ABORTED,
    errors.Unauthenticated: code_pb2.UNAUTHENTICATED,
    errors.PermissionDenied: code_pb2.PERMISSION_DENIED,
    errors.InvalidArgument: code_pb2.INVALID_ARGUMENT,
    errors.QuotaExceeded: code_pb2.RESOURCE_EXHAUSTED,
    errors.FailedPrecondition: code_pb2.FAILED_PRECONDITION,
}


def _pack(message: object) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)  # type: ignore[arg-type]
    return packed


def _field_violations(error: errors.SimhubError) -> tuple[errors.FieldViolation, ...]:
    """Field violations of an ``InvalidArgument``, or of any error that carries them (a
    ``Conflict`` such as booking's ``SlotUnavailable`` lists every rule the request broke)."""
    found = getattr(error, "violations", ())
    return tuple(v for v in found if isinstance(v, errors.FieldViolation))


def _details(error: errors.SimhubError) -> list[any_pb2.Any]:
    if isinstance(error, errors.InvalidArgument | errors.Conflict) and _field_violations(error):
        return [
            _pack(
                error_details_pb2.BadRequest(
                    field_violations=[
                        error_details_pb2.BadRequest.FieldViolation(
                            field=v.field, description=v.description
                        )
                        for v in _field_violations(error)
                    ]
                )
            )
        ]
    if isinstance(error, errors.QuotaExceeded) and error.violations:
        return [
            _pack(
                error_details_pb2.QuotaFailure(
                    violations=[
                        error_details_pb2.QuotaFailure.Violation(
                            subject=v.subject, description=v.description
                        )
                        for v in error.violations
                    ]
                )
            )
        ]
    if isinstance(error, errors.FailedPrecondition) and error.violations:
        return [
            _pack(
                error_details_pb2.PreconditionFailure(
                    violations=[
                        error_details_pb2.PreconditionFailure.Violation(
                            type=v.type, subject=v.subject, description=v.description
                        )
                        for v in error.violations
                    ]
                )
            )
        ]
    return []


def code_of(error: errors.SimhubError) -> grpc.StatusCode:
    code = next((c for t, c in _CODES.items() if isinstance(error, t)), code_pb2.UNKNOWN)
    return next(s for s in grpc.StatusCode if s.value[0] == code)


def to_grpc_status(error: errors.SimhubError) -> grpc.Status:
    """A ``grpc.Status`` carrying the code, the message and the rich details."""
    code = code_of(error).value[0]
    status = status_pb2.Status(code=code, message=error.message, details=_details(error))
    return rpc_status.to_status(status)
