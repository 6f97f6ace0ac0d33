// A caller that aborts a resuming stream gets a ConnectError of code Canceled, whatever status the call ended with as
// it aborted. A replica killed just as the caller aborts ends the call UNAVAILABLE (or resets it), and the abort can
// land after the transport reported that status and before the stream's loop looks at it; that cannot be timed
// against a real server, so the transport here is one whose first read aborts the caller's signal and then fails.
// No Timely server is needed.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { DescMessage, DescMethodStreaming, MessageShape } from "@bufbuild/protobuf";
import type { StreamResponse, Transport } from "@connectrpc/connect";
import { Code, ConnectError, createTimelyClient, type TimelyClient } from "../src/node.js";

/** A transport whose every stream, on its first read, aborts `caller` and then fails with `failure`. */
function cancellingTransport(caller: AbortController, failure: ConnectError, opened: { count: number }): Transport {
  return {
    unary: () => Promise.reject(new ConnectError("unary calls are not part of this test", Code.Unimplemented)),
    stream: async <I extends DescMessage, O extends DescMessage>(method: DescMethodStreaming<I, O>): Promise<StreamResponse<I, O>> => {
      opened.count++;
      return {
        stream: true,
        service: method.parent,
        method,
        header: new Headers(),
        trailer: new Headers(),
        message: {
          [Symbol.asyncIterator]: () => ({
            next: async (): Promise<IteratorResult<MessageShape<O>>> => {
              caller.abort();
              throw failure;
            },
          }),
        },
      };
    },
  };
}

const failures: [string, ConnectError][] = [
  ["UNAVAILABLE", new ConnectError("the request was aborted", Code.Unavailable)],
  ["INTERNAL (an HTTP/2 stream reset)", new ConnectError("stream reset", Code.Internal, undefined, undefined, Object.assign(new Error("reset"), { code: "ERR_HTTP2_STREAM_ERROR" }))],
  ["CANCELED (reset by the peer)", new ConnectError("http/2 stream closed with error code CANCEL (0x8)", Code.Canceled)],
  ["ABORTED", new ConnectError("aborted", Code.Aborted)],
  ["RESOURCE_EXHAUSTED", new ConnectError("too many streams", Code.ResourceExhausted)],
];

const streams: [string, (timely: TimelyClient, signal: AbortSignal) => AsyncGenerator<unknown>][] = [
  ["streamMessages", (timely, signal) => timely.streamMessages(crypto.randomUUID(), 0n, { signal })],
  ["watchConversations", (timely, signal) => timely.watchConversations({ agentId: crypto.randomUUID() }, { signal })],
];

for (const [name, open] of streams) {
  for (const [status, failure] of failures) {
    test(`${name} aborted as its call ends ${status} ends with Canceled, and is not reopened`, async () => {
      const abort = new AbortController();
      const opened = { count: 0 };
      const timely = createTimelyClient({ baseUrl: "http://127.0.0.1:1", apiKey: "tly_test", transport: cancellingTransport(abort, failure, opened), maxReconnectDelayMs: 10 });
      const error = await open(timely, abort.signal).next().catch((e: unknown) => e);
      assert.ok(error instanceof ConnectError, `threw ${String(error)}`);
      assert.equal(Code[error.code], Code[Code.Canceled], error.message);
      assert.equal(error.message, "[canceled] This operation was aborted");   // as an abort that races nothing ends
      assert.equal(opened.count, 1);   // not reopened after the caller aborted
    });
  }
}
