// The build-time configuration (see vite.config.js), frozen.

/* global __TEE_REX_CONFIG__ */
/**
 * @typedef {object} SiteConfig
 * @property {string|null} teeUrl        server proving in "tee" mode
 * @property {string|null} proverUrl     server proving in "remote" mode
 * @property {Record<string,string>|null} expectedPcrs  PCRs the enclave must have
 * @property {string|null} insecureRootPem  dev root trusted instead of AWS's (tests, demos)
 * @property {string|null} crsUrl        where local proving fetches the CRS from
 */

/** @type {SiteConfig} */
export const config = Object.freeze({ ...__TEE_REX_CONFIG__ });

/** The attestation options the SDK takes, or null when no PCRs are configured. */
export function attestationOptions() {
  if (!config.expectedPcrs) return null;
  const options = { expectedPcrs: config.expectedPcrs };
  if (config.insecureRootPem) options.insecureTrustedRootPem = config.insecureRootPem;
  return options;
}
