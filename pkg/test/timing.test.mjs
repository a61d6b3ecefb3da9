// `serverTiming` on prove's result and errors, against a loopback server that answers like
// tee-rex-server does in remote mode: an unattested OpenPGP key (made by openpgp.js), and /prove
// answers carrying the server's `Server-Timing` header. The server really decrypts what the SDK
// sent, so the answers follow a real round trip.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, test } from "node:test";

import { prove } from "@alejoamiras/tee-rex";
import * as openpgp from "openpgp";

import { msgpackSteps } from "./dev-server.mjs";

let server;
let apiUrl;
let privateKey;
/** What the next /prove answers: status, headers and JSON body. */
let answer;
const decrypted = [];

before(async () => {
  const keys = await openpgp.generateKey({
    type: "curve25519",
    userIDs: [{ name: "tee-rex timing", email: "timing@tee-rex.invalid" }],
    format: "object",
  });
  privateKey = keys.privateKey;
  const armored = keys.publicKey.armor();
  server = createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    res.setHeader("content-type", "application/json");
    if (req.url.startsWith("/attestation")) {
      res.end(JSON.stringify({ mode: "standard", publicKey: armored }));
      return;
    }
    const { data } = await openpgp.decrypt({
      message: await openpgp.readMessage({ binaryMessage: Buffer.concat(chunks) }),
      decryptionKeys: privateKey,
      format: "binary",
      expectSigned: false,
    });
    decrypted.push(data);
    res.statusCode = answer.status;
    for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
    res.end(JSON.stringify(answer.body));
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  apiUrl = `http://127.0.0.1:${server.address().port}`;
});

after(() => server?.close());

const options = () => ({ apiUrl, provingMode: "remote", allowUnattested: true });

function proofAnswer(headers) {
  const proof = new Uint8Array(4 + 32);
  proof[3] = 1;
  return { status: 200, headers, body: { proof: Buffer.from(proof).toString("base64") } };
}

function errorAnswer(status, code, headers) {
  return { status, headers, body: { error: { code, message: "test" }, requestId: "req-1" } };
}

const SERVER_TIMING = "upload;dur=1.5, decrypt;dur=3.3, parse;dur=0.01, queue;dur=0, prove;dur=13673.25";

test("a proof resolves with the server's phases in milliseconds", async () => {
  answer = proofAnswer({ "server-timing": SERVER_TIMING, "x-prove-duration-ms": "13673" });
  const result = await prove(msgpackSteps(), options());
  assert.equal(decrypted.length, 1, "the server decrypted the steps");
  assert.deepEqual(result.serverTiming, {
    uploadMs: 1.5,
    decryptMs: 3.3,
    parseMs: 0.01,
    queueMs: 0,
    proveMs: 13673.25,
  });
  assert.equal(result.proveDurationMs, 13673);
  assert.equal(result.attested, false);
});

test("without x-prove-duration-ms, Server-Timing's prove gives the duration and the phase", async () => {
  answer = proofAnswer({ "server-timing": "queue;dur=2, prove;dur=1500.4" });
  const events = [];
  const result = await prove(msgpackSteps(), { ...options(), onPhase: (e) => events.push(e) });
  assert.equal(result.proveDurationMs, 1500);
  assert.deepEqual(result.serverTiming, { queueMs: 2, proveMs: 1500.4 });
  const proved = events.find((e) => e.phase === "proved");
  assert.equal(proved?.durationMs, 1500, JSON.stringify(events));
});

test("a server error carries serverTiming when the answer did", async () => {
  answer = errorAnswer(503, "QUEUE_FULL", { "server-timing": "upload;dur=7, decrypt;dur=2.5, parse;dur=0.1" });
  const full = await prove(msgpackSteps(), options()).then(() => assert.fail("did not reject"), (e) => e);
  assert.equal(full.name, "TeeRexError");
  assert.equal(full.code, "QUEUE_FULL");
  assert.deepEqual(full.serverTiming, { uploadMs: 7, decryptMs: 2.5, parseMs: 0.1 });

  answer = errorAnswer(422, "NO_STEPS", {});
  const early = await prove(msgpackSteps(), options()).then(() => assert.fail("did not reject"), (e) => e);
  assert.equal(early.code, "NO_STEPS");
  assert.equal("serverTiming" in early, false);
});

test("a malformed Server-Timing is left out, never an error", async () => {
  for (const bad of ["prove;dur=NaN", "prove;dur=-1", "prove;dur=1, prove;dur=2", "prove;dur=1e3", "upload;dur=1,,"]) {
    answer = proofAnswer({ "server-timing": bad, "x-prove-duration-ms": "9" });
    const result = await prove(msgpackSteps(), options());
    assert.equal(result.serverTiming, undefined, bad);
    assert.equal(result.proveDurationMs, 9);
  }
});
