"""W3C trace context: a traceparent the caller gives reaches the server, whose log line of the call carries its trace id."""

from __future__ import annotations

import asyncio
import json
import secrets
import shutil
import time
import uuid

import pytest

from conftest import Server
from timely_client import AsyncTimelyClient, SenderType, TimelyClient


@pytest.fixture(scope="module")
def logging_server():
    """A server that logs each call as a JSON line."""
    s = Server({"Logging__Console__FormatterName": "json", "Logging__LogLevel__Timely.Server.Api.CallInterceptor": "Debug"})
    s.start()
    yield s
    s.kill()
    shutil.rmtree(s.folder, ignore_errors=True)


def logged_trace_ids(server: Server, method: str) -> list[str]:
    """The trace ids of the server's log lines for calls of `method` (complete lines only)."""
    lines = server.output().split("\n")[:-1]
    states = [json.loads(line)["State"] for line in lines if line.startswith("{") and "Timely.Server.Api.CallInterceptor" in line]
    return [state["TraceId"] for state in states if state["Method"].endswith("/" + method)]


def wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def new_traceparent() -> tuple[str, str]:
    trace_id = secrets.token_hex(16)
    return trace_id, f"00-{trace_id}-{secrets.token_hex(8)}-01"


def test_the_sync_client_forwards_the_callers_traceparent(logging_server):
    trace_id, traceparent = new_traceparent()
    current: dict[str, str] = {}
    with TimelyClient(logging_server.target, logging_server.api_key, trace_context=lambda: current) as timely:
        conversation = timely.create_conversation(agent_id=str(uuid.uuid4()), channel_id=str(uuid.uuid4()), contact_id=str(uuid.uuid4())).conversation
        current["traceparent"] = traceparent
        timely.send_message(conversation_id=conversation.id, sender_type=SenderType.SENDER_TYPE_CUSTOMER, content="hello")
        current.clear()
        logged = len(logged_trace_ids(logging_server, "GetConversation"))
        timely.get_conversation(id=conversation.id)

    wait_for(lambda: len(logged_trace_ids(logging_server, "GetConversation")) > logged, "the log line of the last call")
    assert trace_id in logged_trace_ids(logging_server, "SendMessage")
    assert trace_id not in logged_trace_ids(logging_server, "GetConversation")  # no traceparent: a trace of its own


def test_the_asyncio_client_forwards_the_callers_traceparent(logging_server):
    trace_id, traceparent = new_traceparent()

    async def main() -> None:
        async with AsyncTimelyClient(logging_server.target, logging_server.api_key, trace_context=lambda: {"traceparent": traceparent}) as timely:
            await timely.create_conversation(agent_id=str(uuid.uuid4()), channel_id=str(uuid.uuid4()), contact_id=str(uuid.uuid4()))

    asyncio.run(main())
    wait_for(lambda: trace_id in logged_trace_ids(logging_server, "CreateConversation"), "CreateConversation logged with the caller's trace id")
