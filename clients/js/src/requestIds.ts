// The request ids the SDK makes for writes sent without one: UUIDv7 (RFC 9562), whose first 48 bits are the time in
// milliseconds, so the service's index of request ids grows at its end instead of taking a page of its own for every
// write (with random ids SQLite's writer spent 1.15-1.36x the CPU per message; bench/README.md, 2026-12-04 (evening)).
// crypto.getRandomValues is global in Node and in browsers.

/** A new UUIDv7, made at `now` (milliseconds since the Unix epoch). */
export function newRequestId(now: number = Date.now()): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let millis = now;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = millis % 256;                  // unix_ts_ms, 48 bits, big-endian
    millis = Math.floor(millis / 256);
  }
  bytes[6] = 0x70 | (bytes[6]! & 0x0f);       // version 7
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);       // variant 10
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
