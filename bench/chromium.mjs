// The Chromium halves of the local-proving and SDK-cryptography benchmarks: the same work as
// local-bbjs.mjs and crypto-wasm.mjs, run in Debian's headless Chromium (driven by playwright-core)
// on pages served from 127.0.0.1 with cross-origin isolation, so bb.js runs threaded. Results have
// the Node halves' shapes, so report.mjs can show both side by side.
//
//   node chromium.mjs local  [--input F] [--crs-dir D] [--threads N] [--runs N]
//   node chromium.mjs crypto [--input F] [--pkg-web-dir D] [--server-url U --root-pem F] [--rounds N]
//
// Every request the browser makes outside loopback is aborted and reported in
// `blockedRequests`; a run with any is an error (the CLI exits 1).

import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createReadStream, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { cpus, tmpdir } from "node:os";
import { extname, join, resolve } from "node:path";

import { build } from "esbuild";
import { chromium } from "playwright-core";

import { median, round, sleep } from "./lib.mjs";

const HERE = import.meta.dirname;
const ROOT = resolve(HERE, "..");
const CHROMIUM = "/usr/bin/chromium";
/** The flags the brief and web/test use, plus a resolver that only knows loopback. */
export const CHROMIUM_FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run",
  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
];
/** Headers that make the pages cross-origin isolated (SharedArrayBuffer, so bb.js threads). */
export const ISOLATION_HEADERS = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Cross-Origin-Resource-Policy": "same-origin",
};
/** What bb.js throws when its own check of the finished proof fails (the test CRS does this). */
export const SELF_CHECK = /Failed to verify the generated proof!|Failed to verify the private \(Chonk\) transaction proof/;
const CRS_FILES = ["bn254_g1.dat", "bn254_g2.dat", "grumpkin_g1.flat.dat", "INSECURE_TEST_CRS"];
const CRS_MIN_BYTES = { "bn254_g1.dat": (2 ** 20 + 1) * 64, "bn254_g2.dat": 128, "grumpkin_g1.flat.dat": (2 ** 16 + 1) * 64 };
const BB_BROWSER = join(HERE, "node_modules/@aztec/bb.js/dest/browser/barretenberg_wasm");
const PROVE_TIMEOUT_MS = 30 * 60 * 1000;

const DEFAULTS = {
  input: join(ROOT, "testdata/aztec/ivc-deploy-schnorr.msgpack"),
  crsDir: join(ROOT, ".cache/crs/insecure-test"),
  pkgWebDir: join(ROOT, "pkg/dist/web"),
  bin: join(ROOT, "target/release"),
  bb: join(ROOT, ".cache/bb/bb"),
  bbBinary: join(ROOT, ".cache/bb/4.1.2/bb-real"),
};

// --- pure helpers (unit-tested in test/chromium.test.mjs) -------------------------------------

/**
 * Whether the browser may make a request to `url`: http(s) and ws(s) to 127.0.0.0/8, localhost
 * or [::1], and the in-page schemes data: and blob:. Anything else, or anything unparsable, is
 * refused.
 */
export function isLoopbackUrl(url) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol === "data:" || parsed.protocol === "blob:") return true;
  if (!["http:", "https:", "ws:", "wss:"].includes(parsed.protocol)) return false;
  const host = parsed.hostname;
  if (host === "localhost" || host === "[::1]") return true;
  const v4 = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return v4 !== null && v4.slice(1).every((o) => Number(o) <= 255);
}

/**
 * The file the harness's HTTP server sends for `urlPath`, or null. `mounts` maps a path prefix
 * ending in "/" to a folder, or an exact path to a file; names are looked up only directly in the
 * folder (no sub-folders, no "..", no dot files), optionally restricted to an allow-list.
 */
export function resolveAsset(mounts, urlPath) {
  const path = decodeURIComponentSafe(urlPath.split(/[?#]/)[0]);
  if (path === null) return null;
  for (const [prefix, target] of Object.entries(mounts)) {
    if (!prefix.endsWith("/")) {
      if (path === prefix) return target;
      continue;
    }
    if (!path.startsWith(prefix)) continue;
    const name = path.slice(prefix.length);
    const { dir, allow } = typeof target === "string" ? { dir: target } : target;
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name) || name.includes("..")) return null;
    if (allow && !allow.includes(name)) return null;
    return join(dir, name);
  }
  return null;
}

/** The Content-Type the harness sends for `file`. */
export function contentType(file) {
  return {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".wasm": "application/wasm",
    ".json": "application/json",
  }[extname(file)] ?? "application/octet-stream";
}

/**
 * One local-proving run as local-bbjs.mjs reports it (outcome, error, threads, phases, totalMs)
 * plus wallMs, from the page's performance marks. Blocked requests turn the outcome into FAILED:
 * the run reached outside loopback, so its timing is not the one we mean to measure.
 */
export function shapeLocalRun(page, { wallMs, blockedRequests = [] }) {
  const ms = (a, b) => Math.round(page.marks[b] - page.marks[a]);
  const blocked = blockedRequests.length > 0;
  return {
    outcome: blocked ? "FAILED" : page.outcome,
    error: blocked ? `${blockedRequests.length} request(s) outside loopback were blocked` : page.error,
    threads: page.threads,
    phases: { decode: ms("start", "decoded"), "init-bb+crs": ms("decoded", "ready"), prove: ms("ready", "proved") },
    crsSeedMs: ms("decoded", "crsSeeded"),
    totalMs: ms("start", "proved"),
    wallMs: Math.round(wallMs),
    blockedRequests,
  };
}

/**
 * The cryptography result as crypto-wasm.mjs reports it, from the page's raw timings:
 * medians of the alternated rounds, throughput and the wasm/openpgp.js ratio per payload.
 */
export function shapeCrypto(page, { rounds, wasmBytes, blockedRequests = [] }) {
  const encrypt = {};
  for (const [name, e] of Object.entries(page.encrypt)) {
    const wasm = median(e.times.wasm);
    const js = median(e.times.openpgpjs);
    const mib = e.bytes / 2 ** 20;
    encrypt[name] = {
      bytes: e.bytes,
      rounds,
      wasmMs: round(wasm, 2),
      openpgpjsMs: round(js, 2),
      wasmMiBps: round(mib / (wasm / 1000), 1),
      openpgpjsMiBps: round(mib / (js / 1000), 1),
      ratioWasmOverOpenpgpjs: round(wasm / js, 2),
      ciphertextBytes: e.ciphertextBytes,
    };
  }
  return {
    verifyAttestationMs: { median: round(median(page.verifyMs), 3), samples: page.verifyMs.length },
    encrypt,
    openpgpjs: page.openpgpjs,
    wasmBytes,
    blockedRequests,
  };
}

/** Parses `--name value` pairs into camelCase keys (`--crs-dir` → `crsDir`). */
export function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z][a-z-]*)$/.exec(argv[i]);
    if (!m || i + 1 >= argv.length) throw new Error(`unexpected argument: ${argv[i]}`);
    out[m[1].replace(/-([a-z])/g, (_, c) => c.toUpperCase())] = argv[++i];
  }
  return out;
}

function decodeURIComponentSafe(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

// --- the browser and the page server ------------------------------------------------------------

/**
 * Serves `mounts` (see resolveAsset) on 127.0.0.1 at a random port, with the isolation headers on
 * every answer. Resolves with its origin and a close function.
 */
export function servePages(mounts) {
  const server = createServer((req, res) => {
    for (const [k, v] of Object.entries(ISOLATION_HEADERS)) res.setHeader(k, v);
    res.setHeader("Cache-Control", "no-store");
    const file = req.method === "GET" ? resolveAsset(mounts, req.url ?? "") : null;
    if (!file || !existsSync(file) || !statSync(file).isFile()) {
      res.statusCode = 404;
      res.end();
      return;
    }
    res.setHeader("Content-Type", contentType(file));
    res.setHeader("Content-Length", statSync(file).size);
    createReadStream(file).pipe(res);
  });
  return new Promise((resolveServer, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      resolveServer({ origin: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)) });
    });
  });
}

/**
 * Opens `url` in a fresh Chromium (own temporary profile, removed after) with every request
 * outside loopback aborted, waits for the page's `window.teeRexBench`, checks that the page is
 * cross-origin isolated, then runs `fn(page)`, for at most `timeoutMs`. Resolves with fn's value
 * and the blocked URLs. Page errors and console errors go into the error message if fn throws.
 */
export async function withChromium(url, fn, { timeoutMs = 10 * 60 * 1000 } = {}) {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
  const userDataDir = mkdtempSync(join(tmpdir(), "tee-rex-bench-chromium-"));
  const blockedRequests = [];
  const errors = [];
  let context;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
      serviceWorkers: "block",
    });
    await context.route("**/*", (route) => {
      const target = route.request().url();
      if (isLoopbackUrl(target)) return route.continue();
      blockedRequests.push(target);
      return route.abort("blockedbyclient");
    });
    // Requests the router does not see (none expected) still count.
    context.on("request", (request) => {
      const target = request.url();
      if (!isLoopbackUrl(target) && !blockedRequests.includes(target)) blockedRequests.push(target);
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.on("pageerror", (e) => errors.push(String(e).slice(0, 300)));
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text().slice(0, 300)); });
    await page.goto(url);
    await page.waitForFunction(() => window.teeRexBench !== undefined, null, { timeout: 60_000 });
    if (!(await page.evaluate(() => self.crossOriginIsolated))) {
      throw new Error("the benchmark page is not cross-origin isolated (COOP/COEP missing?)");
    }
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the page did not finish within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return { value: await Promise.race([fn(page), timeout]), blockedRequests };
    } catch (e) {
      throw new Error(`${String(e?.message ?? e).slice(0, 500)}${errors.length ? `; page errors: ${errors.join(" | ")}` : ""}`);
    } finally {
      clearTimeout(timer);
    }
  } finally {
    await context?.close().catch(() => {});
    rmSync(userDataDir, { recursive: true, force: true });
  }
}

/** Bundles prove.js and bb.js's two worker scripts into `outDir` (the page loads /bundle/). */
async function bundleProvePage(outDir) {
  await build({
    entryPoints: {
      prove: join(HERE, "chromium/prove.js"),
      // bb.js starts these with `new URL("./<name>.worker.js", import.meta.url)`: beside prove.js.
      "main.worker": join(BB_BROWSER, "barretenberg_wasm_main/factory/browser/main.worker.js"),
      "thread.worker": join(BB_BROWSER, "barretenberg_wasm_thread/factory/browser/thread.worker.js"),
    },
    outdir: outDir,
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    logLevel: "error",
    nodePaths: [join(HERE, "node_modules")],
  });
}

// --- the benchmarks ------------------------------------------------------------------------------

/**
 * Local proving with bb.js in Chromium: `runs` proofs of `input`, each in a fresh browser, with
 * the CRS of `crsDir` (the insecure test CRS ends in bb's self-check failure: outcome
 * PROOF_SELF_CHECK_FAILED, never a success). Each run has local-bbjs.mjs's shape plus wallMs
 * (browser start to result).
 */
export async function chromiumLocalProve({ input = DEFAULTS.input, crsDir = DEFAULTS.crsDir, threads = cpus().length, runs = 1 } = {}) {
  for (const [file, min] of Object.entries(CRS_MIN_BYTES)) {
    // A short file would make bb.js download Aztec's CRS: refuse instead.
    if (!existsSync(join(crsDir, file)) || statSync(join(crsDir, file)).size < min) throw new Error(`${crsDir}/${file} is missing or too small for bb.js`);
  }
  const bundleDir = mkdtempSync(join(tmpdir(), "tee-rex-bench-bundle-"));
  let pages;
  try {
    await bundleProvePage(bundleDir);
    pages = await servePages({
      "/prove.html": join(HERE, "chromium/prove.html"),
      "/input": input,
      "/bundle/": bundleDir,
      "/crs/": { dir: crsDir, allow: CRS_FILES },
    });
    const results = [];
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      const { value, blockedRequests } = await withChromium(`${pages.origin}/prove.html`, (page) =>
        page.evaluate((t) => window.teeRexBench.prove({ threads: t }), threads), { timeoutMs: PROVE_TIMEOUT_MS },
      );
      results.push(shapeLocalRun(value, { wallMs: performance.now() - started, blockedRequests }));
    }
    return {
      browser: "chromium",
      backend: "WasmWorker",
      crsInsecureTest: existsSync(join(crsDir, "INSECURE_TEST_CRS")),
      runs: results,
    };
  } finally {
    await pages?.close();
    rmSync(bundleDir, { recursive: true, force: true });
  }
}

/**
 * The wasm SDK's web build against openpgp.js 6 in Chromium: encryption of `input` and of 16 MiB
 * to the key of a dev attestation document, alternating, medians of `rounds`; and verifyAttestation
 * of that document. Uses the dev server at `serverUrl` (with its root certificate `rootPem` and
 * `<rootPem>.pcrs.json`), or starts target/release/tee-rex-server --attestation dev on loopback.
 */
export async function chromiumCrypto({ input = DEFAULTS.input, pkgWebDir = DEFAULTS.pkgWebDir, serverUrl, rootPem, rounds = 5 } = {}) {
  if (serverUrl && !rootPem) throw new Error("serverUrl needs rootPem (the dev server's --dev-root-out)");
  if (serverUrl && !isLoopbackUrl(serverUrl)) throw new Error(`serverUrl must be on loopback: ${serverUrl}`);
  for (const file of ["tee_rex_sdk.js", "tee_rex_sdk_bg.wasm"]) {
    if (!existsSync(join(pkgWebDir, file))) throw new Error(`${pkgWebDir}/${file} is missing: run scripts/build-wasm.sh`);
  }
  const server = serverUrl ? { url: serverUrl, root: rootPem } : await startDevServer();
  let pages;
  try {
    const nonceHex = randomBytes(32).toString("hex");
    const response = await fetch(`${server.url}/attestation?nonce=${nonceHex}`);
    if (!response.ok) throw new Error(`GET /attestation: HTTP ${response.status}`);
    const { attestationDocument } = await response.json();
    const args = {
      documentBase64: attestationDocument,
      rootPem: readFileSync(server.root, "utf8"),
      pcrs: JSON.parse(readFileSync(`${server.root}.pcrs.json`, "utf8")),
      nonceHex,
      rounds,
    };

    pages = await servePages({
      "/crypto.html": join(HERE, "chromium/crypto.html"),
      "/crypto.js": join(HERE, "chromium/crypto.js"),
      "/crypto-compare.js": join(HERE, "crypto-compare.js"),
      "/openpgp.mjs": join(HERE, "node_modules/openpgp/dist/openpgp.min.mjs"),
      "/input": input,
      "/sdk/": { dir: pkgWebDir, allow: ["tee_rex_sdk.js", "tee_rex_sdk_bg.wasm"] },
    });
    const { value, blockedRequests } = await withChromium(`${pages.origin}/crypto.html`, (page) =>
      page.evaluate((a) => window.teeRexBench.crypto(a), args),
    );
    return {
      browser: "chromium",
      ...shapeCrypto(value, { rounds, wasmBytes: statSync(join(pkgWebDir, "tee_rex_sdk_bg.wasm")).size, blockedRequests }),
    };
  } finally {
    await pages?.close();
    await server.stop?.();
  }
}

/** Starts the dev-attested server on a random loopback port, as run.mjs does. */
async function startDevServer() {
  const work = mkdtempSync(join(tmpdir(), "tee-rex-bench-server-"));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const url = `http://127.0.0.1:${port}`;
  const root = join(work, "dev-root.pem");
  const jobs = join(work, "jobs");
  mkdirSync(jobs);
  const binary = join(DEFAULTS.bin, "tee-rex-server");
  if (!existsSync(binary)) throw new Error(`${binary} is missing: cargo build --release -p tee-rex-server`);
  const log = openSync(join(work, "server.log"), "w");
  const child = spawn(binary, [
    "--attestation", "dev", "--listen", `127.0.0.1:${port}`, "--bb", DEFAULTS.bb, "--bb-binary-sha-path", DEFAULTS.bbBinary,
    "--crs-dir", DEFAULTS.crsDir, "--dev-root-out", root, "--work-dir", jobs,
  ], { stdio: ["ignore", log, log] });
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((r) => (child.exitCode !== null ? r() : child.on("close", r)));
    }
    rmSync(work, { recursive: true, force: true });
  };
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) {
      const text = readFileSync(join(work, "server.log"), "utf8").slice(-500);
      await stop();
      throw new Error(`tee-rex-server exited: ${text}`);
    }
    try {
      if ((await fetch(`${url}/health`)).ok && existsSync(`${root}.pcrs.json`)) return { url, root, stop };
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  await stop();
  throw new Error("tee-rex-server never became healthy");
}

// --- CLI -----------------------------------------------------------------------------------------

async function main([mode, ...rest]) {
  const a = parseArgs(rest);
  const num = (x) => (x === undefined ? undefined : Number(x));
  let result;
  if (mode === "local") {
    result = await chromiumLocalProve({ input: a.input, crsDir: a.crsDir, threads: num(a.threads), runs: num(a.runs) });
  } else if (mode === "crypto") {
    result = await chromiumCrypto({ input: a.input, pkgWebDir: a.pkgWebDir, serverUrl: a.serverUrl, rootPem: a.rootPem, rounds: num(a.rounds) });
  } else {
    throw new Error("usage: node chromium.mjs local|crypto [--name value ...]");
  }
  process.stdout.write(JSON.stringify(result) + "\n");
  const blocked = (result.runs ?? [result]).some((r) => r.blockedRequests.length > 0);
  return blocked ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.error(`chromium.mjs: ${e?.message ?? e}`);
      process.exit(1);
    },
  );
}
