// The wasm SDK's cryptography in headless Chromium against openpgp.js 6: the page half of
// chromiumCrypto in ../chromium.mjs, which serves the SDK's web build at /sdk/, openpgp.js's
// browser build at /openpgp.mjs and the fixture at /input, then calls
// `window.teeRexBench.crypto(...)` with a dev attestation document it fetched. Plain ESM, no
// bundling. Returns raw timings: the harness computes medians, as crypto-wasm.mjs does in Node.

import init, * as sdk from "/sdk/tee_rex_sdk.js";
import * as openpgp from "/openpgp.mjs";

const LARGE_BYTES = 16 * 1024 * 1024;

async function benchCrypto({ documentBase64, rootPem, pcrs, nonceHex, rounds }) {
  if (!self.crossOriginIsolated) throw new Error("the page is not cross-origin isolated");
  await init({ module_or_path: new URL("/sdk/tee_rex_sdk_bg.wasm", location.href) });

  const document = fromBase64(documentBase64);
  const options = {
    expectedPcrs: Object.fromEntries(Object.entries(pcrs).map(([k, v]) => [Number(k.replace(/^PCR/, "")), v])),
    insecureTrustedRootPem: rootPem,
    expectedNonce: fromHex(nonceHex),
  };
  const publicKey = sdk.verifyAttestation(document, options).publicKey;
  const pgpKey = await openpgp.readKey({ binaryKey: publicKey });

  // Attestation verification: a warm-up, then timed calls.
  const verifyMs = [];
  for (let i = 0; i < 3; i++) sdk.verifyAttestation(document, options);
  for (let i = 0; i < Math.max(20, rounds * 4); i++) {
    const t = performance.now();
    sdk.verifyAttestation(document, options);
    verifyMs.push(performance.now() - t);
  }

  const large = new Uint8Array(LARGE_BYTES);
  // getRandomValues fills at most 64 KiB a call.
  for (let off = 0; off < large.length; off += 65536) self.crypto.getRandomValues(large.subarray(off, off + 65536));
  const response = await fetch("/input");
  if (!response.ok) throw new Error(`HTTP ${response.status} for /input`);
  const payloads = { fixture: new Uint8Array(await response.arrayBuffer()), "16MiB": large };

  // `encrypt` may return the ciphertext or a Promise of it, depending on the SDK build: await both.
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
      // Alternate who goes first so drift (thermal, GC) cancels.
      const order = i % 2 ? ["openpgpjs", "wasm"] : ["wasm", "openpgpjs"];
      for (const who of order) {
        const t = performance.now();
        await encryptors[who](bytes);
        times[who].push(performance.now() - t);
      }
    }
    encrypt[name] = { bytes: bytes.length, times, ciphertextBytes: sizes };
  }

  // Which packet openpgp.js chose for this key: SEIPD version 1 (CFB + MDC) or 2 (AEAD).
  const jsMessage = await openpgp.readMessage({ binaryMessage: await encryptors.openpgpjs(payloads.fixture) });
  const seipd = jsMessage.packets.filterByTag(openpgp.enums.packet.symEncryptedIntegrityProtectedData)[0];

  return {
    verifyMs,
    encrypt,
    openpgpjs: {
      version: openpgp.config.versionString,
      seipdVersion: seipd?.version ?? null,
      aead: seipd?.aeadAlgorithm ? openpgp.enums.read(openpgp.enums.aead, seipd.aeadAlgorithm) : null,
    },
  };
}

function fromBase64(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function fromHex(hex) {
  return new Uint8Array(hex.match(/../g).map((b) => parseInt(b, 16)));
}

window.teeRexBench = { crypto: benchCrypto };
