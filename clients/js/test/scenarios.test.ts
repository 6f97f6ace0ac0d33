// The SDK scenarios of tests/sdk-scenarios/scenarios.json (the same for C#, JS and Python), run through
// this SDK's public API over both transports against one server process. The vocabulary is in
// tests/sdk-scenarios/README.md; results go to $TIMELY_TEST_OUTPUT/sdk-scenarios/js.jsonl.
import assert from "node:assert/strict";
import { appendFileSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { Agent } from "node:http";
import { fromJson, toJson, type DescMessage } from "@bufbuild/protobuf";
import { createGrpcWebTransport } from "@connectrpc/connect-node";
import {
  BadRequestSchema, Code, ConnectError, ConversationEventSchema, ConversationService, ErrorInfoSchema, MessageSchema,
  StreamMessagesRequestSchema, WatchConversationsRequestSchema, createTimelyClient, type TimelyClient,
} from "../src/node.js";
import { transportOptions } from "../src/core.js";
import { TestServer } from "./server.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
type Step = Record<string, Json>;
interface Scenario { name: string; ids?: string[]; only?: string[]; steps: Step[] }

const repository = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const { server: settings, scenarios } = JSON.parse(readFileSync(join(repository, "tests/sdk-scenarios/scenarios.json"), "utf8")) as {
  server?: Record<string, string>; scenarios: Scenario[];
};
const results = process.env.TIMELY_TEST_OUTPUT ? join(process.env.TIMELY_TEST_OUTPUT, "sdk-scenarios", "js.jsonl") : undefined;
if (results) {
  mkdirSync(dirname(results), { recursive: true });
  rmSync(results, { force: true });
}

const server = new TestServer(settings);
before(() => server.start());
after(() => server.dispose());

/** A stream opened by an `open` step: its items so far (as proto JSON), how many the hook saw subscribed. */
class OpenStream {
  readonly items: Json[] = [];
  readonly abort = new AbortController();
  subscriptions = 0;
  waitedSubscriptions = 0;
  read = 0;
  error?: unknown;
  /** Resolves when the reader may take the next item: at once unless paused. */
  reading = Promise.resolve();
  unpause = () => {};

  constructor(readonly kind: string) {
    this.abort.signal.addEventListener("abort", () => this.unpause());
  }

  /** The reader takes no item from the SDK's stream until `unpause()`. */
  pause(): void {
    this.reading = new Promise((resolve) => (this.unpause = resolve));
  }

  /** Each item exactly once: a message stream's sequences follow each other, a watch's cursors never repeat. */
  add(item: Json): void {
    const previous = this.items.at(-1);
    if (this.kind === "StreamMessages" && previous && BigInt(item.sequence) !== BigInt(previous.sequence) + 1n) {
      this.error ??= new Error(`sequence ${item.sequence} after ${previous.sequence}`);
    }
    if (this.kind === "WatchConversations" && this.items.some((i) => i.cursor === item.cursor)) {
      this.error ??= new Error(`cursor ${item.cursor} delivered twice`);
    }
    this.items.push(item);
  }
}

class Run {
  readonly vars: Record<string, Json> = {};
  readonly streams = new Map<string, OpenStream>();
  pendingStart?: Promise<void>;

  constructor(readonly timely: TimelyClient) {}

  resolve(value: Json): Json {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.resolve(v)]));
    if (typeof value !== "string" || !value.startsWith("$") || value === "$nonempty") return value;
    if (value === "$uuid") return crypto.randomUUID();
    if (value.startsWith("$text:")) return "x".repeat(Number(value.slice("$text:".length)));
    const [name, ...path] = value.slice(1).split(".");
    assert.ok(name in this.vars, `unknown reference ${value}`);
    return lookup(this.vars[name], path);
  }

  check(expect: Record<string, Json> | undefined, actual: Json): void {
    for (const [path, wanted] of Object.entries(expect ?? {})) {
      const got = lookup(actual, path.split("."));
      if (wanted === "$nonempty") {
        assert.ok(got !== undefined && got !== null && got !== "" && !(Array.isArray(got) && got.length === 0), `${path} is empty`);
      } else {
        assert.equal(canonical(got), canonical(this.resolve(wanted)), `${path}`);
      }
    }
  }

  async steps(steps: Step[]): Promise<void> {
    for (const step of steps) {
      if ("repeat" in step && "steps" in step) {
        for (let i = 1; i <= step.repeat; i++) {
          this.vars.i = String(i);   // "$i", the iteration (1, 2, ...), as a string
          await this.steps(step.steps);
        }
      } else if ("call" in step) await this.call(step);
      else if ("server" in step) await this.server(step);
      else if ("open" in step) await this.open(step);
      else if ("subscribed" in step) await this.subscribed(this.stream(step.subscribed));
      else if ("pause" in step) this.stream(step.pause).pause();
      else if ("unpause" in step) {
        await delay(step.afterMs ?? 0);
        this.stream(step.unpause).unpause();
      } else if ("next" in step) await this.next(step);
      else assert.fail(`unknown step ${JSON.stringify(step)}`);
    }
  }

  async call(step: Step): Promise<void> {
    const method = ConversationService.methods.find((m) => m.name === step.call);
    assert.ok(method && method.methodKind === "unary", `no unary RPC ${step.call}`);
    const request = fromJson(method.input, this.resolve(step.request ?? {}));
    const invoke = (this.timely as unknown as Record<string, (r: unknown, o: unknown) => Promise<Json>>)[method.localName];
    const started = performance.now();
    const responses: Json[] = [];
    let error: ConnectError | undefined;
    try {
      for (let k = 0; k < (step.repeat ?? 1); k++) {   // the same request object each time
        responses.push(toJson(method.output, await invoke(request, { timeoutMs: step.deadlineMs }), { alwaysEmitImplicit: true }));
      }
    } catch (e) {
      error = ConnectError.from(e);
    }
    const elapsed = performance.now() - started;
    if (step.withinMs !== undefined) assert.ok(elapsed <= step.withinMs, `${step.call} took ${Math.round(elapsed)} ms, more than ${step.withinMs}`);
    if (step.error) {
      assert.ok(error, `${step.call} succeeded, expected ${step.error.status}`);
      assert.equal(statusName(error.code), step.error.status, error.message);
      if (step.error.reason) assert.equal(error.findDetails(ErrorInfoSchema)[0]?.reason, step.error.reason);
      if (step.error.field) {
        const fields = error.findDetails(BadRequestSchema).flatMap((b) => b.fieldViolations.map((v) => v.field));
        assert.ok(fields.includes(step.error.field), `field violations ${JSON.stringify(fields)} lack ${step.error.field}`);
      }
      return;
    }
    if (error) throw error;
    for (const response of responses.slice(1)) assert.deepEqual(response, responses[0], "a repeated request answered differently");
    if (step.as) this.vars[step.as] = responses[0];
    this.check(step.expect, responses[0]);
  }

  async server(step: Step): Promise<void> {
    await this.pendingStart;
    this.pendingStart = undefined;
    if (step.server === "kill") await server.kill();
    else if (step.server === "terminate") await server.terminate();
    else if (step.server === "start" && step.afterMs) this.pendingStart = delay(step.afterMs).then(() => server.start());
    else if (step.server === "start") await server.start();
    else assert.fail(`unknown server action ${step.server}`);
  }

  async open(step: Step): Promise<void> {
    const stream = new OpenStream(step.open);
    const options = { signal: stream.abort.signal, onSubscribed: () => stream.subscriptions++ };
    const json = this.resolve(step.request ?? {});
    let items: AsyncGenerator<unknown>;
    let schema: DescMessage;
    if (step.open === "StreamMessages") {
      const request = fromJson(StreamMessagesRequestSchema, json);
      items = this.timely.streamMessages(request.conversationId, request.afterSequence, options);
      schema = MessageSchema;
    } else {
      assert.equal(step.open, "WatchConversations");
      items = this.timely.watchConversations(fromJson(WatchConversationsRequestSchema, json), options);
      schema = ConversationEventSchema;
    }
    this.streams.set(step.as, stream);
    void (async () => {
      try {
        for await (const item of items) {
          stream.add(toJson(schema, item as never, { alwaysEmitImplicit: true }));
          await stream.reading;
        }
      } catch (e) {
        if (!stream.abort.signal.aborted) stream.error ??= e;
      }
    })();
    await this.subscribed(stream);
  }

  /** Waits until the stream's `onSubscribed` hook ran again: it is live (again). */
  async subscribed(stream: OpenStream): Promise<void> {
    await until(() => stream.subscriptions > stream.waitedSubscriptions || stream.error !== undefined, "the stream to subscribe");
    if (stream.error) throw stream.error;
    stream.waitedSubscriptions = stream.subscriptions;
  }

  async next(step: Step): Promise<void> {
    const stream = this.stream(step.next);
    await until(() => stream.items.length >= stream.read + step.count || stream.error !== undefined, `${step.count} items of ${step.next}`);
    if (stream.error) throw stream.error;
    const items = stream.items.slice(stream.read, stream.read + step.count);
    stream.read += step.count;
    this.check(step.expect, { items });
  }

  stream(name: string): OpenStream {
    const stream = this.streams.get(name);
    assert.ok(stream, `no stream ${name}`);
    return stream;
  }

  /** Ends the streams and leaves the server running for the next scenario, whatever happened. */
  async end(): Promise<void> {
    this.streams.forEach((s) => s.abort.abort());
    await this.pendingStart?.catch(() => {});
    await server.start();
  }
}

function lookup(value: Json, path: string[]): Json {
  for (const segment of path) {
    value = segment === "length" && Array.isArray(value) ? value.length : value?.[segment];
  }
  return value;
}

function canonical(value: Json): string {
  if (value === undefined || value === null) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** gRPC's name of a code: Code.FailedPrecondition is "FAILED_PRECONDITION". */
function statusName(code: Code): string {
  return Code[code].replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await delay(10);
  }
}

for (const transport of ["grpc", "grpc-web"] as const) {
  const runner = `js-${transport}`;
  for (const scenario of scenarios.filter((s) => !s.only || s.only.includes(runner))) {
    test(`${scenario.name} (${runner})`, async () => {
      // Each scenario on sockets of its own (HTTP/2 gets a session per client; HTTP/1.1 would reuse Node's global
      // agent's): a socket an earlier scenario read megabytes through can have grown buffers that hold all of what
      // "a stalled stream resumes" sends, and the server's writes to a paused reader would never block (its size is
      // explained in tests/sdk-scenarios/README.md).
      const agent = new Agent({ keepAlive: true });
      const options = { baseUrl: transport === "grpc" ? server.grpcUrl : server.webUrl, apiKey: server.apiKey, maxReconnectDelayMs: 500 };
      const timely = createTimelyClient({
        ...options,
        transport: transport === "grpc" ? "grpc" : createGrpcWebTransport({ ...transportOptions(options), httpVersion: "1.1", nodeOptions: { agent } }),
      });
      const run = new Run(timely);
      for (const id of scenario.ids ?? []) run.vars[id] = crypto.randomUUID();
      const started = performance.now();
      let failure: unknown;
      try {
        await run.steps(scenario.steps);
      } catch (e) {
        failure = e;
      }
      await run.end();
      agent.destroy();
      if (results) {
        const line = { scenario: scenario.name, runner, pass: failure === undefined, ms: Math.round(performance.now() - started), error: failure ? String(failure) : undefined };
        appendFileSync(results, JSON.stringify(line) + "\n");
      }
      if (failure) throw failure;
    });
  }
}
