// TeeRexProver at runtime with Aztec 4.1.2's real serialisation: the fixture's steps are rebuilt
// as PrivateExecutionStep objects, serialised by @aztec/stdlib, proven on a dev-attested server.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { BBPrivateKernelProver } from "@aztec/bb-prover/client";
import { decompressWitness } from "@aztec/noir-acvm_js";
import { WASMSimulator } from "@aztec/simulator/client";
import { serializePrivateExecutionSteps } from "@aztec/stdlib/kernel";
import { Decoder } from "msgpackr";

import { TeeRexProver } from "@alejoamiras/tee-rex/prover";

import { codeOf, startDevServer, steps as fixture } from "./dev-server.mjs";

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

before(async () => {
  server = await startDevServer("dev");
  unattested = await startDevServer("none");
});

after(() => {
  server?.stop();
  unattested?.stop();
});

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
  const code = await codeOf(prover.createChonkProof(executionSteps()));
  assert.equal(code, "PROOF_SELF_CHECK_FAILED", server.log());
  assert.deepEqual(phases, ["serialize", "fetch-attestation", "verify-attestation", "encrypt", "transmit"]);
});

test("an unattested server is refused by default", async () => {
  const prover = new TeeRexProver(new WASMSimulator(), {
    apiUrl: unattested.apiUrl,
    attestation: { expectedPcrs: { 0: "ab".repeat(48) } },
  });
  assert.equal(await codeOf(prover.createChonkProof(executionSteps())), "UNATTESTED_SERVER");
});

test("fallback: local reports the reason and hands the steps to the parent's bb.js proving", async () => {
  // bb.js cannot prove here (its CRS download needs the network), so the parent's method is
  // replaced for this test only, to observe that it is called with the caller's steps.
  const original = BBPrivateKernelProver.prototype.createChonkProof;
  const calls = [];
  BBPrivateKernelProver.prototype.createChonkProof = async function (steps) {
    calls.push(steps);
    return "local proof";
  };
  try {
    const events = [];
    const prover = new TeeRexProver(new WASMSimulator(), {
      apiUrl: unattested.apiUrl,
      attestation: { expectedPcrs: { 0: "ab".repeat(48) } },
      fallback: "local",
      onPhase: (e) => events.push(e),
    });
    const steps = executionSteps();
    assert.equal(await prover.createChonkProof(steps), "local proof");
    assert.deepEqual(calls, [steps]);
    const fallback = events.find((e) => e.phase === "fallback");
    assert.equal(fallback?.reason, "UNATTESTED_SERVER");

    // Local mode proves with bb.js directly and never contacts a server.
    prover.setProvingMode("local");
    prover.setApiUrl("http://127.0.0.1:9");
    assert.equal(await prover.createChonkProof(steps), "local proof");
    assert.equal(calls.length, 2);
  } finally {
    BBPrivateKernelProver.prototype.createChonkProof = original;
  }
});

test("unknown modes are refused", () => {
  assert.throws(() => new TeeRexProver(new WASMSimulator(), { provingMode: "cloud" }), { code: "INVALID_OPTIONS" });
  assert.throws(() => new TeeRexProver(new WASMSimulator(), { fallback: "other-server" }), { code: "INVALID_OPTIONS" });
});
