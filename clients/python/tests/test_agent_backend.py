"""The example agent backend answers an ingested customer message, hands off, then stays silent."""

from __future__ import annotations

import threading
import time
import uuid

import agent_backend
import grpc

from timely_client import ConversationStatus, SenderType, TimelyClient, TimelyError


def run_until_closed(client: TimelyClient, agent: str, human: str) -> None:
    try:
        agent_backend.run(client, agent, human)
    except TimelyError as error:   # the test closes the backend's channel when done
        assert error.code == grpc.StatusCode.CANCELLED


def test_the_example_answers_hands_off_and_stays_silent(server):
    agent, human, channel, contact = (str(uuid.uuid4()) for _ in range(4))
    backend_client = TimelyClient(server.target, server.api_key)
    threading.Thread(target=run_until_closed, args=(backend_client, agent, human), daemon=True).start()

    with TimelyClient(server.target, server.api_key) as timely:
        def ingest(text: str):
            return timely.ingest_customer_message(channel_id=channel, contact_id=contact, agent_id=agent, content=text)

        def messages(conversation_id: str):
            return list(timely.list_messages(conversation_id=conversation_id, page_size=500).messages)

        # The backend's watch starts at the present: ingest until it answers (bounded).
        conversation_id = ""
        for _ in range(50):
            conversation_id = ingest("Where is my order?").conversation.id
            time.sleep(0.2)
            if messages(conversation_id)[-1].sender_type == SenderType.SENDER_TYPE_AI_AGENT:
                break
        assert messages(conversation_id)[-1].content == "Let me look up your order. What is its number?"

        ingest("Can I talk to a human please?")
        for _ in range(100):
            if timely.get_conversation(id=conversation_id).conversation.status == ConversationStatus.CONVERSATION_STATUS_HUMAN:
                break
            time.sleep(0.1)
        conversation = timely.get_conversation(id=conversation_id).conversation
        assert (conversation.status, conversation.assigned_to) == (ConversationStatus.CONVERSATION_STATUS_HUMAN, human)

        ingest("Hello? Anyone? It's about my order")
        time.sleep(1.5)
        last = messages(conversation_id)
        assert len(last) == conversation.last_sequence + 1   # only the customer's message: the AI stayed silent
        assert last[-1].sender_type == SenderType.SENDER_TYPE_CUSTOMER
    backend_client.close()
