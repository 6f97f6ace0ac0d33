// Retries of unary calls: `maxAttempts` bounds them, and their pauses leave nothing on the call's signal.
// A stand-in HTTP/2 server answers every call UNAVAILABLE, and a closed port refuses connections; no Timely server is needed.
import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { createServer, type Http2Server, type ServerHttp2Session } from "node:http2";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import type { UnaryRequest, UnaryResponse } from "@connectrpc/connect";
import { Code, ConnectError, createRetryInterceptor, createTimelyClient } from "../src/node.js";

let calls = 0;
let unavailable: Http2Server;
const sessions = new Set<ServerHttp2Session>();
let baseUrl = "";

before(async () => {
  unavailable = createServer((request, response) => {
    calls++;
    request.resume();
    request.on("end", () => {
      response.writeHead(200, { "content-type": "application/grpc", "grpc-status": "14", "grpc-message": "down for a restart" });
      response.end();
    });
  });
  unavailable.on("session", (session) => sessions.add(session));
  await new Promise<void>((resolve) => unavailable.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(unavailable.address() as AddressInfo).port}`;
});
after(() => {
  unavailable.close();
  sessions.forEach((session) => session.destroy());   // the clients' connections: close() waits for them
});

async function attemptsOf(maxAttempts: number | undefined): Promise<number> {
  calls = 0;
  const timely = createTimelyClient({ baseUrl, apiKey: "tly_test", maxAttempts });
  const error = await timely.getConversation({ id: crypto.randomUUID() }).catch((e) => e);
  assert.equal(ConnectError.from(error).code, Code.Unavailable);
  return calls;
}

test("maxAttempts bounds the attempts of a unary call that meets UNAVAILABLE; the default is 5", async () => {
  assert.equal(await attemptsOf(1), 1);
  assert.equal(await attemptsOf(3), 3);
  assert.equal(await attemptsOf(undefined), 5);
});

test("a call to an unreachable service waits for it up to its deadline, whatever maxAttempts says", async () => {
  const closed = createServer();   // a port that refuses connections: bound, then closed
  await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  const timely = createTimelyClient({ baseUrl: `http://127.0.0.1:${port}`, apiKey: "tly_test", maxAttempts: 1 });
  const started = Date.now();
  const error = await timely.getConversation({ id: crypto.randomUUID() }, { timeoutMs: 800 }).catch((e) => e);
  assert.equal(ConnectError.from(error).code, Code.DeadlineExceeded);
  assert.ok(Date.now() - started >= 700, `gave up after ${Date.now() - started} ms`);
});

test("a retry's pause takes its abort listener off the call's signal", async () => {
  const abort = new AbortController();
  const response = { stream: false } as UnaryResponse;
  let tries = 0;
  const call = createRetryInterceptor(3)(async () => {
    if (++tries < 3) {
      throw new ConnectError("down", Code.Unavailable);
    }
    return response;
  });
  assert.equal(await call({ stream: false, signal: abort.signal } as unknown as UnaryRequest), response);
  assert.equal(tries, 3);
  assert.equal(getEventListeners(abort.signal, "abort").length, 0);
});
