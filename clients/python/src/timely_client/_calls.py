"""What the sync and asyncio clients share: channel options, metadata, request ids, reconnecting."""

from __future__ import annotations

import contextlib
import json
import random
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import grpc

from timely.conversations.v1 import conversation_ai_live_pb2 as live
from timely.conversations.v1 import conversation_service_pb2_grpc as stubs

from ._request_ids import new_request_id
from .errors import TimelyError

# Stream errors after which a stream reconnects and resumes (with backoff); a stall resumes too (at once, see
# `is_stalled`), anything else is the caller's to handle.
TRANSIENT = {grpc.StatusCode.UNAVAILABLE}


def is_transient(error: Any) -> bool:
    """The server went away: UNAVAILABLE, or a stream reset under it: by a stopping server (RST_STREAM
    CANCEL, reported as CANCELLED) or by a proxy whose upstream died (nginx: INTERNAL_ERROR, reported as
    INTERNAL). The service itself sends neither status on a stream."""
    code = error.code()
    reset = code in (grpc.StatusCode.INTERNAL, grpc.StatusCode.CANCELLED) and "RST_STREAM" in (error.details() or "")
    return code in TRANSIENT or reset


def is_stalled(error: Any) -> bool:
    """The server ended the stream because one write waited Feeds:StalledSubscriberTimeout (30 s) for the caller to
    read: RESOURCE_EXHAUSTED with the ErrorInfo reason SUBSCRIBER_STALLED, after all it had sent, so nothing is lost.
    Any other RESOURCE_EXHAUSTED (a rate limit, the quota of streams) is the caller's."""
    if error.code() != grpc.StatusCode.RESOURCE_EXHAUSTED:
        return False
    info = TimelyError.from_rpc_error(error).error_info
    return info is not None and info.reason == "SUBSCRIBER_STALLED"


def channel_options(max_attempts: int, max_reconnect_delay: float) -> list[tuple[str, Any]]:
    """gRPC's retry of unary calls on UNAVAILABLE, and quick reconnection after a server restart. (Not
    grpc.min_reconnect_backoff_ms: grpcio takes it as the minimum time a connection attempt may take, and a
    busy server's first handshake can take longer than a short one, failing every attempt.)"""
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
        ("grpc.max_reconnect_backoff_ms", int(max_reconnect_delay * 1000)),
        ("grpc.keepalive_time_ms", 30_000),
        ("grpc.keepalive_timeout_ms", 20_000),
    ]
    if max_attempts > 1:
        options += [("grpc.enable_retries", 1), ("grpc.service_config", json.dumps(retry))]
    return options


def parse_target(address: str) -> tuple[str, bool]:
    """The gRPC target of an address given as the C# and JS clients take it, a URL (`http://localhost:50051`,
    `https://timely.example.com`), or as grpcio takes it (`localhost:50051`); and whether it asks for TLS."""
    scheme, separator, rest = address.partition("://")
    if not separator:
        return address, False
    if scheme not in ("http", "https"):
        raise ValueError(f"the address {address!r} is neither host:port nor an http(s) URL")
    host = rest.split("/", 1)[0]
    if ":" not in host.rsplit("]", 1)[-1]:
        host += ":443" if scheme == "https" else ":80"
    return host, scheme == "https"


def metadata(api_key: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {api_key}"),) if api_key else ()


def build_request(request_type: type, request: Any | None, fields: dict[str, Any]) -> Any:
    """The request message: the one given, or one built from keyword fields. A write that takes a request id
    gets a fresh one when left empty, so a retry of the same request (gRPC's own, or the caller's with the
    same message) is stored once."""
    message = request if request is not None else request_type(**fields)
    if takes_request_id(message) and not message.request_id:
        message.request_id = new_request_id()
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


def after_message(request: Any, response: Any) -> Any | None:
    """A message stream resumes after the last message delivered; a repeat is skipped."""
    if response.message.sequence <= request.after_sequence:
        return None
    request.after_sequence = response.message.sequence
    return response.message


def after_live_item(request: Any, response: Any) -> Any | None:
    """A live stream resumes after the last message delivered; a repeated message is skipped, and reply
    draft updates and activities pass through."""
    if response.HasField("message"):
        return response if after_message(request, response) is not None else None
    return response


def draft_start(conversation_id: str, request_id: str, sender_id: str, metadata: Mapping[str, str] | None) -> Any:
    """The first item of a reply draft; a request id is made when none is given."""
    return live.StreamReplyDraftRequest(
        start=live.ReplyDraftStart(
            conversation_id=conversation_id, request_id=request_id or new_request_id(), sender_id=sender_id, metadata=dict(metadata or {})
        )
    )


def draft_piece(text: str) -> Any:
    return live.StreamReplyDraftRequest(text=text)


def apply_draft(text: str, update: Any) -> str:
    """A draft's text after `update` (a ReplyDraft): a delta at offset 0 starts (or, for a late subscriber,
    restores) it, any other delta is appended; STARTED, COMMITTED and ABANDONED give ""."""
    if update.state == live.REPLY_DRAFT_STATE_DELTA:
        return update.text if update.offset == 0 else text + update.text
    return ""


def after_message_or_update(request: Any, response: Any) -> Any | None:
    """A message stream with updates resumes after the last message and after the last update's cursor; a
    repeated message is skipped. Items are the responses: each has `message` or `update`."""
    if response.HasField("update"):
        request.after_update_cursor = response.update.cursor
        return response
    if response.message.sequence <= request.after_sequence:
        return None
    request.after_sequence = response.message.sequence
    return response


# The response header of StreamMessages with updates: the cursor its updates start after.
UPDATE_CURSOR_HEADER = "timely-update-cursor"


def after_event(request: Any, response: Any) -> Any:
    """A watch resumes after the last event delivered."""
    request.after_cursor = response.event.cursor
    return response.event


class Resumption:
    """What the sync and asyncio stream loops share: the request that opens the stream again where it stopped,
    the items to deliver, and whether and when to reconnect after a call ends."""

    def __init__(
        self, request_type: type, request: Any | None, fields: dict[str, Any], advance: Callable[[Any, Any], Any | None], max_delay: float,
        on_subscribed: Callable[[], None] | None = None, cancellation: Callable[[], BaseException | None] = lambda: None,
    ) -> None:
        self.request = request_type()  # a copy of the caller's, which `advance` moves past each item
        self.request.CopyFrom(request if request is not None else request_type(**fields))
        self.delay: float | None = None  # the pause before the next call; None after a call ended OK
        self._on_subscribed = on_subscribed
        self._cancellation = cancellation  # what the stream raises once its caller cancelled it; None until then
        self._advance = advance
        self._max_delay = max_delay
        self._attempt = 0

    @property
    def wants_start(self) -> bool:
        """Each call's response headers are awaited before its first item when the caller wants to know that the
        stream is live (`on_subscribed`), or a stream with updates has no update cursor yet (the headers name one)."""
        updates = bool(getattr(self.request, "include_updates", False)) and not self.request.after_update_cursor
        return updates or self._on_subscribed is not None

    def started(self, headers: Any) -> None:
        """Keeps the update cursor the response headers name, so a reconnect before the first update resumes there,
        then tells the caller the stream is live: the moment to list, so that nothing written in between is missed."""
        for key, value in headers or ():
            if key == UPDATE_CURSOR_HEADER and not self.request.after_update_cursor:
                self.request.after_update_cursor = value
        if self._on_subscribed is not None:
            self._on_subscribed()

    def deliver(self, response: Any) -> Any | None:
        """The item of a response (None for a repeat), with the request moved past it."""
        self._attempt = 0
        return self._advance(self.request, response)

    @contextlib.contextmanager
    def call(self, call: Any) -> Iterator[Any]:
        """One call of the stream, cancelled when done. A dropped connection sets `delay` (backoff), a stall sets
        it to 0 (not an outage: the server is up and the caller reads again); any other error is raised as a
        TimelyError, or as the caller's cancellation once the caller cancelled."""
        self.delay = None
        try:
            yield call
        except grpc.RpcError as error:
            cancelled = self._cancellation()
            if cancelled is not None:
                # Whatever status the call ended with as the caller cancelled (UNAVAILABLE when a replica went away
                # at that moment): the stream ends as cancelled, and is not resumed.
                raise cancelled from None
            if is_stalled(error):
                self.delay = 0.0
                self._attempt = 0
            elif is_transient(error):
                self.delay = reconnect_delay(self._attempt, self._max_delay)
                self._attempt += 1
            else:
                raise TimelyError.from_rpc_error(error) from None
        finally:
            call.cancel()


class ClientBase:
    """The constructor the sync and asyncio clients share; `_grpc` is `grpc` or `grpc.aio`."""

    _grpc: Any

    def __init__(
        self,
        target: str,
        api_key: str,
        *,
        timeout: float = 30.0,
        max_attempts: int = 5,
        max_reconnect_delay: float = 5.0,
        credentials: grpc.ChannelCredentials | None = None,
        trace_context: Callable[[], Mapping[str, str] | None] | None = None,
    ) -> None:
        options = channel_options(max_attempts, max_reconnect_delay)
        target, tls = parse_target(target)
        if tls and credentials is None:
            credentials = grpc.ssl_channel_credentials()
        self._channel = (
            self._grpc.secure_channel(target, credentials, options) if credentials else self._grpc.insecure_channel(target, options)
        )
        self._stub = stubs.ConversationServiceStub(self._channel)
        self._metadata = metadata(api_key)
        self._trace_context = trace_context
        self._timeout = timeout
        self._max_reconnect_delay = max_reconnect_delay

    def _call_metadata(self) -> tuple[tuple[str, str], ...]:
        """The API key, plus the caller's W3C trace context (`traceparent`, `tracestate`) when `trace_context`,
        asked on each call and each reconnect of a stream, gives one: the service's span and log line of the
        call then carry the caller's trace id. With OpenTelemetry, pass a function that returns
        `opentelemetry.propagate.inject`'s carrier."""
        context = self._trace_context() if self._trace_context else None
        if not context:
            return self._metadata
        return self._metadata + tuple((name, value) for name in ("traceparent", "tracestate") if (value := context.get(name)))
