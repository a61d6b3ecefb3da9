// Unit tests of the Chromium benchmark's helpers (no browser, no proving): `node --test bench/test/`.

import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

import {
  CHROMIUM_FLAGS, SELF_CHECK, contentType, isLoopbackUrl, parseArgs, resolveAsset, servePages, shapeCrypto, shapeLocalRun,
} from "../chromium.mjs";

test("the request filter lets loopback and in-page schemes through", () => {
  for (const url of [
    "http://127.0.0.1:4000/x", "http://127.5.6.7/", "https://localhost/a", "ws://127.0.0.1:9/",
    "http://[::1]:8080/", "data:application/gzip;base64,H4sI", "blob:http://127.0.0.1:4000/uuid",
  ]) assert.equal(isLoopbackUrl(url), true, url);
});

test("the request filter refuses everything else", () => {
  for (const url of [
    "https://crs.aztec.network/g1.dat", "http://10.0.0.1/", "http://192.168.1.1/", "http://128.0.0.1/",
    "http://127.0.0.256/", "http://127.0.0.1.example.com/", "http://localhost.example.com/", "http://[::2]/",
    "ftp://127.0.0.1/", "file:///etc/passwd", "chrome://settings", "not a url", "",
  ]) assert.equal(isLoopbackUrl(url), false, url);
});

test("the page server resolves mounted files and folders, and nothing outside them", () => {
  const mounts = { "/page.html": "/srv/page.html", "/crs/": { dir: "/data/crs", allow: ["g1.dat"] }, "/bundle/": "/tmp/b" };
  assert.equal(resolveAsset(mounts, "/page.html"), "/srv/page.html");
  assert.equal(resolveAsset(mounts, "/page.html?x=1"), "/srv/page.html");
  assert.equal(resolveAsset(mounts, "/crs/g1.dat"), "/data/crs/g1.dat");
  assert.equal(resolveAsset(mounts, "/bundle/main.worker.js"), "/tmp/b/main.worker.js");
  for (const path of [
    "/crs/g2.dat", "/bundle/../etc/passwd", "/bundle/%2e%2e%2fetc", "/bundle/a/b.js", "/bundle/.hidden",
    "/bundle/", "/other.html", "/page.html/x", "/bundle/%zz",
  ]) assert.equal(resolveAsset(mounts, path), null, path);
});

test("content types for the page's files", () => {
  assert.equal(contentType("/x/prove.js"), "text/javascript; charset=utf-8");
  assert.equal(contentType("/x/openpgp.min.mjs"), "text/javascript; charset=utf-8");
  assert.equal(contentType("/x/tee_rex_sdk_bg.wasm"), "application/wasm");
  assert.equal(contentType("/x/bn254_g1.dat"), "application/octet-stream");
});

test("the page server answers on loopback with the isolation headers, and 404 elsewhere", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tee-rex-chromium-test-"));
  writeFileSync(join(dir, "a.js"), "export {};");
  const pages = await servePages({ "/s/": dir });
  try {
    assert.match(pages.origin, /^http:\/\/127\.0\.0\.1:\d+$/);
    const ok = await fetch(`${pages.origin}/s/a.js`);
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), "export {};");
    assert.equal(ok.headers.get("cross-origin-opener-policy"), "same-origin");
    assert.equal(ok.headers.get("cross-origin-embedder-policy"), "require-corp");
    assert.equal(ok.headers.get("content-type"), "text/javascript; charset=utf-8");
    for (const path of ["/s/missing.js", "/s/..%2Fa.js", "/a.js"]) {
      const r = await fetch(`${pages.origin}${path}`);
      await r.arrayBuffer();
      assert.equal(r.status, 404, path);
    }
    const post = await fetch(`${pages.origin}/s/a.js`, { method: "POST", body: "x" });
    await post.arrayBuffer();
    assert.equal(post.status, 404);
  } finally {
    await pages.close();
  }
});

const marks = { start: 100, decoded: 350.4, crsSeeded: 600, ready: 1350.6, proved: 61350.2 };

test("a local run has local-bbjs.mjs's shape, phases from the page's marks", () => {
  const run = shapeLocalRun({ outcome: "PROOF_SELF_CHECK_FAILED", threads: 2, marks }, { wallMs: 63000.4 });
  assert.deepEqual(run, {
    outcome: "PROOF_SELF_CHECK_FAILED",
    error: undefined,
    threads: 2,
    phases: { decode: 250, "init-bb+crs": 1000, prove: 60000 },
    crsSeedMs: 250,
    totalMs: 61250,
    wallMs: 63000,
    blockedRequests: [],
  });
});

test("a local run that reached outside loopback is FAILED whatever the page said", () => {
  const run = shapeLocalRun({ outcome: "PROOF_SELF_CHECK_FAILED", threads: 2, marks },
    { wallMs: 1, blockedRequests: ["https://crs.aztec.network/g1.dat"] });
  assert.equal(run.outcome, "FAILED");
  assert.match(run.error, /1 request\(s\) outside loopback/);
  assert.deepEqual(run.blockedRequests, ["https://crs.aztec.network/g1.dat"]);
});

test("bb.js's self-check messages are recognised, other failures are not", () => {
  assert.ok(SELF_CHECK.test("Error: Failed to verify the generated proof!"));
  assert.ok(SELF_CHECK.test("Failed to verify the private (Chonk) transaction proof"));
  assert.ok(!SELF_CHECK.test("RuntimeError: unreachable"));
});

test("the crypto result has crypto-wasm.mjs's shape, with medians of the page's rounds", () => {
  const page = {
    verifyMs: [3, 1, 2, 10],
    encrypt: {
      "16MiB": {
        bytes: 16 * 2 ** 20,
        times: { wasm: [400, 600, 500], openpgpjs: [100, 300, 200] },
        ciphertextBytes: { wasm: 16842997, openpgpjs: 16778423 },
      },
    },
    openpgpjs: { version: "OpenPGP.js 6.3.2", seipdVersion: 2, aead: "gcm" },
  };
  assert.deepEqual(shapeCrypto(page, { rounds: 3, wasmBytes: 1512669 }), {
    verifyAttestationMs: { median: 2.5, samples: 4 },
    encrypt: {
      "16MiB": {
        bytes: 16 * 2 ** 20,
        rounds: 3,
        wasmMs: 500,
        openpgpjsMs: 200,
        wasmMiBps: 32,
        openpgpjsMiBps: 80,
        ratioWasmOverOpenpgpjs: 2.5,
        ciphertextBytes: { wasm: 16842997, openpgpjs: 16778423 },
      },
    },
    openpgpjs: page.openpgpjs,
    wasmBytes: 1512669,
    blockedRequests: [],
  });
});

test("CLI arguments become camelCase options; stray or valueless arguments are refused", () => {
  assert.deepEqual(parseArgs(["--crs-dir", "/c", "--runs", "2"]), { crsDir: "/c", runs: "2" });
  assert.throws(() => parseArgs(["--runs"]), /unexpected argument/);
  assert.throws(() => parseArgs(["runs", "2"]), /unexpected argument/);
});

test("Chromium's flags keep the brief's set and resolve no host but loopback", () => {
  for (const flag of ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run"]) assert.ok(CHROMIUM_FLAGS.includes(flag), flag);
  assert.ok(CHROMIUM_FLAGS.some((f) => f.startsWith("--host-resolver-rules=MAP * ~NOTFOUND")));
});
