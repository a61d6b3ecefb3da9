// One server's card in the server panel.

import { explain } from "./explain.js";
import { formatMs, h } from "./dom.js";

/** Fills the card `root` with `status` (from checkServer) for the server at `url`. */
export function renderServer(root, url, status) {
  const label = root.querySelector('[data-role="label"]');
  label.textContent = status.label;
  label.dataset.label = status.label;
  root.dataset.label = status.label;
  root.querySelector('[data-role="url"]').textContent = url ?? "No URL was set at build time.";

  const verdict = root.querySelector('[data-role="verdict"]');
  if (status.label === "attested") {
    verdict.replaceChildren("Attestation verified: signed by the trusted root, fresh, with the expected PCRs.");
  } else if (status.error) {
    verdict.replaceChildren(h("code", { class: "code" }, status.error.code), " ", explain(status.error.code));
  } else {
    verdict.replaceChildren("Set its URL when building the site to use this mode.");
  }

  const rows = [];
  if (status.mode) rows.push(["Attestation backend", status.mode]);
  const v = status.verified;
  if (v) {
    for (const i of ["0", "1", "2"]) rows.push([`PCR${i}`, hexValue(v.pcrs[i])]);
    rows.push(["Module id", v.moduleId]);
    // verifyAttestation refuses a chain with any certificate outside its validity now
    // (CERT_NOT_VALID_AT_TIME); these are the signing certificate's dates.
    const iso = (ms) => new Date(ms).toISOString().replace(".000Z", "Z");
    rows.push([
      "Certificates",
      `valid now; signing certificate ${iso(v.certificateNotBeforeMs)} to ${iso(v.certificateNotAfterMs)}`,
    ]);
    rows.push(["Document age", formatMs(status.ageMs)]);
    rows.push(["Nonce match", status.nonceMatch ? "yes: carries the nonce this page just sent" : "no"]);
    rows.push(["Key fingerprint", hexValue(v.publicKeyFingerprint)]);
    if (v.prover) {
      rows.push(["Prover", `bb ${v.prover.bbVersion}`]);
      rows.push(["bb SHA-256", hexValue(v.prover.bbSha256)]);
      rows.push(["CRS", v.prover.crsInsecure ? "insecure test CRS: proofs fail bb's self-check" : "Aztec's CRS"]);
    } else {
      rows.push(["Prover", "not stated in user_data"]);
    }
  } else if (status.nonceMatch === false) {
    rows.push(["Nonce match", "no"]);
  } else if (status.health?.prover) {
    const p = status.health.prover;
    rows.push(["Prover (unverified)", `bb ${p.bbVersion}${p.crsInsecure ? ", insecure test CRS" : ""}`]);
  }
  if (status.error?.message && status.label !== "not configured") {
    rows.push(["Detail", status.error.message]);
  }
  root.querySelector('[data-role="details"]').replaceChildren(
    ...rows.flatMap(([k, value]) => [h("dt", {}, k), h("dd", {}, value)]),
  );
}

/** Long hex in a wrapping monospace element, with the whole value in the title. */
function hexValue(hex) {
  return h("span", { class: "hex", title: hex ?? "" }, hex ?? "(absent)");
}
