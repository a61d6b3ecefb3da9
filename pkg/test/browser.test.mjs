// The "browser" entry point (web.js: plain ES modules, top-level await) in headless Chromium:
// a page imports the package from a loopback static server and calls it.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const chromium = process.env.CHROMIUM ?? "/usr/bin/chromium";
const types = { ".js": "text/javascript", ".wasm": "application/wasm", ".html": "text/html", ".cbor": "application/cbor" };

const page = `<!doctype html><body>pending<script type="module">
import { encrypt, verifyAttestation } from "/pkg/web.js";
const out = [];
const codeOf = (f) => { try { f(); return "no error"; } catch (e) { return (e instanceof Error) + ":" + e.name + ":" + e.code; } };
const rejection = async (p) => { try { await p; return "no error"; } catch (e) { return (e instanceof Error) + ":" + e.name + ":" + e.code; } };
out.push(await rejection(encrypt(new TextEncoder().encode("-----BEGIN PGP"), new Uint8Array(1))));
const doc = new Uint8Array(await (await fetch("/testdata/nitro/real/nitro-attest-crate-2025-01-06.cbor")).arrayBuffer());
out.push(codeOf(() => verifyAttestation(doc, { expectedPcrs: { 0: "ab".repeat(48) } })));
document.body.textContent = "result=" + out.join(",");
</script>`;

test("web.js loads in headless Chromium and throws coded errors", { timeout: 120_000 }, async () => {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname));
    if (path === "/") {
      res.setHeader("content-type", "text/html");
      return res.end(page);
    }
    if (!path.startsWith("/pkg/") && !path.startsWith("/testdata/")) {
      res.statusCode = 404;
      return res.end();
    }
    try {
      const body = readFileSync(join(root, path));
      res.setHeader("content-type", types[extname(path)] ?? "application/octet-stream");
      res.end(body);
    } catch {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const profile = mkdtempSync(join(tmpdir(), "tee-rex-chromium-"));
  try {
    const url = `http://127.0.0.1:${server.address().port}/`;
    const args = [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run", `--user-data-dir=${profile}`,
      "--virtual-time-budget=20000", "--dump-dom", url,
    ];
    const dom = await new Promise((resolve, reject) =>
      execFile(chromium, args, { timeout: 90_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout))),
    );
    const result = /result=([^<]*)/.exec(dom)?.[1];
    assert.equal(result, "true:TeeRexError:INVALID_PUBLIC_KEY,true:TeeRexError:CERT_NOT_VALID_AT_TIME", dom);
  } finally {
    server.close();
    rmSync(profile, { recursive: true, force: true });
  }
});
