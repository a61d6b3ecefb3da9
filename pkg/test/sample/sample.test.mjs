// Runs in a throwaway project that installed the packed tarball (pkg/test/pack.sh): the package
// as a dapp gets it, against a real dev-attested tee-rex server.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { pathToFileURL } from "node:url";

import { prove } from "@alejoamiras/tee-rex";
import { TeeRexProver } from "@alejoamiras/tee-rex/prover";
import { WASMSimulator } from "@aztec/simulator/client";

const repo = process.env.TEE_REX_REPO;
assert.ok(repo, "TEE_REX_REPO must point at the tee-rex checkout");
const { codeOf, startDevServer, steps } = await import(
  pathToFileURL(join(repo, "pkg/test/dev-server.mjs")).href
);

let server;
let unattested;
let proxy;
let proxyUrl;

before(async () => {
  server = await startDevServer("dev");
  unattested = await startDevServer("none");
  // A man in the middle that flips one bit of the document's signature (its last byte).
  proxy = createServer(async (req, res) => {
    const upstream = await fetch(server.apiUrl + req.url);
    const body = await upstream.json();
    const doc = Buffer.from(body.attestationDocument, "base64");
    doc[doc.length - 1] ^= 1;
    body.attestationDocument = doc.toString("base64");
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(body));
  });
  await new Promise((r) => proxy.listen(0, "127.0.0.1", r));
  proxyUrl = `http://127.0.0.1:${proxy.address().port}`;
});

after(() => {
  server?.stop();
  unattested?.stop();
  proxy?.close();
});

test("installed tarball: attested, encrypted, sent, bb's self-check fails with the test CRS", { timeout: 600_000 }, async () => {
  const code = await codeOf(
    prove(steps, {
      apiUrl: server.apiUrl,
      attestation: { expectedPcrs: server.expectedPcrs, insecureTrustedRootPem: server.rootPem },
    }),
  );
  assert.equal(code, "PROOF_SELF_CHECK_FAILED", server.log());
});

test("a tampered attestation is refused with its code", async () => {
  const code = await codeOf(
    prove(steps, {
      apiUrl: proxyUrl,
      attestation: { expectedPcrs: server.expectedPcrs, insecureTrustedRootPem: server.rootPem },
    }),
  );
  assert.equal(code, "SIGNATURE_INVALID");
});

test("an unattested server is refused by default", async () => {
  const options = { apiUrl: unattested.apiUrl, attestation: { expectedPcrs: { 0: "ab".repeat(48) } } };
  assert.equal(await codeOf(prove(steps, options)), "UNATTESTED_SERVER");
});

test("TeeRexProver loads from the tarball and refuses empty steps before sending", async () => {
  const prover = new TeeRexProver(new WASMSimulator(), { apiUrl: proxyUrl, attestation: { expectedPcrs: server.expectedPcrs } });
  assert.equal(await codeOf(prover.createChonkProof([])), "INVALID_STEPS");
});
