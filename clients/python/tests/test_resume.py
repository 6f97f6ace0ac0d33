"""Streams that outlive a server killed and restarted mid-stream deliver every item exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import threading
import uuid

import grpc
import pytest

from conftest import Server
from timely_client import AsyncTimelyClient, SenderType, TimelyClient, TimelyError


def new_conversation(timely: TimelyClient) -> str:
    return timely.create_conversation(agent_id=str(uuid.uuid4()), channel_id=str(uuid.uuid4()), contact_id=str(uuid.uuid4())).conversation.id


def send(timely: TimelyClient, conversation_id: str, numbers: range) -> None:
    for i in numbers:
        timely.send_message(conversation_id=conversation_id, sender_type=SenderType.SENDER_TYPE_CUSTOMER, content=f"m{i}")


def test_sync_stream_resumes_after_the_server_restarts(fresh_server):
    with TimelyClient(fresh_server.target, fresh_server.api_key, max_reconnect_delay=0.5) as timely:
        conversation_id = new_conversation(timely)
        received: list[int] = []

        def follow() -> None:
            for message in timely.stream_messages(conversation_id):
                received.append(message.sequence)
                if len(received) == 60:
                    return

        reader = threading.Thread(target=follow, daemon=True)
        reader.start()
        send(timely, conversation_id, range(1, 31))
        fresh_server.restart()
        send(timely, conversation_id, range(31, 61))
        reader.join(60)
        assert received == list(range(1, 61))


def test_async_watch_resumes_after_the_server_restarts(fresh_server):
    async def scenario() -> list[int]:
        with TimelyClient(fresh_server.target, fresh_server.api_key) as writer:
            conversation_id = new_conversation(writer)
            async with AsyncTimelyClient(fresh_server.target, fresh_server.api_key, max_reconnect_delay=0.5) as timely:
                sequences: list[int] = []
                events = timely.watch_conversations(conversation_id=conversation_id)
                first = asyncio.ensure_future(events.__anext__())
                for i in range(1, 51):   # until the watch is live and has the first message
                    await asyncio.to_thread(send, writer, conversation_id, range(i, i + 1))
                    await asyncio.sleep(0.05)
                    if first.done():
                        break
                sequences.append((await first).message.sequence)
                sent = (await asyncio.to_thread(lambda: writer.get_conversation(id=conversation_id).conversation.last_sequence))
                await asyncio.to_thread(fresh_server.restart)
                await asyncio.to_thread(send, writer, conversation_id, range(sent + 1, sent + 21))
                async for e in events:
                    sequences.append(e.message.sequence)
                    if e.message.sequence == sent + 20:
                        break
                await events.aclose()
                return sequences

    sequences = asyncio.run(asyncio.wait_for(scenario(), 90))
    assert sequences == list(range(sequences[0], sequences[-1] + 1))
    assert len(sequences) >= 21


def test_a_stream_over_the_quota_of_streams_is_raised_not_resumed():
    """A stream resumes after a stall (RESOURCE_EXHAUSTED with the reason SUBSCRIBER_STALLED, in the SDK scenarios),
    but not after any RESOURCE_EXHAUSTED: a stream refused for the key's quota of streams is raised, by both clients."""
    server = Server({"Limits__MaxStreamsPerKey": "1"})
    server.start()
    try:
        with TimelyClient(server.target, server.api_key) as timely:
            conversation_id = new_conversation(timely)
            subscribed = threading.Event()
            holding = timely.stream_messages(conversation_id, on_subscribed=subscribed.set)   # the key's one stream

            def hold() -> None:
                with contextlib.suppress(TimelyError):   # CANCELLED when the client closes, at the end
                    next(holding, None)

            threading.Thread(target=hold, daemon=True).start()
            assert subscribed.wait(30)

            with pytest.raises(TimelyError) as refused:
                next(timely.stream_messages(conversation_id))
            assert refused.value.code == grpc.StatusCode.RESOURCE_EXHAUSTED

            async def refused_async() -> TimelyError:
                async with AsyncTimelyClient(server.target, server.api_key) as client:
                    with pytest.raises(TimelyError) as error:
                        await asyncio.wait_for(client.stream_messages(conversation_id).__anext__(), 30)
                    return error.value

            assert asyncio.run(refused_async()).code == grpc.StatusCode.RESOURCE_EXHAUSTED
    finally:
        server.kill()
        shutil.rmtree(server.folder, ignore_errors=True)
