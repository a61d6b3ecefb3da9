// Writes the fixed fuzzing key and the small generated seeds of the `steps` and `prove_request`
// targets. Run from the repository root (uses the openpgp.js installed for the server's tests):
//   node fuzz/seeds/make-seeds.mjs
// The key is a throw-away test key: it protects nothing and is committed on purpose.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../enclave-server/tests/js/', import.meta.url));
const openpgp = await import(require.resolve('openpgp'));

const fuzz = new URL('../', import.meta.url);
const out = (path) => new URL(path, fuzz);

// msgpack helpers: just what a proving-steps payload needs.
const str = (s) => {
  const b = Buffer.from(s);
  return b.length < 32 ? Buffer.concat([Buffer.from([0xa0 | b.length]), b])
    : Buffer.concat([Buffer.from([0xd9, b.length]), b]);
};
const bin = (b) => Buffer.concat([Buffer.from([0xc4, b.length]), b]);
const step = (name, bytecode, witness, vk) => Buffer.concat([
  Buffer.from([0x84]), str('functionName'), str(name), str('bytecode'), bin(bytecode),
  str('witness'), bin(witness), str('vk'), bin(vk),
]);
const steps = (...items) => Buffer.concat([Buffer.from([0x90 | items.length]), ...items]);

// A slice of the real fixture's bytes gives realistic binary field contents.
const fixture = await readFile(out('../testdata/aztec/ivc-deploy-schnorr.msgpack'));
const one = steps(step('app:main', Buffer.from([0x1f, 0x8b]), Buffer.from([0x1f, 0x8b]),
  Buffer.from([0, 1])));
const two = steps(
  step('private_kernel_init', fixture.subarray(100, 180), fixture.subarray(400, 464),
    fixture.subarray(1000, 1032)),
  step('private_kernel_tail', fixture.subarray(2000, 2040), fixture.subarray(3000, 3016),
    Buffer.alloc(8)),
);
const stepSeeds = {
  'one-step': one,
  'two-steps': two,
  'empty-array': Buffer.from([0x90]),
  'trailing-byte': Buffer.concat([one, Buffer.from([0])]),
  'fixture-head': fixture.subarray(0, 4096),
};
await mkdir(out('corpus/steps'), { recursive: true });
for (const [name, bytes] of Object.entries(stepSeeds)) {
  await writeFile(out(`corpus/steps/${name}.msgpack`), bytes);
}

// The fixed key and messages encrypted to it the way clients do (openpgp.js 6, SEIPDv2) and
// the legacy way (SEIPDv1), compressed and not, plus near misses.
const { privateKey, publicKey } = await openpgp.generateKey({
  type: 'curve25519', userIDs: [{ name: 'tee-rex fuzz test key' }], format: 'armored',
});
await writeFile(out('seeds/test-key.asc'), privateKey);
const encryptionKeys = await openpgp.readKey({ armoredKey: publicKey });
const encrypt = async (plain, config = {}) => Buffer.from(await openpgp.encrypt({
  message: await openpgp.createMessage({ binary: plain }), encryptionKeys, format: 'binary',
  config,
}));
const messages = {
  'one-step': await encrypt(one),
  'two-steps': await encrypt(two),
  'no-steps': await encrypt(Buffer.from([0x90])),
  'compressed': await encrypt(two, {
    preferredCompressionAlgorithm: openpgp.enums.compression.zlib,
  }),
  'seipd-v1': await encrypt(one, { aeadProtect: false }),
  'not-encrypted': Buffer.from(await openpgp.createMessage({ binary: one })
    .then((m) => m.write())),
};
// The fuzz input's first byte picks the framing: even = JSON, odd = binary.
await mkdir(out('corpus/prove_request'), { recursive: true });
for (const [name, bytes] of Object.entries(messages)) {
  await writeFile(out(`corpus/prove_request/${name}.bin`), Buffer.concat([Buffer.from([1]), bytes]));
  const json = JSON.stringify({ data: bytes.toString('base64') });
  await writeFile(out(`corpus/prove_request/${name}.json`), Buffer.concat([Buffer.from([0]),
    Buffer.from(json)]));
}
await writeFile(out('corpus/prove_request/bad-base64.json'), Buffer.from('\0{"data":"@@@"}'));
