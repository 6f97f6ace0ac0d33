"""Reply drafts from an iterator and from an async iterator of text chunks, and the live stream helpers."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid

import pytest

from timely_client import (
    AGENT_ACTIVITY_KIND_THINKING, REPLY_DRAFT_STATE_COMMITTED, REPLY_DRAFT_STATE_DELTA, AsyncTimelyClient, MessageVisibility, SenderType,
    TimelyClient, TimelyError, apply_draft,
)


def new_id() -> str:
    return str(uuid.uuid4())


def test_a_draft_from_an_iterator_grows_live_and_becomes_one_message(server):
    tokens = ["Your ", "refund ", "was ", "sent."]
    with TimelyClient(server.target, server.api_key) as timely:
        conversation = timely.create_conversation(agent_id=new_id(), channel_id=new_id(), contact_id=new_id()).conversation
        seen: dict = {"draft": "", "deltas_before_message": 0, "message": None, "activity": []}
        subscribed = threading.Event()

        def read() -> None:
            for item in timely.stream_live(conversation.id):
                if item.HasField("activity"):
                    seen["activity"].append(item.activity.kind)
                    subscribed.set()
                if item.HasField("reply_draft"):
                    if item.reply_draft.state == REPLY_DRAFT_STATE_COMMITTED:
                        return
                    seen["draft"] = apply_draft(seen["draft"], item.reply_draft)
                    if item.reply_draft.state == REPLY_DRAFT_STATE_DELTA and seen["message"] is None:
                        seen["deltas_before_message"] += 1
                if item.HasField("message"):
                    seen["message"] = item.message

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        # The activity shows the stream is live before the draft starts.
        deadline = time.monotonic() + 10
        while not subscribed.is_set() and time.monotonic() < deadline:
            timely.set_activity(conversation_id=conversation.id, kind=AGENT_ACTIVITY_KIND_THINKING)
            subscribed.wait(0.2)

        def model():
            for token in tokens:
                time.sleep(0.005)
                yield token

        sent = timely.send_reply_draft(conversation.id, model())
        reader.join(10)

        assert sent.message.content == "".join(tokens)
        assert sent.message.sequence == 1
        assert seen["draft"] == "".join(tokens)
        assert seen["deltas_before_message"] == len(tokens)
        assert seen["message"] == sent.message
        assert seen["activity"][0] == AGENT_ACTIVITY_KIND_THINKING

        request_id = new_id()
        once = timely.send_reply_draft(conversation.id, iter(["again"]), request_id=request_id)
        twice = timely.send_reply_draft(conversation.id, iter(["again"]), request_id=request_id)
        assert once.message == twice.message
        assert twice.conversation.last_sequence == 2


def test_a_draft_from_an_async_iterator(server):
    async def main() -> None:
        async with AsyncTimelyClient(server.target, server.api_key) as timely:
            conversation = (await timely.create_conversation(agent_id=new_id(), channel_id=new_id(), contact_id=new_id())).conversation

            async def model():
                for token in ["Hello", ", ", "world"]:
                    await asyncio.sleep(0.005)
                    yield token

            sent = await timely.send_reply_draft(conversation.id, model())
            assert sent.message.content == "Hello, world"
            assert sent.message.sender_type == SenderType.SENDER_TYPE_AI_AGENT

            # A handoff mid-draft ends it with the lifecycle refusal.
            async def handed_off():
                yield "Let me"
                await timely.handoff_conversation(id=conversation.id, assigned_to=new_id())
                await asyncio.sleep(0.3)
                yield " check"

            with pytest.raises(TimelyError) as refused:
                await timely.send_reply_draft(conversation.id, handed_off())
            assert refused.value.error_info is not None
            assert refused.value.error_info.reason == "HUMAN_OWNS_CONVERSATION"

            await timely.send_message(conversation_id=conversation.id, sender_type=SenderType.SENDER_TYPE_HUMAN_AGENT,
                                      sender_id=new_id(), content="note", visibility=MessageVisibility.MESSAGE_VISIBILITY_INTERNAL)
            await timely.close_conversation(id=conversation.id)
            public = [item.message.content async for item in timely.stream_live(
                conversation.id, visibility=MessageVisibility.MESSAGE_VISIBILITY_PUBLIC) if item.HasField("message")]
            assert public == ["Hello, world"]

    asyncio.run(main())
