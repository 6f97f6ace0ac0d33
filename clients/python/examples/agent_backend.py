"""A sample AI agent backend on timely_client: it watches its agent's open conversations, answers
each customer message by simple rules, hands off to a human when asked, and stays silent while the
human has the conversation (the watch shows only open ones).

    /usr/bin/python3 clients/python/examples/agent_backend.py AGENT_ID

Talks to the service of the root README's run command, with its development key, unless
TIMELY_TARGET / TIMELY_API_KEY say otherwise. Ctrl+C stops it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / d) for d in ("src", "generated")]  # run from the source tree

from timely_client import ConversationEventType, ConversationStatus, SenderType, TimelyClient  # noqa: E402

HUMAN_WORDS = ("human", "person", "agent", "someone real")


def reply_to(text: str) -> str:
    text = text.lower()
    if "refund" in text:
        return "I can help with a refund. Could you give me your order number?"
    if "order" in text:
        return "Let me look up your order. What is its number?"
    if "thank" in text:
        return "You're welcome! Anything else I can do?"
    return "Thanks for your message! How can I help you today?"


def run(timely: TimelyClient, agent_id: str, human_id: str) -> None:
    for event in timely.watch_conversations(agent_id=agent_id, statuses=[ConversationStatus.CONVERSATION_STATUS_OPEN]):
        if (event.type != ConversationEventType.CONVERSATION_EVENT_TYPE_MESSAGE_ADDED
                or event.message.sender_type != SenderType.SENDER_TYPE_CUSTOMER
                or event.conversation.status != ConversationStatus.CONVERSATION_STATUS_OPEN):
            continue
        conversation_id = event.conversation.id
        if any(word in event.message.content.lower() for word in HUMAN_WORDS):
            say(timely, conversation_id, "Of course, I'm bringing in a colleague from our team.")
            timely.handoff_conversation(id=conversation_id, assigned_to=human_id)
        else:
            say(timely, conversation_id, reply_to(event.message.content))


def say(timely: TimelyClient, conversation_id: str, text: str) -> None:
    timely.send_message(conversation_id=conversation_id, sender_type=SenderType.SENDER_TYPE_AI_AGENT, content=text)


if __name__ == "__main__":
    repository = Path(__file__).resolve().parents[3]
    key = os.environ.get("TIMELY_API_KEY") or (repository / "src/Timely.Server/data/dev-admin-key").read_text().strip()
    agent = sys.argv[1] if len(sys.argv) > 1 else "0190a6e4-5d3c-7c2a-9b1e-3f2d4c5b6a79"
    human = os.environ.get("TIMELY_HUMAN_ID", "0190a6e4-5d3c-7c2a-9b1e-3f2d4c5b6a7f")
    print(f"Answering the open conversations of agent {agent}; Ctrl+C to stop.")
    with TimelyClient(os.environ.get("TIMELY_TARGET", "localhost:50051"), key) as client:
        try:
            run(client, agent, human)
        except KeyboardInterrupt:
            pass
