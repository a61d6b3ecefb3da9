// Node entry point: wasm-bindgen's `nodejs` target is CommonJS and loads the module synchronously.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const wasm = require("./dist/nodejs/tee_rex_sdk.js");

export const verifyAttestation = wasm.verifyAttestation;
export const encrypt = wasm.encrypt;
export const prove = wasm.prove;
