"""What the sync and asyncio clients share: channel options, metadata, request ids, reconnecting."""

from __future__ import annotations

import json
import random
import uuid
from typing import Any

import grpc

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
    """The request message: the one given, or one built from keyword fields. A write that takes a request id
    gets a fresh one when left empty, so a retry of the same request (gRPC's own, or the caller's with the
    same message) is stored once."""
    message = request if request is not None else request_type(**fields)
    if takes_request_id(message) and not message.request_id:
        message.request_id = str(uuid.uuid4())
    return message


def takes_request_id(message: Any) -> bool:
    """Whether the message has an AIP-155 `request_id` (a string field), read from its descriptor: a write
    added to the contract gets request ids with no change here."""
    field = message.DESCRIPTOR.fields_by_name.get("request_id")
    return field is not None and field.type == field.TYPE_STRING and field.label != field.LABEL_REPEATED


def reconnect_delay(attempt: int, maximum: float) -> float:
    """Exponential backoff from 0.1 s with jitter, so the clients of a restarted server spread out."""
    ceiling = min(maximum, 0.1 * 2 ** min(attempt, 10))
    return ceiling / 2 + random.random() * ceiling / 2
