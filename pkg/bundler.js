// Bundler entry point (webpack, Vite, Rollup with wasm support): the bundler loads the module.
export { verifyAttestation, encrypt, prove } from "./dist/bundler/tee_rex_sdk.js";
