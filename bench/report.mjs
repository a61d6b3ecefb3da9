// Renders bench/results/latest.json as docs/benchmarks.md: the numbers against the design targets
// of issue 7 (reported, never asserted), with the machine and its load beside them.
//
//   node report.mjs <latest.json> <benchmarks.md>

import { readFileSync, writeFileSync } from "node:fs";

import { median, phaseRowOrder } from "./lib.mjs";

const [jsonPath, mdPath] = process.argv.slice(2);
const r = JSON.parse(readFileSync(jsonPath, "utf8"));
const s = r.summary ?? {};
// Recomputed from the raw runs: the client's time after encrypting (the wasm SDK splits it into
// transmit and proving) less the server's handling of the request.
const afterEncrypt = (phases = {}) =>
  Object.entries(phases).filter(([k]) => !["fetch-attestation", "verify-attestation", "encrypt"].includes(k)).reduce((a, [, v]) => a + v, 0);
for (const who of ["cli", "npm"]) {
  if (!s[who]) continue;
  const rows = (r.raw?.[who] ?? []).filter((x) => x.server);
  s[who].phasesMs["HTTP outside the server's handler"] = Math.round(median(rows.map((x) => afterEncrypt(x.phases) - x.server.requestMs)));
  // Ratio to bare bb within each round (same load, minutes apart), then the median of those.
  const paired = rows.map((x, i) => x.wallMs / r.raw.bb?.[i]?.wallMs).filter(Number.isFinite);
  s[who].pairedRatio = paired.length ? Math.round(median(paired) * 1000) / 1000 : null;
}
for (const [who, key] of [["local", "localBbJs"], ["chromium", "localChromium"]]) {
  if (!s[key]) continue;
  const paired = (r.raw[who] ?? []).map((x, i) => x.wallMs / r.raw.cli?.[i]?.wallMs).filter(Number.isFinite);
  s[key].pairedRatioToCli = paired.length ? Math.round(median(paired) * 100) / 100 : null;
}
// Whether this run's server logged its phases (reports before Server-Timing did not).
const serverPhasesMeasured = ["cli", "npm"].some((who) => Number.isFinite(s[who]?.phasesMs?.["upload (server: handler start to whole body)"]));
const lines = [];
const w = (line = "") => lines.push(line);
const ms = (x) => (x === null || x === undefined ? "n/a" : `${Number(x).toLocaleString("en-US")} ms`);
const kib = (x) => (x ? `${(x / 1024).toFixed(1)} MiB` : "n/a");
const bytes = (x) => (x === null || x === undefined ? "n/a" : `${(x / 1024).toFixed(1)} KiB`);
const pct = (x) => (x === null || x === undefined ? "n/a" : `${(x * 100).toFixed(2)} %`);
const verdict = (ok) => (ok === null ? "not measured" : ok ? "met" : "**not met**");
// bb keeps every core busy, so the load average during the run says little about other work.
// Busy means: more runnable work than cores before the runs began, or before a typical run.
const cores = r.machine?.cores ?? 1;
const loadsBefore = Object.values(r.raw ?? {}).flatMap((rows) => rows.map((x) => x.loadBefore?.[0])).filter(Number.isFinite);
const busy = (r.load?.start?.[0] ?? 0) > cores || (loadsBefore.length > 0 && median(loadsBefore) > cores + 1);

w("# Benchmarks");
w();
w("<!-- Written by scripts/bench.sh from bench/results/latest.json; do not edit by hand. -->");
w();
w(`Run of ${r.generatedAt}: ${r.runs} run(s) of each contender, alternating, medians reported.`);
w(`Machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memGiB} GiB, Node ${r.machine.node}, bb ${r.machine.bb ?? "?"}.`);
w(`Load average (1/5/15 min) at start ${r.load.start.join(" / ")}, at end ${r.load.end?.join(" / ") ?? "n/a"}.`);
if (busy) {
  w();
  w(`**These numbers come from a busy machine**: the load average was above what the benchmark makes alone`);
  w(`work (builds, tests, browsers) ran beside the benchmark. Ratios measured alternately in the same`);
  w(`run hold better than absolute times; rerun \`scripts/bench.sh\` on an idle machine for absolute ones.`);
}
w();
w(`Fixture: \`${r.fixture.path}\` (${r.fixture.bytes.toLocaleString("en-US")} bytes, 9 proving steps).`);
if (r.crs.insecureTest) {
  w(`CRS: the insecure test CRS (\`${r.crs.dir}\`). With it bb folds every step and computes the whole`);
  w("proof, then rejects it in its own final self-check (`PROOF_SELF_CHECK_FAILED`): every run below did");
  w("the full proving work, and the server answers with that error instead of a proof.");
}
w();
if (serverPhasesMeasured) {
  w("The server's phases come from its JSON log: the request latency, and the upload, decrypt, parse,");
  w("queue wait and bb times it logs with each proof or failure (the same numbers its `Server-Timing`");
  w("header carries, on the error answers too).");
} else {
  w("The server of this run sent `x-decrypt-duration-ms`/`x-prove-duration-ms` only with a proof and");
  w("logged no per-phase times: its phases are taken from its JSON log (request latency, the `proving`");
  w("event when the job gets its slot, bb's `duration_ms`), and decryption alone from the native");
  w("criterion bench. Its upload, decrypt, parse and queue-wait rows below are therefore not measured.");
}
for (const note of r.notes ?? []) w(`\nNote: ${note}.`);

w();
w("## Design targets (issue 7)");
w();
w("| target | measured | |");
w("|---|---|---|");
const overhead = s.cli?.sdkServerOverheadShareOfBb ?? null;
w(`| SDK + server overhead < 1 % of bb's own time (real fixture) | CLI: ${pct(overhead)} of bb (${ms(s.cli?.sdkServerOverheadMs)}); npm: ${pct(s.npm?.sdkServerOverheadShareOfBb)} (${ms(s.npm?.sdkServerOverheadMs)}) | ${verdict(overhead === null ? null : overhead < 0.01)} |`);
// The target is the browser's; Node is shown beside it.
const enc = r.cryptoChromium?.encrypt?.fixture;
const encNode = r.cryptoWasm?.encrypt?.fixture;
const encCell = (e) => (e ? `${ms(e.wasmMs)} vs openpgp.js ${ms(e.openpgpjsMs)} (×${e.ratioWasmOverOpenpgpjs})` : "not measured");
w(`| encryption in the browser at least as fast as openpgp.js (real payload) | Chromium: wasm ${encCell(enc)}; Node: wasm ${encCell(encNode)} | ${verdict(enc ? enc.wasmMs <= enc.openpgpjsMs : null)} |`);
const att99 = s.serverUnderLoad?.["/attestation"]?.p99Ms ?? null;
w(`| \`/attestation\` p99 < 50 ms during a proof | ${ms(att99)} (n = ${s.serverUnderLoad?.["/attestation"]?.n ?? 0}) | ${verdict(att99 === null ? null : att99 < 50)} |`);
const idle = r.server?.idleRssKib?.rss ?? null;
w(`| server idle RSS < 30 MB | ${kib(idle)} | ${verdict(idle === null ? null : idle * 1024 < 30e6)} |`);

w();
w("## 1. Remote proving against bare bb");
w();
w("| contender | median wall | × bare bb (medians) | × bare bb (median of per-round ratios) | outcomes |");
w("|---|---|---|---|---|");
w(`| bare \`bb prove\` (same command the server runs) | ${ms(s.bareBb?.medianWallMs)} | 1 | 1 | ${s.bareBb?.outcomes?.join(", ")} |`);
if (s.cli) w(`| \`tee-rex prove\` (CLI, native SDK) | ${ms(s.cli.medianWallMs)} | ${s.cli.ratioToBareBb} | ${s.cli.pairedRatio} | ${s.cli.outcomes.join(", ")} |`);
if (s.npm) w(`| npm package in Node (wasm SDK), process start included | ${ms(s.npm.medianWallMs)} | ${s.npm.ratioToBareBb} | ${s.npm.pairedRatio} | ${s.npm.outcomes.join(", ")} |`);
if (s.localBbJs) w(`| local: bb.js WASM in Node, ${s.localBbJs.threads} thread(s) | ${ms(s.localBbJs.medianWallMs)} | ${s.localBbJs.ratioToBareBb} | | ${s.localBbJs.outcomes.join(", ")} |`);
if (s.localChromium) w(`| local: bb.js WASM in headless Chromium, ${s.localChromium.threads} thread(s) | ${ms(s.localChromium.medianWallMs)} | ${s.localChromium.ratioToBareBb} | | ${s.localChromium.outcomes.join(", ")} |`);
const bbWalls = (r.raw?.bb ?? []).map((x) => x.wallMs);
const bbSpread = bbWalls.length > 1 ? Math.max(...bbWalls) / Math.min(...bbWalls) : 1;
w();
w(`Bare bb's own wall time moved by ×${bbSpread.toFixed(2)} from round to round. The overhead is measured inside each`);
w("remote run (phase table), where whatever slows bb slows the rest alike, rather than as the difference");
w("of two wall times.");
w();
w("Every run, with the 1-minute load average just before it (the order within a round rotates each round):");
w();
w("| round | contender | wall | load before |");
w("|---|---|---|---|");
const order = Object.entries(r.raw ?? {}).flatMap(([who, rows]) => rows.map((row, i) => ({ who, i, row }))).sort((a, b) => a.i - b.i);
for (const { who, i, row } of order) w(`| ${i + 1} | ${who} | ${ms(round0(row.wallMs))} | ${row.loadBefore?.[0] ?? "n/a"} |`);
w();
w("Where a remote proof's time goes (medians; shares of the contender's median wall time):");
w();
const phaseNames = phaseRowOrder(s.cli?.phasesMs, s.npm?.phasesMs);
w(`| phase | CLI | share | npm package | share |`);
w("|---|---|---|---|---|");
for (const p of phaseNames) {
  // A contender that ran but lacks a row (an older report, a server without per-phase times).
  const cell = (who) => {
    if (!s[who]) return ["n/a", ""];
    const x = s[who].phasesMs?.[p];
    if (x === null || x === undefined) return ["not measured", ""];
    // The "rest" row is a difference of whole-millisecond and finer numbers: ±0.5 ms.
    if (p.startsWith("server before bb, rest") && Math.abs(x) < 0.5) return ["< 0.5 ms", ""];
    return [ms(x), pct(x / s[who].medianWallMs)];
  };
  w(`| ${p} | ${cell("cli").join(" | ")} | ${cell("npm").join(" | ")} |`);
}
const dec = r.criterion?.["decrypt/fixture"]?.medianMs;
w();
if (serverPhasesMeasured) {
  w(`The server's decrypt row is its own measure, thread hand-off included; criterion's \`decrypt/fixture\``);
  w(`(the same \`ServerKey::decrypt\`, native, release build) takes ${ms(dec)}. Queue wait is near zero here,`);
  w("one proof at a time. \"Server before bb, rest\" is the request's time before bb that the server's");
  w("phases do not cover (extracting the request, thread hand-offs), from the request latency the");
  w("server logs in whole milliseconds: it is good to ±0.5 ms.");
} else {
  w(`Of the server's time before bb, decryption of the fixture takes ${ms(dec)} natively`);
  w("(criterion, `decrypt/fixture`, the server's own `ServerKey::decrypt`); queue wait is zero here, one");
  w("proof at a time.");
}
w("\"Process start\" is the CLI binary's start-up and reading the input, or Node loading the package; it");
w("is excluded from the SDK + server overhead above.");

w();
w("## 2. Local proving (bb.js) against remote");
w();
const localLine = (x, where) => {
  w(`bb.js WASM ${where} with ${x.threads} thread(s)${x.backend ? ` (backend ${x.backend})` : ""}: median ${ms(x.medianWallMs)},`);
  w(`**×${x.ratioToRemoteCli} the remote CLI's time** (median of per-round ratios ×${x.pairedRatioToCli}) and ×${x.ratioToBareBb} bare bb's.`);
  w(`Phases: ${Object.entries(x.phasesMs).map(([k, v]) => `${k} ${ms(v)}`).join(", ")}.`);
};
if (s.localBbJs) {
  localLine(s.localBbJs, "in Node");
  w("It reads the same test CRS from disk (`crsPath`), so it downloads nothing.");
} else {
  w("bb.js in Node: not measured in this run.");
}
w();
if (s.localChromium) {
  localLine(s.localChromium, "in headless Chromium");
  w("The page is cross-origin isolated (COOP/COEP, checked) so bb.js runs its threads; the test CRS is");
  w("copied into bb.js's IndexedDB cache first (not counted), and every request off loopback is aborted");
  w("and would fail the run. The wall time includes starting the browser and loading the page.");
} else {
  w("bb.js in headless Chromium: not measured in this run.");
}

w();
w("## 3. SDK cryptography");
w();
w("Native (criterion, release build):");
w();
w("| bench | median | 95 % interval |");
w("|---|---|---|");
for (const [name, e] of Object.entries(r.criterion ?? {})) w(`| \`${name}\` | ${ms(e.medianMs)} | ${e.lowMs} – ${e.highMs} ms |`);
const cryptoBlock = (c, where) => {
  w();
  w(`wasm SDK ${where} against openpgp.js ${c.openpgpjs.version} on the same key (the dev server's X25519`);
  w(`subkey) and payloads, alternating, medians of ${c.encrypt.fixture.rounds}; wasm build of ${c.wasmBytes.toLocaleString("en-US")} B. openpgp.js chose SEIPD v${c.openpgpjs.seipdVersion}${c.openpgpjs.aead ? ` (${c.openpgpjs.aead})` : " (AES-256-CFB with an MDC, no AEAD)"}; the SDK always writes SEIPD v2, AES-256-GCM.`);
  w();
  w("| payload | wasm | openpgp.js | wasm / openpgp.js | wasm MiB/s | openpgp.js MiB/s |");
  w("|---|---|---|---|---|---|");
  for (const [name, e] of Object.entries(c.encrypt)) {
    w(`| ${name} (${e.bytes.toLocaleString("en-US")} B) | ${ms(e.wasmMs)} | ${ms(e.openpgpjsMs)} | ${e.ratioWasmOverOpenpgpjs} | ${e.wasmMiBps} | ${e.openpgpjsMiBps} |`);
  }
  w();
  w(`Attestation verification (\`verifyAttestation\`, wasm ${where}, dev document with the key policy): ${ms(c.verifyAttestationMs.median)}`);
  w(`against ${ms(r.criterion?.["verify_attestation/dev_document_with_key_policy"]?.medianMs)} native for the same work.`);
};
if (r.cryptoWasm) cryptoBlock(r.cryptoWasm, "in Node");
else w("\nwasm SDK in Node: not measured in this run.");
if (r.cryptoChromium) cryptoBlock(r.cryptoChromium, "in headless Chromium");
else w("\nwasm SDK in headless Chromium: not measured in this run.");
w();
w("### Where we are slower, and why");
w();
w("See the section \"Analysis\" below.");

w();
w("## 4. Size");
w();
if (r.size) {
  const z = r.size;
  w("Bundled and minified with esbuild (ESM, browser, tree-shaken); gzip -9.");
  const b = z.wasmSdk.build;
  if (b && !b.matchesSizeTxt) {
    w();
    w(`**The wasm measured (${z.wasmSdk.bgWasm.raw.toLocaleString("en-US")} B) is not the release build that`);
    w(`\`pkg/dist/size.txt\` describes (${b.describedAs}: ${b.sizeTxtFinalRaw?.toLocaleString("en-US")} B)**: another build`);
    w("(a test build, without wasm-opt) replaced it during the run. Rebuild with scripts/build-wasm.sh and rerun.");
  } else if (b) {
    w(`Build: ${b.describedAs}.`);
  }
  w();
  w("| what | raw | gzip |");
  w("|---|---|---|");
  w(`| wasm SDK: \`tee_rex_sdk_bg.wasm\` | ${bytes(z.wasmSdk.bgWasm.raw)} | ${bytes(z.wasmSdk.bgWasm.gzip)} |`);
  w(`| wasm SDK: JS glue | ${bytes(z.wasmSdk.glueJs.raw)} | ${bytes(z.wasmSdk.glueJs.gzip)} |`);
  w(`| **wasm SDK total** | **${bytes(z.wasmSdk.total.raw)}** | **${bytes(z.wasmSdk.total.gzip)}** |`);
  for (const [name, e] of Object.entries(z.tsSdkDeps.perDependency)) w(`| TS SDK dep: ${name} | ${bytes(e.raw)} | ${bytes(e.gzip)} |`);
  w(`| **TS SDK deps, one bundle** | **${bytes(z.tsSdkDeps.bundled.raw)}** | **${bytes(z.tsSdkDeps.bundled.gzip)}** |`);
} else {
  w("Not measured in this run.");
}

w();
w("## 5. Server");
w();
const sl = s.serverUnderLoad ?? {};
const il = r.server?.idleLatency ?? {};
w(`RSS of \`tee-rex-server\`: idle ${kib(r.server?.idleRssKib?.rss)} after start, ${kib(r.server?.idleRssAfterKib?.rss)} after the runs;`);
w(`peak during proofs ${kib(sl.serverPeakRssKib)}. bb itself (the server's child) peaked at ${kib(sl.bbPeakRssKib)}.`);
w();
w("| endpoint | idle p50 | idle p99 | during a proof p50 | p99 | max | n |");
w("|---|---|---|---|---|---|---|");
for (const p of ["/health", "/attestation"]) {
  w(`| \`${p}\` | ${ms(il[p]?.p50Ms)} | ${ms(il[p]?.p99Ms)} | ${ms(sl[p]?.p50Ms)} | ${ms(sl[p]?.p99Ms)} | ${ms(sl[p]?.maxMs)} | ${sl[p]?.n ?? 0} |`);
}
w();
w(`Failed probes during proofs: ${sl.failures ?? "n/a"}. Probes go one at a time, 50 ms apart, alternating the two paths,`);
w("during the CLI runs; latencies are of the answered (200) probes. The benchmark's server runs with");
w("its per-client rate limits lifted, so a failure here is a real one.");
w();
w("| concurrency | proofs | wall | proofs per hour | how |");
w("|---|---|---|---|---|");
for (const t of r.throughput ?? []) w(`| ${t.concurrency} | ${t.proofs} | ${ms(t.wallMs)} | ${t.proofsPerHour} | ${t.from} |`);

const analysis = readAnalysis();
if (analysis) {
  w();
  w(analysis.trim());
}
writeFileSync(mdPath, lines.join("\n") + "\n");

function round0(x) {
  return x === null || x === undefined ? null : Math.round(x);
}

/** The hand-written analysis kept in bench/analysis.md, appended as is. */
function readAnalysis() {
  try {
    return readFileSync(new URL("./analysis.md", import.meta.url), "utf8");
  } catch {
    return null;
  }
}
