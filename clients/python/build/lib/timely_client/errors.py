"""Errors of the Timely service, in Python terms: the gRPC code plus the google.rpc details."""

from __future__ import annotations

from dataclasses import dataclass, field

import grpc
from google.rpc import error_details_pb2, status_pb2


@dataclass(frozen=True)
class FieldViolation:
    """One bad field of an INVALID_ARGUMENT (google.rpc.BadRequest)."""

    field: str
    description: str


@dataclass(frozen=True)
class ErrorInfo:
    """Why a call was refused (google.rpc.ErrorInfo), e.g. reason "HUMAN_OWNS_CONVERSATION"."""

    reason: str
    domain: str
    metadata: dict[str, str] = field(default_factory=dict)


class TimelyError(Exception):
    """A call the service refused. `code` is the gRPC status code; the details say what to fix."""

    def __init__(
        self,
        code: grpc.StatusCode,
        message: str,
        field_violations: list[FieldViolation] | None = None,
        error_info: ErrorInfo | None = None,
        retry_delay: float | None = None,
    ) -> None:
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.message = message
        self.field_violations = field_violations or []
        self.error_info = error_info
        self.retry_delay = retry_delay

    @classmethod
    def from_rpc_error(cls, error: grpc.RpcError) -> TimelyError:
        code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
        message = error.details() if hasattr(error, "details") else str(error)
        violations: list[FieldViolation] = []
        info: ErrorInfo | None = None
        retry: float | None = None
        for key, value in _trailing_metadata(error):
            if key != "grpc-status-details-bin":
                continue
            status = status_pb2.Status.FromString(value)
            for detail in status.details:
                if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                    bad = error_details_pb2.BadRequest()
                    detail.Unpack(bad)
                    violations += [FieldViolation(v.field, v.description) for v in bad.field_violations]
                elif detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                    unpacked = error_details_pb2.ErrorInfo()
                    detail.Unpack(unpacked)
                    info = ErrorInfo(unpacked.reason, unpacked.domain, dict(unpacked.metadata))
                elif detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
                    unpacked_retry = error_details_pb2.RetryInfo()
                    detail.Unpack(unpacked_retry)
                    retry = unpacked_retry.retry_delay.ToTimedelta().total_seconds()
        return cls(code, message or "", violations, info, retry)


def _trailing_metadata(error: grpc.RpcError) -> list[tuple[str, bytes]]:
    try:
        return list(error.trailing_metadata() or [])  # type: ignore[attr-defined]
    except Exception:  # an error raised before any response carries none
        return []
