from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from timely.conversations.v1 import conversation_pb2 as _conversation_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Mapping as _Mapping, Optional as _Optional, Union as _Union

AGENT_ACTIVITY_KIND_NONE: AgentActivityKind
AGENT_ACTIVITY_KIND_SEARCHING: AgentActivityKind
AGENT_ACTIVITY_KIND_THINKING: AgentActivityKind
AGENT_ACTIVITY_KIND_TYPING: AgentActivityKind
AGENT_ACTIVITY_KIND_UNSPECIFIED: AgentActivityKind
DESCRIPTOR: _descriptor.FileDescriptor
REPLY_DRAFT_ABANDON_REASON_CANCELLED: ReplyDraftAbandonReason
REPLY_DRAFT_ABANDON_REASON_CLOSED: ReplyDraftAbandonReason
REPLY_DRAFT_ABANDON_REASON_HANDED_OFF: ReplyDraftAbandonReason
REPLY_DRAFT_ABANDON_REASON_IDLE: ReplyDraftAbandonReason
REPLY_DRAFT_ABANDON_REASON_REFUSED: ReplyDraftAbandonReason
REPLY_DRAFT_ABANDON_REASON_UNSPECIFIED: ReplyDraftAbandonReason
REPLY_DRAFT_STATE_ABANDONED: ReplyDraftState
REPLY_DRAFT_STATE_COMMITTED: ReplyDraftState
REPLY_DRAFT_STATE_DELTA: ReplyDraftState
REPLY_DRAFT_STATE_STARTED: ReplyDraftState
REPLY_DRAFT_STATE_UNSPECIFIED: ReplyDraftState

class AgentActivity(_message.Message):
    __slots__ = ["conversation_id", "expires_at", "kind", "occurred_at", "sender_id", "sender_type"]
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    SENDER_ID_FIELD_NUMBER: _ClassVar[int]
    SENDER_TYPE_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    expires_at: _timestamp_pb2.Timestamp
    kind: AgentActivityKind
    occurred_at: _timestamp_pb2.Timestamp
    sender_id: str
    sender_type: _conversation_pb2.SenderType
    def __init__(self, conversation_id: _Optional[str] = ..., kind: _Optional[_Union[AgentActivityKind, str]] = ..., sender_type: _Optional[_Union[_conversation_pb2.SenderType, str]] = ..., sender_id: _Optional[str] = ..., expires_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., occurred_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ReplyDraft(_message.Message):
    __slots__ = ["abandon_reason", "conversation_id", "draft_id", "occurred_at", "offset", "sender_id", "sequence", "state", "text"]
    ABANDON_REASON_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    DRAFT_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    SENDER_ID_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    abandon_reason: ReplyDraftAbandonReason
    conversation_id: str
    draft_id: str
    occurred_at: _timestamp_pb2.Timestamp
    offset: int
    sender_id: str
    sequence: int
    state: ReplyDraftState
    text: str
    def __init__(self, conversation_id: _Optional[str] = ..., draft_id: _Optional[str] = ..., state: _Optional[_Union[ReplyDraftState, str]] = ..., text: _Optional[str] = ..., offset: _Optional[int] = ..., sender_id: _Optional[str] = ..., sequence: _Optional[int] = ..., abandon_reason: _Optional[_Union[ReplyDraftAbandonReason, str]] = ..., occurred_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ReplyDraftStart(_message.Message):
    __slots__ = ["conversation_id", "metadata", "request_id", "sender_id"]
    class MetadataEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SENDER_ID_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    metadata: _containers.ScalarMap[str, str]
    request_id: str
    sender_id: str
    def __init__(self, conversation_id: _Optional[str] = ..., request_id: _Optional[str] = ..., sender_id: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class SetActivityRequest(_message.Message):
    __slots__ = ["conversation_id", "kind", "sender_id", "sender_type", "ttl"]
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SENDER_ID_FIELD_NUMBER: _ClassVar[int]
    SENDER_TYPE_FIELD_NUMBER: _ClassVar[int]
    TTL_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    kind: AgentActivityKind
    sender_id: str
    sender_type: _conversation_pb2.SenderType
    ttl: _duration_pb2.Duration
    def __init__(self, conversation_id: _Optional[str] = ..., kind: _Optional[_Union[AgentActivityKind, str]] = ..., ttl: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., sender_type: _Optional[_Union[_conversation_pb2.SenderType, str]] = ..., sender_id: _Optional[str] = ...) -> None: ...

class SetActivityResponse(_message.Message):
    __slots__ = ["activity"]
    ACTIVITY_FIELD_NUMBER: _ClassVar[int]
    activity: AgentActivity
    def __init__(self, activity: _Optional[_Union[AgentActivity, _Mapping]] = ...) -> None: ...

class StreamReplyDraftRequest(_message.Message):
    __slots__ = ["start", "text"]
    START_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    start: ReplyDraftStart
    text: str
    def __init__(self, start: _Optional[_Union[ReplyDraftStart, _Mapping]] = ..., text: _Optional[str] = ...) -> None: ...

class StreamReplyDraftResponse(_message.Message):
    __slots__ = ["conversation", "message"]
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    conversation: _conversation_pb2.Conversation
    message: _conversation_pb2.Message
    def __init__(self, message: _Optional[_Union[_conversation_pb2.Message, _Mapping]] = ..., conversation: _Optional[_Union[_conversation_pb2.Conversation, _Mapping]] = ...) -> None: ...

class ReplyDraftState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class ReplyDraftAbandonReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class AgentActivityKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
