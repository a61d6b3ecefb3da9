// Server status: health, then a freshly nonced attestation document verified by the SDK.

import { verifyAttestation } from "@alejoamiras/tee-rex";

import { attestationOptions } from "./config.js";

const STATUS_TIMEOUT_MS = 15000;

/**
 * @typedef {object} ServerStatus
 * @property {"not configured"|"unavailable"|"attested"|"not attested"} label
 * @property {string|null} mode            attestation backend from /health ("nitro", "dev", "none")
 * @property {object|null} verified        what verifyAttestation returned
 * @property {number|null} ageMs           document age when checked
 * @property {boolean|null} nonceMatch     true when the document carries the nonce sent
 * @property {{code: string, message: string}|null} error
 * @property {object|null} health          the /health body (unverified)
 */

/** Checks the server at `url` (or reports it unconfigured). Never throws. */
export async function checkServer(url) {
  const status = {
    label: "not configured", mode: null, verified: null, ageMs: null, nonceMatch: null,
    error: null, health: null,
  };
  if (!url) return status;

  let attestation;
  try {
    status.health = await getJson(`${url}/health`);
    status.mode = status.health.attestation ?? null;
    const nonce = crypto.getRandomValues(new Uint8Array(32));
    attestation = { nonce, body: await getJson(`${url}/attestation?nonce=${toHex(nonce)}`) };
  } catch (e) {
    status.label = "unavailable";
    status.error = { code: "UNAVAILABLE", message: e.message };
    return status;
  }

  if (attestation.body.mode !== "nitro") {
    status.label = "not attested";
    status.error = { code: "NOT_ATTESTED", message: `the server answered mode "${attestation.body.mode}"` };
    return status;
  }
  const options = attestationOptions();
  if (!options) {
    status.label = "not attested";
    status.error = { code: "MISSING_EXPECTED_PCRS", message: "no expected PCRs are configured" };
    return status;
  }
  try {
    const document = fromBase64(attestation.body.attestationDocument);
    status.verified = verifyAttestation(document, { ...options, expectedNonce: attestation.nonce });
    status.ageMs = Math.max(0, Date.now() - status.verified.timestampMs);
    // verifyAttestation refuses a document without the expected nonce, so passing it proves it.
    status.nonceMatch = true;
    status.label = "attested";
  } catch (e) {
    status.label = "not attested";
    status.error = { code: e.code ?? "INTERNAL", message: e.message };
    if (e.code === "NONCE_MISMATCH") status.nonceMatch = false;
  }
  return status;
}

async function getJson(url) {
  const response = await fetch(url, { signal: AbortSignal.timeout(STATUS_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`HTTP ${response.status} from ${url}`);
  return response.json();
}

export function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function fromBase64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}
