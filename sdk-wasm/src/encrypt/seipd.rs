//! Our SEIPDv2 writer: the encrypted-data packet of [RFC 9580 §5.13.2], with AES-GCM chunks
//! sealed by a [`Gcm`] backend.
//!
//! ```text
//! 0xD2 <length>                      new-format header, tag 18, definite length
//! 0x02 cipher 0x03 chunk-size-octet  version 2, AES-GCM
//! salt (32 octets)
//! chunk_0 || tag_0 || ... || chunk_n-1 || tag_n-1
//! final tag                          over no plaintext
//! ```
//!
//! HKDF-SHA256(ikm = session key, salt, info = 0xD2 0x02 cipher 0x03 chunk-size-octet) gives the
//! message key and the 4-byte IV. Chunk `i` is sealed with nonce `IV || i` (8 octets big-endian)
//! and the info octets as associated data; the final tag uses nonce `IV || n` (n = the number of
//! chunks) and the info octets followed by the total plaintext length (8 octets big-endian).
//!
//! Every length is computed before anything is written, so the packet has a definite length.
//!
//! [RFC 9580 §5.13.2]: https://www.rfc-editor.org/rfc/rfc9580.html#name-version-2-symmetrically-enc

use std::collections::VecDeque;

use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

use super::{
    aead::{ChunkSealer, Gcm, SealedChunk, NONCE_LEN, TAG_LEN},
    encrypt_error,
};
use crate::Error;

/// The algorithm octets of one SEIPDv2 packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SeipdParams {
    /// Symmetric cipher octet (7 = AES-128, 9 = AES-256).
    pub(crate) cipher: u8,
    /// Chunk size octet `c`: chunks of `2^(c + 6)` octets.
    pub(crate) chunk_size_octet: u8,
}

/// What the SDK writes: AES-256, GCM, 256 KiB chunks (openpgp.js 6 uses the same chunk size).
pub(crate) const AES256_GCM_256KIB: SeipdParams = SeipdParams {
    cipher: CIPHER_AES256,
    chunk_size_octet: 12,
};

/// The plaintext of the packet, `head` followed by `body`, without copying them together.
#[derive(Clone, Copy)]
pub(crate) struct Inner<'a> {
    pub(crate) head: &'a [u8],
    pub(crate) body: &'a [u8],
}

/// Appends a complete SEIPDv2 packet (header included) holding `inner` to `out`.
///
/// # Errors
/// [`Error::Encrypt`] for an unsupported cipher, a session key of the wrong length, a packet
/// over 4 GiB, or a failure of the AES-GCM backend.
pub(crate) async fn write_seipd_v2<G: Gcm>(
    gcm: &G,
    params: SeipdParams,
    session_key: &[u8],
    salt: &[u8; SALT_LEN],
    inner: Inner<'_>,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    let key_len = key_len(params.cipher)?;
    if session_key.len() != key_len {
        return Err(encrypt_error(
            "session key length does not match the cipher",
        ));
    }
    if params.chunk_size_octet > MAX_CHUNK_SIZE_OCTET {
        return Err(encrypt_error("chunk size octet out of range"));
    }
    let chunk_len = 1usize << (params.chunk_size_octet + 6);
    let inner_len = inner.len();
    let chunks = inner_len.div_ceil(chunk_len);
    let body_len = chunks
        .checked_mul(TAG_LEN)
        .and_then(|tags| tags.checked_add(inner_len))
        .and_then(|n| n.checked_add(4 + SALT_LEN + TAG_LEN))
        .ok_or_else(|| encrypt_error("message too large"))?;

    let info = [
        TAG_SEIPD,
        2,
        params.cipher,
        AEAD_GCM,
        params.chunk_size_octet,
    ];
    let (message_key, iv) = derive_key(session_key, salt, &info, key_len)?;
    let sealer = gcm.sealer(&message_key).await?;
    drop(message_key);

    // On any error `out` is left as it was: no partial packet.
    let start = out.len();
    let written = async {
        out.reserve(body_len + 5);
        out.push(TAG_SEIPD);
        push_length(out, body_len)?;
        out.extend_from_slice(&info[1..]);
        out.extend_from_slice(salt);
        let body_start = out.len() - 4 - SALT_LEN;

        // Several chunks in flight let an asynchronous backend (WebCrypto) work on them in
        // parallel; each chunk's plaintext is copied into one scratch buffer that the backend
        // consumes before `start` returns.
        let mut scratch = Zeroizing::new(vec![0u8; chunk_len.min(inner_len)]);
        let mut in_flight = VecDeque::with_capacity(IN_FLIGHT);
        for index in 0..chunks {
            let from = index * chunk_len;
            let to = inner_len.min(from + chunk_len);
            let plaintext = &mut scratch[..to - from];
            inner.copy_range(from, plaintext);
            if in_flight.len() == IN_FLIGHT {
                if let Some(pending) = in_flight.pop_front() {
                    finish(pending, out).await?;
                }
            }
            let nonce = nonce(&iv, index as u64);
            in_flight.push_back((sealer.start(&nonce, &info, plaintext), plaintext.len()));
        }
        while let Some(pending) = in_flight.pop_front() {
            finish(pending, out).await?;
        }

        let mut final_aad = [0u8; 13];
        final_aad[..5].copy_from_slice(&info);
        final_aad[5..].copy_from_slice(&(inner_len as u64).to_be_bytes());
        let final_tag = sealer.start(&nonce(&iv, chunks as u64), &final_aad, &[]);
        finish((final_tag, 0), out).await?;

        if out.len() - body_start != body_len {
            // Each chunk's length was checked; this guards the arithmetic above.
            return Err(encrypt_error("SEIPDv2 packet length mismatch"));
        }
        Ok(())
    }
    .await;
    if written.is_err() {
        out.truncate(start);
    }
    written
}

impl Inner<'_> {
    /// Total length (slices in one address space cannot add up past `usize::MAX`).
    pub(crate) fn len(&self) -> usize {
        self.head.len().saturating_add(self.body.len())
    }

    /// Copies `dst.len()` octets starting at `from` into `dst`; the range lies within `self`.
    fn copy_range(&self, from: usize, dst: &mut [u8]) {
        let mut written = 0;
        if from < self.head.len() {
            let head = &self.head[from..self.head.len().min(from + dst.len())];
            dst[..head.len()].copy_from_slice(head);
            written = head.len();
        }
        if written == dst.len() {
            return;
        }
        let body_from = (from + written) - self.head.len();
        let rest = dst.len() - written;
        dst[written..].copy_from_slice(&self.body[body_from..body_from + rest]);
    }
}

/// The size of a SEIPDv2 packet (header included) holding `inner_len` octets, saturating at
/// `usize::MAX` (the writer refuses such a packet).
pub(crate) fn packet_len(params: SeipdParams, inner_len: usize) -> usize {
    let chunk_len = 1usize << (params.chunk_size_octet.min(MAX_CHUNK_SIZE_OCTET) + 6);
    let body = inner_len
        .div_ceil(chunk_len)
        .saturating_mul(TAG_LEN)
        .saturating_add(inner_len)
        .saturating_add(4 + SALT_LEN + TAG_LEN);
    body.saturating_add(1 + length_octets(body))
}

/// A binary literal data packet's header and fixed fields, as rPGP's `MessageBuilder` writes
/// them: format `b`, empty file name, date 0. The data follows.
///
/// # Errors
/// [`Error::Encrypt`] when the packet would exceed 4 GiB.
pub(crate) fn literal_head(data_len: usize) -> Result<Vec<u8>, Error> {
    let fields = [b'b', 0, 0, 0, 0, 0];
    let body_len = data_len
        .checked_add(fields.len())
        .ok_or_else(|| encrypt_error("message too large"))?;
    let mut head = vec![TAG_LITERAL];
    push_length(&mut head, body_len)?;
    head.extend_from_slice(&fields);
    Ok(head)
}

/// Waits for a sealed chunk and appends it, checking its length.
async fn finish<P, S>((pending, plaintext_len): (P, usize), out: &mut Vec<u8>) -> Result<(), Error>
where
    P: std::future::Future<Output = Result<S, Error>>,
    S: SealedChunk,
{
    let sealed = pending.await?;
    let before = out.len();
    sealed.append_to(out);
    if out.len() - before != plaintext_len + TAG_LEN {
        return Err(encrypt_error("AES-GCM returned an unexpected length"));
    }
    Ok(())
}

/// HKDF-SHA256 over the session key: the message key, then the IV (nonce length - 8 octets).
pub(super) fn derive_key(
    session_key: &[u8],
    salt: &[u8; SALT_LEN],
    info: &[u8; 5],
    key_len: usize,
) -> Result<(Zeroizing<Vec<u8>>, [u8; IV_LEN]), Error> {
    let mut okm = Zeroizing::new(vec![0u8; key_len + IV_LEN]);
    Hkdf::<Sha256>::new(Some(salt), session_key)
        .expand(info, &mut okm)
        .map_err(|_| encrypt_error("HKDF output length"))?;
    let mut iv = [0u8; IV_LEN];
    iv.copy_from_slice(&okm[key_len..]);
    okm.truncate(key_len);
    Ok((okm, iv))
}

pub(super) fn nonce(iv: &[u8; IV_LEN], index: u64) -> [u8; NONCE_LEN] {
    let mut nonce = [0u8; NONCE_LEN];
    nonce[..IV_LEN].copy_from_slice(iv);
    nonce[IV_LEN..].copy_from_slice(&index.to_be_bytes());
    nonce
}

fn key_len(cipher: u8) -> Result<usize, Error> {
    match cipher {
        CIPHER_AES128 => Ok(16),
        CIPHER_AES256 => Ok(32),
        _ => Err(encrypt_error("unsupported cipher")),
    }
}

/// Appends a new-format definite packet length (RFC 9580 §4.2.1).
fn push_length(out: &mut Vec<u8>, len: usize) -> Result<(), Error> {
    let too_large = || encrypt_error("message too large");
    let len = u32::try_from(len).map_err(|_| too_large())?;
    match len {
        0..=191 => out.extend_from_slice(&len.to_be_bytes()[3..]),
        // Two octets: ((first - 192) << 8) + second + 192.
        192..=8383 => out.extend_from_slice(&((len - 192) | 0xC000).to_be_bytes()[2..]),
        _ => {
            out.push(0xff);
            out.extend_from_slice(&len.to_be_bytes());
        }
    }
    Ok(())
}

fn length_octets(len: usize) -> usize {
    match len {
        0..=191 => 1,
        192..=8383 => 2,
        _ => 5,
    }
}

/// New-format header octet of packet tag 18 (SEIPD), also the first info octet.
const TAG_SEIPD: u8 = 0xC0 | 18;
/// New-format header octet of packet tag 11 (literal data).
const TAG_LITERAL: u8 = 0xC0 | 11;
/// AEAD algorithm octet of GCM.
const AEAD_GCM: u8 = 3;
const CIPHER_AES128: u8 = 7;
const CIPHER_AES256: u8 = 9;
/// RFC 9580 caps the chunk size octet at 16 (4 MiB chunks).
const MAX_CHUNK_SIZE_OCTET: u8 = 16;
/// Length of the salt.
pub(crate) const SALT_LEN: usize = 32;
/// GCM's 12-octet nonce minus the 8-octet chunk index.
const IV_LEN: usize = NONCE_LEN - 8;
/// Chunks sealed at once: 8 × 256 KiB in flight bounds the backend's copies to 2 MiB.
const IN_FLIGHT: usize = 8;
