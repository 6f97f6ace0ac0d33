from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from timely.conversations.v1 import conversation_pb2 as _conversation_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
ERASURE_REASON_CONTACT: ErasureReason
ERASURE_REASON_RETENTION: ErasureReason
ERASURE_REASON_UNSPECIFIED: ErasureReason
ERASURE_STATE_RUNNING: ErasureState
ERASURE_STATE_SUCCEEDED: ErasureState
ERASURE_STATE_UNSPECIFIED: ErasureState

class EraseContactRequest(_message.Message):
    __slots__ = ["contact_id"]
    CONTACT_ID_FIELD_NUMBER: _ClassVar[int]
    contact_id: str
    def __init__(self, contact_id: _Optional[str] = ...) -> None: ...

class EraseContactResponse(_message.Message):
    __slots__ = ["erasure"]
    ERASURE_FIELD_NUMBER: _ClassVar[int]
    erasure: Erasure
    def __init__(self, erasure: _Optional[_Union[Erasure, _Mapping]] = ...) -> None: ...

class Erasure(_message.Message):
    __slots__ = ["closed_before", "contact_id", "conversations_erased", "create_time", "events_scrubbed", "finish_time", "id", "messages_erased", "reason", "records_erased", "requested_by", "state"]
    CLOSED_BEFORE_FIELD_NUMBER: _ClassVar[int]
    CONTACT_ID_FIELD_NUMBER: _ClassVar[int]
    CONVERSATIONS_ERASED_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    EVENTS_SCRUBBED_FIELD_NUMBER: _ClassVar[int]
    FINISH_TIME_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_ERASED_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    RECORDS_ERASED_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_BY_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    closed_before: _timestamp_pb2.Timestamp
    contact_id: str
    conversations_erased: int
    create_time: _timestamp_pb2.Timestamp
    events_scrubbed: int
    finish_time: _timestamp_pb2.Timestamp
    id: str
    messages_erased: int
    reason: ErasureReason
    records_erased: int
    requested_by: str
    state: ErasureState
    def __init__(self, id: _Optional[str] = ..., reason: _Optional[_Union[ErasureReason, str]] = ..., contact_id: _Optional[str] = ..., closed_before: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., requested_by: _Optional[str] = ..., create_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., finish_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., state: _Optional[_Union[ErasureState, str]] = ..., conversations_erased: _Optional[int] = ..., messages_erased: _Optional[int] = ..., events_scrubbed: _Optional[int] = ..., records_erased: _Optional[int] = ...) -> None: ...

class ExportConversationsRequest(_message.Message):
    __slots__ = ["after_cursor", "agent_id", "assigned_to", "channel_id", "contact_id", "created_after", "created_before", "last_message_after", "last_message_before", "statuses", "tag"]
    AFTER_CURSOR_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    ASSIGNED_TO_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    CONTACT_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AFTER_FIELD_NUMBER: _ClassVar[int]
    CREATED_BEFORE_FIELD_NUMBER: _ClassVar[int]
    LAST_MESSAGE_AFTER_FIELD_NUMBER: _ClassVar[int]
    LAST_MESSAGE_BEFORE_FIELD_NUMBER: _ClassVar[int]
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    TAG_FIELD_NUMBER: _ClassVar[int]
    after_cursor: str
    agent_id: str
    assigned_to: str
    channel_id: str
    contact_id: str
    created_after: _timestamp_pb2.Timestamp
    created_before: _timestamp_pb2.Timestamp
    last_message_after: _timestamp_pb2.Timestamp
    last_message_before: _timestamp_pb2.Timestamp
    statuses: _containers.RepeatedScalarFieldContainer[_conversation_pb2.ConversationStatus]
    tag: str
    def __init__(self, statuses: _Optional[_Iterable[_Union[_conversation_pb2.ConversationStatus, str]]] = ..., agent_id: _Optional[str] = ..., channel_id: _Optional[str] = ..., contact_id: _Optional[str] = ..., assigned_to: _Optional[str] = ..., tag: _Optional[str] = ..., created_after: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., created_before: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., last_message_after: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., last_message_before: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., after_cursor: _Optional[str] = ...) -> None: ...

class ExportConversationsResponse(_message.Message):
    __slots__ = ["conversation", "conversation_complete", "cursor", "messages"]
    CONVERSATION_COMPLETE_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    conversation: _conversation_pb2.Conversation
    conversation_complete: bool
    cursor: str
    messages: _containers.RepeatedCompositeFieldContainer[_conversation_pb2.Message]
    def __init__(self, conversation: _Optional[_Union[_conversation_pb2.Conversation, _Mapping]] = ..., messages: _Optional[_Iterable[_Union[_conversation_pb2.Message, _Mapping]]] = ..., conversation_complete: bool = ..., cursor: _Optional[str] = ...) -> None: ...

class GetErasureRequest(_message.Message):
    __slots__ = ["id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetErasureResponse(_message.Message):
    __slots__ = ["erasure"]
    ERASURE_FIELD_NUMBER: _ClassVar[int]
    erasure: Erasure
    def __init__(self, erasure: _Optional[_Union[Erasure, _Mapping]] = ...) -> None: ...

class GetRetentionPolicyRequest(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class GetRetentionPolicyResponse(_message.Message):
    __slots__ = ["policy"]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    policy: RetentionPolicy
    def __init__(self, policy: _Optional[_Union[RetentionPolicy, _Mapping]] = ...) -> None: ...

class ListErasuresRequest(_message.Message):
    __slots__ = ["page_size", "page_token"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListErasuresResponse(_message.Message):
    __slots__ = ["erasures", "next_page_token"]
    ERASURES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    erasures: _containers.RepeatedCompositeFieldContainer[Erasure]
    next_page_token: str
    def __init__(self, erasures: _Optional[_Iterable[_Union[Erasure, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class RetentionPolicy(_message.Message):
    __slots__ = ["closed_conversation_days", "update_time"]
    CLOSED_CONVERSATION_DAYS_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    closed_conversation_days: int
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, closed_conversation_days: _Optional[int] = ..., update_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class UpdateRetentionPolicyRequest(_message.Message):
    __slots__ = ["policy"]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    policy: RetentionPolicy
    def __init__(self, policy: _Optional[_Union[RetentionPolicy, _Mapping]] = ...) -> None: ...

class UpdateRetentionPolicyResponse(_message.Message):
    __slots__ = ["policy"]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    policy: RetentionPolicy
    def __init__(self, policy: _Optional[_Union[RetentionPolicy, _Mapping]] = ...) -> None: ...

class ErasureReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class ErasureState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
