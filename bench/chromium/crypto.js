// The wasm SDK's cryptography in headless Chromium against openpgp.js 6: the page half of
// chromiumCrypto in ../chromium.mjs, which serves the SDK's web build at /sdk/, openpgp.js's
// browser build at /openpgp.mjs and the fixture at /input, then calls
// `window.teeRexBench.crypto(...)` with a dev attestation document it fetched. Plain ESM, no
// bundling. Returns raw timings: the harness computes medians, as crypto-wasm.mjs does in Node.

import init, * as sdk from "/sdk/tee_rex_sdk.js";
import * as openpgp from "/openpgp.mjs";
import { compareCrypto } from "/crypto-compare.js";

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
  const large = new Uint8Array(LARGE_BYTES);
  // getRandomValues fills at most 64 KiB a call.
  for (let off = 0; off < large.length; off += 65536) self.crypto.getRandomValues(large.subarray(off, off + 65536));
  const response = await fetch("/input");
  if (!response.ok) throw new Error(`HTTP ${response.status} for /input`);
  const payloads = { fixture: new Uint8Array(await response.arrayBuffer()), "16MiB": large };

  return compareCrypto({ sdk, openpgp, document, options, payloads, rounds });
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
