//! The server's OpenPGP encryption key, generated in memory at start and never written anywhere.
//!
//! Shape: a v4 key with an Ed25519 certification-only primary and an X25519 encryption subkey
//! (RFC 9580 algorithms). The primary self-signature advertises SEIPDv1 and SEIPDv2, AES-256 as
//! preferred cipher and AES-256-GCM as preferred AEAD, so openpgp.js 6 encrypts to it with
//! SEIPDv2 (it chooses the container from the features flag).
//!
//! Secret material lives only in rPGP's key types, which zeroize it on drop; this module never
//! exposes it and the `Debug` form shows the fingerprint only.

use std::io::Read;

use pgp::composed::{
    ArmorOptions, Deserializable, EncryptionCaps, KeyType, Message, SecretKeyParamsBuilder,
    SignedPublicKey, SignedSecretKey, SubkeyParamsBuilder,
};
use pgp::crypto::aead::AeadAlgorithm;
use pgp::crypto::hash::HashAlgorithm;
use pgp::crypto::sym::SymmetricKeyAlgorithm;
use pgp::ser::Serialize;
use pgp::types::{KeyDetails, Password};
use zeroize::Zeroizing;

/// The server's OpenPGP key pair.
pub struct ServerKey {
    secret: SignedSecretKey,
    public_binary: Vec<u8>,
    public_armored: String,
    fingerprint: String,
}

/// Why a key could not be made or a message not decrypted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Key generation or serialisation failed.
    #[error("openpgp key generation failed")]
    Generate(#[source] pgp::errors::Error),
    /// The bytes are not an OpenPGP message.
    #[error("the body is not an openpgp message")]
    NotOpenpgp(#[source] pgp::errors::Error),
    /// The message is not encrypted to this key, or fails to decrypt or authenticate.
    #[error("the openpgp message does not decrypt with the server key")]
    Decrypt(#[source] pgp::errors::Error),
    /// The message is not encrypted at all.
    #[error("the openpgp message is not encrypted")]
    NotEncrypted,
    /// Reading the decrypted stream failed (authentication tag, truncation, compression).
    #[error("the decrypted openpgp stream is corrupt")]
    Stream(#[source] std::io::Error),
    /// The plaintext exceeds the configured limit.
    #[error("the plaintext exceeds {limit} bytes")]
    PlaintextTooLarge {
        /// The limit in bytes.
        limit: u64,
    },
}

impl ServerKey {
    /// Generates a fresh key pair from the operating system's randomness.
    ///
    /// # Errors
    /// [`KeyError::Generate`] when rPGP refuses the parameters or fails to serialise the key.
    pub fn generate() -> Result<Self, KeyError> {
        let rng = rand::rngs::OsRng;

        let mut subkey = SubkeyParamsBuilder::default();
        subkey
            .key_type(KeyType::X25519)
            .can_encrypt(EncryptionCaps::All);
        let subkey = subkey
            .build()
            .map_err(|e| KeyError::Generate(builder_error(e)))?;

        let mut params = SecretKeyParamsBuilder::default();
        params
            .key_type(KeyType::Ed25519)
            .can_certify(true)
            .primary_user_id("tee-rex enclave".into())
            .feature_seipd_v1(true)
            .feature_seipd_v2(true)
            .preferred_symmetric_algorithms([SymmetricKeyAlgorithm::AES256].into_iter().collect())
            .preferred_hash_algorithms([HashAlgorithm::Sha256].into_iter().collect())
            .preferred_aead_algorithms(
                [(SymmetricKeyAlgorithm::AES256, AeadAlgorithm::Gcm)]
                    .into_iter()
                    .collect(),
            )
            .subkeys(vec![subkey]);
        let params = params
            .build()
            .map_err(|e| KeyError::Generate(builder_error(e)))?;
        let secret = params.generate(rng).map_err(KeyError::Generate)?;
        Self::from_secret(secret)
    }

    /// A server key from an unprotected armored secret key, for the fuzzer's fixed test key.
    ///
    /// Never for a running server: its key must exist only in its memory.
    ///
    /// # Errors
    /// [`KeyError::NotOpenpgp`] when the text is not a secret key, [`KeyError::Generate`] when its
    /// public half cannot be serialised.
    #[doc(hidden)]
    pub fn insecure_from_armored_secret(armored: &str) -> Result<Self, KeyError> {
        let (secret, _) = SignedSecretKey::from_string(armored).map_err(KeyError::NotOpenpgp)?;
        Self::from_secret(secret)
    }

    fn from_secret(secret: SignedSecretKey) -> Result<Self, KeyError> {
        let public = SignedPublicKey::from(secret.clone());
        let public_binary = public.to_bytes().map_err(KeyError::Generate)?;
        let public_armored = public
            .to_armored_string(ArmorOptions::default())
            .map_err(KeyError::Generate)?;
        let fingerprint = hex::encode(secret.fingerprint().as_bytes());
        Ok(Self {
            secret,
            public_binary,
            public_armored,
            fingerprint,
        })
    }

    /// The transferable public key, binary (unarmored): what an attestation document carries.
    pub fn public_key_binary(&self) -> &[u8] {
        &self.public_binary
    }

    /// The transferable public key, ASCII-armored: what the JSON endpoints carry.
    pub fn public_key_armored(&self) -> &str {
        &self.public_armored
    }

    /// Hex fingerprint of the primary key; public, fine to log.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Decrypts a binary OpenPGP message encrypted to this key and returns its literal data.
    ///
    /// One level of compression is undone; the plaintext is capped at `max_plaintext` bytes so a
    /// compressed message cannot exhaust memory.
    ///
    /// # Errors
    /// [`KeyError::NotOpenpgp`] when the bytes do not parse as a message,
    /// [`KeyError::NotEncrypted`] for a message without encryption, [`KeyError::Decrypt`] when no
    /// session key decrypts with this key, [`KeyError::Stream`] when the encrypted data fails to
    /// authenticate or decompress, [`KeyError::PlaintextTooLarge`] over the cap.
    pub fn decrypt(
        &self,
        message: &[u8],
        max_plaintext: u64,
    ) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let parsed = Message::from_bytes(message).map_err(KeyError::NotOpenpgp)?;
        if !parsed.is_encrypted() {
            return Err(KeyError::NotEncrypted);
        }
        let mut decrypted = parsed
            .decrypt(&Password::empty(), &self.secret)
            .map_err(KeyError::Decrypt)?;
        if decrypted.is_compressed() {
            decrypted = decrypted.decompress().map_err(KeyError::Decrypt)?;
        }

        // Read one byte past the cap to tell "exactly at the limit" from "over it".
        let mut plaintext = Zeroizing::new(Vec::new());
        (&mut decrypted)
            .take(max_plaintext.saturating_add(1))
            .read_to_end(&mut plaintext)
            .map_err(KeyError::Stream)?;
        if plaintext.len() as u64 > max_plaintext {
            return Err(KeyError::PlaintextTooLarge {
                limit: max_plaintext,
            });
        }
        Ok(plaintext)
    }
}

impl std::fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerKey")
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

/// rPGP's builder errors are not its `Error`; wrap them in its catch-all message variant.
fn builder_error(error: impl std::fmt::Display) -> pgp::errors::Error {
    pgp::errors::Error::from(error.to_string())
}

/// Parses an armored or binary public key; used by tests and tools to encrypt to the server.
///
/// # Errors
/// [`KeyError::NotOpenpgp`] when the bytes are not a public key.
pub fn parse_public_key(bytes: &[u8]) -> Result<SignedPublicKey, KeyError> {
    SignedPublicKey::from_reader_single(bytes)
        .map(|(key, _)| key)
        .map_err(KeyError::NotOpenpgp)
}

#[cfg(test)]
mod tests;
