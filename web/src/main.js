// The demo page: server panel, proving in three modes, live timeline, result and comparison.

import { prove } from "@alejoamiras/tee-rex";
import fixtureUrl from "../../testdata/aztec/ivc-deploy-schnorr.msgpack?url";

import { renderChart } from "./chart.js";
import { attestationOptions, config } from "./config.js";
import { explain } from "./explain.js";
import { localThreads, proveLocally } from "./local.js";
import { dl, h } from "./dom.js";
import { checkServer, toHex } from "./servers.js";
import { renderServer } from "./panel.js";
import { Timeline } from "./timeline.js";

const $ = (selector, root = document) => root.querySelector(selector);
const form = $("#prove-form");
const proveButton = $("#prove");
const hint = $("#prove-hint");
const fallbackSwitch = $("#fallback");

/**
 * The one SDK code that means the server did not answer (connection refused, reset or timed out):
 * the only failure the local fallback covers. Attestation and policy failures are refusals, and
 * a server that answered with an error is not unreachable either.
 */
const UNREACHABLE = "TRANSPORT_FAILED";

/** Latest status of each server, by mode. */
const statuses = { tee: null, remote: null };
/** Last run of each mode, for the comparison chart. */
const runs = new Map();
let running = false;

$("#insecure-root").hidden = !config.insecureRootPem;
$('[data-role="local-note"]').textContent =
  localThreads() > 1 ? `(${localThreads()} threads)` : "(one thread: the page is not cross-origin isolated)";

async function checkServers() {
  $("#recheck").disabled = true;
  const [tee, remote] = await Promise.all([checkServer(config.teeUrl), checkServer(config.proverUrl)]);
  statuses.tee = tee;
  statuses.remote = remote;
  renderServer($("#server-tee"), config.teeUrl, tee);
  renderServer($("#server-remote"), config.proverUrl, remote);
  $('[data-role="tee-label"]').textContent = tee.label;
  $('[data-role="remote-label"]').textContent = remote.label;
  for (const [mode, status] of Object.entries(statuses)) {
    $(`[data-role="${mode}-label"]`).dataset.label = status.label;
  }
  $("#recheck").disabled = false;
  updateControls();
}

/**
 * Whether `mode` can be tried: the page does not pre-empt the SDK's own attestation check. A
 * server the panel found unavailable can be tried when the local fallback is allowed.
 */
function usable(mode) {
  if (mode === "local") return true;
  const status = statuses[mode];
  if (status === null || status.label === "not configured") return false;
  return status.label !== "unavailable" || fallbackSwitch.checked;
}

function updateControls() {
  for (const radio of form.elements.mode) radio.disabled = running || !usable(radio.value);
  fallbackSwitch.disabled = running;
  const mode = form.elements.mode.value;
  const upload = form.elements.input.value === "upload";
  const file = $("#upload").files[0];
  let why = "";
  if (running) why = "Proving…";
  else if (!mode) why = "Choose where to prove.";
  else if (!usable(mode)) {
    const label = statuses[mode]?.label ?? "being checked";
    why = `The ${serverName(mode)} is ${label}.`;
    if (label === "unavailable") why += " Allow proving in this browser when it cannot be reached to try it anyway.";
  }
  else if (upload && !file) why = "Choose an ivc-inputs.msgpack file.";
  proveButton.disabled = why !== "";
  hint.textContent = why;
}

async function readSteps() {
  if (form.elements.input.value === "upload") {
    const file = $("#upload").files[0];
    return { name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) };
  }
  const response = await fetch(fixtureUrl);
  if (!response.ok) throw Object.assign(new Error(`HTTP ${response.status}`), { code: "FIXTURE_UNAVAILABLE" });
  return { name: "Schnorr account deployment", bytes: new Uint8Array(await response.arrayBuffer()) };
}

async function run(mode) {
  running = true;
  updateControls();
  const section = $("#run");
  section.hidden = false;
  $("#run-mode").textContent = `(${modeName(mode)})`;
  const timeline = new Timeline($("#timeline"));
  const result = $("#result");
  result.className = "result";
  result.textContent = "Running…";
  delete result.dataset.outcome;
  delete result.dataset.fallback;
  const onPhase = (event) => timeline.phase(event);
  // Read once: toggling the switch during a run changes nothing about that run.
  const fallbackAllowed = mode !== "local" && fallbackSwitch.checked;
  let fellBack = null;

  try {
    onPhase({ phase: "read-steps", atMs: Date.now() });
    const steps = await readSteps();
    let proof;
    let extra = "";
    if (mode === "local") {
      const out = await proveLocally(steps.bytes, onPhase);
      proof = out.proof;
      extra = `bb.js, ${out.threads} thread${out.threads === 1 ? "" : "s"}`;
    } else {
      try {
        const out = await prove(steps.bytes, serverOptions(mode, onPhase));
        proof = out.proof;
        extra = out.attested ? "attested server" : "unattested server";
      } catch (e) {
        if (!fallbackAllowed || e?.code !== UNREACHABLE) throw e;
        fellBack = { mode, code: e.code };
        onPhase({ phase: "fallback", atMs: Date.now(), reason: e.code });
        $("#run-mode").textContent = `(${modeName(mode)}: server unreachable, proved locally)`;
        const out = await proveLocally(steps.bytes, onPhase);
        proof = out.proof;
        extra = `bb.js in this page, ${out.threads} thread${out.threads === 1 ? "" : "s"} (local fallback, not the ${serverName(mode)})`;
      }
    }
    timeline.finish(Date.now());
    const digest = toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", proof)));
    showSuccess(result, { proof, digest, extra, input: steps.name, fellBack });
    runs.set(fellBack ? "fallback" : mode, { phases: timeline.durations(), outcome: "proof" });
  } catch (e) {
    timeline.finish(Date.now(), true);
    const code = e?.code ?? "INTERNAL";
    showError(result, code, e?.message ?? String(e), { mode, fellBack, fallbackAllowed });
    runs.set(fellBack ? "fallback" : mode, { phases: timeline.durations(), outcome: code });
  } finally {
    running = false;
    updateControls();
    renderComparison();
    result.focus();
  }
}

/** The SDK's options for proving on the server of `mode` ("tee" or "remote"). */
function serverOptions(mode, onPhase) {
  const url = mode === "tee" ? config.teeUrl : config.proverUrl;
  const options = { apiUrl: url, provingMode: mode, onPhase, timeoutMs: 600000 };
  const attestation = attestationOptions();
  if (attestation) options.attestation = attestation;
  if (mode === "remote") options.allowUnattested = true;
  return options;
}

function showSuccess(el, { proof, digest, extra, input, fellBack }) {
  el.className = "result ok";
  el.replaceChildren(
    h("h3", {}, fellBack ? "Proof ready, made locally (fallback)" : "Proof ready"),
    fallbackNote(fellBack),
    dl([
      ["Input", input],
      ["Proof size", `${proof.length.toLocaleString("en")} bytes`],
      ["SHA-256", digest],
      ["Prover", extra],
    ]),
  );
  markFallback(el, fellBack);
  el.dataset.outcome = "proof";
}

function showError(el, code, message, { mode, fellBack, fallbackAllowed }) {
  const selfCheck = code === "PROOF_SELF_CHECK_FAILED";
  el.className = selfCheck ? "result expected" : "result error";
  el.dataset.outcome = code;
  markFallback(el, fellBack);
  const title = selfCheck
    ? `Pipeline worked; the test CRS made ${fellBack ? "bb.js" : "bb"} reject the final proof`
    : "No proof";
  // After a fallback the error is local proving's: the server was never the one refusing.
  const server = ["tee", "remote"].includes(mode) && !fellBack;
  const refused = server && isRefusal(code);
  let why = "";
  if (refused && fallbackAllowed) {
    why = "Not proved locally either: the fallback is only for a server that cannot be reached, never for one that fails a check.";
  } else if (server && code === UNREACHABLE && !fallbackAllowed) {
    why = "Nothing was proved locally: the switch to prove in this browser when the server cannot be reached is off.";
  }
  el.replaceChildren(
    h("h3", {}, title),
    fallbackNote(fellBack),
    h("p", {}, h("code", { class: "code" }, code), " ", explain(code)),
    refused ? h("p", {}, "Nothing was sent to the server: the SDK refused it before encrypting the steps.") : "",
    why ? h("p", { "data-role": "no-fallback" }, why) : "",
    h("details", {}, h("summary", {}, "Message"), h("pre", {}, message)),
  );
}

/** Records on the result whether (and why) the run fell back to local proving. */
function markFallback(el, fellBack) {
  if (fellBack) el.dataset.fallback = fellBack.code;
  else delete el.dataset.fallback;
}

/** The plain statement that a run was proved locally, not on the server it was meant for. */
function fallbackNote(fellBack) {
  if (!fellBack) return "";
  return h("p", { class: "fallback", "data-role": "fallback" },
    h("strong", {}, "Local fallback. "),
    `The ${serverName(fellBack.mode)} could not be reached (`, h("code", { class: "code" }, fellBack.code),
    "), so bb.js proved in this page instead. ",
    fellBack.mode === "tee" ? "This is not a TEE proof: no enclave was involved." : "The remote prover was not involved.");
}

function serverName(mode) {
  return mode === "tee" ? "TEE server" : "remote prover";
}

/** Codes the SDK raises before any proving request is sent. */
function isRefusal(code) {
  return !["PROOF_SELF_CHECK_FAILED", "PROVER_FAILED", "PROVE_TIMEOUT", "QUEUE_FULL", "DECRYPT_FAILED",
    "PAYLOAD_TOO_LARGE", "INTERNAL", "TRANSPORT_FAILED", "HTTP_ERROR", "INVALID_RESPONSE"].includes(code);
}

function renderComparison() {
  const section = $("#compare");
  section.hidden = runs.size < 2;
  if (runs.size >= 2) renderChart($("#chart"), runs, modeName);
}

function modeName(mode) {
  return { local: "Local (bb.js)", remote: "Remote", tee: "TEE", fallback: "Local fallback" }[mode] ?? mode;
}

form.addEventListener("change", updateControls);
form.addEventListener("submit", (event) => {
  event.preventDefault();
  if (!proveButton.disabled) run(form.elements.mode.value);
});
$("#upload").addEventListener("change", () => {
  form.elements.input.value = "upload";
  updateControls();
});
$("#recheck").addEventListener("click", checkServers);
$("#result").tabIndex = -1;

checkServers();
