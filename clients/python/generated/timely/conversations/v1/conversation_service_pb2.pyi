from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from timely.conversations.v1 import conversation_pb2 as _conversation_pb2
from timely.conversations.v1 import conversation_ai_pb2 as _conversation_ai_pb2
from timely.conversations.v1 import conversation_ai_live_pb2 as _conversation_ai_live_pb2
from timely.conversations.v1 import conversation_event_pb2 as _conversation_event_pb2
from timely.conversations.v1 import receipts_pb2 as _receipts_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

CONVERSATION_ORDER_CREATED_AT_DESC: ConversationOrder
CONVERSATION_ORDER_LAST_MESSAGE_AT_DESC: ConversationOrder
CONVERSATION_ORDER_UNSPECIFIED: ConversationOrder
DESCRIPTOR: _descriptor.FileDescriptor

class CloseConversationRequest(_message.Message):
    __slots__ = ["etag", "id"]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    etag: str
    id: str
    def __init__(self, id: _Optional[str] = ..., etag: _Optional[str] = ...) -> None: ...

class CloseConversationResponse(_message.Message):
    __slots__ = ["conversation"]
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    conversation: _conversation_pb2.Conversation
    def __init__(self, conversation: _Optional[_Union[_conversation_pb2.Conversation, _Mapping]] = ...) -> None: ...

class CreateConversationRequest(_message.Message):
    __slots__ = ["agent_id", "channel_id", "contact_id", "request_id", "subject", "tags"]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    CONTACT_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    channel_id: str
    contact_id: str
    request_id: str
    subject: str
    tags: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, agent_id: _Optional[str] = ..., channel_id: _Optional[str] = ..., contact_id: _Optional[str] = ..., subject: _Optional[str] = ..., tags: _Optional[_Iterable[str]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateConversationResponse(_message.Message):
    __slots__ = ["conversation"]
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    conversation: _conversation_pb2.Conversation
    def __init__(self, conversation: _Optional[_Union[_conversation_pb2.Conversation, _Mapping]] = ...) -> None: ...

class GetConversationRequest(_message.Message):
    __slots__ = ["id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetConversationResponse(_message.Message):
    __slots__ = ["conversation"]
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    conversation: _conversation_pb2.Conversation
    def __init__(self, conversation: _Optional[_Union[_conversation_pb2.Conversation, _Mapping]] = ...) -> None: ...

class HandoffConversationRequest(_message.Message):
    __slots__ = ["assigned_to", "etag", "id", "priority", "reason", "summary"]
    ASSIGNED_TO_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    assigned_to: str
    etag: str
    id: str
    priority: _conversation_ai_pb2.HandoffPriority
    reason: _conversation_ai_pb2.HandoffReason
    summary: str
    def __init__(self, id: _Optional[str] = ..., assigned_to: _Optional[str] = ..., etag: _Optional[str] = ..., reason: _Optional[_Union[_conversation_ai_pb2.HandoffReason, str]] = ..., priority: _Optional[_Union[_conversation_ai_pb2.HandoffPriority, str]] = ..., summary: _Optional[str] = ...) -> None: ...

class HandoffConversationResponse(_message.Message):
    __slots__ = ["conversation"]
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    conversation: _conversation_pb2.Conversation
    def __init__(self, conversation: _Optional[_Union[_conversation_pb2.Conversation, _Mapping]] = ...) -> None: ...

class IngestCustomerMessageRequest(_message.Message):
    __slots__ = ["agent_id", "channel_id", "contact_id", "content", "external_id", "media_type", "media_url", "message_type", "metadata", "request_id"]
    class MetadataEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    CONTACT_ID_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    MEDIA_TYPE_FIELD_NUMBER: _ClassVar[int]
    MEDIA_URL_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_TYPE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    channel_id: str
    contact_id: str
    content: str
    external_id: str
    media_type: str
    media_url: str
    message_type: _conversation_pb2.MessageType
    metadata: _containers.ScalarMap[str, str]
    request_id: str
    def __init__(self, channel_id: _Optional[str] = ..., contact_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., content: _Optional[str] = ..., external_id: _Optional[str] = ..., message_type: _Optional[_Union[_conversation_pb2.MessageType, str]] = ..., media_url: _Optional[str] = ..., media_type: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ..., request_id: _Optional[str] = ...) -> None: ...

class IngestCustomerMessageResponse(_message.Message):
    __slots__ = ["conversation", "conversation_created", "duplicate", "message"]
    CONVERSATION_CREATED_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    conversation: _conversation_pb2.Conversation
    conversation_created: bool
    duplicate: bool
    message: _conversation_pb2.Message
    def __init__(self, conversation: _Optional[_Union[_conversation_pb2.Conversation, _Mapping]] = ..., message: _Optional[_Union[_conversation_pb2.Message, _Mapping]] = ..., conversation_created: bool = ..., duplicate: bool = ...) -> None: ...

class ListConversationsRequest(_message.Message):
    __slots__ = ["agent_id", "assigned_to", "channel_id", "contact_id", "created_after", "created_before", "last_message_after", "last_message_before", "only_unread", "order_by", "page_size", "page_token", "priority", "statuses", "tag", "unread_for"]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    ASSIGNED_TO_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    CONTACT_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AFTER_FIELD_NUMBER: _ClassVar[int]
    CREATED_BEFORE_FIELD_NUMBER: _ClassVar[int]
    LAST_MESSAGE_AFTER_FIELD_NUMBER: _ClassVar[int]
    LAST_MESSAGE_BEFORE_FIELD_NUMBER: _ClassVar[int]
    ONLY_UNREAD_FIELD_NUMBER: _ClassVar[int]
    ORDER_BY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    TAG_FIELD_NUMBER: _ClassVar[int]
    UNREAD_FOR_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    assigned_to: str
    channel_id: str
    contact_id: str
    created_after: _timestamp_pb2.Timestamp
    created_before: _timestamp_pb2.Timestamp
    last_message_after: _timestamp_pb2.Timestamp
    last_message_before: _timestamp_pb2.Timestamp
    only_unread: bool
    order_by: ConversationOrder
    page_size: int
    page_token: str
    priority: _conversation_ai_pb2.HandoffPriority
    statuses: _containers.RepeatedScalarFieldContainer[_conversation_pb2.ConversationStatus]
    tag: str
    unread_for: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., statuses: _Optional[_Iterable[_Union[_conversation_pb2.ConversationStatus, str]]] = ..., agent_id: _Optional[str] = ..., channel_id: _Optional[str] = ..., contact_id: _Optional[str] = ..., assigned_to: _Optional[str] = ..., tag: _Optional[str] = ..., created_after: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., created_before: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., last_message_after: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., last_message_before: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., order_by: _Optional[_Union[ConversationOrder, str]] = ..., priority: _Optional[_Union[_conversation_ai_pb2.HandoffPriority, str]] = ..., unread_for: _Optional[str] = ..., only_unread: bool = ...) -> None: ...

class ListConversationsResponse(_message.Message):
    __slots__ = ["conversations", "next_page_token"]
    CONVERSATIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    conversations: _containers.RepeatedCompositeFieldContainer[_conversation_pb2.Conversation]
    next_page_token: str
    def __init__(self, conversations: _Optional[_Iterable[_Union[_conversation_pb2.Conversation, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListMessagesRequest(_message.Message):
    __slots__ = ["conversation_id", "page_size", "page_token", "visibility"]
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    VISIBILITY_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    page_size: int
    page_token: str
    visibility: _conversation_ai_pb2.MessageVisibility
    def __init__(self, conversation_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., visibility: _Optional[_Union[_conversation_ai_pb2.MessageVisibility, str]] = ...) -> None: ...

class ListMessagesResponse(_message.Message):
    __slots__ = ["messages", "next_page_token"]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    messages: _containers.RepeatedCompositeFieldContainer[_conversation_pb2.Message]
    next_page_token: str
    def __init__(self, messages: _Optional[_Iterable[_Union[_conversation_pb2.Message, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class MessageHit(_message.Message):
    __slots__ = ["conversation_id", "message", "message_id", "sequence", "snippet"]
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    SNIPPET_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    message: _conversation_pb2.Message
    message_id: str
    sequence: int
    snippet: str
    def __init__(self, conversation_id: _Optional[str] = ..., message_id: _Optional[str] = ..., sequence: _Optional[int] = ..., snippet: _Optional[str] = ..., message: _Optional[_Union[_conversation_pb2.Message, _Mapping]] = ...) -> None: ...

class ResumeConversationRequest(_message.Message):
    __slots__ = ["etag", "id"]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    etag: str
    id: str
    def __init__(self, id: _Optional[str] = ..., etag: _Optional[str] = ...) -> None: ...

class ResumeConversationResponse(_message.Message):
    __slots__ = ["conversation"]
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    conversation: _conversation_pb2.Conversation
    def __init__(self, conversation: _Optional[_Union[_conversation_pb2.Conversation, _Mapping]] = ...) -> None: ...

class SearchConversationsRequest(_message.Message):
    __slots__ = ["agent_id", "assigned_to", "channel_id", "contact_id", "created_after", "created_before", "last_message_after", "last_message_before", "page_size", "page_token", "query", "statuses", "tag"]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    ASSIGNED_TO_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    CONTACT_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AFTER_FIELD_NUMBER: _ClassVar[int]
    CREATED_BEFORE_FIELD_NUMBER: _ClassVar[int]
    LAST_MESSAGE_AFTER_FIELD_NUMBER: _ClassVar[int]
    LAST_MESSAGE_BEFORE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    TAG_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    assigned_to: str
    channel_id: str
    contact_id: str
    created_after: _timestamp_pb2.Timestamp
    created_before: _timestamp_pb2.Timestamp
    last_message_after: _timestamp_pb2.Timestamp
    last_message_before: _timestamp_pb2.Timestamp
    page_size: int
    page_token: str
    query: str
    statuses: _containers.RepeatedScalarFieldContainer[_conversation_pb2.ConversationStatus]
    tag: str
    def __init__(self, query: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., statuses: _Optional[_Iterable[_Union[_conversation_pb2.ConversationStatus, str]]] = ..., agent_id: _Optional[str] = ..., channel_id: _Optional[str] = ..., contact_id: _Optional[str] = ..., assigned_to: _Optional[str] = ..., tag: _Optional[str] = ..., created_after: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., created_before: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., last_message_after: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., last_message_before: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SearchConversationsResponse(_message.Message):
    __slots__ = ["conversations", "next_page_token"]
    CONVERSATIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    conversations: _containers.RepeatedCompositeFieldContainer[_conversation_pb2.Conversation]
    next_page_token: str
    def __init__(self, conversations: _Optional[_Iterable[_Union[_conversation_pb2.Conversation, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class SearchMessagesRequest(_message.Message):
    __slots__ = ["agent_id", "assigned_to", "channel_id", "contact_id", "created_after", "created_before", "last_message_after", "last_message_before", "page_size", "page_token", "query", "statuses", "tag"]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    ASSIGNED_TO_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    CONTACT_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AFTER_FIELD_NUMBER: _ClassVar[int]
    CREATED_BEFORE_FIELD_NUMBER: _ClassVar[int]
    LAST_MESSAGE_AFTER_FIELD_NUMBER: _ClassVar[int]
    LAST_MESSAGE_BEFORE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    TAG_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    assigned_to: str
    channel_id: str
    contact_id: str
    created_after: _timestamp_pb2.Timestamp
    created_before: _timestamp_pb2.Timestamp
    last_message_after: _timestamp_pb2.Timestamp
    last_message_before: _timestamp_pb2.Timestamp
    page_size: int
    page_token: str
    query: str
    statuses: _containers.RepeatedScalarFieldContainer[_conversation_pb2.ConversationStatus]
    tag: str
    def __init__(self, query: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., statuses: _Optional[_Iterable[_Union[_conversation_pb2.ConversationStatus, str]]] = ..., agent_id: _Optional[str] = ..., channel_id: _Optional[str] = ..., contact_id: _Optional[str] = ..., assigned_to: _Optional[str] = ..., tag: _Optional[str] = ..., created_after: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., created_before: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., last_message_after: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., last_message_before: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SearchMessagesResponse(_message.Message):
    __slots__ = ["hits", "next_page_token"]
    HITS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    hits: _containers.RepeatedCompositeFieldContainer[MessageHit]
    next_page_token: str
    def __init__(self, hits: _Optional[_Iterable[_Union[MessageHit, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class SendMessageRequest(_message.Message):
    __slots__ = ["content", "conversation_id", "media_type", "media_url", "message_type", "metadata", "request_id", "sender_id", "sender_type", "visibility"]
    class MetadataEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    MEDIA_TYPE_FIELD_NUMBER: _ClassVar[int]
    MEDIA_URL_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_TYPE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SENDER_ID_FIELD_NUMBER: _ClassVar[int]
    SENDER_TYPE_FIELD_NUMBER: _ClassVar[int]
    VISIBILITY_FIELD_NUMBER: _ClassVar[int]
    content: str
    conversation_id: str
    media_type: str
    media_url: str
    message_type: _conversation_pb2.MessageType
    metadata: _containers.ScalarMap[str, str]
    request_id: str
    sender_id: str
    sender_type: _conversation_pb2.SenderType
    visibility: _conversation_ai_pb2.MessageVisibility
    def __init__(self, conversation_id: _Optional[str] = ..., sender_type: _Optional[_Union[_conversation_pb2.SenderType, str]] = ..., sender_id: _Optional[str] = ..., content: _Optional[str] = ..., message_type: _Optional[_Union[_conversation_pb2.MessageType, str]] = ..., media_url: _Optional[str] = ..., media_type: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ..., request_id: _Optional[str] = ..., visibility: _Optional[_Union[_conversation_ai_pb2.MessageVisibility, str]] = ...) -> None: ...

class SendMessageResponse(_message.Message):
    __slots__ = ["conversation", "message"]
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    conversation: _conversation_pb2.Conversation
    message: _conversation_pb2.Message
    def __init__(self, message: _Optional[_Union[_conversation_pb2.Message, _Mapping]] = ..., conversation: _Optional[_Union[_conversation_pb2.Conversation, _Mapping]] = ...) -> None: ...

class StreamMessagesRequest(_message.Message):
    __slots__ = ["after_sequence", "after_update_cursor", "conversation_id", "include_live", "include_updates", "visibility"]
    AFTER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    AFTER_UPDATE_CURSOR_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_LIVE_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_UPDATES_FIELD_NUMBER: _ClassVar[int]
    VISIBILITY_FIELD_NUMBER: _ClassVar[int]
    after_sequence: int
    after_update_cursor: str
    conversation_id: str
    include_live: bool
    include_updates: bool
    visibility: _conversation_ai_pb2.MessageVisibility
    def __init__(self, conversation_id: _Optional[str] = ..., after_sequence: _Optional[int] = ..., include_live: bool = ..., visibility: _Optional[_Union[_conversation_ai_pb2.MessageVisibility, str]] = ..., include_updates: bool = ..., after_update_cursor: _Optional[str] = ...) -> None: ...

class StreamMessagesResponse(_message.Message):
    __slots__ = ["activity", "message", "reply_draft", "update"]
    ACTIVITY_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    REPLY_DRAFT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_FIELD_NUMBER: _ClassVar[int]
    activity: _conversation_ai_live_pb2.AgentActivity
    message: _conversation_pb2.Message
    reply_draft: _conversation_ai_live_pb2.ReplyDraft
    update: _conversation_event_pb2.ConversationEvent
    def __init__(self, message: _Optional[_Union[_conversation_pb2.Message, _Mapping]] = ..., reply_draft: _Optional[_Union[_conversation_ai_live_pb2.ReplyDraft, _Mapping]] = ..., activity: _Optional[_Union[_conversation_ai_live_pb2.AgentActivity, _Mapping]] = ..., update: _Optional[_Union[_conversation_event_pb2.ConversationEvent, _Mapping]] = ...) -> None: ...

class UpdateConversationRequest(_message.Message):
    __slots__ = ["conversation", "update_mask"]
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    conversation: _conversation_pb2.Conversation
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, conversation: _Optional[_Union[_conversation_pb2.Conversation, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateConversationResponse(_message.Message):
    __slots__ = ["conversation"]
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    conversation: _conversation_pb2.Conversation
    def __init__(self, conversation: _Optional[_Union[_conversation_pb2.Conversation, _Mapping]] = ...) -> None: ...

class WatchConversationsRequest(_message.Message):
    __slots__ = ["after_cursor", "agent_id", "channel_id", "conversation_id", "include_live", "statuses", "visibility"]
    AFTER_CURSOR_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_LIVE_FIELD_NUMBER: _ClassVar[int]
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    VISIBILITY_FIELD_NUMBER: _ClassVar[int]
    after_cursor: str
    agent_id: str
    channel_id: str
    conversation_id: str
    include_live: bool
    statuses: _containers.RepeatedScalarFieldContainer[_conversation_pb2.ConversationStatus]
    visibility: _conversation_ai_pb2.MessageVisibility
    def __init__(self, agent_id: _Optional[str] = ..., channel_id: _Optional[str] = ..., statuses: _Optional[_Iterable[_Union[_conversation_pb2.ConversationStatus, str]]] = ..., conversation_id: _Optional[str] = ..., after_cursor: _Optional[str] = ..., include_live: bool = ..., visibility: _Optional[_Union[_conversation_ai_pb2.MessageVisibility, str]] = ...) -> None: ...

class WatchConversationsResponse(_message.Message):
    __slots__ = ["event"]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: _conversation_event_pb2.ConversationEvent
    def __init__(self, event: _Optional[_Union[_conversation_event_pb2.ConversationEvent, _Mapping]] = ...) -> None: ...

class ConversationOrder(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
