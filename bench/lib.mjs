// Helpers of the benchmark harness: statistics, processes, /proc sampling and the server's JSON log.

import { spawn } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { loadavg } from "node:os";

/** Median of numbers (the mean of the middle two for an even count); null when empty. */
export function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** Nearest-rank percentile `p` (0..100); null when empty. */
export function percentile(values, p) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const rank = Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1));
  return v[rank];
}

/** Rounds to `digits` decimals, keeping null. */
export function round(x, digits = 1) {
  if (x === null || x === undefined || !Number.isFinite(x)) return null;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** The 1, 5 and 15 minute load averages. */
export function load() {
  return loadavg().map((x) => round(x, 2));
}

/**
 * Runs `cmd args`, collecting stdout and stderr; resolves with the exit status and the wall time
 * in milliseconds. Never rejects on a non-zero exit: callers judge the outcome.
 */
export function run(cmd, args, options = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], ...options });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr, wallMs: performance.now() - started }));
  });
}

/** Resident set size and its peak of `pid` in KiB, from /proc; null when it is gone. */
export function rssKib(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const field = (name) => Number(status.match(new RegExp(`^${name}:\\s+(\\d+) kB`, "m"))?.[1] ?? NaN);
    return { rss: field("VmRSS"), hwm: field("VmHWM") };
  } catch {
    return null;
  }
}

/** Children of `pid` (one level), from /proc/<pid>/task/*\/children. */
export function childrenOf(pid) {
  const out = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim();
      if (text) out.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // The process ended between the listing and the read.
  }
  return out;
}

/**
 * Samples the RSS of `pid` and of its children every `everyMs` until `stop()`; returns the peaks
 * in KiB (the children's is the largest one child reached: bb runs as the server's child).
 */
export function sampleRss(pid, everyMs = 100) {
  let serverPeak = 0;
  let childPeak = 0;
  const timer = setInterval(() => {
    const own = rssKib(pid);
    if (own) serverPeak = Math.max(serverPeak, own.rss);
    for (const child of childrenOf(pid)) {
      const r = rssKib(child);
      if (r) childPeak = Math.max(childPeak, r.hwm, r.rss);
    }
  }, everyMs);
  return () => {
    clearInterval(timer);
    return { serverPeakKib: serverPeak, childPeakKib: childPeak };
  };
}

/**
 * Sends GET `paths` in turn, one at a time with `gapMs` between them, until `stop()`; returns the
 * latencies in milliseconds by path, and the failures.
 */
export function probeLatency(baseUrl, paths, gapMs = 100) {
  const latencies = Object.fromEntries(paths.map((p) => [p, []]));
  let failures = 0;
  let running = true;
  const loop = (async () => {
    for (let i = 0; running; i++) {
      const path = paths[i % paths.length];
      const started = performance.now();
      try {
        const response = await fetch(baseUrl + path);
        await response.arrayBuffer();
        if (!response.ok) failures++;
        else latencies[path].push(performance.now() - started);
      } catch {
        failures++;
      }
      await sleep(gapMs);
    }
  })();
  return async () => {
    running = false;
    await loop;
    return { latencies, failures };
  };
}

/** Resolves after `ms`. */
export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Parses the server's JSON log lines (tracing-subscriber's `json` format) written between two
 * byte offsets and returns what one proving request left there: the request latency, when the job
 * got its slot, bb's duration and when bb ended, and the server's own phases (`upload_ms`,
 * `decode_ms`, `decrypt_ms`, `parse_ms`, `queue_ms`, `prove_ms` of its `proving`, `proved` and
 * `prove failed` events; null each when the server did not log it: older servers, or `decode`
 * for a binary body).
 */
export function proveEventsFromLog(logFile, fromOffset) {
  const text = readFileSync(logFile).subarray(fromOffset).toString("utf8");
  const events = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      events.push(JSON.parse(line));
    } catch {
      // A line cut by a concurrent write: skip it.
    }
  }
  const at = (e) => Date.parse(e.timestamp) + fractionMs(e.timestamp);
  const byMessage = (m) => events.filter((e) => e.fields?.message === m);
  const request = byMessage("request").find((e) => e.fields.route === "/prove");
  const proving = byMessage("proving")[0];
  const done = byMessage("proved")[0] ?? byMessage("prove failed")[0];
  // The prover logs "bb failed" at info, "bb proved" only at debug: after a proof, the handler's
  // "proved" event (bb's time as prove_ms) stands in for it.
  const bb = byMessage("bb failed")[0] ?? byMessage("bb proved")[0];
  const bbMs = bb?.fields.duration_ms ?? done?.fields.prove_ms;
  if (!request || !proving || !Number.isFinite(bbMs)) return null;
  const endAt = at(request);
  const phase = (name) => {
    const value = done?.fields[`${name}_ms`] ?? proving.fields[`${name}_ms`];
    return Number.isFinite(value) ? value : null;
  };
  return {
    requestMs: request.fields.latency_ms,
    status: request.fields.status,
    startAt: endAt - request.fields.latency_ms,
    slotAt: at(proving),
    bbMs,
    bbEndAt: at(bb ?? done),
    endAt,
    uploadMs: phase("upload"),
    decodeMs: phase("decode"),
    decryptMs: phase("decrypt"),
    parseMs: phase("parse"),
    queueMs: phase("queue"),
    proveMs: phase("prove"),
    selfCheckFailed: bb?.fields.self_check_failed === true,
    circuits: bb?.fields.circuits_accumulated ?? done?.fields.circuits_accumulated ?? null,
  };
}

/**
 * The rows of the remote phase table, in order, as run.mjs names them in `summary.*.phasesMs`.
 * report.mjs shows each of them for every report, "not measured" where a report lacks it.
 */
export const PHASE_ROWS = [
  "process start + read input",
  "attestation fetch",
  "attestation verify",
  "encrypt",
  "upload (server: handler start to whole body)",
  "decrypt (server)",
  "parse: steps validation (server)",
  "queue wait (server)",
  "server before bb, rest (routing, thread hand-offs)",
  "job folder + bb spawn",
  "bb",
  "server after bb (error/response body)",
  "HTTP outside the server's handler",
];

/** The row of a JSON body's base64 decoding: shown only when a run sent one. */
export const DECODE_ROW = "body decode: JSON base64 (server)";

/**
 * The server's phases of one remote run as rows of {@link PHASE_ROWS}, from
 * {@link proveEventsFromLog}'s result; null for what that server did not log.
 */
export function serverPhaseRows(server) {
  const known = ["uploadMs", "decodeMs", "decryptMs", "parseMs", "queueMs"].map((k) => server?.[k] ?? null);
  const measured = known[0] !== null;
  const beforeBb = server ? server.slotAt - server.startAt : null;
  return {
    [PHASE_ROWS[4]]: known[0],
    [DECODE_ROW]: known[1],
    [PHASE_ROWS[5]]: known[2],
    [PHASE_ROWS[6]]: known[3],
    [PHASE_ROWS[7]]: known[4],
    // The request's start comes from its latency, logged truncated to whole milliseconds: the
    // start lies up to 1 ms before `startAt`, so take the middle. This row is good to ±0.5 ms.
    [PHASE_ROWS[8]]: measured ? beforeBb + 0.5 - known.reduce((a, x) => a + (x ?? 0), 0) : null,
  };
}

/**
 * The phase table's row names: {@link PHASE_ROWS}, then {@link DECODE_ROW} after the upload when a
 * contender measured it, with any other name a report carries (an older report's) kept after the
 * row it followed there.
 */
export function phaseRowOrder(...phasesMs) {
  const rows = [...PHASE_ROWS];
  if (phasesMs.some((p) => Number.isFinite(p?.[DECODE_ROW]))) rows.splice(5, 0, DECODE_ROW);
  for (const p of phasesMs) {
    let previous = null;
    for (const name of Object.keys(p ?? {})) {
      if (name !== DECODE_ROW && !rows.includes(name)) rows.splice(previous === null ? 0 : rows.indexOf(previous) + 1, 0, name);
      previous = name;
    }
  }
  return rows;
}

/** Sub-millisecond part of an RFC 3339 timestamp (Date.parse keeps only milliseconds). */
function fractionMs(timestamp) {
  const digits = timestamp.match(/\.(\d+)/)?.[1] ?? "";
  return digits.length > 3 ? Number(`0.${digits.slice(3)}`) : 0;
}
