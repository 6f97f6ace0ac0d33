"""Subscribers through the Python SDK (asyncio) for the rolling-restart test
(tests/Timely.Server.Tests/Deployment): StreamMessages of each conversation given and
WatchConversations from a cursor, each resuming by itself after every break; prints
"messages CONVERSATION_ID SEQUENCE" or "watch CONVERSATION_ID SEQUENCE" for each message received.
    TIMELY_API_KEY=... python3 tests/deploy/follow.py HOST:PORT AFTER_CURSOR CONVERSATION_ID..."""

import asyncio
import os
import sys
from pathlib import Path

# The SDK from this checkout, as its own tests import it (clients/python/tests/conftest.py).
SDK = Path(__file__).resolve().parents[2] / "clients/python"
sys.path[:0] = [str(SDK / "src"), str(SDK / "generated")]

from timely_client import AsyncTimelyClient, ConversationEventType  # noqa: E402


async def main(target: str, after_cursor: str, *conversation_ids: str) -> None:
    client = AsyncTimelyClient(target, os.environ["TIMELY_API_KEY"], max_reconnect_delay=1.0)

    async def messages(conversation_id: str) -> None:
        async for message in client.stream_messages(conversation_id):
            print("messages", conversation_id, message.sequence, flush=True)

    async def watch() -> None:
        async for event in client.watch_conversations(after_cursor=after_cursor):
            if event.type == ConversationEventType.CONVERSATION_EVENT_TYPE_MESSAGE_ADDED:
                print("watch", event.message.conversation_id, event.message.sequence, flush=True)

    await asyncio.gather(watch(), *(messages(c) for c in conversation_ids))


asyncio.run(main(*sys.argv[1:]))
