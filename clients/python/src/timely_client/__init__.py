"""Typed Python client (sync and asyncio) for the Timely conversation service.

The message and enum types are the generated ones, re-exported here for convenience.
"""

from . import _google_namespace  # noqa: F401 (first: the generated modules import google.api and google.rpc)

from timely.conversations.v1.conversation_ai_live_pb2 import *  # noqa: F401,F403 (drafts, activity and their requests)
from timely.conversations.v1.conversation_ai_pb2 import HandoffContext, HandoffPriority, HandoffReason, MessageVisibility
from timely.conversations.v1.conversation_event_pb2 import ConversationEvent, ConversationEventType
from timely.conversations.v1.conversation_pb2 import Conversation, ConversationStatus, Message, MessageType, SenderType
from timely.conversations.v1.conversation_service_pb2 import *  # noqa: F401,F403 (every request and response type)
from timely.conversations.v1.receipt_types_pb2 import DeliveryStatus, ReadHorizon, ReadParticipantType
from timely.conversations.v1.receipts_pb2 import *  # noqa: F401,F403 (the receipt RPCs' requests and responses)

from ._calls import apply_draft
from ._enums import with_short_names
from .aio import AsyncTimelyClient
from .client import TimelyClient
from .errors import ErrorInfo, FieldViolation, TimelyError
from .webhooks import TimelyWebhook, WebhookVerificationError, WebhookVerifier

with_short_names(globals())   # SenderType.AI_AGENT as well as SenderType.SENDER_TYPE_AI_AGENT
del with_short_names

__all__ = [
    "AsyncTimelyClient",
    "Conversation",
    "ConversationEvent",
    "ConversationEventType",
    "ConversationStatus",
    "DeliveryStatus",
    "ErrorInfo",
    "FieldViolation",
    "HandoffContext",
    "HandoffPriority",
    "HandoffReason",
    "MessageVisibility",
    "Message",
    "MessageType",
    "ReadHorizon",
    "ReadParticipantType",
    "SenderType",
    "TimelyClient",
    "TimelyError",
    "TimelyWebhook",
    "WebhookVerificationError",
    "WebhookVerifier",
    "apply_draft",
]
