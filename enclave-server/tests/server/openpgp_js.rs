//! openpgp.js 6 (what the TypeScript SDK uses) encrypts to the served key; the server decrypts.
