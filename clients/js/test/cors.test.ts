// grpc-web from a page on another origin, in a real Chromium: an origin listed in Cors:AllowedOrigins
// may call the service and read the gRPC status headers; any other origin is refused by the browser.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { after, before, test } from "node:test";
import { chromium, type Browser } from "playwright-core";
import { TestServer } from "./server.js";

const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** A page server on its own loopback port: its origin is not the service's. */
async function pageOrigin(): Promise<{ origin: string; server: Server }> {
  const server = createServer((_, res) => res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>other origin</title>"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { origin: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

let allowed: Awaited<ReturnType<typeof pageOrigin>>;
let refused: Awaited<ReturnType<typeof pageOrigin>>;
let service: TestServer;
let browser: Browser;

before(async () => {
  allowed = await pageOrigin();
  refused = await pageOrigin();
  service = new TestServer({ Cors__AllowedOrigins__0: allowed.origin });
  await service.start();
  browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
});

after(async () => {
  await browser?.close();
  await service?.dispose();
  allowed?.server.close();
  refused?.server.close();
});

/** From a page on `origin`, a grpc-web ListConversations with the given key; what the page's script can see. */
async function callFrom(origin: string, apiKey: string): Promise<{ ok: boolean; status?: string | null; message?: string | null; error?: string }> {
  const page = await browser.newPage();
  try {
    await page.goto(origin);
    return await page.evaluate(async ({ url, apiKey }) => {
      try {
        const response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/grpc-web+proto", "x-grpc-web": "1", authorization: `Bearer ${apiKey}` },
          body: new Uint8Array([0, 0, 0, 0, 0]), // one frame: an empty ListConversationsRequest
        });
        return { ok: response.ok, status: response.headers.get("grpc-status"), message: response.headers.get("grpc-message") };
      } catch (e) {
        return { ok: false, error: String(e) };
      }
    }, { url: `${service.webUrl}/timely.conversations.v1.ConversationService/ListConversations`, apiKey });
  } finally {
    await page.close();
  }
}

test("an allowed origin calls over grpc-web and reads the gRPC status headers", async () => {
  const refusedKey = await callFrom(allowed.origin, "tly_not-a-key");
  assert.equal(refusedKey.error, undefined);
  assert.equal(refusedKey.status, "16"); // UNAUTHENTICATED, readable because the header is exposed
  assert.ok(refusedKey.message);

  const accepted = await callFrom(allowed.origin, service.apiKey);
  assert.equal(accepted.error, undefined);
  assert.equal(accepted.ok, true);
});

test("any other origin is refused by the browser", async () => {
  const result = await callFrom(refused.origin, service.apiKey);
  assert.match(result.error ?? "", /TypeError/);
});
