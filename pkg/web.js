// Browser entry point (plain ESM, no bundler): fetches and instantiates the module next to this
// file before the first call.
import init, * as wasm from "./dist/web/tee_rex_sdk.js";

await init({ module_or_path: new URL("./dist/web/tee_rex_sdk_bg.wasm", import.meta.url) });

export const verifyAttestation = wasm.verifyAttestation;
export const encrypt = wasm.encrypt;
export const prove = wasm.prove;
