"""The synchronous client."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import grpc

from timely.conversations.v1 import conversation_ai_live_pb2 as live
from timely.conversations.v1 import conversation_event_pb2 as events
from timely.conversations.v1 import conversation_pb2 as resources
from timely.conversations.v1 import conversation_service_pb2 as service
from timely.conversations.v1 import receipts_pb2 as receipts

from . import _calls
from .errors import TimelyError


class TimelyClient(_calls.ClientBase):
    """A client of the Timely conversation service.

    `target` is `host:port` or a URL as the other SDKs take it (`http://localhost:50051`; `https://`
    uses TLS). Every call carries the API key and a deadline (the client's `timeout`, or the call's
    own `timeout=` in seconds); unary calls are retried on UNAVAILABLE; writes get a request id when
    left empty. Methods take the request message, or its fields as keyword arguments, and return the
    response message. Refusals raise `TimelyError`.

        with TimelyClient("http://localhost:50051", api_key) as timely:
            conversation = timely.create_conversation(agent_id=a, channel_id=c, contact_id=p).conversation
    """

    _grpc = grpc
    _closed = False

    def __enter__(self) -> TimelyClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._closed = True
        self._channel.close()

    def create_conversation(self, request: service.CreateConversationRequest | None = None, /, **fields: Any) -> service.CreateConversationResponse:
        """Creates a conversation in status OPEN."""
        return self._unary(self._stub.CreateConversation, service.CreateConversationRequest, request, fields)

    def get_conversation(self, request: service.GetConversationRequest | None = None, /, **fields: Any) -> service.GetConversationResponse:
        """Returns one conversation."""
        return self._unary(self._stub.GetConversation, service.GetConversationRequest, request, fields)

    def list_conversations(self, request: service.ListConversationsRequest | None = None, /, **fields: Any) -> service.ListConversationsResponse:
        """Lists conversations matching the filters, one page at a time."""
        return self._unary(self._stub.ListConversations, service.ListConversationsRequest, request, fields)

    def update_conversation(self, request: service.UpdateConversationRequest | None = None, /, **fields: Any) -> service.UpdateConversationResponse:
        """Changes the subject and/or tags of a conversation."""
        return self._unary(self._stub.UpdateConversation, service.UpdateConversationRequest, request, fields)

    def handoff_conversation(self, request: service.HandoffConversationRequest | None = None, /, **fields: Any) -> service.HandoffConversationResponse:
        """Hands an open or waiting conversation to a human agent."""
        return self._unary(self._stub.HandoffConversation, service.HandoffConversationRequest, request, fields)

    def resume_conversation(self, request: service.ResumeConversationRequest | None = None, /, **fields: Any) -> service.ResumeConversationResponse:
        """Gives a human conversation back to the AI agent."""
        return self._unary(self._stub.ResumeConversation, service.ResumeConversationRequest, request, fields)

    def close_conversation(self, request: service.CloseConversationRequest | None = None, /, **fields: Any) -> service.CloseConversationResponse:
        """Closes a conversation."""
        return self._unary(self._stub.CloseConversation, service.CloseConversationRequest, request, fields)

    def send_message(self, request: service.SendMessageRequest | None = None, /, **fields: Any) -> service.SendMessageResponse:
        """Appends a message to a conversation."""
        return self._unary(self._stub.SendMessage, service.SendMessageRequest, request, fields)

    def list_messages(self, request: service.ListMessagesRequest | None = None, /, **fields: Any) -> service.ListMessagesResponse:
        """Lists the messages of a conversation in sequence order, one page at a time."""
        return self._unary(self._stub.ListMessages, service.ListMessagesRequest, request, fields)

    def search_messages(self, request: service.SearchMessagesRequest | None = None, /, **fields: Any) -> service.SearchMessagesResponse:
        """Finds messages by their text (words, "phrases", prefix*, -excluded), most relevant first, one page at a time."""
        return self._unary(self._stub.SearchMessages, service.SearchMessagesRequest, request, fields)

    def search_conversations(self, request: service.SearchConversationsRequest | None = None, /, **fields: Any) -> service.SearchConversationsResponse:
        """Finds conversations by subject, tags or message text, most recent activity first, one page at a time."""
        return self._unary(self._stub.SearchConversations, service.SearchConversationsRequest, request, fields)

    def ingest_customer_message(self, request: service.IngestCustomerMessageRequest | None = None, /, **fields: Any) -> service.IngestCustomerMessageResponse:
        """The inbound path of a channel: appends to the contact's open conversation or creates one."""
        return self._unary(self._stub.IngestCustomerMessage, service.IngestCustomerMessageRequest, request, fields)

    def stream_messages(
        self, conversation_id: str, after_sequence: int = 0, *, on_subscribed: Callable[[], None] | None = None
    ) -> Iterator[resources.Message]:
        """The messages after `after_sequence`, then each new one, in order. Reconnects and resumes after a
        dropped connection or a server restart; ends when the conversation is closed."""
        fields = {"conversation_id": conversation_id, "after_sequence": after_sequence}
        return self._resuming(self._stub.StreamMessages, service.StreamMessagesRequest, None, fields, _calls.after_message, on_subscribed)

    def update_delivery_status(self, request: receipts.UpdateDeliveryStatusRequest | None = None, /, **fields: Any) -> receipts.UpdateDeliveryStatusResponse:
        """Records what the channel reports about an outbound message (SENT, DELIVERED, READ, FAILED); statuses only move forward."""
        return self._unary(self._stub.UpdateDeliveryStatus, receipts.UpdateDeliveryStatusRequest, request, fields)

    def mark_read(self, request: receipts.MarkReadRequest | None = None, /, **fields: Any) -> receipts.MarkReadResponse:
        """Moves a participant's read horizon forward (the contact, the AI agent or a human agent)."""
        return self._unary(self._stub.MarkRead, receipts.MarkReadRequest, request, fields)

    def edit_message(self, request: receipts.EditMessageRequest | None = None, /, **fields: Any) -> receipts.EditMessageResponse:
        """Replaces an AI-agent or human-agent message's content with a new revision; the sequence stays."""
        return self._unary(self._stub.EditMessage, receipts.EditMessageRequest, request, fields)

    def redact_message(self, request: receipts.RedactMessageRequest | None = None, /, **fields: Any) -> receipts.RedactMessageResponse:
        """Erases a message's content, media and metadata everywhere, leaving a tombstone."""
        return self._unary(self._stub.RedactMessage, receipts.RedactMessageRequest, request, fields)

    def get_message(self, request: receipts.GetMessageRequest | None = None, /, **fields: Any) -> receipts.GetMessageResponse:
        """Returns one message as it is now."""
        return self._unary(self._stub.GetMessage, receipts.GetMessageRequest, request, fields)

    def list_message_revisions(self, request: receipts.ListMessageRevisionsRequest | None = None, /, **fields: Any) -> receipts.ListMessageRevisionsResponse:
        """Lists every revision of a message, oldest first (admin keys)."""
        return self._unary(self._stub.ListMessageRevisions, receipts.ListMessageRevisionsRequest, request, fields)

    def stream_messages_with_updates(
        self, conversation_id: str, after_sequence: int = 0, after_update_cursor: str = ""
    ) -> Iterator[service.StreamMessagesResponse]:
        """Like `stream_messages`, with the conversation's updates too (delivery status changes, edits,
        redactions, read horizon moves): each item has `message` or `update`, each once, across reconnects."""
        fields = {"conversation_id": conversation_id, "after_sequence": after_sequence, "include_updates": True, "after_update_cursor": after_update_cursor}
        return self._resuming(self._stub.StreamMessages, service.StreamMessagesRequest, None, fields, _calls.after_message_or_update)

    def watch_conversations(
        self, request: service.WatchConversationsRequest | None = None, /, *, on_subscribed: Callable[[], None] | None = None, **fields: Any
    ) -> Iterator[events.ConversationEvent]:
        """Every change to the matching conversations, in log order, from `after_cursor` (or the present).
        Reconnects and resumes after the last event delivered; a cursor past retention raises OUT_OF_RANGE.
        `on_subscribed` is called each time the watch is (re)subscribed and live, before its first event: a watch
        from the present misses nothing written after it."""
        return self._resuming(
            self._stub.WatchConversations, service.WatchConversationsRequest, request, fields, _calls.after_event, on_subscribed)

    def set_activity(self, request: live.SetActivityRequest | None = None, /, **fields: Any) -> live.SetActivityResponse:
        """Sets what an agent is doing (TYPING, THINKING, SEARCHING, NONE); it expires by itself after its ttl."""
        return self._unary(self._stub.SetActivity, live.SetActivityRequest, request, fields)

    def stream_live(self, conversation_id: str, after_sequence: int = 0, visibility: int = 0) -> Iterator[service.StreamMessagesResponse]:
        """Like `stream_messages`, with the live-only items too: each item has a `message`, a `reply_draft` update
        or an agent's `activity` (`HasField` tells which). Only messages of `visibility` when it is set. Resumes
        after the last message; a subscriber that (re)joins mid-draft receives the draft's text so far as one delta
        at offset 0 (`apply_draft` handles both)."""
        fields = {"conversation_id": conversation_id, "after_sequence": after_sequence, "include_live": True, "visibility": visibility}
        return self._resuming(self._stub.StreamMessages, service.StreamMessagesRequest, None, fields, _calls.after_live_item)

    def send_reply_draft(
        self, conversation_id: str, chunks: Iterable[str], *, request_id: str = "", sender_id: str = "", metadata: Mapping[str, str] | None = None
    ) -> live.StreamReplyDraftResponse:
        """Streams a reply of the AI agent from `chunks` (an iterator of text, e.g. a model's tokens) as a reply
        draft: live subscribers see each chunk as it is written; when `chunks` ends, the whole text becomes one
        message, which is returned. Pass a `request_id` to retry safely (one is made otherwise). A draft the
        server ended (handoff or close mid-draft, idle time) raises its TimelyError."""
        start = _calls.draft_start(conversation_id, request_id, sender_id, metadata)

        def items() -> Iterator[live.StreamReplyDraftRequest]:
            yield start
            for text in chunks:
                if text:
                    yield _calls.draft_piece(text)

        try:
            return self._stub.StreamReplyDraft(items(), metadata=self._call_metadata())
        except grpc.RpcError as error:
            raise TimelyError.from_rpc_error(error) from None

    def _unary(self, method: Any, request_type: type, request: Any, fields: dict[str, Any]) -> Any:
        """One unary call with the API key and its deadline. It waits for the service to be reachable
        (wait_for_ready), up to that deadline, as the C# and JS clients do: gRPC's retry policy alone, with its
        randomised backoff, failed calls made during a 3-second restart with UNAVAILABLE."""
        try:
            timeout = fields.pop("timeout", self._timeout)   # a per-call deadline, in seconds
            return method(_calls.build_request(request_type, request, fields), timeout=timeout, metadata=self._call_metadata(), wait_for_ready=True)
        except grpc.RpcError as error:
            raise TimelyError.from_rpc_error(error) from None

    def _resuming(
        self, method: Any, request_type: type, request: Any, fields: dict[str, Any], advance: Callable[[Any, Any], Any],
        on_subscribed: Callable[[], None] | None = None,
    ) -> Iterator[Any]:
        """The items of a server stream across reconnects: after a dropped connection or a server restart, it
        waits (backoff) and calls `method` again with the request that `advance` moved past the last item
        delivered; after the server ended the stream as stalled (the caller read nothing for a while), it calls
        again at once. Ends when a call ends OK (a message stream: when the conversation is closed). Each call waits
        for the server to be reachable (wait_for_ready): grpcio 1.51's blocking iterator can wait forever on a
        call that failed at once because the connection was refused, as it is right after a restart."""
        stream = _calls.Resumption(request_type, request, fields, advance, self._max_reconnect_delay, on_subscribed, self._cancellation)
        while True:
            with stream.call(method(stream.request, metadata=self._call_metadata(), wait_for_ready=True)) as call:
                if stream.wants_start:
                    stream.started(call.initial_metadata())
                for response in call:
                    item = stream.deliver(response)
                    if item is not None:
                        yield item
            if stream.delay is None:
                return
            time.sleep(stream.delay)
            cancelled = self._cancellation()
            if cancelled is not None:   # closed during the pause: not called again (on a closed channel)
                raise cancelled

    def _cancellation(self) -> TimelyError | None:
        """How a stream ends once its caller closed the client (the way to cancel a sync stream): as a call that was
        running when the channel closed ends, CANCELLED, whatever status its own call ended with."""
        return TimelyError(grpc.StatusCode.CANCELLED, "Channel closed!") if self._closed else None
