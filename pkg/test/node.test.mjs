// The package as Node loads it (the "node" export condition), against real inputs: a published
// Nitro attestation vector and a loopback HTTP server. Run: node --test test/
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { test } from "node:test";

import { encrypt, prove, verifyAttestation } from "@alejoamiras/tee-rex";

import { msgpackSteps } from "./dev-server.mjs";

const vector = readFileSync(
  new URL("../../testdata/nitro/real/nitro-attest-crate-2025-01-06.cbor", import.meta.url),
);
const pcr0 = "8bb159f202bb95d6"; // prefix, checked below against a PCR mismatch

function codeOf(fn) {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof Error, "throws an Error");
    assert.equal(e.name, "TeeRexError");
    return e.code;
  }
  assert.fail("did not throw");
}

async function codeOfAsync(promise) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof Error, "rejects with an Error");
    return e.code;
  }
  assert.fail("did not reject");
}

test("verifyAttestation refuses an expired real document and a wrong PCR, with codes", () => {
  assert.equal(
    codeOf(() => verifyAttestation(vector, { expectedPcrs: { 0: "ab".repeat(48) } })),
    "CERT_NOT_VALID_AT_TIME",
  );
  assert.equal(codeOf(() => verifyAttestation(vector, { expectedPcrs: {} })), "MISSING_EXPECTED_PCRS");
  assert.equal(
    codeOf(() => verifyAttestation(vector, { expectedPcrs: { 0: pcr0 } })),
    "INVALID_EXPECTED_PCRS",
  );
  assert.equal(codeOf(() => verifyAttestation(vector, { nope: 1 })), "INVALID_OPTIONS");
});

test("encrypt rejects a key that is not binary OpenPGP", async () => {
  const pending = encrypt(new TextEncoder().encode("-----BEGIN PGP"), new Uint8Array(1));
  assert.ok(pending instanceof Promise, "encrypt is async");
  await assert.rejects(pending, (e) => e instanceof Error && e.name === "TeeRexError" && e.code === "INVALID_PUBLIC_KEY");
});

test("prove refuses invalid steps before sending anything", async () => {
  let requests = 0;
  const server = createServer((_req, res) => {
    requests += 1;
    res.end();
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const apiUrl = `http://127.0.0.1:${server.address().port}`;
  try {
    const code = await codeOfAsync(
      prove(new Uint8Array([1, 2, 3]), { apiUrl, attestation: { expectedPcrs: { 0: "ab".repeat(48) } } }),
    );
    assert.equal(code, "INVALID_STEPS");
    assert.equal(requests, 0);
  } finally {
    server.close();
  }
});

test("prove refuses an unattested server by default, over real fetch", async () => {
  const paths = [];
  const server = createServer((req, res) => {
    paths.push(req.url);
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ mode: "standard", publicKey: "not used" }));
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const apiUrl = `http://127.0.0.1:${server.address().port}`;
  // One msgpack step: fixarray(1) of a 4-key map with functionName, bytecode, witness, vk.
  const steps = msgpackSteps();
  const phases = [];
  try {
    const code = await codeOfAsync(
      prove(steps, {
        apiUrl,
        attestation: { expectedPcrs: { 0: "ab".repeat(48) } },
        onPhase: (e) => phases.push(e.phase),
      }),
    );
    assert.equal(code, "UNATTESTED_SERVER");
    assert.equal(paths.length, 1);
    assert.match(paths[0], /^\/attestation\?nonce=[0-9a-f]{64}$/);
    assert.deepEqual(phases, ["fetch-attestation"]);
  } finally {
    server.close();
  }
});
