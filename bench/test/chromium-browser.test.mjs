// The Chromium benchmark's browser plumbing in a real headless Chromium (a few seconds, no
// proving): cross-origin isolation, and requests outside loopback from the page and from a worker
// aborted and reported. Needs Debian's /usr/bin/chromium.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { servePages, withChromium } from "../chromium.mjs";

// `.invalid` never resolves (RFC 6761), and the browser's resolver only knows loopback: even a
// request the filter missed would send nothing.
const OUTSIDE = "http://tee-rex-bench.invalid/";

const PAGE = `<!doctype html><script type="module">
const get = (url) => fetch(url).then((r) => r.status, (e) => "error");
const fromWorker = (url) => new Promise((resolve) => {
  const worker = new Worker("/s/worker.js", { type: "module" });
  worker.onmessage = (e) => resolve(e.data);
  worker.postMessage(url);
});
window.teeRexBench = {
  probe: async (outside) => ({
    loopback: await get("/s/worker.js"),
    outside: await get(outside + "page"),
    worker: await fromWorker(outside + "worker"),
    sharedArrayBuffer: typeof SharedArrayBuffer,
  }),
};
</script>`;
const WORKER = `self.onmessage = async (e) => {
  self.postMessage(await fetch(e.data).then((r) => r.status, () => "error"));
};`;

let dir;
let pages;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "tee-rex-chromium-browser-test-"));
  writeFileSync(join(dir, "page.html"), PAGE);
  writeFileSync(join(dir, "worker.js"), WORKER);
  pages = await servePages({ "/s/": dir });
});

after(async () => {
  await pages?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("the page is isolated, loopback loads, and outside requests fail and are reported", async () => {
  const { value, blockedRequests } = await withChromium(`${pages.origin}/s/page.html`, (page) =>
    page.evaluate((o) => window.teeRexBench.probe(o), OUTSIDE),
  );
  assert.equal(value.loopback, 200);
  assert.equal(value.sharedArrayBuffer, "function");
  assert.equal(value.outside, "error");
  assert.equal(value.worker, "error");
  assert.ok(blockedRequests.includes(`${OUTSIDE}page`), JSON.stringify(blockedRequests));
  assert.ok(blockedRequests.includes(`${OUTSIDE}worker`), JSON.stringify(blockedRequests));
});

test("a page without isolation headers is refused", async () => {
  const plain = await new Promise((resolve) => {
    import("node:http").then(({ createServer }) => {
      const server = createServer((req, res) => {
        res.setHeader("Content-Type", "text/html");
        res.end("<script>window.teeRexBench = {};</script>");
      });
      server.listen(0, "127.0.0.1", () => resolve(server));
    });
  });
  try {
    await assert.rejects(
      withChromium(`http://127.0.0.1:${plain.address().port}/`, async () => "unreachable"),
      /not cross-origin isolated/,
    );
  } finally {
    await new Promise((r) => plain.close(r));
  }
});

test("a page that never finishes is given up after the timeout", async () => {
  await assert.rejects(
    withChromium(`${pages.origin}/s/page.html`, (page) => page.evaluate(() => new Promise(() => {})), { timeoutMs: 500 }),
    /did not finish within 500 ms/,
  );
});
