// The benchmark run behind scripts/bench.sh: remote proving (CLI and npm package) against bare bb
// and against bb.js in Node, alternating, plus the server's memory, latency under load and
// throughput, the wasm SDK's cryptography against openpgp.js, and sizes. Writes the JSON report;
// report.mjs renders the Markdown from it.
//
// Configuration comes from the environment, set by scripts/bench.sh (BENCH_*).

import { mkdirSync, readFileSync, statSync, writeFileSync, existsSync, rmSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { spawn } from "node:child_process";
import { join, resolve } from "node:path";

import { chromiumCrypto, chromiumLocalProve } from "./chromium.mjs";
import { load, median, percentile, probeLatency, proveEventsFromLog, round, rssKib, run, sampleRss, serverPhaseRows, sleep, DECODE_ROW } from "./lib.mjs";

const env = (name, fallback) => process.env[name] ?? fallback;
const ROOT = resolve(import.meta.dirname, "..");
const RUNS = Number(env("BENCH_RUNS", "3"));
const BB = resolve(ROOT, env("BENCH_BB", ".cache/bb/bb"));
const BB_BINARY = resolve(ROOT, env("BENCH_BB_BINARY", ".cache/bb/4.1.2/bb-real"));
const CRS_DIR = resolve(ROOT, env("BENCH_CRS_DIR", ".cache/crs/insecure-test"));
const INPUT = resolve(ROOT, env("BENCH_INPUT", "testdata/aztec/ivc-deploy-schnorr.msgpack"));
const BIN = resolve(ROOT, env("BENCH_BIN", "target/release"));
const PKG = resolve(ROOT, "pkg");
const WORK = resolve(ROOT, env("BENCH_WORK", "target/bench"));
const OUT_JSON = resolve(ROOT, env("BENCH_OUT_JSON", "bench/results/latest.json"));
const LOCAL_THREADS = Number(env("BENCH_LOCAL_THREADS", String(cpus().length)));
const SKIP = new Set(env("BENCH_SKIP", "").split(",").filter(Boolean));
const CONCURRENCY_MAX = Number(env("BENCH_CONCURRENCY_MAX", "2"));
const CRITERION = resolve(ROOT, "target/criterion");

const log = (...a) => console.error("bench:", ...a);
const report = {
  generatedAt: new Date().toISOString(),
  runs: RUNS,
  machine: machine(),
  load: { start: load() },
  notes: [],
};
const pkgUsable = existsSync(join(PKG, "dist/nodejs/tee_rex_sdk_bg.wasm")) && existsSync(join(PKG, "node.js"));
if (!pkgUsable) report.notes.push("pkg/dist/nodejs is missing: the npm package runs and wasm timings were skipped (run scripts/build-wasm.sh)");

rmSync(WORK, { recursive: true, force: true });
mkdirSync(WORK, { recursive: true });

// --- the server ---------------------------------------------------------------------------------

async function startServer(concurrency) {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const url = `http://127.0.0.1:${port}`;
  const logFile = join(WORK, `server-c${concurrency}.log`);
  const root = join(WORK, `dev-root-c${concurrency}.pem`);
  const jobs = join(WORK, `jobs-c${concurrency}`);
  mkdirSync(jobs, { recursive: true });
  const { openSync } = await import("node:fs");
  const out = openSync(logFile, "w");
  const child = spawn(join(BIN, "tee-rex-server"), [
    "--attestation", "dev", "--listen", `127.0.0.1:${port}`, "--bb", BB, "--bb-binary-sha-path", BB_BINARY,
    "--crs-dir", CRS_DIR, "--dev-root-out", root, "--log-format", "json", "--work-dir", jobs,
    "--concurrency", String(concurrency), "--max-waiting", "8",
  ], {
    stdio: ["ignore", out, out],
    // The latency probes ask for a document every 100 ms: lift the per-client rate limits (servers
    // without them ignore these variables).
    env: { ...process.env, TEE_REX_ATTESTATION_RATE_PER_MINUTE: "100000", TEE_REX_ATTESTATION_RATE_BURST: "1000", TEE_REX_PROVE_RATE_PER_MINUTE: "1000", TEE_REX_PROVE_RATE_BURST: "100" },
  });
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`tee-rex-server exited: see ${logFile}`);
    try {
      if ((await fetch(`${url}/health`)).ok) return { url, child, logFile, root, pid: child.pid };
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  throw new Error("tee-rex-server never became healthy");
}

async function stopServer(server) {
  server.child.kill("SIGTERM");
  await new Promise((r) => (server.child.exitCode !== null ? r() : server.child.on("close", r)));
}

// --- the contenders -----------------------------------------------------------------------------

async function bareBb(i) {
  const out = join(WORK, `bb-out-${i}`);
  mkdirSync(out, { recursive: true });
  const r = await run(BB, ["prove", "--scheme", "chonk", "--ivc_inputs_path", INPUT, "-o", out, "-c", CRS_DIR]);
  const text = r.stdout + r.stderr;
  return {
    wallMs: r.wallMs,
    status: r.status,
    selfCheckFailed: /Failed to verify the generated proof/.test(text),
    outcome: r.status === 0 ? "proof" : /Failed to verify the generated proof/.test(text) ? "PROOF_SELF_CHECK_FAILED" : "FAILED",
  };
}

async function cliProve(server, i, { probe = false } = {}) {
  const offset = statSync(server.logFile).size;
  const stopProbe = probe ? probeLatency(server.url, ["/health", "/attestation"], 50) : null;
  const stopRss = probe ? sampleRss(server.pid, 100) : null;
  const r = await run(join(BIN, "tee-rex"), [
    "prove", "--server", server.url, "--input", INPUT, "--out", join(WORK, `proof-${i}.bin`),
    "--trust-root", server.root, "--expect-pcrs-file", `${server.root}.pcrs.json`,
  ]);
  const probed = stopProbe ? await stopProbe() : null;
  const rss = stopRss ? stopRss() : null;
  await sleep(150);
  const phases = {};
  for (const m of r.stderr.matchAll(/^phase\s+(\S+).*?\s(\d+) ms$/gm)) phases[m[1]] = Number(m[2]);
  const code = r.stderr.match(/^([A-Z_]+): /m)?.[1] ?? null;
  return {
    wallMs: r.wallMs,
    status: r.status,
    outcome: r.status === 0 ? "proof" : code ?? "FAILED",
    phases,
    server: proveEventsFromLog(server.logFile, offset),
    probed,
    rss,
  };
}

async function npmProve(server) {
  const offset = statSync(server.logFile).size;
  const r = await run(process.execPath, [join(import.meta.dirname, "remote-npm.mjs"), PKG, server.url, INPUT, server.root]);
  await sleep(150);
  const result = parseLastJson(r, "remote-npm.mjs");
  return { ...result, wallMs: r.wallMs, server: proveEventsFromLog(server.logFile, offset) };
}

async function localBbJs() {
  const r = await run(process.execPath, [join(import.meta.dirname, "local-bbjs.mjs"), INPUT, CRS_DIR, String(LOCAL_THREADS)]);
  return { ...parseLastJson(r, "local-bbjs.mjs"), wallMs: r.wallMs };
}

/** One bb.js proof in headless Chromium (threaded, worker backend), timed like localBbJs. */
async function chromiumBbJs() {
  const r = await chromiumLocalProve({ input: INPUT, crsDir: CRS_DIR, threads: LOCAL_THREADS, runs: 1 });
  return { ...r.runs[0], backend: r.backend };
}

function parseLastJson(r, what) {
  const line = r.stdout.trim().split("\n").pop();
  try {
    return JSON.parse(line);
  } catch {
    throw new Error(`${what} printed no result (exit ${r.status}): ${r.stderr.slice(-500)}`);
  }
}

// --- the run ------------------------------------------------------------------------------------

const bbVersion = (await run(BB, ["--version"])).stdout.trim();
report.machine.bb = bbVersion;
report.fixture = { path: INPUT.replace(`${ROOT}/`, ""), bytes: statSync(INPUT).size };
report.crs = { dir: CRS_DIR.replace(`${ROOT}/`, ""), insecureTest: existsSync(join(CRS_DIR, "INSECURE_TEST_CRS")) };

log(`starting tee-rex-server (concurrency 1)`);
let server = await startServer(1);
await sleep(1500);
report.server = { idleRssKib: rssKib(server.pid) };

// Idle latency, for reference against the latency while a proof runs.
{
  const stop = probeLatency(server.url, ["/health", "/attestation"], 10);
  await sleep(3000);
  report.server.idleLatency = summarizeLatency(await stop());
}

if (pkgUsable && !SKIP.has("crypto")) {
  log("wasm SDK cryptography against openpgp.js");
  const r = await run(process.execPath, [join(import.meta.dirname, "crypto-wasm.mjs"), PKG, server.url, INPUT, server.root, String(Math.max(5, RUNS * 2))]);
  try {
    report.cryptoWasm = parseLastJson(r, "crypto-wasm.mjs");
  } catch (e) {
    report.notes.push(e.message.slice(0, 300));
  }
}

if (!SKIP.has("crypto") && !SKIP.has("chromium")) {
  log("wasm SDK cryptography against openpgp.js, in headless Chromium");
  try {
    report.cryptoChromium = await chromiumCrypto({ input: INPUT, serverUrl: server.url, rootPem: server.root, rounds: Math.max(5, RUNS * 2) });
  } catch (e) {
    report.notes.push(`Chromium cryptography: ${e.message.slice(0, 300)}`);
  }
}

const contenders = [
  "bb",
  "cli",
  ...(pkgUsable && !SKIP.has("npm") ? ["npm"] : []),
  ...(!SKIP.has("local") ? ["local"] : []),
  ...(!SKIP.has("local") && !SKIP.has("chromium") ? ["chromium"] : []),
];
const results = Object.fromEntries(contenders.map((c) => [c, []]));
for (let i = 0; i < RUNS; i++) {
  // Rotate the order each round so no contender always runs first (after idle) or last.
  const order = contenders.map((_, k) => contenders[(k + i) % contenders.length]);
  for (const who of order) {
    log(`round ${i + 1}/${RUNS}: ${who} (load ${load().join(" ")})`);
    const loadBefore = load();
    let result;
    try {
      if (who === "bb") result = await bareBb(i);
      if (who === "cli") result = await cliProve(server, i, { probe: true });
      if (who === "npm") result = await npmProve(server);
      if (who === "local") result = await localBbJs();
      if (who === "chromium") result = await chromiumBbJs();
    } catch (e) {
      // One broken contender must not lose the others' numbers: record it and go on.
      log(`${who} failed: ${e.message}`);
      report.notes.push(`${who}, round ${i + 1}: ${e.message.slice(0, 300)}`);
      continue;
    }
    results[who].push({ ...result, loadBefore });
  }
}
report.raw = results;
report.server.idleRssAfterKib = rssKib(server.pid);
await stopServer(server);

// Throughput at concurrency 1..N: N proofs sent at once to a server proving N at a time.
report.throughput = [];
if (!SKIP.has("throughput")) {
  for (let c = 1; c <= CONCURRENCY_MAX; c++) {
    if (c === 1) {
      const wall = median(results.cli.map((r) => r.wallMs));
      report.throughput.push({ concurrency: 1, proofs: results.cli.length, wallMs: round(wall, 0), proofsPerHour: round(3_600_000 / wall, 1), from: "median CLI run above" });
      continue;
    }
    log(`throughput at concurrency ${c}`);
    server = await startServer(c);
    const started = performance.now();
    const runs = await Promise.all(Array.from({ length: c }, (_, k) => run(join(BIN, "tee-rex"), [
      "prove", "--server", server.url, "--input", INPUT, "--out", join(WORK, `proof-c${c}-${k}.bin`),
      "--trust-root", server.root, "--expect-pcrs-file", `${server.root}.pcrs.json`,
    ])));
    const wall = performance.now() - started;
    await stopServer(server);
    const done = runs.filter((r) => r.status === 0 || /PROOF_SELF_CHECK_FAILED/.test(r.stderr)).length;
    report.throughput.push({ concurrency: c, proofs: done, wallMs: round(wall, 0), proofsPerHour: round((done * 3_600_000) / wall, 1), from: `${c} proofs sent at once` });
  }
}

if (existsSync(join(PKG, "dist/web/tee_rex_sdk_bg.wasm"))) {
  log("sizes");
  report.size = parseLastJson(await run(process.execPath, [join(import.meta.dirname, "size.mjs"), PKG, join(WORK, "size")]), "size.mjs");
} else {
  report.notes.push("pkg/dist/web is missing: sizes skipped");
}
report.criterion = readCriterion();
report.load.end = load();
report.summary = summarize(results);

mkdirSync(join(OUT_JSON, ".."), { recursive: true });
writeFileSync(OUT_JSON, JSON.stringify(report, null, 2) + "\n");
log(`wrote ${OUT_JSON}`);

// --- summaries ----------------------------------------------------------------------------------

function summarize(results) {
  const s = {};
  const med = (rows, f) => round(median(rows.map(f)), 0);
  const bbWall = med(results.bb, (r) => r.wallMs);
  s.bareBb = { medianWallMs: bbWall, outcomes: results.bb.map((r) => r.outcome) };

  for (const who of ["cli", "npm"]) {
    const rows = results[who] ?? [];
    if (!rows.length) continue;
    const withServer = rows.filter((r) => r.server);
    const clientPhase = (name) => med(rows, (r) => r.phases?.[name]);
    const wall = med(rows, (r) => r.wallMs);
    const bbOnServer = med(withServer, (r) => r.server.bbMs);
    const jobSetup = med(withServer, (r) => r.server.bbEndAt - r.server.bbMs - r.server.slotAt);
    const afterBb = med(withServer, (r) => r.server.endAt - r.server.bbEndAt);
    s[who] = {
      medianWallMs: wall,
      outcomes: rows.map((r) => r.outcome),
      ratioToBareBb: round(wall / bbWall, 3),
      phasesMs: {
        "process start + read input": who === "cli" ? round(wall - sumPhases(rows), 0) : med(rows, (r) => r.loadMs),
        "attestation fetch": clientPhase("fetch-attestation"),
        "attestation verify": clientPhase("verify-attestation"),
        encrypt: clientPhase("encrypt"),
        // The server's own phases, from its log; the rest of the time before bb is what they miss.
        ...serverPhases(withServer),
        "job folder + bb spawn": jobSetup,
        bb: bbOnServer,
        "server after bb (error/response body)": afterBb,
        // Everything the client saw after encrypting (the wasm SDK splits it into transmit and
        // proving), less the server's own handling of the request.
        "HTTP outside the server's handler": med(withServer, (r) => afterEncrypt(r.phases) - r.server.requestMs),
      },
      serverOverheadMs: round(wall - bbOnServer, 0),
      overheadShareOfBb: round((wall - bbOnServer) / bbOnServer, 4),
      // From the SDK's first phase to the outcome: everything but process start-up, minus bb.
      sdkServerOverheadMs: round((who === "cli" ? sumPhases(rows) : med(rows, (r) => r.proveCallMs)) - bbOnServer, 0),
    };
    s[who].sdkServerOverheadShareOfBb = round(s[who].sdkServerOverheadMs / bbOnServer, 4);
  }
  for (const [who, key] of [["local", "localBbJs"], ["chromium", "localChromium"]]) {
    const rows = results[who] ?? [];
    if (!rows.length) continue;
    const wall = med(rows, (r) => r.wallMs);
    s[key] = {
      threads: rows[0].threads,
      backend: rows[0].backend ?? null,
      medianWallMs: wall,
      outcomes: rows.map((r) => r.outcome),
      phasesMs: Object.fromEntries(Object.keys(rows[0].phases ?? {}).map((k) => [k, med(rows, (r) => r.phases[k])])),
      ratioToRemoteCli: s.cli ? round(wall / s.cli.medianWallMs, 2) : null,
      ratioToBareBb: round(wall / bbWall, 2),
    };
  }
  const cli = results.cli ?? [];
  const probes = cli.filter((r) => r.probed).map((r) => r.probed);
  s.serverUnderLoad = summarizeLatency({
    latencies: Object.fromEntries(["/health", "/attestation"].map((p) => [p, probes.flatMap((x) => x.latencies[p])])),
    failures: probes.reduce((a, x) => a + x.failures, 0),
  });
  s.serverUnderLoad.serverPeakRssKib = Math.max(0, ...cli.map((r) => r.rss?.serverPeakKib ?? 0));
  s.serverUnderLoad.bbPeakRssKib = Math.max(0, ...cli.map((r) => r.rss?.childPeakKib ?? 0));
  return s;
}

/** Medians of the server's phase rows over `rows`, to the hundredth of a millisecond. */
function serverPhases(rows) {
  const perRun = rows.map((r) => serverPhaseRows(r.server));
  const out = {};
  for (const name of Object.keys(serverPhaseRows(null))) {
    const values = perRun.map((p) => p[name]).filter(Number.isFinite);
    // A binary body has no decode phase: leave the row out rather than report it unmeasured.
    if (values.length || name !== DECODE_ROW) out[name] = round(median(values), 2);
  }
  return out;
}

function afterEncrypt(phases = {}) {
  const before = new Set(["fetch-attestation", "verify-attestation", "encrypt"]);
  return Object.entries(phases).filter(([k]) => !before.has(k)).reduce((a, [, v]) => a + v, 0);
}

function sumPhases(rows) {
  return median(rows.map((r) => Object.values(r.phases ?? {}).reduce((a, b) => a + b, 0)));
}

function summarizeLatency({ latencies, failures }) {
  const out = { failures };
  for (const [path, values] of Object.entries(latencies)) {
    out[path] = { n: values.length, p50Ms: round(percentile(values, 50), 2), p99Ms: round(percentile(values, 99), 2), maxMs: round(Math.max(...values), 2) };
  }
  return out;
}

function readCriterion() {
  const benches = {
    "encrypt/fixture": "encrypt/fixture",
    "encrypt/16MiB": "encrypt/16MiB",
    "decrypt/fixture": "decrypt/fixture",
    "decrypt/16MiB": "decrypt/16MiB",
    "verify_attestation/dev_document_with_key_policy": "verify_attestation/dev_document_with_key_policy",
    "attestation/verify_real_aws_document": "attestation/verify_real_aws_document",
    "attestation/parse_only": "attestation/parse_only",
  };
  const out = {};
  for (const [name, dir] of Object.entries(benches)) {
    const file = join(CRITERION, dir, "new", "estimates.json");
    if (!existsSync(file)) continue;
    const est = JSON.parse(readFileSync(file, "utf8"));
    out[name] = { medianMs: round(est.median.point_estimate / 1e6, 3), lowMs: round(est.median.confidence_interval.lower_bound / 1e6, 3), highMs: round(est.median.confidence_interval.upper_bound / 1e6, 3) };
  }
  return out;
}

function machine() {
  const cpu = cpus();
  return { cpu: cpu[0]?.model ?? "unknown", cores: cpu.length, memGiB: round(totalmem() / 2 ** 30, 1), node: process.version };
}
