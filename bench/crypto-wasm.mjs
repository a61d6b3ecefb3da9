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

import { median, round } from "./lib.mjs";

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
const verified = sdk.verifyAttestation(document, options);
const publicKey = verified.publicKey;
const pgpKey = await openpgp.readKey({ binaryKey: publicKey });

// Attestation verification: a warm-up, then timed calls.
const verifyMs = [];
for (let i = 0; i < 3; i++) sdk.verifyAttestation(document, options);
for (let i = 0; i < Math.max(20, rounds * 4); i++) {
  const t = performance.now();
  sdk.verifyAttestation(document, options);
  verifyMs.push(performance.now() - t);
}

const large = new Uint8Array(16 * 1024 * 1024);
for (let off = 0; off < large.length; off += 65536) randomFillSync(large, off, 65536);
const payloads = { fixture: new Uint8Array(readFileSync(input)), "16MiB": large };

const encryptors = {
  wasm: async (bytes) => await sdk.encrypt(publicKey, bytes),
  openpgpjs: async (bytes) =>
    openpgp.encrypt({ message: await openpgp.createMessage({ binary: bytes }), encryptionKeys: pgpKey, format: "binary" }),
};

const encrypt = {};
for (const [name, bytes] of Object.entries(payloads)) {
  const times = { wasm: [], openpgpjs: [] };
  const sizes = {};
  // Warm-up: JIT for openpgp.js, first-call allocation growth for wasm.
  for (const [who, fn] of Object.entries(encryptors)) sizes[who] = (await fn(bytes)).length;
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 ? ["openpgpjs", "wasm"] : ["wasm", "openpgpjs"];
    for (const who of order) {
      const t = performance.now();
      await encryptors[who](bytes);
      times[who].push(performance.now() - t);
    }
  }
  const mib = bytes.length / 2 ** 20;
  encrypt[name] = {
    bytes: bytes.length,
    rounds,
    wasmMs: round(median(times.wasm), 2),
    openpgpjsMs: round(median(times.openpgpjs), 2),
    wasmMiBps: round(mib / (median(times.wasm) / 1000), 1),
    openpgpjsMiBps: round(mib / (median(times.openpgpjs) / 1000), 1),
    ratioWasmOverOpenpgpjs: round(median(times.wasm) / median(times.openpgpjs), 2),
    ciphertextBytes: sizes,
  };
}

// Which packet openpgp.js chose for this key: SEIPD version 1 (CFB + MDC) or 2 (AEAD).
const jsMessage = await openpgp.readMessage({
  binaryMessage: await encryptors.openpgpjs(payloads.fixture),
});
const seipd = jsMessage.packets.filterByTag(openpgp.enums.packet.symEncryptedIntegrityProtectedData)[0];

process.stdout.write(JSON.stringify({
  verifyAttestationMs: { median: round(median(verifyMs), 3), samples: verifyMs.length },
  encrypt,
  openpgpjs: {
    version: openpgp.config.versionString,
    seipdVersion: seipd?.version ?? null,
    aead: seipd?.aeadAlgorithm ? openpgp.enums.read(openpgp.enums.aead, seipd.aeadAlgorithm) : null,
  },
  wasmBytes: readFileSync(join(pkgDir, "dist/nodejs/tee_rex_sdk_bg.wasm")).length,
}) + "\n");
