"""WebhookVerifier on the requests the real server sends to a receiver (http.server on loopback), and on
requests it must refuse."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import queue
import secrets
import shutil
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import grpc
import pytest

from conftest import Server
from timely.conversations.v1 import webhook_service_pb2 as webhooks_pb
from timely.conversations.v1 import webhook_service_pb2_grpc as webhooks_grpc
from timely_client import ConversationEventType, SenderType, TimelyClient, WebhookVerificationError, WebhookVerifier


@pytest.fixture(scope="module")
def webhook_server():
    """A server that may deliver to http:// loopback receivers, and looks for new events every 100 ms."""
    s = Server({"Webhooks__AllowHttp": "true", "Webhooks__AllowPrivateNetworks": "true", "Webhooks__PollInterval": "00:00:00.100"})
    s.start()
    yield s
    s.kill()
    shutil.rmtree(s.folder, ignore_errors=True)


@pytest.fixture
def receiver():
    """A receiver that answers 204 and queues (body, headers) of each request."""
    received: queue.Queue[tuple[bytes, dict[str, str]]] = queue.Queue()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers["content-length"]))
            self.send_response(204)
            self.end_headers()
            received.put((body, dict(self.headers.items())))

        def log_message(self, *_: object) -> None:
            pass

    http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{http.server_address[1]}/hooks", received
    http.shutdown()
    http.server_close()


def test_a_receiver_verifies_the_servers_webhook_and_reads_its_typed_event(webhook_server, receiver):
    url, received = receiver
    admin = (("authorization", f"Bearer {webhook_server.api_key}"),)
    with grpc.insecure_channel(webhook_server.target) as channel, TimelyClient(webhook_server.target, webhook_server.api_key) as timely:
        endpoints = webhooks_grpc.WebhookServiceStub(channel)
        created = endpoints.CreateWebhookEndpoint(webhooks_pb.CreateWebhookEndpointRequest(
            endpoint=webhooks_pb.WebhookEndpoint(url=url, enabled=True, event_types=[ConversationEventType.CONVERSATION_EVENT_TYPE_MESSAGE_ADDED])),
            metadata=admin, timeout=10)
        verifier = WebhookVerifier(created.secret)

        conversation = timely.create_conversation(agent_id=str(uuid.uuid4()), channel_id=str(uuid.uuid4()), contact_id=str(uuid.uuid4())).conversation
        timely.send_message(conversation_id=conversation.id, sender_type=SenderType.SENDER_TYPE_AI_AGENT, content="Your order ships today.")

        body, headers = received.get(timeout=20)
        webhook = verifier.verify(body, headers)
        assert webhook.type == "conversation.message_added"
        assert webhook.event.type == ConversationEventType.CONVERSATION_EVENT_TYPE_MESSAGE_ADDED
        assert webhook.event.cursor == webhook.id
        assert webhook.event.message.conversation_id == conversation.id
        assert webhook.event.message.content == "Your order ships today."
        assert webhook.event.message.sequence == 1

        # Another secret, or a changed body, is refused.
        with pytest.raises(WebhookVerificationError):
            WebhookVerifier("whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()).verify(body, headers)
        with pytest.raises(WebhookVerificationError):
            verifier.verify(body.replace(b"ships today", b"ships never"), headers)

        # After a rotation, two signatures: the old secret and the new one each verify the request.
        rotated = endpoints.RotateWebhookSecret(webhooks_pb.RotateWebhookSecretRequest(id=created.endpoint.id), metadata=admin, timeout=10)
        endpoints.SendTestWebhookEvent(webhooks_pb.SendTestWebhookEventRequest(endpoint_id=created.endpoint.id), metadata=admin, timeout=10)
        body, headers = received.get(timeout=20)
        assert len(headers["webhook-signature"].split(" ")) == 2
        assert verifier.verify(body, headers).event is None
        assert WebhookVerifier(rotated.secret).verify(body, headers).type == "webhook.test"


def test_a_request_outside_the_tolerance_or_without_its_headers_is_refused():
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    body = json.dumps({"type": "webhook.test", "timestamp": "2026-12-01T10:00:00Z", "data": {}})
    sent = 1_796_119_200  # 2026-12-01T10:00:00Z
    mac = hmac.new(base64.b64decode(secret[6:]), f"evt-1.{sent}.{body}".encode(), hashlib.sha256).digest()
    headers = {"Webhook-Id": "evt-1", "Webhook-Timestamp": str(sent), "Webhook-Signature": "v1," + base64.b64encode(mac).decode()}

    def at(now: float) -> WebhookVerifier:
        return WebhookVerifier(secret, tolerance=300, now=lambda: now)

    assert at(sent).verify(body, headers).id == "evt-1"
    with pytest.raises(WebhookVerificationError, match="webhook-timestamp"):
        at(sent + 301).verify(body, headers)
    with pytest.raises(WebhookVerificationError, match="webhook-timestamp"):
        at(sent - 301).verify(body, headers)
    with pytest.raises(WebhookVerificationError, match="webhook-signature header is missing"):
        at(sent).verify(body, {k: v for k, v in headers.items() if k != "Webhook-Signature"})
