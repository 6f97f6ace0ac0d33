from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from timely.conversations.v1 import conversation_ai_pb2 as _conversation_ai_pb2
from timely.conversations.v1 import receipt_types_pb2 as _receipt_types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

CONVERSATION_STATUS_CLOSED: ConversationStatus
CONVERSATION_STATUS_HUMAN: ConversationStatus
CONVERSATION_STATUS_OPEN: ConversationStatus
CONVERSATION_STATUS_UNSPECIFIED: ConversationStatus
CONVERSATION_STATUS_WAITING: ConversationStatus
DESCRIPTOR: _descriptor.FileDescriptor
MESSAGE_TYPE_AUDIO: MessageType
MESSAGE_TYPE_DOCUMENT: MessageType
MESSAGE_TYPE_IMAGE: MessageType
MESSAGE_TYPE_TEXT: MessageType
MESSAGE_TYPE_UNSPECIFIED: MessageType
MESSAGE_TYPE_VIDEO: MessageType
SENDER_TYPE_AI_AGENT: SenderType
SENDER_TYPE_CUSTOMER: SenderType
SENDER_TYPE_HUMAN_AGENT: SenderType
SENDER_TYPE_SYSTEM: SenderType
SENDER_TYPE_UNSPECIFIED: SenderType

class Conversation(_message.Message):
    __slots__ = ["agent_id", "assigned_to", "channel_id", "closed_at", "contact_id", "created_at", "etag", "handoff", "id", "last_message_at", "last_sequence", "read_horizons", "status", "subject", "tags", "unread_count"]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    ASSIGNED_TO_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    CLOSED_AT_FIELD_NUMBER: _ClassVar[int]
    CONTACT_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    HANDOFF_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    LAST_MESSAGE_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    READ_HORIZONS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    UNREAD_COUNT_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    assigned_to: str
    channel_id: str
    closed_at: _timestamp_pb2.Timestamp
    contact_id: str
    created_at: _timestamp_pb2.Timestamp
    etag: str
    handoff: _conversation_ai_pb2.HandoffContext
    id: str
    last_message_at: _timestamp_pb2.Timestamp
    last_sequence: int
    read_horizons: _containers.RepeatedCompositeFieldContainer[_receipt_types_pb2.ReadHorizon]
    status: ConversationStatus
    subject: str
    tags: _containers.RepeatedScalarFieldContainer[str]
    unread_count: int
    def __init__(self, id: _Optional[str] = ..., agent_id: _Optional[str] = ..., channel_id: _Optional[str] = ..., contact_id: _Optional[str] = ..., status: _Optional[_Union[ConversationStatus, str]] = ..., assigned_to: _Optional[str] = ..., subject: _Optional[str] = ..., tags: _Optional[_Iterable[str]] = ..., created_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., closed_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., last_message_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ..., last_sequence: _Optional[int] = ..., handoff: _Optional[_Union[_conversation_ai_pb2.HandoffContext, _Mapping]] = ..., read_horizons: _Optional[_Iterable[_Union[_receipt_types_pb2.ReadHorizon, _Mapping]]] = ..., unread_count: _Optional[int] = ...) -> None: ...

class Message(_message.Message):
    __slots__ = ["content", "conversation_id", "created_at", "delivered_at", "delivery_error", "delivery_status", "edited_at", "external_id", "failed_at", "id", "media_type", "media_url", "message_type", "metadata", "read_at", "redacted", "redacted_at", "redacted_by", "revision", "sender_id", "sender_type", "sent_at", "sequence", "visibility"]
    class MetadataEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_AT_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_ERROR_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_STATUS_FIELD_NUMBER: _ClassVar[int]
    EDITED_AT_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    FAILED_AT_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    MEDIA_TYPE_FIELD_NUMBER: _ClassVar[int]
    MEDIA_URL_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_TYPE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    READ_AT_FIELD_NUMBER: _ClassVar[int]
    REDACTED_AT_FIELD_NUMBER: _ClassVar[int]
    REDACTED_BY_FIELD_NUMBER: _ClassVar[int]
    REDACTED_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    SENDER_ID_FIELD_NUMBER: _ClassVar[int]
    SENDER_TYPE_FIELD_NUMBER: _ClassVar[int]
    SENT_AT_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    VISIBILITY_FIELD_NUMBER: _ClassVar[int]
    content: str
    conversation_id: str
    created_at: _timestamp_pb2.Timestamp
    delivered_at: _timestamp_pb2.Timestamp
    delivery_error: str
    delivery_status: _receipt_types_pb2.DeliveryStatus
    edited_at: _timestamp_pb2.Timestamp
    external_id: str
    failed_at: _timestamp_pb2.Timestamp
    id: str
    media_type: str
    media_url: str
    message_type: MessageType
    metadata: _containers.ScalarMap[str, str]
    read_at: _timestamp_pb2.Timestamp
    redacted: bool
    redacted_at: _timestamp_pb2.Timestamp
    redacted_by: str
    revision: int
    sender_id: str
    sender_type: SenderType
    sent_at: _timestamp_pb2.Timestamp
    sequence: int
    visibility: _conversation_ai_pb2.MessageVisibility
    def __init__(self, id: _Optional[str] = ..., conversation_id: _Optional[str] = ..., sequence: _Optional[int] = ..., sender_type: _Optional[_Union[SenderType, str]] = ..., sender_id: _Optional[str] = ..., content: _Optional[str] = ..., message_type: _Optional[_Union[MessageType, str]] = ..., media_url: _Optional[str] = ..., media_type: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ..., created_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., visibility: _Optional[_Union[_conversation_ai_pb2.MessageVisibility, str]] = ..., delivery_status: _Optional[_Union[_receipt_types_pb2.DeliveryStatus, str]] = ..., sent_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., delivered_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., read_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., failed_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., delivery_error: _Optional[str] = ..., external_id: _Optional[str] = ..., revision: _Optional[int] = ..., edited_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., redacted: bool = ..., redacted_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., redacted_by: _Optional[str] = ...) -> None: ...

class ConversationStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class SenderType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class MessageType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
