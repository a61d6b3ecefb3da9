// Vite config for the tee-rex demo site.
//
// Build-time variables (read from the environment when `vite build` or `vite` runs):
//   TEE_URL                  the enclave server proving in "tee" mode (unset: "not configured")
//   PROVER_URL               the server proving in "remote" mode (unset: "not configured")
//   TEE_EXPECTED_PCRS_FILE   JSON file of the PCRs the enclave must have ({"0": "<hex>", ...}),
//                            e.g. the `<root>.pcrs.json` a dev server writes; or
//   TEE_EXPECTED_PCRS        the same JSON inline (a release's published PCRs)
//   TEE_INSECURE_ROOT_FILE   PEM root to trust instead of AWS's (a dev server's root). Insecure:
//                            for local demos and tests only; the page says so when it is set.
//   CRS_URL                  where the page fetches bb.js's CRS for local proving (files
//                            bn254_g1.dat, bn254_g2.dat, grumpkin_g1.flat.dat). Unset: bb.js
//                            downloads Aztec's CRS itself. `vite` (dev) defaults it to /crs/.
//   CRS_DIR                  dev/preview server only: folder served at /crs/ (default
//                            ../.cache/crs/insecure-test).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = path.dirname(fileURLToPath(import.meta.url));
const env = process.env;

const CRS_FILES = ["bn254_g1.dat", "bn254_g2.dat", "grumpkin_g1.flat.dat", "INSECURE_TEST_CRS"];
const crsDir = path.resolve(here, env.CRS_DIR ?? "../.cache/crs/insecure-test");
const serveCrs = fs.existsSync(path.join(crsDir, "bn254_g1.dat"));

function readJsonFile(file) {
  return file ? JSON.parse(fs.readFileSync(file, "utf8")) : null;
}

const siteConfig = (command) => ({
  teeUrl: env.TEE_URL || null,
  proverUrl: env.PROVER_URL || null,
  expectedPcrs: env.TEE_EXPECTED_PCRS
    ? JSON.parse(env.TEE_EXPECTED_PCRS)
    : readJsonFile(env.TEE_EXPECTED_PCRS_FILE),
  insecureRootPem: env.TEE_INSECURE_ROOT_FILE
    ? fs.readFileSync(env.TEE_INSECURE_ROOT_FILE, "utf8")
    : null,
  // A deployable build never points at /crs/ unless told to: S3 holds no CRS.
  crsUrl: env.CRS_URL || (command === "serve" && serveCrs ? "/crs/" : null),
});

for (const name of ["TEE_URL", "PROVER_URL"]) {
  const url = env[name];
  if (url && !/^https?:\/\//.test(url)) throw new Error(`${name} must be an http(s) URL: ${url}`);
}

// Cross-origin isolation lets bb.js use SharedArrayBuffer, so local proving runs threaded.
// The CloudFront response-headers policy in README.md sets the same two headers.
const isolationHeaders = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

/** Serves the CRS files from CRS_DIR at /crs/ on the dev and preview servers. */
function crsFiles() {
  const middleware = (req, res, next) => {
    const match = /^\/crs\/([^/?#]+)$/.exec(req.url ?? "");
    if (!match || !CRS_FILES.includes(match[1]) || !serveCrs) return next();
    const file = path.join(crsDir, match[1]);
    if (!fs.existsSync(file)) return next();
    const size = fs.statSync(file).size;
    res.setHeader("Content-Type", "application/octet-stream");
    res.setHeader("Content-Length", size);
    res.setHeader("Cross-Origin-Resource-Policy", "same-origin");
    for (const [k, v] of Object.entries(isolationHeaders)) res.setHeader(k, v);
    fs.createReadStream(file).pipe(res);
  };
  return {
    name: "tee-rex-crs-files",
    configureServer(server) {
      server.middlewares.use(middleware);
    },
    configurePreviewServer(server) {
      server.middlewares.use(middleware);
    },
  };
}

export default defineConfig(({ command }) => ({
  define: { __TEE_REX_CONFIG__: JSON.stringify(siteConfig(command)) },
  resolve: {
    alias: { "@alejoamiras/tee-rex": path.resolve(here, "../pkg/web.js") },
  },
  plugins: [crsFiles()],
  // bb.js starts its workers with `new URL(..., import.meta.url)`: pre-bundling would break that.
  optimizeDeps: { exclude: ["@aztec/bb.js", "@alejoamiras/tee-rex"] },
  worker: { format: "es" },
  build: { target: "es2022", outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 8000 },
  server: {
    host: "127.0.0.1",
    headers: isolationHeaders,
    fs: { allow: [here, path.resolve(here, "../pkg"), path.resolve(here, "../testdata")] },
  },
  preview: { host: "127.0.0.1", headers: isolationHeaders },
}));
