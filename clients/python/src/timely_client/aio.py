"""The asyncio client: the same methods as `TimelyClient`, awaited."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Mapping
from typing import Any

import grpc

from timely.conversations.v1 import conversation_ai_live_pb2 as live
from timely.conversations.v1 import conversation_event_pb2 as events
from timely.conversations.v1 import conversation_pb2 as resources
from timely.conversations.v1 import conversation_service_pb2 as service
from timely.conversations.v1 import receipts_pb2 as receipts

from . import _calls
from .errors import TimelyError


class AsyncTimelyClient(_calls.ClientBase):
    """The asyncio (grpc.aio) client of the Timely conversation service; see `TimelyClient`.

        async with AsyncTimelyClient("http://localhost:50051", api_key) as timely:
            conversation = (await timely.create_conversation(agent_id=a, channel_id=c, contact_id=p)).conversation
    """

    _grpc = grpc.aio

    async def __aenter__(self) -> AsyncTimelyClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._channel.close()

    async def create_conversation(self, request: service.CreateConversationRequest | None = None, /, **fields: Any) -> service.CreateConversationResponse:
        """Creates a conversation in status OPEN."""
        return await self._unary(self._stub.CreateConversation, service.CreateConversationRequest, request, fields)

    async def get_conversation(self, request: service.GetConversationRequest | None = None, /, **fields: Any) -> service.GetConversationResponse:
        """Returns one conversation."""
        return await self._unary(self._stub.GetConversation, service.GetConversationRequest, request, fields)

    async def list_conversations(self, request: service.ListConversationsRequest | None = None, /, **fields: Any) -> service.ListConversationsResponse:
        """Lists conversations matching the filters, one page at a time."""
        return await self._unary(self._stub.ListConversations, service.ListConversationsRequest, request, fields)

    async def update_conversation(self, request: service.UpdateConversationRequest | None = None, /, **fields: Any) -> service.UpdateConversationResponse:
        """Changes the subject and/or tags of a conversation."""
        return await self._unary(self._stub.UpdateConversation, service.UpdateConversationRequest, request, fields)

    async def handoff_conversation(self, request: service.HandoffConversationRequest | None = None, /, **fields: Any) -> service.HandoffConversationResponse:
        """Hands an open or waiting conversation to a human agent."""
        return await self._unary(self._stub.HandoffConversation, service.HandoffConversationRequest, request, fields)

    async def resume_conversation(self, request: service.ResumeConversationRequest | None = None, /, **fields: Any) -> service.ResumeConversationResponse:
        """Gives a human conversation back to the AI agent."""
        return await self._unary(self._stub.ResumeConversation, service.ResumeConversationRequest, request, fields)

    async def close_conversation(self, request: service.CloseConversationRequest | None = None, /, **fields: Any) -> service.CloseConversationResponse:
        """Closes a conversation."""
        return await self._unary(self._stub.CloseConversation, service.CloseConversationRequest, request, fields)

    async def send_message(self, request: service.SendMessageRequest | None = None, /, **fields: Any) -> service.SendMessageResponse:
        """Appends a message to a conversation."""
        return await self._unary(self._stub.SendMessage, service.SendMessageRequest, request, fields)

    async def list_messages(self, request: service.ListMessagesRequest | None = None, /, **fields: Any) -> service.ListMessagesResponse:
        """Lists the messages of a conversation in sequence order, one page at a time."""
        return await self._unary(self._stub.ListMessages, service.ListMessagesRequest, request, fields)

    async def search_messages(self, request: service.SearchMessagesRequest | None = None, /, **fields: Any) -> service.SearchMessagesResponse:
        """Finds messages by their text (words, "phrases", prefix*, -excluded), most relevant first, one page at a time."""
        return await self._unary(self._stub.SearchMessages, service.SearchMessagesRequest, request, fields)

    async def search_conversations(self, request: service.SearchConversationsRequest | None = None, /, **fields: Any) -> service.SearchConversationsResponse:
        """Finds conversations by subject, tags or message text, most recent activity first, one page at a time."""
        return await self._unary(self._stub.SearchConversations, service.SearchConversationsRequest, request, fields)

    async def ingest_customer_message(self, request: service.IngestCustomerMessageRequest | None = None, /, **fields: Any) -> service.IngestCustomerMessageResponse:
        """The inbound path of a channel: appends to the contact's open conversation or creates one."""
        return await self._unary(self._stub.IngestCustomerMessage, service.IngestCustomerMessageRequest, request, fields)

    def stream_messages(
        self, conversation_id: str, after_sequence: int = 0, *, on_subscribed: Callable[[], None] | None = None
    ) -> AsyncIterator[resources.Message]:
        """The messages after `after_sequence`, then each new one, in order. Reconnects and resumes after a
        dropped connection or a server restart; ends when the conversation is closed."""
        fields = {"conversation_id": conversation_id, "after_sequence": after_sequence}
        return self._resuming(self._stub.StreamMessages, service.StreamMessagesRequest, None, fields, _calls.after_message, on_subscribed)

    async def update_delivery_status(self, request: receipts.UpdateDeliveryStatusRequest | None = None, /, **fields: Any) -> receipts.UpdateDeliveryStatusResponse:
        """Records what the channel reports about an outbound message (SENT, DELIVERED, READ, FAILED); statuses only move forward."""
        return await self._unary(self._stub.UpdateDeliveryStatus, receipts.UpdateDeliveryStatusRequest, request, fields)

    async def mark_read(self, request: receipts.MarkReadRequest | None = None, /, **fields: Any) -> receipts.MarkReadResponse:
        """Moves a participant's read horizon forward (the contact, the AI agent or a human agent)."""
        return await self._unary(self._stub.MarkRead, receipts.MarkReadRequest, request, fields)

    async def edit_message(self, request: receipts.EditMessageRequest | None = None, /, **fields: Any) -> receipts.EditMessageResponse:
        """Replaces an AI-agent or human-agent message's content with a new revision; the sequence stays."""
        return await self._unary(self._stub.EditMessage, receipts.EditMessageRequest, request, fields)

    async def redact_message(self, request: receipts.RedactMessageRequest | None = None, /, **fields: Any) -> receipts.RedactMessageResponse:
        """Erases a message's content, media and metadata everywhere, leaving a tombstone."""
        return await self._unary(self._stub.RedactMessage, receipts.RedactMessageRequest, request, fields)

    async def get_message(self, request: receipts.GetMessageRequest | None = None, /, **fields: Any) -> receipts.GetMessageResponse:
        """Returns one message as it is now."""
        return await self._unary(self._stub.GetMessage, receipts.GetMessageRequest, request, fields)

    async def list_message_revisions(self, request: receipts.ListMessageRevisionsRequest | None = None, /, **fields: Any) -> receipts.ListMessageRevisionsResponse:
        """Lists every revision of a message, oldest first (admin keys)."""
        return await self._unary(self._stub.ListMessageRevisions, receipts.ListMessageRevisionsRequest, request, fields)

    def stream_messages_with_updates(
        self, conversation_id: str, after_sequence: int = 0, after_update_cursor: str = ""
    ) -> AsyncIterator[service.StreamMessagesResponse]:
        """Like `stream_messages`, with the conversation's updates too (delivery status changes, edits,
        redactions, read horizon moves): each item has `message` or `update`, each once, across reconnects."""
        fields = {"conversation_id": conversation_id, "after_sequence": after_sequence, "include_updates": True, "after_update_cursor": after_update_cursor}
        return self._resuming(self._stub.StreamMessages, service.StreamMessagesRequest, None, fields, _calls.after_message_or_update)

    def watch_conversations(
        self, request: service.WatchConversationsRequest | None = None, /, *, on_subscribed: Callable[[], None] | None = None, **fields: Any
    ) -> AsyncIterator[events.ConversationEvent]:
        """Every change to the matching conversations, in log order, from `after_cursor` (or the present).
        Reconnects and resumes after the last event delivered; a cursor past retention raises OUT_OF_RANGE.
        `on_subscribed` is called each time the watch is (re)subscribed and live, before its first event: a watch
        from the present misses nothing written after it."""
        return self._resuming(
            self._stub.WatchConversations, service.WatchConversationsRequest, request, fields, _calls.after_event, on_subscribed)

    async def set_activity(self, request: live.SetActivityRequest | None = None, /, **fields: Any) -> live.SetActivityResponse:
        """Sets what an agent is doing (TYPING, THINKING, SEARCHING, NONE); it expires by itself after its ttl."""
        return await self._unary(self._stub.SetActivity, live.SetActivityRequest, request, fields)

    def stream_live(self, conversation_id: str, after_sequence: int = 0, visibility: int = 0) -> AsyncIterator[service.StreamMessagesResponse]:
        """`TimelyClient.stream_live`: messages, reply draft updates and activities."""
        fields = {"conversation_id": conversation_id, "after_sequence": after_sequence, "include_live": True, "visibility": visibility}
        return self._resuming(self._stub.StreamMessages, service.StreamMessagesRequest, None, fields, _calls.after_live_item)

    async def send_reply_draft(
        self,
        conversation_id: str,
        chunks: AsyncIterable[str] | Iterable[str],
        *,
        request_id: str = "",
        sender_id: str = "",
        metadata: Mapping[str, str] | None = None,
    ) -> live.StreamReplyDraftResponse:
        """`TimelyClient.send_reply_draft` from an async iterator (or an iterator) of text chunks."""
        start = _calls.draft_start(conversation_id, request_id, sender_id, metadata)

        async def items() -> AsyncIterator[live.StreamReplyDraftRequest]:
            yield start
            if isinstance(chunks, AsyncIterable):
                async for text in chunks:
                    if text:
                        yield _calls.draft_piece(text)
            else:
                for text in chunks:
                    if text:
                        yield _calls.draft_piece(text)

        try:
            return await self._stub.StreamReplyDraft(items(), metadata=self._call_metadata())
        except grpc.RpcError as error:
            raise TimelyError.from_rpc_error(error) from None

    async def _unary(self, method: Any, request_type: type, request: Any, fields: dict[str, Any]) -> Any:
        try:
            timeout = fields.pop("timeout", self._timeout)   # a per-call deadline, in seconds
            return await method(_calls.build_request(request_type, request, fields), timeout=timeout, metadata=self._call_metadata(), wait_for_ready=True)
        except grpc.RpcError as error:
            raise TimelyError.from_rpc_error(error) from None

    async def _resuming(
        self, method: Any, request_type: type, request: Any, fields: dict[str, Any], advance: Callable[[Any, Any], Any],
        on_subscribed: Callable[[], None] | None = None,
    ) -> AsyncIterator[Any]:
        """`TimelyClient._resuming`, with grpc.aio."""
        stream = _calls.Resumption(request_type, request, fields, advance, self._max_reconnect_delay, on_subscribed, _cancellation)
        while True:
            with stream.call(method(stream.request, metadata=self._call_metadata(), wait_for_ready=True)) as call:
                if stream.wants_start:
                    stream.started(await call.initial_metadata())
                async for response in call:
                    item = stream.deliver(response)
                    if item is not None:
                        yield item
            if stream.delay is None:
                return
            await asyncio.sleep(stream.delay)


def _cancellation() -> asyncio.CancelledError | None:
    """How a stream ends once its task was cancelled: CancelledError, whatever status its call ended with. grpc.aio
    raises the status of a call that already ended (UNAVAILABLE when a replica went away) instead of the CancelledError
    of a task cancelled while it read, so the stream would resume, and the cancellation would be lost. Python 3.11+
    counts a task's pending cancellations (Task.cancelling); before 3.11 this cannot tell."""
    cancelling = getattr(asyncio.current_task(), "cancelling", None)
    return asyncio.CancelledError() if cancelling is not None and cancelling() else None
