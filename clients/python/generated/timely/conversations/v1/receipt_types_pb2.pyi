from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Mapping as _Mapping, Optional as _Optional, Union as _Union

DELIVERY_STATUS_DELIVERED: DeliveryStatus
DELIVERY_STATUS_FAILED: DeliveryStatus
DELIVERY_STATUS_READ: DeliveryStatus
DELIVERY_STATUS_SENT: DeliveryStatus
DELIVERY_STATUS_UNSPECIFIED: DeliveryStatus
DESCRIPTOR: _descriptor.FileDescriptor
READ_PARTICIPANT_TYPE_AI_AGENT: ReadParticipantType
READ_PARTICIPANT_TYPE_CONTACT: ReadParticipantType
READ_PARTICIPANT_TYPE_HUMAN_AGENT: ReadParticipantType
READ_PARTICIPANT_TYPE_UNSPECIFIED: ReadParticipantType

class ReadHorizon(_message.Message):
    __slots__ = ["participant_id", "participant_type", "read_at", "read_sequence"]
    PARTICIPANT_ID_FIELD_NUMBER: _ClassVar[int]
    PARTICIPANT_TYPE_FIELD_NUMBER: _ClassVar[int]
    READ_AT_FIELD_NUMBER: _ClassVar[int]
    READ_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    participant_id: str
    participant_type: ReadParticipantType
    read_at: _timestamp_pb2.Timestamp
    read_sequence: int
    def __init__(self, participant_type: _Optional[_Union[ReadParticipantType, str]] = ..., participant_id: _Optional[str] = ..., read_sequence: _Optional[int] = ..., read_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class DeliveryStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class ReadParticipantType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
