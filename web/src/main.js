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

/** Whether `mode` can be tried: the page does not pre-empt the SDK's own attestation check. */
function usable(mode) {
  if (mode === "local") return true;
  const status = statuses[mode];
  return status !== null && status.label !== "not configured" && status.label !== "unavailable";
}

function updateControls() {
  for (const radio of form.elements.mode) radio.disabled = running || !usable(radio.value);
  const mode = form.elements.mode.value;
  const upload = form.elements.input.value === "upload";
  const file = $("#upload").files[0];
  let why = "";
  if (running) why = "Proving…";
  else if (!mode) why = "Choose where to prove.";
  else if (!usable(mode)) why = `The ${mode === "tee" ? "TEE server" : "remote prover"} is ${statuses[mode]?.label ?? "being checked"}.`;
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
  const onPhase = (event) => timeline.phase(event);

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
      const url = mode === "tee" ? config.teeUrl : config.proverUrl;
      const options = { apiUrl: url, provingMode: mode, onPhase, timeoutMs: 600000 };
      const attestation = attestationOptions();
      if (attestation) options.attestation = attestation;
      if (mode === "remote") options.allowUnattested = true;
      const out = await prove(steps.bytes, options);
      proof = out.proof;
      extra = out.attested ? "attested server" : "unattested server";
    }
    timeline.finish(Date.now());
    const digest = toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", proof)));
    showSuccess(result, { proof, digest, extra, input: steps.name });
    runs.set(mode, { phases: timeline.durations(), outcome: "proof" });
  } catch (e) {
    timeline.finish(Date.now(), true);
    const code = e?.code ?? "INTERNAL";
    showError(result, code, e?.message ?? String(e), mode);
    runs.set(mode, { phases: timeline.durations(), outcome: code });
  } finally {
    running = false;
    updateControls();
    renderComparison();
    result.focus();
  }
}

function showSuccess(el, { proof, digest, extra, input }) {
  el.className = "result ok";
  el.replaceChildren(
    h("h3", {}, "Proof ready"),
    dl([
      ["Input", input],
      ["Proof size", `${proof.length.toLocaleString("en")} bytes`],
      ["SHA-256", digest],
      ["Prover", extra],
    ]),
  );
  el.dataset.outcome = "proof";
}

function showError(el, code, message, mode) {
  const selfCheck = code === "PROOF_SELF_CHECK_FAILED";
  el.className = selfCheck ? "result expected" : "result error";
  el.dataset.outcome = code;
  const title = selfCheck ? "Pipeline worked; the test CRS made bb reject the final proof" : "No proof";
  const refused = ["tee", "remote"].includes(mode) && isRefusal(code);
  el.replaceChildren(
    h("h3", {}, title),
    h("p", {}, h("code", { class: "code" }, code), " ", explain(code)),
    refused ? h("p", {}, "Nothing was sent to the server: the SDK refused it before encrypting the steps.") : "",
    h("details", {}, h("summary", {}, "Message"), h("pre", {}, message)),
  );
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
  return { local: "Local (bb.js)", remote: "Remote", tee: "TEE" }[mode] ?? mode;
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
