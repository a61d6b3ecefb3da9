// The package against a real local tee-rex server with dev attestation: the attestation is
// verified with the dev root and its PCRs, the real Aztec proving steps are encrypted and sent,
// and bb runs. With the insecure test CRS, bb computes the proof and rejects it in its own
// self-check, so the run must end in PROOF_SELF_CHECK_FAILED (and in nothing else).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { randomBytes } from "node:crypto";

import { encrypt, prove, verifyAttestation } from "@alejoamiras/tee-rex";

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
  const error = await prove(steps, options).then(
    () => assert.fail("did not reject"),
    (e) => e,
  );
  assert.equal(error.code, "PROOF_SELF_CHECK_FAILED", server.log());
  // bb ran and rejected its proof: the server's time is reported as proving, nothing as proved.
  assert.deepEqual(phases, ["fetch-attestation", "verify-attestation", "encrypt", "transmit", "proving"]);
  // The server's phases came with the error; octet-stream bodies have no decode phase.
  const { serverTiming } = error;
  assert.ok(serverTiming?.proveMs > 1000, `bb worked for a while: ${JSON.stringify(serverTiming)}`);
  for (const phase of ["uploadMs", "decryptMs", "parseMs", "queueMs"]) {
    assert.equal(typeof serverTiming[phase], "number", phase);
    assert.ok(serverTiming[phase] >= 0, phase);
  }
  assert.equal(serverTiming.decodeMs, undefined);

  // Same server and policy again, within the maximum age: the verified key is reused.
  phases.length = 0;
  assert.equal(await codeOf(prove(steps, options)), "PROOF_SELF_CHECK_FAILED", server.log());
  assert.deepEqual(phases, ["encrypt", "transmit", "proving"]);
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

test("verifyAttestation + encrypt by hand: the server decrypts what wasm encrypted", async () => {
  const { apiUrl, expectedPcrs, rootPem } = server;
  const nonce = randomBytes(32);
  const body = await (await fetch(`${apiUrl}/attestation?nonce=${nonce.toString("hex")}`)).json();
  const document = Buffer.from(body.attestationDocument, "base64");

  const verified = verifyAttestation(document, { expectedPcrs, insecureTrustedRootPem: rootPem, expectedNonce: nonce });
  assert.ok(verified.publicKey instanceof Uint8Array && verified.publicKey.length > 0);
  assert.match(verified.publicKeyFingerprint, /^[0-9a-f]{40,64}$/);
  assert.equal(verified.pcrs[0], expectedPcrs[0]);
  assert.ok(Math.abs(verified.timestampMs - Date.now()) < 60_000);
  assert.equal(verified.prover?.crsInsecure, true);
  assert.equal(verified.nonce, nonce.toString("hex"));
  assert.ok(verified.certificateNotBeforeMs <= verified.timestampMs);
  assert.ok(verified.timestampMs < verified.certificateNotAfterMs);

  const otherNonce = { expectedPcrs, insecureTrustedRootPem: rootPem, expectedNonce: randomBytes(32) };
  assert.throws(() => verifyAttestation(document, otherNonce), { code: "NONCE_MISMATCH" });

  // Not proving steps, but a valid message to the server's key: it decrypts, then refuses the
  // plaintext as steps. A message it could not decrypt would be DECRYPT_FAILED instead.
  const post = (bytes) =>
    fetch(`${apiUrl}/prove`, { method: "POST", headers: { "content-type": "application/octet-stream" }, body: bytes });
  const decrypted = await (await post(await encrypt(verified.publicKey, new Uint8Array([1, 2, 3])))).json();
  assert.equal(decrypted.error.code, "INVALID_STEPS");
  const garbage = await (await post(randomBytes(64))).json();
  assert.ok(["NOT_OPENPGP", "DECRYPT_FAILED"].includes(garbage.error.code), garbage.error.code);
});

test("timeoutMs and signal abort a request that never answers", async () => {
  const { createServer } = await import("node:http");
  const silent = createServer(() => {});
  await new Promise((r) => silent.listen(0, "127.0.0.1", r));
  const apiUrl = `http://127.0.0.1:${silent.address().port}`;
  const attestation = { expectedPcrs: server.expectedPcrs };
  try {
    assert.equal(await codeOf(prove(steps, { apiUrl, attestation, timeoutMs: 200 })), "TRANSPORT_FAILED");
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    assert.equal(await codeOf(prove(steps, { apiUrl, attestation, signal: controller.signal })), "TRANSPORT_FAILED");
  } finally {
    silent.closeAllConnections();
    silent.close();
  }
});
