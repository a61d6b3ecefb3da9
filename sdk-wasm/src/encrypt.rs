//! OpenPGP encryption of the proving steps to the enclave's key.
//!
//! The message is binary OpenPGP: one PKESK to the recipient's encryption key, then a SEIPDv2
//! packet with AES-256-GCM. rPGP does not read the recipient's features flag, so SEIPDv2 and the
//! cipher are chosen here explicitly (openpgp.js reads the flag; the server advertises SEIPDv2).

use std::io::BufRead;

use pgp::{
    composed::{Deserializable, MessageBuilder, SignedPublicKey},
    crypto::{aead::AeadAlgorithm, aead::ChunkSize, sym::SymmetricKeyAlgorithm},
    packet::PublicSubkey,
    types::KeyDetails,
};
use rand::{CryptoRng, Rng};

use crate::Error;

/// Encrypts `plaintext` to the encryption key of `recipient`.
///
/// The plaintext is streamed from the borrowed slice, never copied into memory this crate owns
/// (the caller owns and zeroizes it); the session key lives in rPGP's zeroizing `RawSessionKey`.
/// rPGP's own chunk buffers inside the AEAD stream are not zeroized by rPGP 0.21; they hold at
/// most one chunk of plaintext at a time. Key expiry is not checked: that needs a clock, and the
/// key's freshness comes from the attestation document that carries it.
///
/// # Errors
/// [`Error::NoEncryptionKey`] when the key has no valid encryption-capable (sub)key,
/// [`Error::Encrypt`] when rPGP fails to build the message.
pub fn encrypt(recipient: &SignedPublicKey, plaintext: &[u8]) -> Result<Vec<u8>, Error> {
    encrypt_with_rng(rand::rngs::OsRng, recipient, plaintext)
}

/// [`encrypt`] with a caller-chosen random number generator.
///
/// # Errors
/// As [`encrypt`].
pub fn encrypt_with_rng<R: Rng + CryptoRng>(
    mut rng: R,
    recipient: &SignedPublicKey,
    plaintext: &[u8],
) -> Result<Vec<u8>, Error> {
    let key = encryption_key(recipient)?;

    let mut builder = MessageBuilder::from_reader("", plaintext).seipd_v2(
        &mut rng,
        SymmetricKeyAlgorithm::AES256,
        AeadAlgorithm::Gcm,
        ChunkSize::default(),
    );
    match key {
        EncryptionKey::Subkey(subkey) => builder.encrypt_to_key(&mut rng, subkey),
        EncryptionKey::Primary(primary) => builder.encrypt_to_key(&mut rng, primary),
    }
    .map_err(Error::Encrypt)?;
    builder.to_vec(&mut rng).map_err(Error::Encrypt)
}

/// Parses a binary (not armored) transferable OpenPGP public key holding exactly one key with a
/// valid encryption-capable (sub)key.
///
/// # Errors
/// [`Error::InvalidPublicKey`] when the bytes are armored, empty, not a key, more than one key,
/// or have invalid self-signatures; [`Error::NoEncryptionKey`] when no key may encrypt.
pub fn parse_public_key(bytes: &[u8]) -> Result<SignedPublicKey, Error> {
    // A binary packet header always has its top bit set; ASCII armor never does.
    match bytes.first() {
        None => return Err(invalid("the key is empty", None)),
        Some(first) if first & 0x80 == 0 => {
            return Err(invalid(
                "the key is not binary OpenPGP (armored or other data)",
                None,
            ))
        }
        Some(_) => {}
    }

    let mut reader: &[u8] = bytes;
    let mut keys = SignedPublicKey::from_bytes_many(&mut reader as &mut dyn BufRead)
        .map_err(|e| invalid("the key does not parse", Some(e)))?;
    let key = match keys.next() {
        None => return Err(invalid("no public key found", None)),
        Some(Err(e)) => return Err(invalid("the key does not parse", Some(e))),
        Some(Ok(key)) => key,
    };
    if keys.next().is_some() {
        return Err(invalid("more than one public key", None));
    }
    drop(keys);

    if !key.details.revocation_signatures.is_empty() {
        return Err(invalid("the key carries a revocation signature", None));
    }
    key.verify_bindings()
        .map_err(|e| invalid("the key's self-signatures do not verify", Some(e)))?;
    encryption_key(&key)?;
    Ok(key)
}

/// Parses an ASCII-armored OpenPGP public key, as an unattested server sends it.
///
/// # Errors
/// [`Error::InvalidUnattestedKey`] when it does not parse or its signatures do not verify,
/// [`Error::NoEncryptionKey`] when no key may encrypt.
pub fn parse_armored_public_key(armored: &str) -> Result<SignedPublicKey, Error> {
    let (key, _) = SignedPublicKey::from_string(armored).map_err(Error::InvalidUnattestedKey)?;
    key.verify_bindings().map_err(Error::InvalidUnattestedKey)?;
    encryption_key(&key)?;
    Ok(key)
}

enum EncryptionKey<'a> {
    Subkey(&'a PublicSubkey),
    Primary(&'a pgp::packet::PublicKey),
}

/// The first subkey whose binding signatures all flag encryption and whose algorithm can encrypt,
/// else the primary key when a self-signature flags it for encryption.
fn encryption_key(key: &SignedPublicKey) -> Result<EncryptionKey<'_>, Error> {
    let subkey = key.public_subkeys.iter().find(|sub| {
        sub.key.algorithm().can_encrypt()
            && !sub.signatures.is_empty()
            && sub.signatures.iter().all(|sig| {
                let flags = sig.key_flags();
                flags.encrypt_comms() || flags.encrypt_storage()
            })
    });
    if let Some(sub) = subkey {
        return Ok(EncryptionKey::Subkey(&sub.key));
    }

    let primary_flagged = key
        .details
        .users
        .iter()
        .flat_map(|user| user.signatures.iter())
        .chain(key.details.direct_signatures.iter())
        .any(|sig| {
            let flags = sig.key_flags();
            flags.encrypt_comms() || flags.encrypt_storage()
        });
    if key.primary_key.algorithm().can_encrypt() && primary_flagged {
        return Ok(EncryptionKey::Primary(&key.primary_key));
    }
    Err(Error::NoEncryptionKey)
}

fn invalid(reason: &'static str, source: Option<pgp::errors::Error>) -> Error {
    Error::InvalidPublicKey { reason, source }
}

#[cfg(test)]
mod tests;
