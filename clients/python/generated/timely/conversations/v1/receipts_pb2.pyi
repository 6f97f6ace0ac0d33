from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from timely.conversations.v1 import conversation_pb2 as _conversation_pb2
from timely.conversations.v1 import receipt_types_pb2 as _receipt_types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EditMessageRequest(_message.Message):
    __slots__ = ["content", "conversation_id", "editor_id", "editor_type", "message_id", "revision"]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    EDITOR_ID_FIELD_NUMBER: _ClassVar[int]
    EDITOR_TYPE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    content: str
    conversation_id: str
    editor_id: str
    editor_type: _conversation_pb2.SenderType
    message_id: str
    revision: int
    def __init__(self, conversation_id: _Optional[str] = ..., message_id: _Optional[str] = ..., content: _Optional[str] = ..., revision: _Optional[int] = ..., editor_type: _Optional[_Union[_conversation_pb2.SenderType, str]] = ..., editor_id: _Optional[str] = ...) -> None: ...

class EditMessageResponse(_message.Message):
    __slots__ = ["message"]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    message: _conversation_pb2.Message
    def __init__(self, message: _Optional[_Union[_conversation_pb2.Message, _Mapping]] = ...) -> None: ...

class GetMessageRequest(_message.Message):
    __slots__ = ["conversation_id", "message_id"]
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    message_id: str
    def __init__(self, conversation_id: _Optional[str] = ..., message_id: _Optional[str] = ...) -> None: ...

class GetMessageResponse(_message.Message):
    __slots__ = ["message"]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    message: _conversation_pb2.Message
    def __init__(self, message: _Optional[_Union[_conversation_pb2.Message, _Mapping]] = ...) -> None: ...

class ListMessageRevisionsRequest(_message.Message):
    __slots__ = ["conversation_id", "message_id"]
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    message_id: str
    def __init__(self, conversation_id: _Optional[str] = ..., message_id: _Optional[str] = ...) -> None: ...

class ListMessageRevisionsResponse(_message.Message):
    __slots__ = ["revisions"]
    REVISIONS_FIELD_NUMBER: _ClassVar[int]
    revisions: _containers.RepeatedCompositeFieldContainer[MessageRevision]
    def __init__(self, revisions: _Optional[_Iterable[_Union[MessageRevision, _Mapping]]] = ...) -> None: ...

class MarkReadRequest(_message.Message):
    __slots__ = ["conversation_id", "participant_id", "participant_type", "up_to_sequence"]
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    PARTICIPANT_ID_FIELD_NUMBER: _ClassVar[int]
    PARTICIPANT_TYPE_FIELD_NUMBER: _ClassVar[int]
    UP_TO_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    participant_id: str
    participant_type: _receipt_types_pb2.ReadParticipantType
    up_to_sequence: int
    def __init__(self, conversation_id: _Optional[str] = ..., participant_type: _Optional[_Union[_receipt_types_pb2.ReadParticipantType, str]] = ..., participant_id: _Optional[str] = ..., up_to_sequence: _Optional[int] = ...) -> None: ...

class MarkReadResponse(_message.Message):
    __slots__ = ["changed", "conversation"]
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    changed: bool
    conversation: _conversation_pb2.Conversation
    def __init__(self, conversation: _Optional[_Union[_conversation_pb2.Conversation, _Mapping]] = ..., changed: bool = ...) -> None: ...

class MessageRevision(_message.Message):
    __slots__ = ["content", "create_time", "editor_id", "editor_type", "revision"]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    EDITOR_ID_FIELD_NUMBER: _ClassVar[int]
    EDITOR_TYPE_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    content: str
    create_time: _timestamp_pb2.Timestamp
    editor_id: str
    editor_type: _conversation_pb2.SenderType
    revision: int
    def __init__(self, revision: _Optional[int] = ..., content: _Optional[str] = ..., editor_type: _Optional[_Union[_conversation_pb2.SenderType, str]] = ..., editor_id: _Optional[str] = ..., create_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RedactMessageRequest(_message.Message):
    __slots__ = ["conversation_id", "message_id"]
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    message_id: str
    def __init__(self, conversation_id: _Optional[str] = ..., message_id: _Optional[str] = ...) -> None: ...

class RedactMessageResponse(_message.Message):
    __slots__ = ["message"]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    message: _conversation_pb2.Message
    def __init__(self, message: _Optional[_Union[_conversation_pb2.Message, _Mapping]] = ...) -> None: ...

class UpdateDeliveryStatusRequest(_message.Message):
    __slots__ = ["conversation_id", "error", "external_id", "message_id", "occurred_at", "status"]
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    error: str
    external_id: str
    message_id: str
    occurred_at: _timestamp_pb2.Timestamp
    status: _receipt_types_pb2.DeliveryStatus
    def __init__(self, conversation_id: _Optional[str] = ..., message_id: _Optional[str] = ..., external_id: _Optional[str] = ..., status: _Optional[_Union[_receipt_types_pb2.DeliveryStatus, str]] = ..., error: _Optional[str] = ..., occurred_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class UpdateDeliveryStatusResponse(_message.Message):
    __slots__ = ["changed", "message"]
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    changed: bool
    message: _conversation_pb2.Message
    def __init__(self, message: _Optional[_Union[_conversation_pb2.Message, _Mapping]] = ..., changed: bool = ...) -> None: ...
