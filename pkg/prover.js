// TeeRexProver: Aztec's lazy bb.js prover whose chonk proofs are made on a tee-rex server.
import { BBLazyPrivateKernelProver } from "@aztec/bb-prover/client/lazy";
import { serializePrivateExecutionSteps } from "@aztec/stdlib/kernel";
import { ChonkProofWithPublicInputs } from "@aztec/stdlib/proofs";

import { prove } from "@alejoamiras/tee-rex";

const MODES = ["tee", "remote", "local"];
const FALLBACKS = ["none", "local"];
/**
 * The failures that may fall back: the server could not be reached (refused, reset, timed out).
 * A server that answered keeps its answer, and a failed attestation is never bypassed: it may be
 * an attack, and the caller must see it.
 */
const UNREACHABLE = new Set(["TRANSPORT_FAILED"]);
/** The fallback reason when no server is configured. */
const NO_SERVER = "NO_SERVER";

export class TeeRexProver extends BBLazyPrivateKernelProver {
  #apiUrl;
  #provingMode;
  #attestation;
  #allowUnattested;
  #fallback;
  #onPhase;
  #signal;
  #timeoutMs;

  constructor(simulator, options = {}) {
    const {
      apiUrl,
      provingMode = "tee",
      attestation,
      allowUnattested = false,
      fallback = "none",
      onPhase,
      signal,
      timeoutMs,
      ...bbOptions
    } = options;
    super(simulator, bbOptions);
    this.setProvingMode(provingMode);
    this.#apiUrl = apiUrl;
    this.#attestation = attestation;
    this.#allowUnattested = allowUnattested;
    if (!FALLBACKS.includes(fallback)) throw optionError(`unknown fallback ${JSON.stringify(fallback)}`);
    this.#fallback = fallback;
    this.#onPhase = onPhase;
    this.#signal = signal;
    this.#timeoutMs = timeoutMs;
  }

  setProvingMode(mode) {
    if (!MODES.includes(mode)) throw optionError(`unknown provingMode ${JSON.stringify(mode)}`);
    this.#provingMode = mode;
  }

  setApiUrl(url) {
    this.#apiUrl = url;
  }

  setAttestationConfig(config) {
    this.#attestation = config;
  }

  setOnPhase(onPhase) {
    this.#onPhase = onPhase;
  }

  async createChonkProof(executionSteps) {
    if (this.#provingMode === "local") return super.createChonkProof(executionSteps);
    if (!this.#apiUrl && this.#fallback === "local") {
      this.#emit({ phase: "fallback", atMs: Date.now(), reason: NO_SERVER });
      return super.createChonkProof(executionSteps);
    }

    this.#emit({ phase: "serialize", atMs: Date.now() });
    try {
      const steps = serializePrivateExecutionSteps(executionSteps);
      const options = {
        apiUrl: this.#apiUrl,
        provingMode: this.#provingMode,
        allowUnattested: this.#allowUnattested,
      };
      if (this.#attestation !== undefined) options.attestation = this.#attestation;
      if (this.#onPhase !== undefined) options.onPhase = this.#onPhase;
      if (this.#signal !== undefined) options.signal = this.#signal;
      if (this.#timeoutMs !== undefined) options.timeoutMs = this.#timeoutMs;
      const { proof } = await prove(steps, options);
      return ChonkProofWithPublicInputs.fromBuffer(Buffer.from(proof));
    } catch (error) {
      // Falling back only ever means proving here (never another, unverified server), and only
      // for a server that could not be reached; a caller's own abort is not that.
      const unreachable = UNREACHABLE.has(error?.code) && !this.#signal?.aborted;
      if (this.#fallback !== "local" || !unreachable) throw error;
      this.#emit({ phase: "fallback", atMs: Date.now(), reason: error?.code ?? "UNKNOWN" });
      return super.createChonkProof(executionSteps);
    }
  }

  #emit(event) {
    try {
      this.#onPhase?.(event);
    } catch {
      // A throwing callback must not break the proof.
    }
  }
}

function optionError(message) {
  const error = new Error(message);
  error.name = "TeeRexError";
  error.code = "INVALID_OPTIONS";
  return error;
}
