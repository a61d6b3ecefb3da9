// Plain sentences for the SDK's, the verifier's and the server's stable error codes.

const SENTENCES = {
  // Attestation verification (tee-rex-attestation).
  SIGNATURE_INVALID:
    "The attestation document's signature does not match its contents: it was altered on the way or forged.",
  UNTRUSTED_ROOT: "The document's certificate chain does not end at the trusted root.",
  CHAIN_INVALID: "The document's certificate chain does not verify.",
  CERT_NOT_VALID_AT_TIME: "A certificate in the document's chain is expired or not yet valid.",
  TIMESTAMP_OUTSIDE_LEAF_VALIDITY: "The document was signed outside its certificate's validity.",
  NONCE_MISMATCH: "The document does not carry the fresh nonce this page sent: it may be replayed.",
  PCR_MISMATCH: "The enclave's measurements (PCRs) differ from the published release: it runs other code.",
  MISSING_PCR: "The document lacks a PCR that the release pins.",
  DEBUG_ENCLAVE: "The enclave runs in debug mode, where the host can read its memory.",
  STALE: "The attestation document is older than the accepted maximum age.",
  TIMESTAMP_IN_FUTURE: "The attestation document is dated in the future.",
  MALFORMED_CBOR: "The attestation document is not well-formed CBOR.",
  INVALID_COSE: "The attestation document is not a valid COSE_Sign1 structure.",
  INVALID_DOCUMENT: "The attestation document lacks a required field or has a wrong one.",
  INVALID_CERTIFICATE: "A certificate in the attestation document does not parse.",
  INVALID_TRUSTED_ROOT: "The configured trusted root certificate does not parse.",
  DOCUMENT_TOO_LARGE: "The attestation document is larger than any real one.",
  MISSING_PUBLIC_KEY: "The attested document carries no encryption key.",
  INVALID_PUBLIC_KEY: "The key in the attested document is not a usable OpenPGP encryption key.",
  // SDK policy and transport.
  MISSING_EXPECTED_PCRS:
    "No expected PCRs are configured, so no enclave can be recognised: TEE mode is refused.",
  INVALID_EXPECTED_PCRS: "The configured expected PCRs do not parse.",
  UNATTESTED_SERVER: "The server cannot prove that it runs in an enclave, so TEE mode refuses it.",
  INVALID_URL: "The server URL is not a valid http(s) URL.",
  INVALID_STEPS: "The file is not a list of Aztec proving steps (msgpack).",
  INVALID_OPTIONS: "The page passed options the SDK does not know.",
  ENCRYPTION_FAILED: "Encrypting the proving steps failed.",
  TRANSPORT_FAILED: "The server could not be reached, or the connection broke.",
  HTTP_ERROR: "The server answered with an HTTP error and no explanation.",
  INVALID_RESPONSE: "The server's answer does not have the expected shape.",
  // Server.
  PROOF_SELF_CHECK_FAILED:
    "Everything worked up to the last step: bb folded every circuit and computed the whole proof, " +
    "then rejected it in its own final self-check. That is what the insecure test CRS causes " +
    "(its points are not Aztec's): the pipeline is sound, and with the real CRS the same run yields a proof.",
  PROVER_FAILED: "bb failed before it produced a proof.",
  PROVE_TIMEOUT: "The proof took longer than the server allows.",
  QUEUE_FULL: "The server is busy with other proofs; try again shortly.",
  DECRYPT_FAILED: "The server could not decrypt the steps (its key changed); the SDK re-verifies and retries.",
  PAYLOAD_TOO_LARGE: "The proving steps are larger than the server accepts.",
  ATTESTATION_FAILED: "The server could not produce an attestation document.",
  INTERNAL: "Something unexpected failed; the details are in the server's log.",
  // This page.
  NOT_ATTESTED: "The server answered in unattested mode: nothing proves it runs in an enclave.",
  LOCAL_PROVER_FAILED: "bb.js failed in this page before it produced a proof.",
  UNAVAILABLE: "The server does not answer.",
};

/** A plain sentence for `code`, or a generic one. */
export function explain(code) {
  return SENTENCES[code] ?? "The operation failed; see the message for details.";
}
