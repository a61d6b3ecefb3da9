// Local proving: bb.js (WASM) in this page, threaded when the page is cross-origin isolated.

import { AztecClientBackend, Barretenberg, BackendType } from "@aztec/bb.js";
import { set } from "idb-keyval";
import { Decoder } from "msgpackr";

import { config } from "./config.js";

/** bb.js asks for 2^20 + 1 BN254 points and 2^16 + 1 Grumpkin points outside iOS. */
const BN254_POINTS = 2 ** 20 + 1;
const GRUMPKIN_POINTS = 2 ** 16 + 1;
const POINT_BYTES = 64;

/**
 * What bb.js throws when its own check of the finished proof fails: bb's self-check inside
 * `chonkProve` (the same text the server's bb prints), or AztecClientBackend's verification after it.
 */
const LOCAL_VERIFY_FAILURE =
  /Failed to verify the generated proof!|Failed to verify the private \(Chonk\) transaction proof/;

/**
 * Proves `steps` (msgpack proving steps) with bb.js, reporting phases as the SDK does.
 *
 * @param {Uint8Array} steps
 * @param {(event: {phase: string, atMs: number}) => void} onPhase
 * @returns {Promise<{proof: Uint8Array, threads: number}>}
 */
export async function proveLocally(steps, onPhase) {
  const phase = (name) => onPhase({ phase: name, atMs: Date.now() });

  phase("decode");
  const { bytecodes, witnesses, vks, names } = await decodeSteps(steps);

  phase("load-crs");
  const testCrs = await seedCrs();

  phase("init-bb");
  const threads = localThreads();
  const api = await Barretenberg.new({ backend: BackendType.WasmWorker, threads });
  try {
    phase("proving");
    const backend = new AztecClientBackend(bytecodes, api, names);
    const [, proof] = await backend.prove(witnesses, vks);
    phase("receive");
    return { proof, threads };
  } catch (e) {
    throw localError(e, testCrs);
  } finally {
    await api.destroy().catch(() => {});
  }
}

/** Whether local proving runs threaded here. */
export function localThreads() {
  return self.crossOriginIsolated ? Math.max(1, navigator.hardwareConcurrency || 1) : 1;
}

/**
 * Puts the configured CRS into the IndexedDB cache bb.js reads before it downloads
 * (`g1Data`, `g2Data`, `grumpkinG1Data` in idb-keyval's default store), so bb.js never reaches
 * for its built-in CRS hosts. Returns whether the CRS is marked as an insecure test CRS.
 * Without `CRS_URL` it does nothing and bb.js downloads Aztec's CRS itself.
 */
async function seedCrs() {
  if (!config.crsUrl) return false;
  const base = new URL(config.crsUrl, location.href);
  const [g1, g2, grumpkin] = await Promise.all([
    fetchBytes(new URL("bn254_g1.dat", base), BN254_POINTS * POINT_BYTES),
    fetchBytes(new URL("bn254_g2.dat", base), 128),
    fetchBytes(new URL("grumpkin_g1.flat.dat", base), GRUMPKIN_POINTS * POINT_BYTES),
  ]);
  await set("g1Data", g1);
  await set("g2Data", g2);
  await set("grumpkinG1Data", grumpkin);
  const marker = await fetch(new URL("INSECURE_TEST_CRS", base));
  return marker.ok;
}

async function fetchBytes(url, minLength) {
  const response = await fetch(url);
  if (!response.ok) throw coded("CRS_UNAVAILABLE", `HTTP ${response.status} for ${url.pathname}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes.length < minLength) {
    throw coded("CRS_UNAVAILABLE", `${url.pathname} holds ${bytes.length} bytes, bb.js needs ${minLength}`);
  }
  return bytes;
}

/** Splits the msgpack steps into what AztecClientBackend takes, un-gzipping ACIR and witnesses. */
async function decodeSteps(steps) {
  let decoded;
  try {
    decoded = new Decoder({ useRecords: false }).decode(steps);
  } catch {
    throw coded("INVALID_STEPS", "the file is not msgpack");
  }
  const valid = (s) => s && s.bytecode instanceof Uint8Array && s.witness instanceof Uint8Array &&
    s.vk instanceof Uint8Array && typeof s.functionName === "string";
  if (!Array.isArray(decoded) || decoded.length === 0 || !decoded.every(valid)) {
    throw coded("INVALID_STEPS", "the msgpack is not a list of proving steps");
  }
  return {
    bytecodes: await Promise.all(decoded.map((s) => gunzip(s.bytecode))),
    witnesses: await Promise.all(decoded.map((s) => gunzip(s.witness))),
    vks: decoded.map((s) => s.vk),
    names: decoded.map((s) => s.functionName),
  };
}

async function gunzip(bytes) {
  try {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch {
    throw coded("INVALID_STEPS", "a step's bytecode or witness is not gzip");
  }
}

function localError(e, testCrs) {
  if (e?.code) return e;
  if (LOCAL_VERIFY_FAILURE.test(String(e?.message))) {
    // bb.js proved every step, then its own verification of the proof failed: with the test CRS
    // that is the same outcome as the server's PROOF_SELF_CHECK_FAILED.
    return coded(testCrs ? "PROOF_SELF_CHECK_FAILED" : "LOCAL_PROVER_FAILED", String(e.message));
  }
  return coded("LOCAL_PROVER_FAILED", String(e?.message ?? e));
}

function coded(code, message) {
  const error = new Error(message);
  error.code = code;
  return error;
}
