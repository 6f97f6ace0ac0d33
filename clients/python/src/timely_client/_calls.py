"""What the sync and asyncio clients share: channel options, metadata, request ids, reconnecting."""

from __future__ import annotations

import json
import random
import uuid
from typing import Any

import grpc

from timely.conversations.v1 import conversation_service_pb2 as service

# Writes that take an AIP-155 request id: the client fills it when left empty, so a retry of the
# same request (gRPC's own, or the caller's with the same message) is stored once.
IDEMPOTENT_REQUESTS = (
    service.CreateConversationRequest,
    service.SendMessageRequest,
    service.IngestCustomerMessageRequest,
)

# Stream errors after which a stream reconnects and resumes; anything else is the caller's to handle.
TRANSIENT = {grpc.StatusCode.UNAVAILABLE}


def channel_options(max_attempts: int, max_reconnect_delay: float) -> list[tuple[str, Any]]:
    """gRPC's retry of unary calls on UNAVAILABLE, and quick reconnection after a server restart."""
    retry = {
        "methodConfig": [
            {
                "name": [{"service": "timely.conversations.v1.ConversationService"}],
                "retryPolicy": {
                    "maxAttempts": max(2, min(max_attempts, 5)),
                    "initialBackoff": "0.2s",
                    "maxBackoff": "2s",
                    "backoffMultiplier": 2,
                    "retryableStatusCodes": ["UNAVAILABLE"],
                },
            }
        ]
    }
    options: list[tuple[str, Any]] = [
        ("grpc.initial_reconnect_backoff_ms", 100),
        ("grpc.min_reconnect_backoff_ms", 100),
        ("grpc.max_reconnect_backoff_ms", int(max_reconnect_delay * 1000)),
        ("grpc.keepalive_time_ms", 30_000),
        ("grpc.keepalive_timeout_ms", 20_000),
    ]
    if max_attempts > 1:
        options += [("grpc.enable_retries", 1), ("grpc.service_config", json.dumps(retry))]
    return options


def metadata(api_key: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {api_key}"),) if api_key else ()


def build_request(request_type: type, request: Any | None, fields: dict[str, Any]) -> Any:
    """The request message: the one given, or one built from keyword fields; with a request id."""
    message = request if request is not None else request_type(**fields)
    if isinstance(message, IDEMPOTENT_REQUESTS) and not message.request_id:
        message.request_id = str(uuid.uuid4())
    return message


def reconnect_delay(attempt: int, maximum: float) -> float:
    """Exponential backoff from 0.1 s with jitter, so the clients of a restarted server spread out."""
    ceiling = min(maximum, 0.1 * 2 ** min(attempt, 10))
    return ceiling / 2 + random.random() * ceiling / 2
