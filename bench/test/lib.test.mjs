// Unit tests of the harness's helpers (no proving, no server): `node --test bench/test/`.

import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

import { median, percentile, proveEventsFromLog, round } from "../lib.mjs";

test("median of odd and even counts, ignoring non-numbers", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([5, null, NaN, 1]), 3);
  assert.equal(median([]), null);
});

test("nearest-rank percentiles", () => {
  const values = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(values, 50), 50);
  assert.equal(percentile(values, 99), 99);
  assert.equal(percentile(values, 100), 100);
  assert.equal(percentile([7], 99), 7);
  assert.equal(percentile([], 50), null);
});

test("round keeps null", () => {
  assert.equal(round(1.26, 1), 1.3);
  assert.equal(round(null), null);
});

// Lines in the shape tee-rex-server --log-format json writes them (tracing-subscriber json).
const line = (ts, fields) => JSON.stringify({ timestamp: ts, level: "INFO", fields, target: "t", span: { request_id: "r1", name: "request" } });

test("a proving request's events become phases", () => {
  const dir = mkdtempSync(join(tmpdir(), "bench-lib-"));
  const file = join(dir, "server.log");
  const before = line("2026-12-04T17:00:00.000000Z", { message: "request", route: "/attestation", status: 200, latency_ms: 3 }) + "\n";
  writeFileSync(file, before + [
    line("2026-12-04T17:00:01.004500Z", { message: "proving", steps: 9 }),
    "not json: a text line",
    line("2026-12-04T17:00:41.010000Z", { message: "bb failed", duration_ms: 40000, self_check_failed: true, circuits_accumulated: 9 }),
    line("2026-12-04T17:00:41.030000Z", { message: "request", route: "/prove", status: 422, latency_ms: 40030 }),
  ].join("\n") + "\n");

  const events = proveEventsFromLog(file, Buffer.byteLength(before));
  assert.equal(events.requestMs, 40030);
  assert.equal(events.bbMs, 40000);
  assert.equal(events.status, 422);
  assert.equal(events.selfCheckFailed, true);
  assert.equal(events.decryptMs, null);
  // Request start: end minus latency; the slot came 4.5 ms later; bb began 5.5 ms after that.
  assert.ok(Math.abs(events.slotAt - events.startAt - 4.5) < 0.01);
  assert.ok(Math.abs(events.bbEndAt - events.bbMs - events.slotAt - 5.5) < 0.01);
  assert.ok(Math.abs(events.endAt - events.bbEndAt - 20) < 0.01);
});

test("a log without a proving request gives null", () => {
  const dir = mkdtempSync(join(tmpdir(), "bench-lib-"));
  const file = join(dir, "server.log");
  writeFileSync(file, line("2026-12-04T17:00:00.000000Z", { message: "request", route: "/health", status: 200, latency_ms: 1 }) + "\n");
  assert.equal(proveEventsFromLog(file, 0), null);
});
