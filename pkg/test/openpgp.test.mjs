// An independent implementation agrees with ours: openpgp.js 6 (what the TypeScript SDK uses)
// generates a curve25519 key, the package's `encrypt` encrypts to its public key, openpgp.js
// decrypts. Both AES-GCM paths: WebCrypto (Node's crypto.subtle) and the software fallback a page
// without crypto.subtle gets.
import assert from "node:assert/strict";
import { test } from "node:test";

import { encrypt } from "@alejoamiras/tee-rex";
import * as openpgp from "openpgp";

const CHUNK = 256 * 1024;
const pattern = (len) => Uint8Array.from({ length: len }, (_, i) => i % 251);

async function generateKey() {
  const { privateKey, publicKey } = await openpgp.generateKey({
    type: "curve25519",
    userIDs: [{ name: "tee-rex interop", email: "interop@tee-rex.invalid" }],
    format: "object",
  });
  // The binary public key, as verifyAttestation hands it over.
  return { privateKey, publicKeyBytes: publicKey.write() };
}

async function openpgpDecrypt(privateKey, message) {
  const { data } = await openpgp.decrypt({
    message: await openpgp.readMessage({ binaryMessage: message }),
    decryptionKeys: privateKey,
    format: "binary",
    expectSigned: false,
  });
  return data;
}

/** The packets openpgp.js reads: PKESK v6 and SEIPD v2 AES-256 GCM with 256 KiB chunks. */
async function seipdOf(message) {
  const parsed = await openpgp.readMessage({ binaryMessage: message });
  const tags = Array.from(parsed.packets, (p) => p.constructor.tag);
  const { publicKeyEncryptedSessionKey, symEncryptedIntegrityProtectedData } = openpgp.enums.packet;
  assert.deepEqual(tags, [publicKeyEncryptedSessionKey, symEncryptedIntegrityProtectedData]);
  assert.equal(parsed.packets[0].version, 6);
  return parsed.packets[1];
}

test("openpgp.js decrypts what encrypt wrote through WebCrypto", { timeout: 120_000 }, async () => {
  assert.equal(typeof globalThis.crypto?.subtle?.encrypt, "function", "Node has WebCrypto");
  const { privateKey, publicKeyBytes } = await generateKey();

  for (const len of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 17]) {
    const plaintext = pattern(len);
    const message = await encrypt(publicKeyBytes, plaintext);
    assert.ok(message instanceof Uint8Array);
    const seipd = await seipdOf(message);
    assert.equal(seipd.version, 2);
    assert.equal(seipd.cipherAlgorithm, openpgp.enums.symmetric.aes256);
    assert.equal(seipd.aeadAlgorithm, openpgp.enums.aead.gcm);
    assert.equal(seipd.chunkSizeByte, 12);
    assert.deepEqual(await openpgpDecrypt(privateKey, message), plaintext, `length ${len}`);
  }
});

test("openpgp.js refuses a tampered message and accepts the untouched one", async () => {
  const { privateKey, publicKeyBytes } = await generateKey();
  const message = await encrypt(publicKeyBytes, pattern(CHUNK + 5));
  assert.equal((await openpgpDecrypt(privateKey, message)).length, CHUNK + 5);
  for (const at of [message.length - 1, message.length - 17, message.length - 40_000]) {
    const tampered = message.slice();
    tampered[at] ^= 1;
    await assert.rejects(openpgpDecrypt(privateKey, tampered), `flipped byte at ${at} accepted`);
  }
});

test("without crypto.subtle (an insecure page) the software fallback's output decrypts too", async () => {
  const { privateKey, publicKeyBytes } = await generateKey();
  const plaintext = pattern(2 * CHUNK + 3);
  const original = Object.getOwnPropertyDescriptor(globalThis.crypto, "subtle");
  Object.defineProperty(globalThis.crypto, "subtle", { value: undefined, configurable: true });
  let message;
  try {
    assert.equal(globalThis.crypto.subtle, undefined);
    message = await encrypt(publicKeyBytes, plaintext);
  } finally {
    if (original) Object.defineProperty(globalThis.crypto, "subtle", original);
    else delete globalThis.crypto.subtle;
  }
  assert.equal(typeof globalThis.crypto.subtle.encrypt, "function", "restored");
  assert.deepEqual(await openpgpDecrypt(privateKey, message), plaintext);
});
