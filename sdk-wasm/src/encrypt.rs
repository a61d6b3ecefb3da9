//! OpenPGP encryption of the proving steps to the enclave's key.
//!
//! The message is binary OpenPGP: one v6 PKESK to the recipient's encryption key (rPGP's), then a
//! SEIPDv2 packet with AES-256-GCM in 256 KiB chunks, written by our own [`seipd`] writer so the
//! wasm build can seal each chunk with the platform's WebCrypto instead of software AES. Inside
//! is one binary literal data packet (format `b`, empty file name, date 0), as rPGP's
//! `MessageBuilder` wrote it before. rPGP does not read the recipient's features flag, so SEIPDv2
//! and the cipher are chosen here explicitly (openpgp.js reads the flag; the server advertises
//! SEIPDv2).

mod aead;
mod seipd;
#[cfg(target_arch = "wasm32")]
mod webcrypto;

use std::{
    future::Future,
    io::BufRead,
    pin::pin,
    task::{Context, Poll, Waker},
};

use pgp::{
    composed::{Deserializable, RawSessionKey, SignedPublicKey},
    crypto::sym::SymmetricKeyAlgorithm,
    packet::{PacketTrait as _, PublicKeyEncryptedSessionKey, PublicSubkey},
    types::KeyDetails,
};
use rand::{CryptoRng, Rng};

use crate::Error;
use aead::{Gcm, SoftwareGcm};
use seipd::{Inner, AES256_GCM_256KIB, SALT_LEN};

/// Encrypts `plaintext` to the encryption key of `recipient`, with software AES-GCM.
///
/// The plaintext is read from the borrowed slice; the only copy this crate makes is one chunk at
/// a time in a zeroizing buffer. The session key lives in rPGP's zeroizing `RawSessionKey` and the
/// derived message key in a `Zeroizing` buffer. Key expiry is not checked: that needs a clock,
/// and the key's freshness comes from the attestation document that carries it.
///
/// # Errors
/// [`Error::NoEncryptionKey`] when the key has no valid encryption-capable (sub)key,
/// [`Error::Encrypt`] when the session key cannot be encrypted to it or the message exceeds
/// 4 GiB.
pub fn encrypt(recipient: &SignedPublicKey, plaintext: &[u8]) -> Result<Vec<u8>, Error> {
    encrypt_with_rng(rand::rngs::OsRng, recipient, plaintext)
}

/// [`encrypt`] with a caller-chosen random number generator.
///
/// # Errors
/// As [`encrypt`].
pub fn encrypt_with_rng<R: Rng + CryptoRng>(
    rng: R,
    recipient: &SignedPublicKey,
    plaintext: &[u8],
) -> Result<Vec<u8>, Error> {
    // The software backend never waits, so the one framing code path completes in one poll.
    now_or_never(encrypt_message(&SoftwareGcm, rng, recipient, plaintext))
        .unwrap_or_else(|| Err(encrypt_error("software AES-GCM did not complete")))
}

/// [`encrypt`] through the platform's WebCrypto (`globalThis.crypto.subtle`), or software AES-GCM
/// where WebCrypto is missing (an insecure `http://` page has no `crypto.subtle`).
///
/// # Errors
/// As [`encrypt`]; [`Error::Encrypt`] also when WebCrypto refuses the key or a chunk.
#[cfg(target_arch = "wasm32")]
pub(crate) async fn encrypt_webcrypto(
    recipient: &SignedPublicKey,
    plaintext: &[u8],
) -> Result<Vec<u8>, Error> {
    match webcrypto::WebCryptoGcm::from_global() {
        Some(gcm) => encrypt_message(&gcm, rand::rngs::OsRng, recipient, plaintext).await,
        None => encrypt(recipient, plaintext),
    }
}

/// The encryption the client uses: WebCrypto in wasm, software natively.
pub(crate) async fn encrypt_for_platform(
    recipient: &SignedPublicKey,
    plaintext: &[u8],
) -> Result<Vec<u8>, Error> {
    #[cfg(target_arch = "wasm32")]
    return encrypt_webcrypto(recipient, plaintext).await;
    #[cfg(not(target_arch = "wasm32"))]
    return encrypt(recipient, plaintext);
}

/// PKESK v6 to `recipient`, then the SEIPDv2 packet over the literal data packet.
async fn encrypt_message<G: Gcm, R: Rng + CryptoRng>(
    gcm: &G,
    mut rng: R,
    recipient: &SignedPublicKey,
    plaintext: &[u8],
) -> Result<Vec<u8>, Error> {
    let key = encryption_key(recipient)?;

    let session_key: RawSessionKey = SymmetricKeyAlgorithm::AES256.new_session_key(&mut rng);
    let pkesk = match key {
        EncryptionKey::Subkey(subkey) => {
            PublicKeyEncryptedSessionKey::from_session_key_v6(&mut rng, &session_key, subkey)
        }
        EncryptionKey::Primary(primary) => {
            PublicKeyEncryptedSessionKey::from_session_key_v6(&mut rng, &session_key, primary)
        }
    }
    .map_err(Error::Encrypt)?;
    let mut salt = [0u8; SALT_LEN];
    rng.fill_bytes(&mut salt);

    let head = seipd::literal_head(plaintext.len())?;
    let inner = Inner {
        head: &head,
        body: plaintext,
    };
    let mut out = Vec::with_capacity(256 + seipd::packet_len(AES256_GCM_256KIB, inner.len()));
    pkesk
        .to_writer_with_header(&mut out)
        .map_err(Error::Encrypt)?;
    seipd::write_seipd_v2(
        gcm,
        AES256_GCM_256KIB,
        session_key.as_ref(),
        &salt,
        inner,
        &mut out,
    )
    .await?;
    Ok(out)
}

/// Polls `future` once; `None` if it is not ready.
fn now_or_never<F: Future>(future: F) -> Option<F::Output> {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => Some(output),
        Poll::Pending => None,
    }
}

/// An encryption failure outside rPGP, as [`Error::Encrypt`] (its code `ENCRYPTION_FAILED`).
fn encrypt_error(what: &'static str) -> Error {
    Error::Encrypt(pgp::errors::Error::from(what.to_owned()))
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
