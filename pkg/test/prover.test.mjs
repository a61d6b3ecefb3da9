// TeeRexProver at runtime with Aztec 4.1.2's real serialisation: the fixture's steps are rebuilt
// as PrivateExecutionStep objects, serialised by @aztec/stdlib, proven on a dev-attested server,
// and proven locally by the real bb.js (WASM backend) with our insecure test CRS.
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { Barretenberg } from "@aztec/bb.js";
import { BBPrivateKernelProver } from "@aztec/bb-prover/client";
import { decompressWitness } from "@aztec/noir-acvm_js";
import { WASMSimulator } from "@aztec/simulator/client";
import { serializePrivateExecutionSteps } from "@aztec/stdlib/kernel";
import { Decoder } from "msgpackr";

import { TeeRexProver } from "@alejoamiras/tee-rex/prover";

import { codeOf, crsDir, startDevServer, steps as fixture } from "./dev-server.mjs";

/** The CRS files bb.js reads in Node (`Crs`/`GrumpkinCrs` in @aztec/bb.js 4.1.2). */
const CRS_FILES = ["bn254_g1.dat", "bn254_g2.dat", "grumpkin_g1.flat.dat"];

/**
 * What bb.js 4.1.2 throws when bb's own check of the finished chonk proof fails inside the WASM
 * (`chonkProve`, raised through bb.js's `throw_or_abort_impl`): every step was proven, and the
 * proof does not verify with the test CRS. The server's bb prints the same words before tee-rex
 * answers PROOF_SELF_CHECK_FAILED. Any other failure (missing CRS, bad witness, trap) differs.
 */
const BB_JS_SELF_CHECK = "Failed to verify the generated proof!";

/** The fixture as the PrivateExecutionStep[] a wallet holds. */
function executionSteps() {
  return new Decoder({ useRecords: false }).unpack(fixture).map((s) => ({
    functionName: s.functionName,
    bytecode: Buffer.from(s.bytecode),
    witness: decompressWitness(s.witness),
    vk: Buffer.from(s.vk),
    timings: { witgen: 0 },
  }));
}

let server;
let unattested;
let localCrs;
let realFetch;
const offLoopback = [];

before(async () => {
  server = await startDevServer("dev");
  unattested = await startDevServer("none");

  // bb.js reads its CRS from `crsPath` (else $CRS_PATH, else ~/.bb-crs) and downloads from Aztec's
  // hosts what is missing there. Our test CRS is copied (not linked: a download would write
  // through a link) into a folder of this test's own, so the user's cache is never touched.
  localCrs = mkdtempSync(join(tmpdir(), "tee-rex-bbjs-crs-"));
  for (const file of CRS_FILES) copyFileSync(join(crsDir, file), join(localCrs, file));

  // Fail closed on the network: anything but loopback is refused and recorded.
  realFetch = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.hostname !== "127.0.0.1") {
      offLoopback.push(url.origin);
      return Promise.reject(new Error(`test refuses to fetch off loopback: ${url.origin}`));
    }
    return realFetch(input, init);
  };
});

after(async () => {
  if (realFetch) globalThis.fetch = realFetch;
  // The parent prover keeps one bb.js instance per process; its workers would keep Node alive.
  await Barretenberg.destroySingleton();
  server?.stop();
  unattested?.stop();
  if (localCrs) rmSync(localCrs, { recursive: true, force: true });
});

/** bb.js options for local proving: the WASM backend, with the test CRS copied for this test. */
function localBb() {
  return { backend: "Wasm", crsPath: localCrs };
}

/** The error `promise` rejects with, stamped with when it arrived. */
async function rejection(promise) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof Error, `rejects with an Error, got ${e}`);
    return Object.assign(e, { atMs: Date.now() });
  }
  assert.fail("did not reject");
}

/** `error` is bb.js's own self-check failure, not a tee-rex error or another bb.js failure. */
function assertBbJsSelfCheckFailure(error) {
  assert.equal(error.code, undefined, `a tee-rex error, not bb.js's: ${error.code} ${error.message}`);
  assert.equal(error.message, BB_JS_SELF_CHECK, error.stack);
  assert.equal(Object.getPrototypeOf(error), Error.prototype, "a plain Error, as bb's aborts are");
  assert.match(error.stack, /throw_or_abort_impl[\s\S]*wasm:\/\//, "raised by bb inside the WASM");
}

/** Nothing left loopback, and bb.js used the copied CRS (it downloaded nothing beside it). */
function assertOffline() {
  assert.deepEqual(offLoopback, []);
  assert.deepEqual(readdirSync(localCrs).sort(), [...CRS_FILES].sort());
}

test("Aztec's serialisation of the rebuilt steps gives the fixture's steps back", () => {
  const decoder = new Decoder({ useRecords: false });
  const again = decoder.unpack(serializePrivateExecutionSteps(executionSteps()));
  const original = decoder.unpack(fixture);
  assert.equal(again.length, original.length);
  for (const [i, step] of again.entries()) {
    assert.equal(step.functionName, original[i].functionName);
    assert.deepEqual(Buffer.from(step.bytecode), Buffer.from(original[i].bytecode));
    assert.deepEqual(Buffer.from(step.vk), Buffer.from(original[i].vk));
    assert.deepEqual(decompressWitness(step.witness), decompressWitness(original[i].witness));
  }
});

test("createChonkProof proves on the attested server (bb's self-check fails with the test CRS)", { timeout: 600_000 }, async () => {
  const phases = [];
  const prover = new TeeRexProver(new WASMSimulator(), {
    apiUrl: server.apiUrl,
    attestation: { expectedPcrs: server.expectedPcrs, insecureTrustedRootPem: server.rootPem },
    onPhase: (e) => phases.push(e.phase),
  });
  const error = await rejection(prover.createChonkProof(executionSteps()));
  assert.equal(error.code, "PROOF_SELF_CHECK_FAILED", `${error.message}\n${server.log()}`);
  // The server reports how long bb worked also when its self-check failed: that is `proving`.
  assert.deepEqual(phases, ["serialize", "fetch-attestation", "verify-attestation", "encrypt", "transmit", "proving"]);
});

test("an unattested server is refused by default", async () => {
  const prover = new TeeRexProver(new WASMSimulator(), {
    apiUrl: unattested.apiUrl,
    attestation: { expectedPcrs: { 0: "ab".repeat(48) } },
  });
  assert.equal(await codeOf(prover.createChonkProof(executionSteps())), "UNATTESTED_SERVER");
});

test("fallback: local proves with the real bb.js (WASM) when the server cannot be reached; its self-check fails with the test CRS", { timeout: 900_000 }, async () => {
  const log = [];
  const prover = new TeeRexProver(new WASMSimulator(), {
    ...localBb(),
    apiUrl: await closedPortUrl(),
    attestation: { expectedPcrs: server.expectedPcrs, insecureTrustedRootPem: server.rootPem },
    fallback: "local",
    onPhase: (e) => log.push(e),
  });
  const error = await rejection(prover.createChonkProof(executionSteps()));
  assertBbJsSelfCheckFailure(error);
  const phases = log.map((e) => e.phase);
  assert.deepEqual(phases, ["serialize", "fetch-attestation", "fallback"]);
  const fallback = log.at(-1);
  assert.equal(fallback.reason, "TRANSPORT_FAILED");
  assert.ok(fallback.atMs < error.atMs, "the fallback phase came before bb.js's failure");
  assertOffline();
});

test("fallback: local never bypasses a refused attestation or a server's answer", async () => {
  const calls = await withParentProver(async () => {
    const log = [];
    const unattestedProver = new TeeRexProver(new WASMSimulator(), {
      apiUrl: unattested.apiUrl,
      attestation: { expectedPcrs: { 0: "ab".repeat(48) } },
      fallback: "local",
      onPhase: (e) => log.push(e.phase),
    });
    assert.equal(await codeOf(unattestedProver.createChonkProof(executionSteps())), "UNATTESTED_SERVER");

    const wrongPcrs = new TeeRexProver(new WASMSimulator(), {
      apiUrl: server.apiUrl,
      attestation: { expectedPcrs: { 0: "ab".repeat(48) }, insecureTrustedRootPem: server.rootPem },
      fallback: "local",
      onPhase: (e) => log.push(e.phase),
    });
    assert.equal(await codeOf(wrongPcrs.createChonkProof(executionSteps())), "PCR_MISMATCH");
    assert.ok(!log.includes("fallback"), `phases: ${log}`);
  });
  assert.equal(calls.length, 0, "bb.js was not called");
});

test("fallback: local does not follow the caller's own abort", async () => {
  const calls = await withParentProver(async () => {
    const controller = new AbortController();
    controller.abort();
    const prover = new TeeRexProver(new WASMSimulator(), {
      apiUrl: server.apiUrl,
      attestation: { expectedPcrs: server.expectedPcrs, insecureTrustedRootPem: server.rootPem },
      fallback: "local",
      signal: controller.signal,
    });
    assert.equal(await codeOf(prover.createChonkProof(executionSteps())), "TRANSPORT_FAILED");
  });
  assert.equal(calls.length, 0, "bb.js was not called");
});

test("fallback: local without an apiUrl proves locally, reason NO_SERVER", async () => {
  const log = [];
  const steps = executionSteps();
  const calls = await withParentProver(async (proof) => {
    const prover = new TeeRexProver(new WASMSimulator(), { fallback: "local", onPhase: (e) => log.push(e) });
    assert.equal(await prover.createChonkProof(steps), proof);
  });
  assert.deepEqual(log.map((e) => [e.phase, e.reason]), [["fallback", "NO_SERVER"]]);
  assert.equal(calls.length, 1);
  assert.equal(calls[0], steps);
});

test("provingMode local proves with the real bb.js (WASM) and never contacts a server", { timeout: 900_000 }, async () => {
  // A loopback listener stands where the server would be, counting any connection it gets.
  let connections = 0;
  const listener = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise((resolve) => listener.listen(0, "127.0.0.1", resolve));
  try {
    const log = [];
    const prover = new TeeRexProver(new WASMSimulator(), {
      ...localBb(),
      provingMode: "local",
      apiUrl: `http://127.0.0.1:${listener.address().port}`,
      attestation: { expectedPcrs: server.expectedPcrs, insecureTrustedRootPem: server.rootPem },
      onPhase: (e) => log.push(e),
    });
    assertBbJsSelfCheckFailure(await rejection(prover.createChonkProof(executionSteps())));
    assert.deepEqual(log, [], "local mode reports no server phase");
    assert.equal(connections, 0, "nothing connected to the server's address");
    assertOffline();
  } finally {
    listener.close();
  }
});

test("fallback: local returns the parent's proof as it is", async () => {
  const steps = executionSteps();
  const calls = await withParentProver(async (proof) => {
    const prover = new TeeRexProver(new WASMSimulator(), {
      apiUrl: await closedPortUrl(),
      attestation: { expectedPcrs: server.expectedPcrs, insecureTrustedRootPem: server.rootPem },
      fallback: "local",
    });
    assert.equal(await prover.createChonkProof(steps), proof);
  });
  assert.equal(calls.length, 1);
  assert.equal(calls[0], steps);
});

/**
 * Runs `body` with the parent class's bb.js proving replaced by a recorder that returns a marker
 * proof, and returns the steps each call got. The real bb.js cannot finish a valid proof with the
 * test CRS (above), so whether and with what the parent is called is observed this way.
 */
async function withParentProver(body) {
  const original = BBPrivateKernelProver.prototype.createChonkProof;
  const calls = [];
  const proof = { local: true };
  BBPrivateKernelProver.prototype.createChonkProof = async function (steps) {
    calls.push(steps);
    return proof;
  };
  try {
    await body(proof);
  } finally {
    BBPrivateKernelProver.prototype.createChonkProof = original;
  }
  return calls;
}

/** A loopback URL nothing listens on: a port that was just bound, then closed. */
async function closedPortUrl() {
  const listener = createServer();
  await new Promise((resolve) => listener.listen(0, "127.0.0.1", resolve));
  const { port } = listener.address();
  await new Promise((resolve) => listener.close(resolve));
  return `http://127.0.0.1:${port}`;
}

test("unknown modes are refused", () => {
  assert.throws(() => new TeeRexProver(new WASMSimulator(), { provingMode: "cloud" }), { code: "INVALID_OPTIONS" });
  assert.throws(() => new TeeRexProver(new WASMSimulator(), { fallback: "other-server" }), { code: "INVALID_OPTIONS" });
});
