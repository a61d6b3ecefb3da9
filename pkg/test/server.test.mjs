// The package against a real local tee-rex server with dev attestation: the attestation is
// verified with the dev root and its PCRs, the real Aztec proving steps are encrypted and sent,
// and bb runs. With the insecure test CRS, bb computes the proof and rejects it in its own
// self-check, so the run must end in PROOF_SELF_CHECK_FAILED (and in nothing else).
//
// Needs the server binary (TEE_REX_SERVER_BIN, default target/debug/tee-rex-server), bb and the
// test CRS (scripts/provision.sh). Run: node --test test/
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

import { prove } from "@alejoamiras/tee-rex";

const root = fileURLToPath(new URL("../../", import.meta.url));
const serverBin = process.env.TEE_REX_SERVER_BIN ?? join(root, "target/debug/tee-rex-server");
const bb = process.env.TEE_REX_TEST_BB ?? join(root, ".cache/bb/bb");
// provision.sh installs bb behind a loader wrapper; the server hashes the real binary.
const bbReal = process.env.TEE_REX_TEST_BB_REAL ?? join(root, ".cache/bb/4.1.2/bb-real");
const crsDir = process.env.TEE_REX_TEST_CRS_DIR ?? join(root, ".cache/crs/insecure-test");
const steps = readFileSync(join(root, "testdata/aztec/ivc-deploy-schnorr.msgpack"));

let server;
let apiUrl;
let rootPem;
let expectedPcrs;
let log = "";

before(async () => {
  for (const [what, path] of [["server", serverBin], ["bb", bb], ["CRS", crsDir]]) {
    assert.ok(existsSync(path), `${what} missing at ${path} (cargo build -p tee-rex-server; scripts/provision.sh)`);
  }
  const work = mkdtempSync(join(tmpdir(), "tee-rex-pkg-"));
  const rootOut = join(work, "dev-root.pem");
  const port = 20000 + Math.floor(Math.random() * 20000);
  apiUrl = `http://127.0.0.1:${port}`;
  server = spawn(
    serverBin,
    ["--attestation", "dev", "--listen", `127.0.0.1:${port}`, "--bb", bb, "--crs-dir", crsDir, "--dev-root-out", rootOut,
      ...(existsSync(bbReal) ? ["--bb-binary-sha-path", bbReal] : [])],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  server.stdout.on("data", (d) => (log += d));
  server.stderr.on("data", (d) => (log += d));
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${apiUrl}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    assert.equal(server.exitCode, null, `server exited:\n${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.ok(existsSync(rootOut), `server never became healthy at ${apiUrl}:\n${log}`);
  rootPem = readFileSync(rootOut, "utf8");
  const pcrs = JSON.parse(readFileSync(`${rootOut}.pcrs.json`, "utf8"));
  expectedPcrs = Object.fromEntries(Object.entries(pcrs).map(([k, v]) => [k.replace(/^PCR/, ""), v]));
});

after(() => server?.kill());

async function codeOf(promise) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof Error);
    return e.code;
  }
  assert.fail("did not reject");
}

test("attested dev server: steps encrypted, sent, bb runs and fails its self-check", { timeout: 600_000 }, async () => {
  const phases = [];
  const code = await codeOf(
    prove(steps, {
      apiUrl,
      attestation: { expectedPcrs, insecureTrustedRootPem: rootPem },
      onPhase: (e) => phases.push(e.phase),
      timeoutMs: 600_000,
    }),
  );
  assert.equal(code, "PROOF_SELF_CHECK_FAILED", log);
  assert.deepEqual(phases, ["fetch-attestation", "verify-attestation", "encrypt", "transmit"]);

  // Same server and policy again, within the maximum age: the verified key is reused.
  const again = [];
  const secondCode = await codeOf(
    prove(steps, {
      apiUrl,
      attestation: { expectedPcrs, insecureTrustedRootPem: rootPem },
      onPhase: (e) => again.push(e.phase),
      timeoutMs: 600_000,
    }),
  );
  assert.equal(secondCode, "PROOF_SELF_CHECK_FAILED", log);
  assert.deepEqual(again, ["encrypt", "transmit"]);
});

test("the dev server is refused without its root (the AWS root is the default)", async () => {
  const code = await codeOf(prove(steps, { apiUrl, attestation: { expectedPcrs } }));
  assert.equal(code, "UNTRUSTED_ROOT");
});

test("the dev server is refused when the PCRs differ", async () => {
  const other = Object.fromEntries(Object.keys(expectedPcrs).map((k) => [k, "ab".repeat(48)]));
  const code = await codeOf(
    prove(steps, { apiUrl, attestation: { expectedPcrs: other, insecureTrustedRootPem: rootPem } }),
  );
  assert.equal(code, "PCR_MISMATCH");
});
