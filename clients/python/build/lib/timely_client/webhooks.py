"""Verifies the webhook requests of the Timely service (Standard Webhooks) and reads their typed event."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

from google.protobuf import json_format

from timely.conversations.v1.conversation_event_pb2 import ConversationEvent


@dataclass(frozen=True)
class TimelyWebhook:
    """A verified webhook: its `id` (the event's cursor, the same on every retry: drop duplicates by it), its
    `type` ("conversation.message_added", ..., or "webhook.test"), when it was sent, and the event (None for
    "webhook.test")."""

    id: str
    type: str
    timestamp: datetime
    event: ConversationEvent | None


class WebhookVerificationError(Exception):
    """A request that is not from the service, is stale, or is not one of its webhooks: answer 400 or 401."""


class WebhookVerifier:
    """Verifies webhook requests by the Standard Webhooks specification: `webhook-signature` is "v1," and the
    base64 HMAC-SHA256 of "id.timestamp.body" under a "whsec_" secret. Give every secret that may sign (during a
    rotation, the new and the previous one): a request is accepted when any of its signatures matches any
    secret and its timestamp is within `tolerance` seconds of now.

        verifier = WebhookVerifier(secret)
        webhook = verifier.verify(request.get_data(), request.headers)
    """

    def __init__(self, secrets: str | Iterable[str], *, tolerance: float = 300, now: Callable[[], float] = time.time) -> None:
        secrets = [secrets] if isinstance(secrets, str) else list(secrets)
        if not secrets:
            raise ValueError("give at least one webhook secret")
        self._keys = [_key(s) for s in secrets]
        self._tolerance = tolerance
        self._now = now

    def verify(self, body: bytes | str, headers: Mapping[str, str]) -> TimelyWebhook:
        """Verifies a request and reads its event; raises WebhookVerificationError when it must be refused.
        `body` is the request's body exactly as received; `headers` any mapping of its headers (names are
        matched without regard to case)."""
        lowered = {k.lower(): v for k, v in headers.items()}
        webhook_id = _required(lowered, "webhook-id")
        timestamp = _required(lowered, "webhook-timestamp")
        signatures = _required(lowered, "webhook-signature")
        if not timestamp.isdigit():
            raise WebhookVerificationError(f"webhook-timestamp {timestamp!r} is not Unix seconds")
        if abs(self._now() - int(timestamp)) > self._tolerance:
            raise WebhookVerificationError(f"webhook-timestamp {timestamp} is more than {self._tolerance} s from now")
        raw = body.encode() if isinstance(body, str) else bytes(body)
        signed = f"{webhook_id}.{timestamp}.".encode() + raw
        expected = [hmac.new(key, signed, hashlib.sha256).digest() for key in self._keys]
        given = [_decode(s[3:]) for s in signatures.split(" ") if s.startswith("v1,")]
        if not any(g is not None and hmac.compare_digest(g, e) for g in given for e in expected):
            raise WebhookVerificationError("no webhook-signature matches the body under the given secrets")
        return _read(webhook_id, int(timestamp), raw)


def _read(webhook_id: str, timestamp: int, body: bytes) -> TimelyWebhook:
    try:
        envelope = json.loads(body)
        kind, data = envelope["type"], envelope["data"]
        event = json_format.ParseDict(data, ConversationEvent(), ignore_unknown_fields=True) if data else None
    except (ValueError, KeyError, TypeError, json_format.ParseError) as error:
        raise WebhookVerificationError(f"the body is not a Timely webhook: {error}") from None
    return TimelyWebhook(webhook_id, kind, datetime.fromtimestamp(timestamp, timezone.utc), event)


def _required(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if not value:
        raise WebhookVerificationError(f"the {name} header is missing")
    return value


def _key(secret: str) -> bytes:
    key = _decode(secret.removeprefix("whsec_"))
    if key is None:
        raise ValueError('a webhook secret is "whsec_" and base64')
    return key


def _decode(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
