// Compile-only: TeeRexProver is usable wherever Aztec expects a PrivateKernelProver.
import type { PrivateKernelProver } from "@aztec/stdlib/interfaces/client";
import { WASMSimulator } from "@aztec/simulator/client";

import { TeeRexProver, type ProverPhaseEvent } from "../prover.js";

export function makeProver(): PrivateKernelProver {
  const prover = new TeeRexProver(new WASMSimulator(), {
    apiUrl: "http://127.0.0.1:4000",
    provingMode: "tee",
    attestation: { expectedPcrs: { 0: "ab".repeat(48) } },
    fallback: "local",
    onPhase: (e: ProverPhaseEvent) => {
      if (e.phase === "fallback") void e.reason;
    },
  });
  prover.setProvingMode("remote");
  prover.setApiUrl("http://127.0.0.1:4001");
  prover.setAttestationConfig(undefined);
  prover.setOnPhase(undefined);
  // @ts-expect-error: not a proving mode
  prover.setProvingMode("cloud");
  return prover;
}

// Guards that neither side of the assignment above is `any`.
// @ts-expect-error: a plain object is not a PrivateKernelProver
export const notAProver: PrivateKernelProver = {};

