// Remote proving through the npm package (@alejoamiras/tee-rex, wasm SDK) in Node: one proof of
// the fixture, timed by the SDK's own phase events. Prints one JSON line on stdout. Run by run.mjs
// in a fresh process per run, as the CLI is.
//
//   node remote-npm.mjs <pkg-dir> <server-url> <steps.msgpack> <dev-root.pem>

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [pkgDir, apiUrl, input, rootPem] = process.argv.slice(2);
const started = performance.now();
const startedAtMs = Date.now();
const { prove } = await import(pathToFileURL(join(pkgDir, "node.js")).href);
const loadedAtMs = Date.now();

const steps = readFileSync(input);
const pcrsFile = JSON.parse(readFileSync(`${rootPem}.pcrs.json`, "utf8"));
const expectedPcrs = Object.fromEntries(
  Object.entries(pcrsFile).map(([name, hex]) => [Number(name.replace(/^PCR/, "")), hex]),
);
const events = [];
let outcome = "proof";
try {
  await prove(steps, {
    apiUrl,
    provingMode: "tee",
    attestation: { expectedPcrs, insecureTrustedRootPem: readFileSync(rootPem, "utf8") },
    onPhase: (e) => events.push({ phase: e.phase, atMs: e.atMs }),
  });
} catch (e) {
  outcome = e?.code ?? "FAILED";
}
const endAtMs = Date.now();

// Each phase lasts until the next one begins; the last until prove settled.
const phases = {};
for (let i = 0; i < events.length; i++) {
  const end = i + 1 < events.length ? events[i + 1].atMs : endAtMs;
  phases[events[i].phase] = (phases[events[i].phase] ?? 0) + (end - events[i].atMs);
}
process.stdout.write(JSON.stringify({
  outcome,
  loadMs: loadedAtMs - startedAtMs,
  phases,
  proveCallMs: events.length ? endAtMs - events[0].atMs : null,
  totalMs: Math.round(performance.now() - started),
}) + "\n");
