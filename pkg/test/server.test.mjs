// The package against a real local tee-rex server with dev attestation: the attestation is
// verified with the dev root and its PCRs, the real Aztec proving steps are encrypted and sent,
// and bb runs. With the insecure test CRS, bb computes the proof and rejects it in its own
// self-check, so the run must end in PROOF_SELF_CHECK_FAILED (and in nothing else).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { prove } from "@alejoamiras/tee-rex";

import { codeOf, startDevServer, steps } from "./dev-server.mjs";

let server;

before(async () => {
  server = await startDevServer();
});

after(() => server?.stop());

test("attested dev server: steps encrypted, sent, bb runs and fails its self-check", { timeout: 600_000 }, async () => {
  const { apiUrl, expectedPcrs, rootPem } = server;
  const phases = [];
  const options = {
    apiUrl,
    attestation: { expectedPcrs, insecureTrustedRootPem: rootPem },
    onPhase: (e) => phases.push(e.phase),
    timeoutMs: 600_000,
  };
  assert.equal(await codeOf(prove(steps, options)), "PROOF_SELF_CHECK_FAILED", server.log());
  assert.deepEqual(phases, ["fetch-attestation", "verify-attestation", "encrypt", "transmit"]);

  // Same server and policy again, within the maximum age: the verified key is reused.
  phases.length = 0;
  assert.equal(await codeOf(prove(steps, options)), "PROOF_SELF_CHECK_FAILED", server.log());
  assert.deepEqual(phases, ["encrypt", "transmit"]);
});

test("the dev server is refused without its root (the AWS root is the default)", async () => {
  const { apiUrl, expectedPcrs } = server;
  assert.equal(await codeOf(prove(steps, { apiUrl, attestation: { expectedPcrs } })), "UNTRUSTED_ROOT");
});

test("the dev server is refused when the PCRs differ", async () => {
  const { apiUrl, expectedPcrs, rootPem } = server;
  const other = Object.fromEntries(Object.keys(expectedPcrs).map((k) => [k, "ab".repeat(48)]));
  const code = await codeOf(prove(steps, { apiUrl, attestation: { expectedPcrs: other, insecureTrustedRootPem: rootPem } }));
  assert.equal(code, "PCR_MISMATCH");
});
