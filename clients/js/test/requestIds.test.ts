// The SDK's request ids are UUIDv7 (RFC 9562): the version and variant bits set, the time of their making in their
// first 48 bits, so ids made later sort after earlier ones, and random in the rest. No Timely server is needed.
import assert from "node:assert/strict";
import { test } from "node:test";
import { newRequestId } from "../src/requestIds.js";

test("a request id is a version 7 UUID carrying the time it was made", () => {
  const before = Date.now();
  const id = newRequestId();
  const after = Date.now();

  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  const millis = parseInt(id.replaceAll("-", "").slice(0, 12), 16);
  assert.ok(millis >= before && millis <= after, `${millis} not within ${before}-${after}`);
});

test("ids made later sort after, and no two are equal", () => {
  const start = 1_767_225_600_000;
  const ids = Array.from({ length: 1000 }, (_, i) => newRequestId(start + i));

  assert.deepEqual([...ids].sort(), ids);
  assert.equal(new Set(ids).size, ids.length);
  assert.equal(new Set(Array.from({ length: 1000 }, () => newRequestId(start))).size, 1000);
});
