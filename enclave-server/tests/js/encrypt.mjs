// Encrypts a file to an armored public key the way the TypeScript tee-rex SDK does
// (openpgp.js 6, binary output) and reports which encrypted-data packet version it chose.
//   node encrypt.mjs KEY.asc PLAINTEXT OUT.pgp   -> prints {"seipdVersion": N} on stdout
import { readFile, writeFile } from 'node:fs/promises';
import * as openpgp from 'openpgp';

const [keyPath, plaintextPath, outPath] = process.argv.slice(2);
const encryptionKeys = await openpgp.readKey({ armoredKey: await readFile(keyPath, 'utf8') });
const message = await openpgp.createMessage({ binary: new Uint8Array(await readFile(plaintextPath)) });
const encrypted = await openpgp.encrypt({ message, encryptionKeys, format: 'binary' });
await writeFile(outPath, encrypted);

const parsed = await openpgp.readMessage({ binaryMessage: encrypted });
const seipd = parsed.packets.filterByTag(openpgp.enums.packet.symEncryptedIntegrityProtectedData);
console.log(JSON.stringify({ seipdVersion: seipd.length === 1 ? seipd[0].version : null }));
