from google.protobuf import timestamp_pb2 as _timestamp_pb2
from timely.conversations.v1 import conversation_pb2 as _conversation_pb2
from timely.conversations.v1 import conversation_ai_live_pb2 as _conversation_ai_live_pb2
from timely.conversations.v1 import receipt_types_pb2 as _receipt_types_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Mapping as _Mapping, Optional as _Optional, Union as _Union

CONVERSATION_EVENT_TYPE_AGENT_ACTIVITY: ConversationEventType
CONVERSATION_EVENT_TYPE_CREATED: ConversationEventType
CONVERSATION_EVENT_TYPE_ERASED: ConversationEventType
CONVERSATION_EVENT_TYPE_MESSAGE_ADDED: ConversationEventType
CONVERSATION_EVENT_TYPE_MESSAGE_EDITED: ConversationEventType
CONVERSATION_EVENT_TYPE_MESSAGE_REDACTED: ConversationEventType
CONVERSATION_EVENT_TYPE_MESSAGE_STATUS_CHANGED: ConversationEventType
CONVERSATION_EVENT_TYPE_READ_HORIZON_CHANGED: ConversationEventType
CONVERSATION_EVENT_TYPE_REPLY_DRAFT: ConversationEventType
CONVERSATION_EVENT_TYPE_STATUS_CHANGED: ConversationEventType
CONVERSATION_EVENT_TYPE_UNSPECIFIED: ConversationEventType
CONVERSATION_EVENT_TYPE_UPDATED: ConversationEventType
DESCRIPTOR: _descriptor.FileDescriptor

class ConversationEvent(_message.Message):
    __slots__ = ["activity", "conversation", "cursor", "delivery_status", "message", "new_status", "occurred_at", "old_status", "read_horizon", "reply_draft", "revision", "type"]
    ACTIVITY_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_STATUS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    NEW_STATUS_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    OLD_STATUS_FIELD_NUMBER: _ClassVar[int]
    READ_HORIZON_FIELD_NUMBER: _ClassVar[int]
    REPLY_DRAFT_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    activity: _conversation_ai_live_pb2.AgentActivity
    conversation: _conversation_pb2.Conversation
    cursor: str
    delivery_status: _receipt_types_pb2.DeliveryStatus
    message: _conversation_pb2.Message
    new_status: _conversation_pb2.ConversationStatus
    occurred_at: _timestamp_pb2.Timestamp
    old_status: _conversation_pb2.ConversationStatus
    read_horizon: _receipt_types_pb2.ReadHorizon
    reply_draft: _conversation_ai_live_pb2.ReplyDraft
    revision: int
    type: ConversationEventType
    def __init__(self, cursor: _Optional[str] = ..., type: _Optional[_Union[ConversationEventType, str]] = ..., occurred_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., conversation: _Optional[_Union[_conversation_pb2.Conversation, _Mapping]] = ..., old_status: _Optional[_Union[_conversation_pb2.ConversationStatus, str]] = ..., new_status: _Optional[_Union[_conversation_pb2.ConversationStatus, str]] = ..., message: _Optional[_Union[_conversation_pb2.Message, _Mapping]] = ..., reply_draft: _Optional[_Union[_conversation_ai_live_pb2.ReplyDraft, _Mapping]] = ..., activity: _Optional[_Union[_conversation_ai_live_pb2.AgentActivity, _Mapping]] = ..., delivery_status: _Optional[_Union[_receipt_types_pb2.DeliveryStatus, str]] = ..., revision: _Optional[int] = ..., read_horizon: _Optional[_Union[_receipt_types_pb2.ReadHorizon, _Mapping]] = ...) -> None: ...

class ConversationEventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
