// What a browser downloads for the SDK's job: the wasm SDK (`_bg.wasm` plus its JS glue) against
// the TypeScript SDK's runtime dependencies (openpgp, @peculiar/x509, cbor-x, ky, zod), each JS
// side bundled and minified by esbuild the same way (ESM, browser, tree-shaken). Sizes raw and
// gzip -9. Prints one JSON line on stdout.
//
//   node size.mjs <pkg-dir> <work-dir>

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";

import { build } from "esbuild";

const [pkgDir, workDir] = process.argv.slice(2).map((p) => resolve(p));
mkdirSync(workDir, { recursive: true });

const sizes = (bytes) => ({ raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length });

async function bundle(name, source) {
  const entry = join(workDir, `${name}.entry.mjs`);
  writeFileSync(entry, source);
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent",
    // Resolve the TypeScript SDK's dependencies from this harness's node_modules.
    nodePaths: [join(import.meta.dirname, "node_modules")],
    absWorkingDir: workDir,
  });
  return sizes(result.outputFiles[0].contents);
}

// The calls the TypeScript SDK makes: read the key, encrypt; parse and check the certificate chain;
// decode CBOR; HTTP; validate responses.
const tsDeps = {
  openpgp: `import { readKey, createMessage, encrypt } from "openpgp"; export { readKey, createMessage, encrypt };`,
  "@peculiar/x509": `import { X509Certificate, X509ChainBuilder } from "@peculiar/x509"; export { X509Certificate, X509ChainBuilder };`,
  "cbor-x": `import { decode } from "cbor-x"; export { decode };`,
  ky: `import ky from "ky"; export { ky };`,
  zod: `import { z } from "zod"; export { z };`,
};
const perDependency = {};
for (const [name, source] of Object.entries(tsDeps)) {
  perDependency[name] = await bundle(name.replace(/\W/g, "_"), source);
}
const tsAll = await bundle("ts-sdk-deps", Object.values(tsDeps).join("\n"));

const wasm = readFileSync(join(pkgDir, "dist/web/tee_rex_sdk_bg.wasm"));
// Which build this is: scripts/build-wasm.sh writes its flags and final size to dist/size.txt; a
// test build (other flags, no wasm-opt) may have replaced the wasm since.
let wasmBuild = null;
try {
  const text = readFileSync(join(pkgDir, "dist/size.txt"), "utf8");
  const finalRaw = Number(text.match(/^final\s+\S+\s+raw (\d+)/m)?.[1]);
  wasmBuild = { describedAs: text.split("\n")[0], sizeTxtFinalRaw: finalRaw, matchesSizeTxt: finalRaw === wasm.length };
} catch {
  // No size.txt: the build is not described.
}
const glue = await bundle("wasm-glue", `export * from ${JSON.stringify(join(pkgDir, "dist/web/tee_rex_sdk.js"))};`);
const wasmSizes = sizes(wasm);

process.stdout.write(JSON.stringify({
  wasmSdk: {
    build: wasmBuild,
    bgWasm: wasmSizes,
    glueJs: glue,
    total: { raw: wasmSizes.raw + glue.raw, gzip: wasmSizes.gzip + glue.gzip },
  },
  tsSdkDeps: { perDependency, bundled: tsAll },
}) + "\n");
