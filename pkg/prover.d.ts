// Types of @alejoamiras/tee-rex/prover.
import { BBLazyPrivateKernelProver } from "@aztec/bb-prover/client/lazy";
import type { BBPrivateKernelProverOptions } from "@aztec/bb-prover/client";
import type { CircuitSimulator } from "@aztec/simulator/client";
import type { PrivateExecutionStep } from "@aztec/stdlib/kernel";
import type { ChonkProofWithPublicInputs } from "@aztec/stdlib/proofs";

import type { AttestationOptions, PhaseEvent } from "./index.js";

/** Where proofs are made: an attested enclave, any server, or bb.js in this process. */
export type ProverMode = "tee" | "remote" | "local";

/** Every phase `TeeRexProver` reports: the core's phases plus `serialize` and `fallback`. */
export type ProverPhaseEvent =
  | PhaseEvent
  | { phase: "serialize"; atMs: number }
  /** `reason`: `"NO_SERVER"` (no `apiUrl`) or the error code (`"TRANSPORT_FAILED"`). */
  | { phase: "fallback"; atMs: number; reason: string };

/**
 * Options of `TeeRexProver`. The inherited bb.js backend options (`crsPath`, `backend`, `threads`,
 * ...) apply to `"local"` mode and the local fallback; in Node, bb.js reads its CRS from `crsPath`,
 * else `$CRS_PATH`, else `~/.bb-crs`, and downloads what is missing there.
 */
export interface TeeRexProverOptions extends BBPrivateKernelProverOptions {
  /** The tee-rex server (not needed in `"local"` mode). */
  apiUrl?: string;
  /** Default `"tee"`. */
  provingMode?: ProverMode;
  /** What the server's attestation must satisfy; required in `"tee"` mode. */
  attestation?: AttestationOptions;
  /** Accept an unattested server in `"remote"` mode (default false). */
  allowUnattested?: boolean;
  /**
   * `"local"`: prove with bb.js here when no server is configured or it cannot be reached
   * (`TRANSPORT_FAILED`, not after the caller's own abort). A server that answered keeps its
   * answer, and a failed attestation is never bypassed. Default `"none"`.
   */
  fallback?: "none" | "local";
  /** Called as each phase begins. */
  onPhase?: (event: ProverPhaseEvent) => void;
  /** Aborts the requests when it fires. */
  signal?: AbortSignal;
  /** Aborts each request after this many milliseconds. */
  timeoutMs?: number;
}

/** Aztec's lazy bb.js private kernel prover, with chonk proofs made on a tee-rex server. */
export declare class TeeRexProver extends BBLazyPrivateKernelProver {
  constructor(simulator: CircuitSimulator, options?: TeeRexProverOptions);
  setProvingMode(mode: ProverMode): void;
  setApiUrl(url: string): void;
  setAttestationConfig(config: AttestationOptions | undefined): void;
  setOnPhase(onPhase: ((event: ProverPhaseEvent) => void) | undefined): void;
  createChonkProof(executionSteps: PrivateExecutionStep[]): Promise<ChonkProofWithPublicInputs>;
}
