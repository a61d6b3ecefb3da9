// The live phase timeline of one run.

import { formatMs, h } from "./dom.js";

const LABELS = {
  "read-steps": "Read the proving steps",
  decode: "Decode and un-gzip the steps",
  "load-crs": "Load the CRS into bb.js",
  "init-bb": "Start bb.js (WASM workers)",
  "fetch-attestation": "Fetch the attestation (fresh nonce)",
  "verify-attestation": "Verify the attestation",
  encrypt: "Encrypt to the enclave's key",
  transmit: "Send, then wait for the server",
  proving: "Proving",
  receive: "Receive the proof",
  fallback: "Server unreachable: fall back to local proving",
};

/** Rows of phases, each timed until the next one starts; the running one ticks. */
export class Timeline {
  constructor(list) {
    this.list = list;
    this.rows = [];
    this.timer = setInterval(() => this.tick(), 200);
    list.replaceChildren();
  }

  /** Records an SDK (or page) phase event `{phase, atMs, durationMs?, reason?}`. */
  phase(event) {
    if (event.phase === "proved") {
      // The server's own measurement of its proving time: a note on the proving row.
      const row = this.rows.findLast((r) => r.phase === "proving");
      if (row && event.durationMs !== undefined) {
        row.note.textContent = `server measured ${formatMs(event.durationMs)}`;
      }
      return;
    }
    if (event.phase === "fallback") this.rows.at(-1)?.li.classList.add("failed");
    this.close(event.atMs);
    const time = h("span", { class: "duration" }, "…");
    const note = h("span", { class: "note" });
    const li = h("li", { class: "running", "data-phase": event.phase },
      h("span", { class: "name" }, LABELS[event.phase] ?? event.phase), time, note);
    this.list.append(li);
    if (event.reason) note.textContent = `${event.reason}: proving in this browser instead`;
    this.rows.push({ phase: event.phase, start: event.atMs, end: null, li, time, note });
  }

  /** Ends the run at `atMs`; a failed run marks its last phase. */
  finish(atMs, failed = false) {
    const last = this.rows.at(-1);
    this.close(atMs);
    if (failed && last) last.li.classList.add("failed");
    const transmit = this.rows.find((r) => r.phase === "transmit");
    if (transmit && !this.rows.some((r) => r.phase === "proving")) {
      // The SDK splits out the server's proving time only from a successful response's timing
      // header; otherwise it is inside "Send".
      transmit.note.textContent = "includes the server's proving time (the server reports it only with a proof)";
    }
    clearInterval(this.timer);
  }

  /** `[phase, ms]` for every finished phase. */
  durations() {
    return this.rows.filter((r) => r.end !== null).map((r) => [r.phase, r.end - r.start]);
  }

  close(atMs) {
    const last = this.rows.at(-1);
    if (!last || last.end !== null) return;
    last.end = Math.max(atMs, last.start);
    last.li.classList.replace("running", "done");
    last.time.textContent = formatMs(last.end - last.start);
  }

  tick() {
    const last = this.rows.at(-1);
    if (last && last.end === null) last.time.textContent = `${formatMs(Date.now() - last.start)}…`;
  }
}

export { LABELS as PHASE_LABELS };
