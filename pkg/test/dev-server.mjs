// Starts a real tee-rex server with dev attestation on loopback, for the package tests.
// Needs the server binary (TEE_REX_SERVER_BIN, default target/debug/tee-rex-server), bb and the
// insecure test CRS (scripts/provision.sh).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { get } from "node:http";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("../../", import.meta.url));
const serverBin = process.env.TEE_REX_SERVER_BIN ?? join(root, "target/debug/tee-rex-server");
const bb = process.env.TEE_REX_TEST_BB ?? join(root, ".cache/bb/bb");
// provision.sh installs bb behind a loader wrapper; the server hashes the real binary.
const bbReal = process.env.TEE_REX_TEST_BB_REAL ?? join(root, ".cache/bb/4.1.2/bb-real");
/** The insecure test CRS folder (bn254_g1.dat, bn254_g2.dat, grumpkin_g1.flat.dat). */
export const crsDir = process.env.TEE_REX_TEST_CRS_DIR ?? join(root, ".cache/crs/insecure-test");

/** The real Schnorr account deployment steps, as serializePrivateExecutionSteps wrote them. */
export const steps = readFileSync(join(root, "testdata/aztec/ivc-deploy-schnorr.msgpack"));

/**
 * One well-formed msgpack proving step whose circuit is not real: fixarray(1) of a 4-key map with
 * functionName, bytecode, witness, vk.
 */
export function msgpackSteps() {
  const str = (s) => [0xa0 | s.length, ...new TextEncoder().encode(s)];
  const bin = (bytes) => [0xc4, bytes.length, ...bytes];
  return new Uint8Array([
    0x91,
    0x84,
    ...str("functionName"),
    ...str("main"),
    ...str("bytecode"),
    ...bin([1, 2]),
    ...str("witness"),
    ...bin([3, 4]),
    ...str("vk"),
    ...bin([5, 6]),
  ]);
}

/** Starts the server; resolves to { apiUrl, rootPem, expectedPcrs, log(), stop() }. */
export async function startDevServer(attestation = "dev") {
  for (const [what, path] of [["server", serverBin], ["bb", bb], ["CRS", crsDir]]) {
    assert.ok(existsSync(path), `${what} missing at ${path} (cargo build -p tee-rex-server; scripts/provision.sh)`);
  }
  const work = mkdtempSync(join(tmpdir(), "tee-rex-pkg-"));
  const rootOut = join(work, "dev-root.pem");
  const port = 20000 + Math.floor(Math.random() * 20000);
  const apiUrl = `http://127.0.0.1:${port}`;
  const args = ["--attestation", attestation, "--listen", `127.0.0.1:${port}`, "--bb", bb, "--crs-dir", crsDir];
  if (attestation === "dev") args.push("--dev-root-out", rootOut);
  if (existsSync(bbReal)) args.push("--bb-binary-sha-path", bbReal);
  const server = spawn(serverBin, args, { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  server.stdout.on("data", (d) => (log += d));
  server.stderr.on("data", (d) => (log += d));

  let healthy = false;
  for (let i = 0; i < 600 && !healthy; i++) {
    try {
      healthy = await isHealthy(`${apiUrl}/health`);
    } catch {
      // not listening yet
    }
    assert.equal(server.exitCode, null, `server exited:\n${log}`);
    if (!healthy) await new Promise((r) => setTimeout(r, 200));
  }
  assert.ok(healthy, `server never became healthy at ${apiUrl}:\n${log}`);

  let rootPem;
  let expectedPcrs;
  if (attestation === "dev") {
    rootPem = readFileSync(rootOut, "utf8");
    const pcrs = JSON.parse(readFileSync(`${rootOut}.pcrs.json`, "utf8"));
    expectedPcrs = Object.fromEntries(Object.entries(pcrs).map(([k, v]) => [k.replace(/^PCR/, ""), v]));
  }
  return { apiUrl, rootPem, expectedPcrs, log: () => log, stop: () => server.kill() };
}

/**
 * Whether GET `url` answers 200, on a connection of its own that is closed afterwards. (With
 * `fetch`, the kept-alive connection stays in Node's pool; a test that blocks the event loop
 * longer than the server's keep-alive would then send its first request on a socket the server
 * has already closed, and fail with TRANSPORT_FAILED before reaching the server.)
 */
function isHealthy(url) {
  return new Promise((resolve) => {
    get(url, { agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    }).on("error", () => resolve(false));
  });
}

/** The `code` of the error `promise` rejects with (which must be an Error). */
export async function codeOf(promise) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof Error, `rejects with an Error, got ${e}`);
    return e.code;
  }
  assert.fail("did not reject");
}
