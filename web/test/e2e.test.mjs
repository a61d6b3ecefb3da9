// End-to-end tests of the demo site in Debian's Chromium, driven by playwright-core.
//
// scripts/test-web.sh starts what these need and passes it in the environment:
//   SITE_URL           the site built against the dev-attested server (TEE_URL) and an
//                      unattested server (PROVER_URL)
//   TAMPERED_SITE_URL  the site built with TEE_URL pointing at PROXY_PORT
//   PROXY_PORT         where this test starts the tampering proxy; closed, it is the unreachable
//                      server of the local fallback tests
//   TEE_URL            the dev-attested server behind it
//   PCRS_FILE          the server's <root>.pcrs.json
//   ARTIFACTS          folder for screenshots
//   TEST_WEB_LOCAL     "0" skips the bb.js local proving run (several minutes on two cores)

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { chromium } from "playwright-core";

import { startTamperProxy } from "./tamper-proxy.mjs";

const env = process.env;
const ARTIFACTS = env.ARTIFACTS ?? "test-results";
const PCRS = JSON.parse(fs.readFileSync(env.PCRS_FILE, "utf8"));
const PROOF_TIMEOUT_MS = 15 * 60 * 1000;
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run"];

let context;
let proxy;
let userDataDir;

before(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tee-rex-web-chromium-"));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: FLAGS,
    viewport: { width: 1200, height: 900 },
  });
  proxy = await startTamperProxy(Number(env.PROXY_PORT), env.TEE_URL);
});

after(async () => {
  await context?.close();
  await proxy?.close();
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
});

/** Opens `url` in a new page and collects its console errors and uncaught exceptions. */
async function open(url) {
  const page = await context.newPage();
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(url);
  return { page, errors };
}

/**
 * Console errors other than Chromium's own line for an HTTP error response: a proving run that
 * ends in a server error code (PROOF_SELF_CHECK_FAILED is answered with an HTTP error) logs one.
 */
function unexpected(errors) {
  return errors.filter((e) => !/^Failed to load resource: the server responded with a status of [45]\d\d/.test(e));
}

/** Chromium's own console line for a request to a closed port, which an unreachable server causes. */
function unexpectedOffline(errors) {
  return unexpected(errors).filter((e) => !/^Failed to load resource: net::ERR_CONNECTION_REFUSED$/.test(e));
}

/** Runs `fn` with the proxy's port closed (connections refused), then starts the proxy again. */
async function withServerDown(fn) {
  await proxy.close();
  try {
    return await fn();
  } finally {
    proxy = await startTamperProxy(Number(env.PROXY_PORT), env.TEE_URL);
  }
}

/** Collects the page's requests for the CRS, which only local proving makes. */
function crsRequests(page) {
  const urls = [];
  page.on("request", (r) => { if (new URL(r.url()).pathname.startsWith("/crs/")) urls.push(r.url()); });
  return urls;
}

/** The timeline's rows as `{phase, failed, note}`. */
function timelineRows(page) {
  return page.locator("#timeline li").evaluateAll((lis) => lis.map((li) => ({
    phase: li.dataset.phase, failed: li.classList.contains("failed"), note: li.querySelector(".note").textContent,
  })));
}

async function shot(page, name, options = {}) {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true, ...options });
}

/** Waits until the server checks finish (the "Check again" button is enabled again). */
async function serversChecked(page) {
  await page.locator("#recheck").waitFor();
  await page.waitForFunction(() => !document.querySelector("#recheck").disabled, null, { timeout: 60000 });
}

async function runAndWait(page) {
  await page.locator("#prove").click();
  await page.waitForFunction(() => document.querySelector("#result")?.dataset.outcome,
    null, { timeout: PROOF_TIMEOUT_MS });
  return page.locator("#result").getAttribute("data-outcome");
}

describe("demo site", { concurrency: false }, () => {
  let main;

  test("the page ships its buttons disabled and loads with no console errors", async () => {
    const html = await (await fetch(env.SITE_URL)).text();
    const controls = html.match(/<(button|input type="radio" name="mode")[^>]*>/g);
    assert.ok(controls.length >= 5, "expected the buttons and mode radios in the HTML");
    for (const c of controls) assert.match(c, /\bdisabled\b/, `${c} must start disabled`);

    main = await open(env.SITE_URL);
    await serversChecked(main.page);
    const { page } = main;
    assert.equal(await page.evaluate(() => self.crossOriginIsolated), true, "COOP/COEP must isolate the page");

    const tee = page.locator("#server-tee");
    assert.equal(await tee.getAttribute("data-label"), "attested");
    const text = await tee.innerText();
    for (const i of [0, 1, 2]) assert.ok(text.includes(PCRS[`PCR${i}`]), `PCR${i} shown`);
    assert.match(text, /Module id\s+\S+/);
    assert.match(text, /Document age\s+\d/);
    assert.match(text, /Certificates\s+valid now; signing certificate \d{4}-\d\d-\d\dT[\d:]+Z to \d{4}-/);
    assert.match(text, /Nonce match\s+yes/);
    assert.match(text, /Prover\s+bb 4\.1\.2/);
    assert.match(text, /insecure test CRS/);

    const remote = page.locator("#server-remote");
    assert.equal(await remote.getAttribute("data-label"), "not attested");
    assert.match(await remote.innerText(), /NOT_ATTESTED/);

    assert.equal(await page.locator("#prove").isDisabled(), true, "no mode chosen yet");
    assert.deepEqual(main.errors, []);
    await shot(page, "01-loaded");
  });

  test("TEE mode proves the fixture and shows bb's self-check failure as the test-CRS outcome", async () => {
    const { page } = main;
    await page.locator('input[name="mode"][value="tee"]').check();
    assert.equal(await page.locator("#prove").isDisabled(), false);
    const outcome = await runAndWait(page);
    await shot(page, "02-tee-proved");
    assert.equal(outcome, "PROOF_SELF_CHECK_FAILED", await page.locator("#result").innerText());
    const result = await page.locator("#result").innerText();
    assert.match(result, /insecure test CRS/);
    const phases = await page.locator("#timeline li").evaluateAll((lis) =>
      lis.map((li) => [li.dataset.phase, li.querySelector(".duration").textContent]));
    const names = phases.map(([p]) => p);
    for (const p of ["read-steps", "fetch-attestation", "verify-attestation", "encrypt", "transmit"]) {
      assert.ok(names.includes(p), `phase ${p} in ${names}`);
    }
    for (const [p, d] of phases) assert.match(d, /^\d+(\.\d)? m?s$/, `${p} has a final duration`);
    // A server that answered with an error is not unreachable: no local fallback, switch or not.
    assert.ok(!names.includes("fallback"), `no fallback in ${names}`);
    assert.equal(await page.locator("#result").getAttribute("data-fallback"), null);
    assert.deepEqual(unexpected(main.errors), []);
  });

  test("remote mode proves the fixture on the unattested server it was allowed to use", async () => {
    const { page } = main;
    await page.locator('input[name="mode"][value="remote"]').check();
    const outcome = await runAndWait(page);
    assert.equal(outcome, "PROOF_SELF_CHECK_FAILED", await page.locator("#result").innerText());
    const names = await page.locator("#timeline li").evaluateAll((lis) => lis.map((li) => li.dataset.phase));
    assert.ok(names.includes("transmit"), `phases ${names}`);
    assert.ok(!names.includes("verify-attestation"), "an unattested server has nothing to verify");
    assert.ok(!names.includes("fallback") && !names.includes("decode"), `no local proving in ${names}`);
    assert.equal(await page.locator("#compare").isVisible(), true, "comparison after two modes");
    assert.deepEqual(unexpected(main.errors), []);
  });

  test("local mode proves the fixture with bb.js in the page, threaded", { skip: env.TEST_WEB_LOCAL === "0" }, async () => {
    const { page } = main;
    assert.equal(await page.evaluate(() => self.crossOriginIsolated && typeof SharedArrayBuffer), "function");
    const threads = await page.evaluate(() => navigator.hardwareConcurrency);
    if (threads > 1) assert.match(await page.locator('[data-role="local-note"]').innerText(), new RegExp(`${threads} threads`));
    await page.locator('input[name="mode"][value="local"]').check();
    const outcome = await runAndWait(page);
    await shot(page, "03-local-proved");
    const names = await page.locator("#timeline li").evaluateAll((lis) => lis.map((li) => li.dataset.phase));
    for (const p of ["decode", "load-crs", "init-bb", "proving"]) assert.ok(names.includes(p), `phase ${p} in ${names}`);
    // With the test CRS bb.js computes the proof and its own verification rejects it, as bb does.
    assert.equal(outcome, "PROOF_SELF_CHECK_FAILED", await page.locator("#result").innerText());
    assert.equal(await page.locator("#chart table tbody tr").count(), 3, "TEE, remote and local compared");
    assert.deepEqual(unexpected(main.errors), []);
  });

  test("a tampered attestation is shown as not attested and TEE mode refuses the server", async () => {
    const { page, errors } = await open(env.TAMPERED_SITE_URL);
    await serversChecked(page);
    const tee = page.locator("#server-tee");
    assert.equal(await tee.getAttribute("data-label"), "not attested");
    assert.match(await tee.innerText(), /SIGNATURE_INVALID/);
    assert.ok(proxy.stats.attestations >= 1, "the panel's document went through the proxy");

    await page.locator('input[name="mode"][value="tee"]').check();
    const before = proxy.stats.attestations;
    const outcome = await runAndWait(page);
    await shot(page, "04-tampered-refused");
    assert.equal(outcome, "SIGNATURE_INVALID");
    assert.ok(proxy.stats.attestations > before, "the SDK fetched its own document");
    assert.equal(proxy.stats.proves, 0, "no proving request was sent");
    assert.match(await page.locator("#result").innerText(), /Nothing was sent to the server/);
    assert.deepEqual(errors, []);
    await page.close();
  });

  test("with the local fallback allowed, a tampered attestation is still refused and nothing is proved locally", async () => {
    const { page, errors } = await open(env.TAMPERED_SITE_URL);
    const crs = crsRequests(page);
    await serversChecked(page);
    assert.equal(await page.locator("#server-tee").getAttribute("data-label"), "not attested");
    // The switch is reached with Tab and toggled with Space.
    assert.equal(await page.locator("#fallback").isChecked(), false, "the fallback is off by default");
    let id = "";
    for (let i = 0; i < 20 && id !== "fallback"; i++) {
      await page.keyboard.press("Tab");
      id = await page.evaluate(() => document.activeElement?.id ?? "");
    }
    assert.equal(id, "fallback", "the fallback switch is reachable with Tab");
    await page.keyboard.press("Space");
    assert.equal(await page.locator("#fallback").isChecked(), true);
    assert.match(await page.locator('label:has(#fallback)').innerText(),
      /If the server cannot be reached, prove locally in this browser/);

    await page.locator('input[name="mode"][value="tee"]').check();
    const outcome = await runAndWait(page);
    await shot(page, "06-tampered-refused-with-fallback");
    assert.equal(outcome, "SIGNATURE_INVALID", await page.locator("#result").innerText());
    assert.equal(await page.locator("#result").getAttribute("data-fallback"), null, "no fallback");
    const phases = (await timelineRows(page)).map((r) => r.phase);
    for (const p of ["fallback", "decode", "load-crs", "init-bb"]) assert.ok(!phases.includes(p), `no ${p} in ${phases}`);
    assert.deepEqual(crs, [], "local proving never started");
    assert.equal(proxy.stats.proves, 0, "no proving request was sent");
    const text = await page.locator("#result").innerText();
    assert.match(text, /Nothing was sent to the server/);
    assert.match(text, /fallback is only for a server that cannot be reached/);
    assert.doesNotMatch(text, /Local fallback/);
    assert.deepEqual(errors, []);
    await page.close();
  });

  test("with the local fallback off, an unreachable server's failure is shown and nothing is proved locally", async () => {
    const { page, errors } = await open(env.TAMPERED_SITE_URL);
    const crs = crsRequests(page);
    await serversChecked(page);
    await page.locator('input[name="mode"][value="tee"]').check();
    assert.equal(await page.locator("#fallback").isChecked(), false);
    const outcome = await withServerDown(() => runAndWait(page));
    await shot(page, "07-unreachable-no-fallback");
    assert.equal(outcome, "TRANSPORT_FAILED", await page.locator("#result").innerText());
    assert.equal(await page.locator("#result").getAttribute("data-fallback"), null);
    const text = await page.locator("#result").innerText();
    assert.match(text, /could not be reached/);
    assert.match(text, /Nothing was proved locally/);
    assert.doesNotMatch(text, /Local fallback/);
    const rows = await timelineRows(page);
    assert.deepEqual(rows.map((r) => r.phase), ["read-steps", "fetch-attestation"]);
    assert.equal(rows.at(-1).failed, true, "the attestation fetch is marked failed");
    assert.deepEqual(crs, [], "local proving never started");
    assert.deepEqual(unexpectedOffline(errors), []);
    await page.close();
  });

  test("with the local fallback on, an unreachable TEE server leads to bb.js in the page, labelled as a fallback",
    { skip: env.TEST_WEB_LOCAL === "0" }, async () => {
      await withServerDown(async () => {
        const { page, errors } = await open(env.TAMPERED_SITE_URL);
        const crs = crsRequests(page);
        await serversChecked(page);
        assert.equal(await page.locator("#server-tee").getAttribute("data-label"), "unavailable");
        const tee = page.locator('input[name="mode"][value="tee"]');
        assert.equal(await tee.isDisabled(), true, "an unavailable server cannot be chosen without the fallback");
        await page.locator("#fallback").check();
        assert.equal(await tee.isDisabled(), false, "the fallback makes the unavailable server worth trying");
        await tee.check();
        const outcome = await runAndWait(page);
        await shot(page, "08-unreachable-fell-back");
        const result = page.locator("#result");
        const text = await result.innerText();
        // With the test CRS bb.js computes the proof and its own verification rejects it.
        assert.equal(outcome, "PROOF_SELF_CHECK_FAILED", text);
        assert.equal(await result.getAttribute("data-fallback"), "TRANSPORT_FAILED");
        assert.match(text, /Local fallback\. The TEE server could not be reached \(TRANSPORT_FAILED/);
        assert.match(text, /This is not a TEE proof/);
        assert.match(await page.locator("#run-mode").innerText(), /TEE: server unreachable, proved locally/);
        const rows = await timelineRows(page);
        const phases = rows.map((r) => r.phase);
        assert.deepEqual(phases.slice(0, 3), ["read-steps", "fetch-attestation", "fallback"]);
        assert.equal(rows[1].failed, true, "the attestation fetch is marked failed");
        assert.match(rows[2].note, /TRANSPORT_FAILED: proving in this browser instead/);
        for (const p of ["decode", "load-crs", "init-bb", "proving"]) assert.ok(phases.includes(p), `phase ${p} in ${phases}`);
        for (const p of ["verify-attestation", "encrypt", "transmit"]) assert.ok(!phases.includes(p), `no ${p} in ${phases}`);
        assert.ok(crs.length >= 3, "local proving fetched the CRS");
        assert.deepEqual(unexpectedOffline(errors), []);
        await page.close();
      });
    });

  test("keyboard only: choose TEE mode, start a run and land on the result", async () => {
    const { page } = await open(env.TAMPERED_SITE_URL);
    await serversChecked(page);
    // Tab from the top until the first mode radio has focus.
    let focused = "";
    for (let i = 0; i < 20 && focused !== "mode"; i++) {
      await page.keyboard.press("Tab");
      focused = await page.evaluate(() => document.activeElement?.name ?? "");
    }
    assert.equal(focused, "mode", "a mode radio is reachable with Tab");
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert.notEqual(outline, "none", "the focused control shows a focus ring");
    // Arrows move through the enabled radios (the unconfigured remote one is skipped).
    for (let i = 0; i < 3 && (await page.evaluate(() => document.activeElement.value)) !== "tee"; i++) {
      await page.keyboard.press("ArrowDown");
    }
    assert.equal(await page.evaluate(() => document.activeElement.value), "tee");
    assert.equal(await page.locator('input[name="mode"][value="tee"]').isChecked(), true);

    let id = "";
    for (let i = 0; i < 10 && id !== "prove"; i++) {
      await page.keyboard.press("Tab");
      id = await page.evaluate(() => document.activeElement?.id ?? "");
    }
    assert.equal(id, "prove", "the Prove button is reachable with Tab");
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.querySelector("#result")?.dataset.outcome, null, { timeout: 60000 });
    assert.equal(await page.evaluate(() => document.activeElement?.id), "result", "focus moves to the result");
    await page.close();
  });

  test("at a phone's width nothing overflows and the controls stay usable", async () => {
    const { page } = main;
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(200);
    const overflow = await page.evaluate(() => document.scrollingElement.scrollWidth - window.innerWidth);
    const wide = await page.evaluate(() => [...document.querySelectorAll("body *")]
      .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
      .slice(-5).map((el) => `${el.tagName.toLowerCase()}.${el.className}#${el.id}`));
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen; too wide: ${wide.join(", ")}`);
    const box = await page.locator("#prove").boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 390 && box.height >= 44, "Prove button fits and is tappable");
    await shot(page, "05-phone");
    await page.setViewportSize({ width: 1200, height: 900 });
    await shot(page, "screenshot", { fullPage: true });
    assert.deepEqual(unexpected(main.errors), []);
  });

  test("an uploaded file that is not proving steps is refused before anything is proved", async () => {
    const { page } = main;
    await page.locator('input[name="mode"][value="tee"]').check();
    await page.locator("#upload").setInputFiles({
      name: "ivc-inputs.msgpack", mimeType: "application/octet-stream", buffer: Buffer.from([0x92, 0x01, 0x02]),
    });
    assert.equal(await page.locator('input[name="input"][value="upload"]').isChecked(), true);
    const outcome = await runAndWait(page);
    assert.equal(outcome, "INVALID_STEPS", await page.locator("#result").innerText());
    assert.match(await page.locator("#result").innerText(), /not a list of Aztec proving steps/);
    assert.deepEqual(unexpected(main.errors), []);
  });
});
