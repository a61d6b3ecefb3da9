// Local proving with bb.js (WASM) in Node: one proof of the fixture, timed by phase. Prints one
// JSON line on stdout. Run by run.mjs in a fresh process per run, as a page would load it.
//
//   node local-bbjs.mjs <steps.msgpack> <crs-dir> <threads>
//
// bb.js reads the CRS from <crs-dir> (bn254_g1.dat, bn254_g2.dat, grumpkin_g1.flat.dat) and never
// downloads: the files there are already large enough for what it asks.

import { readFileSync, statSync } from "node:fs";
import { gunzipSync } from "node:zlib";

import { AztecClientBackend, Barretenberg, BackendType } from "@aztec/bb.js";
import { Decoder } from "msgpackr";

/** What bb.js throws when its own check of the finished proof fails (the test CRS does this). */
const SELF_CHECK = /Failed to verify the generated proof!|Failed to verify the private \(Chonk\) transaction proof/;

const [input, crsDir, threadArg] = process.argv.slice(2);
const threads = Number(threadArg ?? 1);
for (const [file, min] of [["bn254_g1.dat", (2 ** 20 + 1) * 64], ["bn254_g2.dat", 128], ["grumpkin_g1.flat.dat", (2 ** 16 + 1) * 64]]) {
  // A short file would make bb.js download Aztec's CRS: refuse instead.
  if (statSync(`${crsDir}/${file}`).size < min) throw new Error(`${crsDir}/${file} is too small for bb.js`);
}

const marks = { start: performance.now() };
const steps = new Decoder({ useRecords: false }).decode(readFileSync(input));
const bytecodes = steps.map((s) => gunzipSync(s.bytecode));
const witnesses = steps.map((s) => gunzipSync(s.witness));
const vks = steps.map((s) => s.vk);
const names = steps.map((s) => s.functionName);
marks.decoded = performance.now();

const api = await Barretenberg.new({ backend: BackendType.Wasm, threads, crsPath: crsDir });
marks.ready = performance.now();
let outcome = "proof";
let error;
try {
  const backend = new AztecClientBackend(bytecodes, api, names);
  await backend.prove(witnesses, vks);
} catch (e) {
  outcome = SELF_CHECK.test(String(e?.message)) ? "PROOF_SELF_CHECK_FAILED" : "FAILED";
  if (outcome === "FAILED") error = String(e?.message ?? e).slice(0, 300);
}
marks.proved = performance.now();
await api.destroy().catch(() => {});

const ms = (a, b) => Math.round(marks[b] - marks[a]);
process.stdout.write(JSON.stringify({
  outcome,
  error,
  threads,
  phases: { decode: ms("start", "decoded"), "init-bb+crs": ms("decoded", "ready"), prove: ms("ready", "proved") },
  totalMs: ms("start", "proved"),
}) + "\n");
process.exit(0);
