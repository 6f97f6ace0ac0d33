"""Every RPC through both clients, request ids, errors with their google.rpc details."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid

import grpc
import pytest

from timely_client import (
    AsyncTimelyClient, ConversationEventType, ConversationStatus, SenderType, TimelyClient, TimelyError,
)
from timely_client import SendMessageRequest, UpdateConversationRequest, Conversation
from timely_client import CreateConversationRequest, IngestCustomerMessageRequest
from google.protobuf import field_mask_pb2


def new_id() -> str:
    return str(uuid.uuid4())


def test_every_rpc_through_the_sync_client(server):
    with TimelyClient(server.target, server.api_key) as timely:
        agent = new_id()
        created = timely.create_conversation(agent_id=agent, channel_id=new_id(), contact_id=new_id(), tags=["new"]).conversation
        assert created.status == ConversationStatus.CONVERSATION_STATUS_OPEN
        assert timely.get_conversation(id=created.id).conversation == created
        assert [c.id for c in timely.list_conversations(agent_id=agent).conversations] == [created.id]
        updated = timely.update_conversation(UpdateConversationRequest(
            conversation=Conversation(id=created.id, subject="Billing"), update_mask=field_mask_pb2.FieldMask(paths=["subject"]),
        )).conversation
        assert updated.subject == "Billing"
        sent = timely.send_message(conversation_id=created.id, sender_type=SenderType.SENDER_TYPE_AI_AGENT, content="Hi!")
        assert sent.message.sequence == 1
        assert len(timely.list_messages(conversation_id=created.id).messages) == 1
        human = new_id()
        handed = timely.handoff_conversation(id=created.id, assigned_to=human).conversation
        assert (handed.status, handed.assigned_to) == (ConversationStatus.CONVERSATION_STATUS_HUMAN, human)
        assert timely.resume_conversation(id=created.id).conversation.status == ConversationStatus.CONVERSATION_STATUS_OPEN
        ingested = timely.ingest_customer_message(channel_id=created.channel_id, contact_id=created.contact_id, agent_id=agent, content="refund?")
        assert ingested.conversation.id == created.id and not ingested.conversation_created
        hits = timely.search_messages(query="refund*", agent_id=agent).hits
        assert [(h.conversation_id, h.sequence) for h in hits] == [(created.id, 2)] and "<mark>refund</mark>" in hits[0].snippet
        assert [c.id for c in timely.search_conversations(query="billing", agent_id=agent).conversations] == [created.id]
        assert timely.close_conversation(id=created.id).conversation.status == ConversationStatus.CONVERSATION_STATUS_CLOSED
        # The stream of a closed conversation replays it and ends.
        assert [m.sequence for m in timely.stream_messages(created.id)] == [1, 2]

        events = timely.watch_conversations(agent_id=agent)
        first = []
        reader = threading.Thread(target=lambda: first.append(next(events)), daemon=True)
        reader.start()
        for _ in range(50):
            if first:
                break
            timely.create_conversation(agent_id=agent, channel_id=new_id(), contact_id=new_id())
            reader.join(0.1)
        assert first and first[0].type == ConversationEventType.CONVERSATION_EVENT_TYPE_CREATED
        events.close()


def test_every_rpc_through_the_async_client(server):
    async def scenario() -> None:
        async with AsyncTimelyClient(server.target, server.api_key) as timely:
            agent = new_id()
            created = (await timely.create_conversation(agent_id=agent, channel_id=new_id(), contact_id=new_id())).conversation
            assert (await timely.get_conversation(id=created.id)).conversation == created
            assert len((await timely.list_conversations(agent_id=agent)).conversations) == 1
            await timely.update_conversation(conversation=Conversation(id=created.id, tags=["vip"]))
            await timely.send_message(conversation_id=created.id, sender_type=SenderType.SENDER_TYPE_CUSTOMER, content="Hello")
            assert len((await timely.list_messages(conversation_id=created.id)).messages) == 1
            await timely.handoff_conversation(id=created.id, assigned_to=new_id())
            await timely.resume_conversation(id=created.id)
            await timely.ingest_customer_message(channel_id=created.channel_id, contact_id=created.contact_id, agent_id=agent, content="more")
            assert len((await timely.search_messages(query="hello more*", agent_id=agent)).hits) == 0
            assert len((await timely.search_messages(query="mor*", agent_id=agent)).hits) == 1
            assert len((await timely.search_conversations(query="hello", agent_id=agent)).conversations) == 1
            await timely.close_conversation(id=created.id)
            assert [m.sequence async for m in timely.stream_messages(created.id)] == [1, 2]

            watch = timely.watch_conversations(conversation_id=created.id)
            other = (await timely.create_conversation(agent_id=agent, channel_id=new_id(), contact_id=new_id())).conversation
            watch = timely.watch_conversations(conversation_id=other.id)
            first = asyncio.ensure_future(watch.__anext__())
            for _ in range(50):
                if first.done():
                    break
                await timely.update_conversation(conversation=Conversation(id=other.id, subject=new_id()))
                await asyncio.sleep(0.1)
            assert (await first).type == ConversationEventType.CONVERSATION_EVENT_TYPE_UPDATED
            await watch.aclose()

    asyncio.run(scenario())


def test_a_retried_send_with_the_same_request_writes_once(server):
    with TimelyClient(server.target, server.api_key) as timely:
        conversation = timely.create_conversation(agent_id=new_id(), channel_id=new_id(), contact_id=new_id()).conversation
        request = SendMessageRequest(conversation_id=conversation.id, sender_type=SenderType.SENDER_TYPE_CUSTOMER, content="refund please")
        first = timely.send_message(request)
        assert request.request_id  # filled in by the client before sending
        again = timely.send_message(request)
        assert again.message == first.message
        assert len(timely.list_messages(conversation_id=conversation.id).messages) == 1


def test_every_write_that_takes_a_request_id_gets_one(server):
    with TimelyClient(server.target, server.api_key) as timely:
        create = CreateConversationRequest(agent_id=new_id(), channel_id=new_id(), contact_id=new_id())
        conversation = timely.create_conversation(create).conversation
        ingest = IngestCustomerMessageRequest(
            agent_id=conversation.agent_id, channel_id=conversation.channel_id, contact_id=conversation.contact_id, content="hello",
        )
        timely.ingest_customer_message(ingest)
        given = SendMessageRequest(conversation_id=conversation.id, sender_type=SenderType.SENDER_TYPE_CUSTOMER, content="hi", request_id=new_id())
        kept = given.request_id
        timely.send_message(given)
        assert uuid.UUID(create.request_id) and uuid.UUID(ingest.request_id)
        assert given.request_id == kept  # one the caller set is left alone


def test_a_call_takes_its_own_deadline(server):
    """A call's `timeout=` replaces the client's. Where nothing answers (a loopback port bound but not listening),
    the call waits for the service up to its own short deadline, not the client's 30 s: a live server may answer
    inside any deadline short enough to test against it (grpcio rounds deadlines up to the millisecond)."""
    with TimelyClient(server.target, server.api_key, timeout=30) as timely:
        assert timely.list_conversations(page_size=1, timeout=10) is not None

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        target = f"127.0.0.1:{silent.getsockname()[1]}"
        with TimelyClient(target, server.api_key, timeout=30) as timely:
            started = time.monotonic()
            with pytest.raises(TimelyError) as refused:
                timely.list_conversations(page_size=1, timeout=0.3)
            assert refused.value.code == grpc.StatusCode.DEADLINE_EXCEEDED
            assert time.monotonic() - started < 10

        async def main() -> None:
            async with AsyncTimelyClient(target, server.api_key, timeout=30) as timely:
                started = time.monotonic()
                with pytest.raises(TimelyError) as refused:
                    await timely.list_conversations(page_size=1, timeout=0.3)
                assert refused.value.code == grpc.StatusCode.DEADLINE_EXCEEDED
                assert time.monotonic() - started < 10

        asyncio.run(main())


def test_enum_values_have_short_names_as_in_js():
    import timely_client
    from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper

    assert SenderType.AI_AGENT == SenderType.SENDER_TYPE_AI_AGENT == 2
    assert ConversationStatus.OPEN == ConversationStatus.Value("CONVERSATION_STATUS_OPEN")
    assert SenderType.Name(SenderType.AI_AGENT) == "SENDER_TYPE_AI_AGENT"
    assert SendMessageRequest(sender_type=SenderType.HUMAN_AGENT).sender_type == SenderType.SENDER_TYPE_HUMAN_AGENT
    with pytest.raises(AttributeError):
        SenderType.NOT_A_VALUE
    enums = [e for e in vars(timely_client).values() if isinstance(e, EnumTypeWrapper)]
    assert len(enums) > 10
    for enum in enums:   # every value of every enum the package exports, by its short name too
        prefix = "".join("_" + c if c.isupper() and i else c for i, c in enumerate(enum.DESCRIPTOR.name)).upper() + "_"
        for name, number in enum.items():
            assert getattr(enum, name.removeprefix(prefix)) == number, name


def test_the_address_may_be_a_url_as_in_the_other_sdks(server):
    with TimelyClient(f"http://{server.target}", server.api_key) as timely:
        assert timely.list_conversations(page_size=1) is not None


def test_errors_expose_the_code_and_the_details(server):
    with TimelyClient(server.target, server.api_key) as timely:
        with pytest.raises(TimelyError) as bad:
            timely.create_conversation(agent_id="not-a-uuid", channel_id=new_id(), contact_id="")
        assert bad.value.code == grpc.StatusCode.INVALID_ARGUMENT
        assert [v.field for v in bad.value.field_violations] == ["agent_id", "contact_id"]

        conversation = timely.create_conversation(agent_id=new_id(), channel_id=new_id(), contact_id=new_id()).conversation
        timely.handoff_conversation(id=conversation.id, assigned_to=new_id())
        with pytest.raises(TimelyError) as refused:
            timely.send_message(conversation_id=conversation.id, sender_type=SenderType.SENDER_TYPE_AI_AGENT, content="hi")
        assert refused.value.code == grpc.StatusCode.FAILED_PRECONDITION
        assert refused.value.error_info.reason == "HUMAN_OWNS_CONVERSATION"
        assert refused.value.error_info.metadata["status"] == "human"

        with pytest.raises(TimelyError) as missing:
            timely.get_conversation(id=new_id())
        assert missing.value.code == grpc.StatusCode.NOT_FOUND

    with TimelyClient(server.target, "tly_wrong") as anonymous:
        with pytest.raises(TimelyError) as unauthenticated:
            list(anonymous.stream_messages(new_id()))
        assert unauthenticated.value.code == grpc.StatusCode.UNAUTHENTICATED


def test_receipts_through_the_sync_client(server):
    from timely_client import DeliveryStatus, ReadParticipantType
    with TimelyClient(server.target, server.api_key) as timely:
        human = new_id()
        conversation = timely.create_conversation(agent_id=new_id(), channel_id=new_id(), contact_id=new_id()).conversation
        message = timely.send_message(conversation_id=conversation.id, sender_type=SenderType.SENDER_TYPE_AI_AGENT, content="We open at 8.").message
        items = timely.stream_messages_with_updates(conversation.id)
        assert next(items).message.sequence == 1
        assert timely.update_delivery_status(conversation_id=conversation.id, message_id=message.id, status=DeliveryStatus.DELIVERY_STATUS_READ).changed
        assert not timely.update_delivery_status(conversation_id=conversation.id, message_id=message.id, status=DeliveryStatus.DELIVERY_STATUS_SENT).changed
        edited = timely.edit_message(conversation_id=conversation.id, message_id=message.id, content="We open at 9.", revision=1,
                                     editor_type=SenderType.SENDER_TYPE_HUMAN_AGENT, editor_id=human).message
        assert (edited.revision, edited.sequence) == (2, 1)
        read = timely.mark_read(conversation_id=conversation.id, participant_type=ReadParticipantType.READ_PARTICIPANT_TYPE_HUMAN_AGENT,
                                participant_id=human, up_to_sequence=1).conversation
        assert [h.read_sequence for h in read.read_horizons] == [1]
        assert timely.redact_message(conversation_id=conversation.id, message_id=message.id).message.redacted
        assert timely.get_message(conversation_id=conversation.id, message_id=message.id).message.content == ""
        assert [r.content for r in timely.list_message_revisions(conversation_id=conversation.id, message_id=message.id).revisions] == ["", ""]
        timely.close_conversation(id=conversation.id)
        assert [ConversationEventType.Name(i.update.type) for i in items] == [
            "CONVERSATION_EVENT_TYPE_MESSAGE_STATUS_CHANGED", "CONVERSATION_EVENT_TYPE_MESSAGE_EDITED",
            "CONVERSATION_EVENT_TYPE_READ_HORIZON_CHANGED", "CONVERSATION_EVENT_TYPE_MESSAGE_REDACTED",
        ]


def test_receipts_through_the_asyncio_client(server):
    from timely_client import DeliveryStatus

    async def run() -> None:
        async with AsyncTimelyClient(server.target, server.api_key) as timely:
            conversation = (await timely.create_conversation(agent_id=new_id(), channel_id=new_id(), contact_id=new_id())).conversation
            message = (await timely.send_message(conversation_id=conversation.id, sender_type=SenderType.SENDER_TYPE_AI_AGENT, content="Hi")).message
            items = timely.stream_messages_with_updates(conversation.id)
            assert (await items.__anext__()).message.sequence == 1
            await timely.update_delivery_status(conversation_id=conversation.id, message_id=message.id, status=DeliveryStatus.DELIVERY_STATUS_SENT)
            await timely.redact_message(conversation_id=conversation.id, message_id=message.id)
            await timely.close_conversation(id=conversation.id)
            updates = [i.update.type async for i in items]
            assert updates == [ConversationEventType.CONVERSATION_EVENT_TYPE_MESSAGE_STATUS_CHANGED, ConversationEventType.CONVERSATION_EVENT_TYPE_MESSAGE_REDACTED]

    asyncio.run(run())


def test_on_subscribed_tells_when_a_watch_is_live(server):
    """A watch from the present misses nothing written once `on_subscribed` ran (no sleep needed), sync and asyncio."""
    with TimelyClient(server.target, server.api_key) as timely:
        agent = new_id()
        created: list[str] = []

        def subscribed() -> None:
            created.append(timely.create_conversation(agent_id=agent, channel_id=new_id(), contact_id=new_id()).conversation.id)

        events = timely.watch_conversations(agent_id=agent, on_subscribed=subscribed)
        assert next(events).conversation.id == created[0]
        events.close()

    async def main() -> None:
        async with AsyncTimelyClient(server.target, server.api_key) as timely:
            agent = new_id()
            subscribed = asyncio.Event()
            events = timely.watch_conversations(agent_id=agent, on_subscribed=subscribed.set)
            first = asyncio.ensure_future(events.__anext__())
            await asyncio.wait_for(subscribed.wait(), 30)
            conversation = (await timely.create_conversation(agent_id=agent, channel_id=new_id(), contact_id=new_id())).conversation
            assert (await asyncio.wait_for(first, 30)).conversation.id == conversation.id
            await events.aclose()

    asyncio.run(main())
