// W3C trace context: a traceparent the caller gives reaches the server, whose log line of the call carries its trace id.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { SenderType, createTimelyClient } from "../src/node.js";
import { TestServer, newId } from "./server.js";

const server = new TestServer({
  Logging__Console__FormatterName: "json",
  "Logging__LogLevel__Timely.Server.Api.CallInterceptor": "Debug",
});
before(() => server.start());
after(() => server.dispose());

/** The trace ids of the server's log lines for calls of `method`. */
function loggedTraceIds(method: string): string[] {
  return server.output
    .split("\n")
    .slice(0, -1) // the last line may still be being written
    .filter((line) => line.startsWith("{") && line.includes("Timely.Server.Api.CallInterceptor"))
    .map((line) => JSON.parse(line).State as { Method: string; TraceId: string })
    .filter((state) => state.Method.endsWith(`/${method}`))
    .map((state) => state.TraceId);
}

async function eventually(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

for (const transport of ["grpc", "grpc-web"] as const) {
  test(`a caller's traceparent reaches the server over ${transport}`, async () => {
    const traceId = randomBytes(16).toString("hex");
    let traceparent: string | undefined;
    const timely = createTimelyClient({
      baseUrl: transport === "grpc" ? server.grpcUrl : server.webUrl,
      apiKey: server.apiKey,
      transport,
      traceContext: () => (traceparent ? { traceparent } : undefined),
    });
    const logged = loggedTraceIds("GetConversation").length;
    const { conversation } = await timely.createConversation({ agentId: newId(), channelId: newId(), contactId: newId() });
    traceparent = `00-${traceId}-${randomBytes(8).toString("hex")}-01`;
    await timely.sendMessage({ conversationId: conversation!.id, senderType: SenderType.CUSTOMER, content: "hello" });
    traceparent = undefined;
    await timely.getConversation({ id: conversation!.id });

    await eventually(() => loggedTraceIds("GetConversation").length > logged, "the log line of the last call");
    assert.ok(loggedTraceIds("SendMessage").includes(traceId), `no SendMessage logged with trace ${traceId}`);
    assert.ok(!loggedTraceIds("GetConversation").includes(traceId), "a call without a traceparent starts a trace of its own");
  });
}
