"""A stream whose caller cancels ends as cancelled, whatever status its call ended with as the caller cancelled, and is
not resumed. Through a load balancer, a replica killed just as the caller cancels ends the call UNAVAILABLE (or resets
it), not CANCELLED. The caller cancels a sync stream by closing its client (the stream raises TimelyError CANCELLED)
and an asyncio stream by cancelling its task (asyncio.CancelledError). That race cannot be timed against a real server,
so the first call of each stream here is a real call to a stand-in server on loopback that ends it with the status under
test, wrapped so that the caller cancels after the call ended and before the stream reads its end. No Timely server is
needed."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import uuid
from concurrent import futures
from types import SimpleNamespace
from typing import Any

import grpc
import pytest

import timely_client.client
from timely_client import AsyncTimelyClient, TimelyClient, TimelyError
from google.rpc import error_details_pb2, status_pb2
from timely.conversations.v1 import conversation_service_pb2_grpc as stubs

STALLED = status_pb2.Status(code=grpc.StatusCode.RESOURCE_EXHAUSTED.value[0], message="subscriber stalled")
STALLED.details.add().Pack(error_details_pb2.ErrorInfo(reason="SUBSCRIBER_STALLED", domain="timely"))

# How the stand-in server ends a stream, by name: what a replica going away (or a stall, or a refusal) looks like.
ENDINGS: dict[str, tuple[grpc.StatusCode, str, tuple[tuple[str, bytes], ...]]] = {
    "unavailable": (grpc.StatusCode.UNAVAILABLE, "Socket closed", ()),
    "reset (CANCELLED)": (grpc.StatusCode.CANCELLED, "Received RST_STREAM with error code 8", ()),
    "reset (INTERNAL)": (grpc.StatusCode.INTERNAL, "Received RST_STREAM with error code 2", ()),
    "stalled": (grpc.StatusCode.RESOURCE_EXHAUSTED, "subscriber stalled", (("grpc-status-details-bin", STALLED.SerializeToString()),)),
    "not found": (grpc.StatusCode.NOT_FOUND, "no such conversation", ()),
}


class EndingServicer(stubs.ConversationServiceServicer):
    """Ends every stream with the ending its call names in the metadata `ending`."""

    def _end(self, context: grpc.ServicerContext) -> None:
        code, details, trailers = ENDINGS[dict(context.invocation_metadata())["ending"]]
        context.set_trailing_metadata(trailers)
        context.abort(code, details)

    def StreamMessages(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._end(context)

    def WatchConversations(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._end(context)


@pytest.fixture(scope="module")
def target():
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    stubs.add_ConversationServiceServicer_to_server(EndingServicer(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield f"127.0.0.1:{port}"
    server.stop(None)


STREAMS = {
    "stream_messages": ("StreamMessages", lambda timely: timely.stream_messages(str(uuid.uuid4()))),
    "watch_conversations": ("WatchConversations", lambda timely: timely.watch_conversations(agent_id=str(uuid.uuid4()))),
}


def open_calls(timely: Any, method: str, ending: str, wrap: Any) -> list[Any]:
    """Makes the client's `method` call the stand-in server with `ending`, its first call wrapped by `wrap`; returns
    the list of the requests it is called with."""
    real = getattr(timely._stub, method)
    opened: list[Any] = []

    def call(request: Any, *, metadata: Any, **options: Any) -> Any:
        opened.append(request)
        made = real(request, metadata=(*metadata, ("ending", ending)), **options)
        return wrap(made) if len(opened) == 1 else made

    setattr(timely._stub, method, call)
    return opened


class ClosedAsItEnds:
    """A sync call whose caller closes the client after the call ended and before its read reports the end."""

    def __init__(self, call: Any, close: Any) -> None:
        self._call = call
        self._close = close

    def initial_metadata(self) -> Any:
        return self._call.initial_metadata()

    def cancel(self) -> bool:
        return self._call.cancel()

    def __iter__(self) -> Any:
        self._call.code()   # waits for the end of the call
        self._close()
        yield from self._call


@pytest.mark.parametrize("ending", ENDINGS)
@pytest.mark.parametrize("stream", STREAMS)
def test_a_sync_stream_whose_client_is_closed_as_its_call_ends_raises_cancelled(target, stream, ending):
    timely = TimelyClient(target, "tly_test", max_attempts=1, max_reconnect_delay=0.05)
    method, open_stream = STREAMS[stream]
    opened = open_calls(timely, method, ending, lambda call: ClosedAsItEnds(call, timely.close))
    with pytest.raises(TimelyError) as error:
        next(open_stream(timely))
    assert (error.value.code, error.value.message) == (grpc.StatusCode.CANCELLED, "Channel closed!")   # as when the client is closed under a running call
    assert len(opened) == 1   # not reopened after the client was closed


def test_a_sync_stream_whose_client_is_closed_during_its_reconnect_pause_raises_cancelled(target, monkeypatch):
    timely = TimelyClient(target, "tly_test", max_attempts=1, max_reconnect_delay=0.05)
    opened = open_calls(timely, "StreamMessages", "unavailable", lambda call: call)
    monkeypatch.setattr(timely_client.client, "time", SimpleNamespace(sleep=lambda _: timely.close()))   # closed during the pause
    with pytest.raises(TimelyError) as error:
        next(timely.stream_messages(str(uuid.uuid4())))
    assert (error.value.code, error.value.message) == (grpc.StatusCode.CANCELLED, "Channel closed!")
    assert len(opened) == 1   # not called again after the client was closed


class CancelledAsItEnds:
    """An asyncio call whose task is cancelled after the call ended and before its read reports the end: grpc.aio then
    raises the call's status, not CancelledError (its read catches the CancelledError, and raises the status of a call
    that is done)."""

    def __init__(self, call: Any) -> None:
        self._call = call

    async def initial_metadata(self) -> Any:
        return await self._call.initial_metadata()

    def cancel(self) -> bool:
        return self._call.cancel()

    async def __aiter__(self) -> Any:
        await self._call.code()   # waits for the end of the call
        with contextlib.suppress(grpc.RpcError):
            await self._call.wait_for_connection()   # and for its request to be sent: its read then awaits only the end
        asyncio.current_task().cancel()
        async for response in self._call:
            yield response


@pytest.mark.skipif(sys.version_info < (3, 11), reason="a task's pending cancellation (Task.cancelling) is Python 3.11+")
@pytest.mark.parametrize("ending", ENDINGS)
@pytest.mark.parametrize("stream", STREAMS)
def test_an_asyncio_stream_whose_task_is_cancelled_as_its_call_ends_is_cancelled(target, stream, ending):
    async def scenario() -> None:
        async with AsyncTimelyClient(target, "tly_test", max_attempts=1, max_reconnect_delay=0.05) as timely:
            method, open_stream = STREAMS[stream]
            opened = open_calls(timely, method, ending, CancelledAsItEnds)
            reading = asyncio.ensure_future(open_stream(timely).__anext__())
            await asyncio.wait([reading], timeout=5)
            try:
                assert reading.done(), f"still reading after its task was cancelled, {len(opened)} calls opened"
                assert reading.cancelled(), f"ended with {reading.exception()!r}"
                assert len(opened) == 1   # not reopened after the task was cancelled
            finally:
                reading.cancel()
                await asyncio.gather(reading, return_exceptions=True)

    asyncio.run(scenario())
