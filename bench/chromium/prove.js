// Local proving with bb.js (WASM) in headless Chromium: the page half of chromiumLocalProve in
// ../chromium.mjs, which bundles this file with esbuild (as /bundle/prove.js, beside bb.js's two
// worker scripts) and calls `window.teeRexBench.prove()`. It proves the fixture as local-bbjs.mjs
// does in Node, with the CRS the harness serves at /crs/ put into bb.js's IndexedDB cache first so
// bb.js never downloads one.

import { AztecClientBackend, Barretenberg, BackendType } from "@aztec/bb.js";
import { set } from "idb-keyval";
import { Decoder } from "msgpackr";

/** bb.js asks for 2^20 + 1 BN254 points and 2^16 + 1 Grumpkin points outside iOS. */
const BN254_POINTS = 2 ** 20 + 1;
const GRUMPKIN_POINTS = 2 ** 16 + 1;
const POINT_BYTES = 64;

/** What bb.js throws when its own check of the finished proof fails (the test CRS does this). */
const SELF_CHECK = /Failed to verify the generated proof!|Failed to verify the private \(Chonk\) transaction proof/;

async function prove({ threads }) {
  if (!self.crossOriginIsolated) throw new Error("the page is not cross-origin isolated: bb.js cannot use threads");

  const marks = { start: performance.now() };
  const steps = new Decoder({ useRecords: false }).decode(await fetchBytes("/input", 1));
  const bytecodes = await Promise.all(steps.map((s) => gunzip(s.bytecode)));
  const witnesses = await Promise.all(steps.map((s) => gunzip(s.witness)));
  const vks = steps.map((s) => s.vk);
  const names = steps.map((s) => s.functionName);
  marks.decoded = performance.now();

  // The CRS goes where bb.js's browser build looks before it downloads (idb-keyval's default store).
  const [g1, g2, grumpkin] = await Promise.all([
    fetchBytes("/crs/bn254_g1.dat", BN254_POINTS * POINT_BYTES),
    fetchBytes("/crs/bn254_g2.dat", 128),
    fetchBytes("/crs/grumpkin_g1.flat.dat", GRUMPKIN_POINTS * POINT_BYTES),
  ]);
  await set("g1Data", g1);
  await set("g2Data", g2);
  await set("grumpkinG1Data", grumpkin);
  marks.crsSeeded = performance.now();
  const api = await Barretenberg.new({ backend: BackendType.WasmWorker, threads });
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

  return { outcome, error, threads, marks, hardwareConcurrency: navigator.hardwareConcurrency };
}

async function fetchBytes(path, minLength) {
  const response = await fetch(path);
  if (!response.ok) throw new Error(`HTTP ${response.status} for ${path}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes.length < minLength) throw new Error(`${path} holds ${bytes.length} bytes, bb.js needs ${minLength}`);
  return bytes;
}

async function gunzip(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

window.teeRexBench = { prove };
