// The measuring loop shared by the Node (crypto-wasm.mjs) and Chromium (chromium/crypto.js)
// halves of the SDK-cryptography benchmark: attestation verification of one document, then
// encryption of each payload by the wasm SDK and by openpgp.js, alternating who goes first so
// drift (thermal, GC) cancels. Plain ESM with no platform imports, so both can load it. Returns
// raw timings; shapeCrypto in chromium.mjs turns them into medians.

/**
 * @param {object} a
 * @param {object} a.sdk       the wasm SDK's exports (verifyAttestation, encrypt)
 * @param {object} a.openpgp   openpgp.js 6
 * @param {Uint8Array} a.document  an attestation document
 * @param {object} a.options   verifyAttestation options for it
 * @param {Record<string, Uint8Array>} a.payloads
 * @param {number} a.rounds
 */
export async function compareCrypto({ sdk, openpgp, document, options, payloads, rounds }) {
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

  const encryptors = {
    wasm: (bytes) => sdk.encrypt(publicKey, bytes),
    openpgpjs: async (bytes) =>
      openpgp.encrypt({ message: await openpgp.createMessage({ binary: bytes }), encryptionKeys: pgpKey, format: "binary" }),
  };
  const encrypt = {};
  for (const [name, bytes] of Object.entries(payloads)) {
    const times = { wasm: [], openpgpjs: [] };
    const ciphertextBytes = {};
    // Warm-up: JIT for openpgp.js, first-call allocation growth for wasm.
    for (const [who, fn] of Object.entries(encryptors)) ciphertextBytes[who] = (await fn(bytes)).length;
    for (let i = 0; i < rounds; i++) {
      const order = i % 2 ? ["openpgpjs", "wasm"] : ["wasm", "openpgpjs"];
      for (const who of order) {
        const t = performance.now();
        await encryptors[who](bytes);
        times[who].push(performance.now() - t);
      }
    }
    encrypt[name] = { bytes: bytes.length, times, ciphertextBytes };
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
