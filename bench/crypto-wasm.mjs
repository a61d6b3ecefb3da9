// The wasm SDK's cryptography in Node against openpgp.js 6, on the same payloads and the same key:
// encryption of the real proving steps and of 16 MiB, alternating wasm and openpgp.js so drift
// cancels, and attestation verification of a fresh document from the dev server. Prints one JSON
// line on stdout.
//
//   node crypto-wasm.mjs <pkg-dir> <server-url> <steps.msgpack> <dev-root.pem> <rounds>

import { randomFillSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

import * as openpgp from "openpgp";

import { shapeCrypto } from "./chromium.mjs";
import { compareCrypto } from "./crypto-compare.js";

const [pkgDir, apiUrl, input, rootPem, roundsArg] = process.argv.slice(2);
const rounds = Number(roundsArg ?? 5);
const sdk = await import(pathToFileURL(join(pkgDir, "node.js")).href);

// A fresh document and the key inside it, as the SDK would get them.
const nonce = new Uint8Array(32);
randomFillSync(nonce);
const nonceHex = Buffer.from(nonce).toString("hex");
const response = await fetch(`${apiUrl}/attestation?nonce=${nonceHex}`);
if (!response.ok) throw new Error(`GET /attestation: HTTP ${response.status}`);
const body = await response.json();
const document = Buffer.from(body.attestationDocument, "base64");
const pcrsFile = JSON.parse(readFileSync(`${rootPem}.pcrs.json`, "utf8"));
const options = {
  expectedPcrs: Object.fromEntries(Object.entries(pcrsFile).map(([k, v]) => [Number(k.replace(/^PCR/, "")), v])),
  insecureTrustedRootPem: readFileSync(rootPem, "utf8"),
  expectedNonce: nonce,
};
const large = new Uint8Array(16 * 1024 * 1024);
for (let off = 0; off < large.length; off += 65536) randomFillSync(large, off, 65536);
const payloads = { fixture: new Uint8Array(readFileSync(input)), "16MiB": large };

const raw = await compareCrypto({ sdk, openpgp, document, options, payloads, rounds });
const wasmBytes = readFileSync(join(pkgDir, "dist/nodejs/tee_rex_sdk_bg.wasm")).length;
const { blockedRequests: _, ...result } = shapeCrypto(raw, { rounds, wasmBytes });
process.stdout.write(JSON.stringify(result) + "\n");
