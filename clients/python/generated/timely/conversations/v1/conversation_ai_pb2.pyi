from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
HANDOFF_PRIORITY_HIGH: HandoffPriority
HANDOFF_PRIORITY_LOW: HandoffPriority
HANDOFF_PRIORITY_NORMAL: HandoffPriority
HANDOFF_PRIORITY_UNSPECIFIED: HandoffPriority
HANDOFF_PRIORITY_URGENT: HandoffPriority
HANDOFF_REASON_CUSTOMER_REQUEST: HandoffReason
HANDOFF_REASON_LOW_CONFIDENCE: HandoffReason
HANDOFF_REASON_OTHER: HandoffReason
HANDOFF_REASON_POLICY: HandoffReason
HANDOFF_REASON_SENTIMENT: HandoffReason
HANDOFF_REASON_UNSPECIFIED: HandoffReason
MESSAGE_VISIBILITY_INTERNAL: MessageVisibility
MESSAGE_VISIBILITY_PUBLIC: MessageVisibility
MESSAGE_VISIBILITY_UNSPECIFIED: MessageVisibility

class HandoffContext(_message.Message):
    __slots__ = ["handed_off_at", "priority", "reason", "summary"]
    HANDED_OFF_AT_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    handed_off_at: _timestamp_pb2.Timestamp
    priority: HandoffPriority
    reason: HandoffReason
    summary: str
    def __init__(self, reason: _Optional[_Union[HandoffReason, str]] = ..., priority: _Optional[_Union[HandoffPriority, str]] = ..., summary: _Optional[str] = ..., handed_off_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class MessageVisibility(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class HandoffReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class HandoffPriority(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
