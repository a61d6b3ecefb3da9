// Compile-only checks of the public declarations (tsc --noEmit).
import {
  encrypt,
  prove,
  verifyAttestation,
  type PhaseEvent,
  type ProveOptions,
  type ServerTiming,
  type TeeRexError,
  type VerifiedAttestation,
} from "../index.js";

const pcrs = { 0: "ab".repeat(48) };

export async function checkVerify(doc: Uint8Array): Promise<Uint8Array> {
  const verified: VerifiedAttestation = verifyAttestation(doc, { expectedPcrs: pcrs, maxAgeMs: 60_000 });
  const fp: string = verified.publicKeyFingerprint;
  void fp;
  const message: Uint8Array = await encrypt(verified.publicKey, new Uint8Array([1, 2, 3]));
  return message;
}

export async function checkProve(steps: Uint8Array): Promise<Uint8Array> {
  const options: ProveOptions = {
    apiUrl: "http://127.0.0.1:4000",
    provingMode: "tee",
    attestation: { expectedPcrs: pcrs, allowDebug: false, insecureTrustedRootPem: "-----BEGIN" },
    onPhase: (event: PhaseEvent) => {
      const phase: "fetch-attestation" | "verify-attestation" | "encrypt" | "transmit" | "proving" | "proved" | "receive" = event.phase;
      void phase;
    },
    timeoutMs: 120_000,
  };
  try {
    const result = await prove(steps, options);
    const timing: ServerTiming | undefined = result.serverTiming;
    const proveMs: number | undefined = timing?.proveMs;
    const phases: (number | undefined)[] = [timing?.uploadMs, timing?.decodeMs, timing?.decryptMs, timing?.parseMs, timing?.queueMs];
    void proveMs;
    void phases;
    return result.proof;
  } catch (e) {
    const code: string = (e as TeeRexError).code;
    const queueMs: number | undefined = (e as TeeRexError).serverTiming?.queueMs;
    void queueMs;
    throw new Error(code);
  }
}

// @ts-expect-error: serverTiming's phases are numbers
export const badTiming: ServerTiming = { proveMs: "13673" };

// @ts-expect-error: provingMode is "tee" | "remote"
export const bad: ProveOptions = { apiUrl: "http://127.0.0.1:1", provingMode: "cloud" };
