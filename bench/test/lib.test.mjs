// Unit tests of the harness's helpers (no proving, no server): `node --test bench/test/`.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

import { DECODE_ROW, PHASE_ROWS, median, percentile, phaseRowOrder, proveEventsFromLog, round, serverPhaseRows } from "../lib.mjs";

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

// A proof and a bb failure as tee-rex-server logs them since it times each phase (captured from the
// server's loopback test, request ids shortened). "bb proved" is a debug event: absent at info.
const span = (id) => ({ span: { request_id: id, name: "request" }, spans: [{ request_id: id, name: "request" }] });
const event = (ts, level, target, fields, id) => JSON.stringify({ timestamp: ts, level, fields, target, ...span(id) });
const PROOF_LOG = [
  event("2026-12-04T19:18:27.708219Z", "INFO", "tee_rex_server::handlers", { message: "proving", upload_ms: 0.045, decrypt_ms: 2.366, parse_ms: 0.016, queue_ms: 0.003, steps: 1, plaintext_len: 56 }, "a"),
  event("2026-12-04T19:18:27.816979Z", "INFO", "tee_rex_server::handlers", { message: "proved", upload_ms: 0.045, decrypt_ms: 2.366, parse_ms: 0.016, queue_ms: 0.003, prove_ms: 105.584, steps: 1, circuits_accumulated: 0, proof_len: 68 }, "a"),
  event("2026-12-04T19:18:27.817474Z", "INFO", "tee_rex_server::middleware", { message: "request", method: "POST", route: "/prove", status: 200, latency_ms: 111 }, "a"),
];
const FAILURE_LOG = [
  event("2026-12-04T19:18:27.821386Z", "INFO", "tee_rex_server::handlers", { message: "proving", upload_ms: 0.156, decode_ms: 0.5, decrypt_ms: 0.825, parse_ms: 0.02, queue_ms: 0.003, steps: 1, plaintext_len: 56 }, "b"),
  event("2026-12-04T19:18:27.925650Z", "ERROR", "tee_rex_server::prover", { message: "bb failed", status: "exit status: 1", duration_ms: 103, circuits_accumulated: 9, self_check_failed: true, stderr_tail: "", stdout_tail: "" }, "b"),
  event("2026-12-04T19:18:27.926375Z", "ERROR", "tee_rex_server::handlers", { message: "prove failed", upload_ms: 0.156, decode_ms: 0.5, decrypt_ms: 0.825, parse_ms: 0.02, queue_ms: 0.003, prove_ms: 103.147, error: "bb rejected its own proof", code: "PROOF_SELF_CHECK_FAILED" }, "b"),
  event("2026-12-04T19:18:27.926635Z", "INFO", "tee_rex_server::middleware", { message: "request", method: "POST", route: "/prove", status: 422, latency_ms: 106 }, "b"),
];

function logFile(lines) {
  const file = join(mkdtempSync(join(tmpdir(), "bench-lib-")), "server.log");
  writeFileSync(file, lines.join("\n") + "\n");
  return file;
}

test("the server's own phases are read from a proof's events, bb's time from `proved`", () => {
  const events = proveEventsFromLog(logFile(PROOF_LOG), 0);
  assert.equal(events.status, 200);
  assert.deepEqual(
    [events.uploadMs, events.decodeMs, events.decryptMs, events.parseMs, events.queueMs, events.proveMs],
    [0.045, null, 2.366, 0.016, 0.003, 105.584],
  );
  // No "bb failed"/"bb proved" at info: bb's duration and end come from the "proved" event.
  assert.equal(events.bbMs, 105.584);
  assert.equal(events.bbEndAt, Date.parse("2026-12-04T19:18:27.816Z") + 0.979);
  assert.equal(events.selfCheckFailed, false);
  assert.equal(events.circuits, 0);

  const rows = serverPhaseRows(events);
  assert.equal(rows[PHASE_ROWS[4]], 0.045);
  assert.equal(rows[DECODE_ROW], null);
  assert.equal(rows[PHASE_ROWS[5]], 2.366);
  assert.equal(rows[PHASE_ROWS[6]], 0.016);
  assert.equal(rows[PHASE_ROWS[7]], 0.003);
  // Slot at .708219; request end .817474 less 111 to 112 ms: start .705474 to .706474, so 1.745 to
  // 2.745 ms before the slot (2.245 the middle), 2.43 of them in phases.
  assert.ok(Math.abs(rows[PHASE_ROWS[8]] - (2.245 - 2.43)) < 1e-3, String(rows[PHASE_ROWS[8]]));
});

test("a failure's phases come from `prove failed`, bb's time from `bb failed`", () => {
  const events = proveEventsFromLog(logFile(FAILURE_LOG), 0);
  assert.equal(events.status, 422);
  assert.equal(events.bbMs, 103);
  assert.equal(events.proveMs, 103.147);
  assert.equal(events.decodeMs, 0.5);
  assert.equal(events.selfCheckFailed, true);
  assert.equal(events.circuits, 9);
  assert.equal(serverPhaseRows(events)[DECODE_ROW], 0.5);
});

test("an older server's log gives null phases, and so do the rows", () => {
  const rows = serverPhaseRows(proveEventsFromLog(logFile([
    line("2026-12-04T17:00:01.004500Z", { message: "proving", steps: 9 }),
    line("2026-12-04T17:00:41.010000Z", { message: "bb failed", duration_ms: 40000, self_check_failed: true }),
    line("2026-12-04T17:00:41.030000Z", { message: "request", route: "/prove", status: 422, latency_ms: 40030 }),
  ]), 0));
  for (const value of Object.values(rows)) assert.equal(value, null);
});

test("row order: the fixed rows, decode only when measured, an older report's rows kept in place", () => {
  assert.deepEqual(phaseRowOrder({}, undefined), PHASE_ROWS);
  assert.deepEqual(phaseRowOrder({ [DECODE_ROW]: null }), PHASE_ROWS);
  const withDecode = phaseRowOrder({ [DECODE_ROW]: 0.4 });
  assert.equal(withDecode.indexOf(DECODE_ROW), withDecode.indexOf(PHASE_ROWS[4]) + 1);
  const old = phaseRowOrder({ encrypt: 12, "upload + decrypt + parse + queue wait (server, before bb)": 11, bb: 1 });
  assert.equal(old.length, PHASE_ROWS.length + 1);
  assert.equal(old[old.indexOf("encrypt") + 1], "upload + decrypt + parse + queue wait (server, before bb)");
});

// report.mjs on a report with and without the server's phases.
function render(report) {
  const dir = mkdtempSync(join(tmpdir(), "bench-report-"));
  writeFileSync(join(dir, "r.json"), JSON.stringify(report));
  execFileSync(process.execPath, [join(import.meta.dirname, "..", "report.mjs"), join(dir, "r.json"), join(dir, "r.md")]);
  return readFileSync(join(dir, "r.md"), "utf8");
}

function minimalReport(phasesMs) {
  const contender = { medianWallMs: 1000, outcomes: ["proof"], ratioToBareBb: 1.1, phasesMs };
  return {
    generatedAt: "2026-12-04T19:00:00Z", runs: 1, machine: { cpu: "x", cores: 2, memGiB: 1, node: "v20" },
    load: { start: [0, 0, 0], end: [0, 0, 0] }, fixture: { path: "f", bytes: 1 }, crs: { dir: "c", insecureTest: false },
    summary: { bareBb: { medianWallMs: 900, outcomes: ["proof"] }, cli: contender },
  };
}

const tableRow = (md, name) => md.split("\n").find((l) => l.startsWith(`| ${name} |`));

test("the report shows each server phase as its own row, or not measured", () => {
  const measured = render(minimalReport({ encrypt: 12, ...serverPhaseRows(proveEventsFromLog(logFile(PROOF_LOG), 0)), bb: 900 }));
  assert.match(tableRow(measured, PHASE_ROWS[5]), /^\| decrypt \(server\) \| 2\.366 ms \| 0\.24 % \| n\/a \|/);
  assert.match(tableRow(measured, PHASE_ROWS[7]), /\| 0\.003 ms \|/);
  assert.equal(tableRow(measured, DECODE_ROW), undefined);
  assert.match(measured, /the same numbers its `Server-Timing`/);

  const older = render(minimalReport({ encrypt: 12, "upload + decrypt + parse + queue wait (server, before bb)": 11, bb: 900 }));
  for (const name of PHASE_ROWS.slice(4, 9)) assert.match(tableRow(older, name), /\| not measured \|/, name);
  assert.match(tableRow(older, "upload \\+ decrypt") ?? tableRow(older, "upload + decrypt + parse + queue wait (server, before bb)"), /11 ms/);
  assert.match(older, /rows below are therefore not measured/);
});
