//! AES-GCM through the platform's WebCrypto (`globalThis.crypto.subtle`), wasm32 only.
//!
//! The message key is imported as a non-extractable `CryptoKey` usable only to encrypt; each
//! chunk is one `SubtleCrypto.encrypt({name: "AES-GCM", iv, additionalData, tagLength: 128})`.
//! WebCrypto copies its inputs when the call is made, so the chunk's plaintext buffer may be
//! reused as soon as the call returns its Promise; several Promises are in flight at once.

use std::{future::Future, pin::Pin};

use js_sys::{Array, ArrayBuffer, Reflect, Uint8Array};
use wasm_bindgen::{JsCast as _, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AesGcmParams, CryptoKey, SubtleCrypto};

use super::{
    aead::{ChunkSealer, Gcm, SealedChunk, NONCE_LEN},
    encrypt_error,
};
use crate::Error;

/// The platform's `SubtleCrypto`.
#[derive(Debug)]
pub(crate) struct WebCryptoGcm {
    subtle: SubtleCrypto,
}

/// A non-extractable AES-GCM `CryptoKey` and the `SubtleCrypto` that made it.
#[derive(Debug)]
pub(crate) struct WebCryptoSealer {
    subtle: SubtleCrypto,
    key: CryptoKey,
}

impl WebCryptoGcm {
    /// `globalThis.crypto.subtle`, or `None` where the platform has none (an insecure context
    /// in a browser leaves `crypto.subtle` undefined).
    pub(crate) fn from_global() -> Option<Self> {
        let crypto = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto")).ok()?;
        if !crypto.is_object() {
            return None;
        }
        let subtle = Reflect::get(&crypto, &JsValue::from_str("subtle")).ok()?;
        let has = |name: &str| {
            Reflect::get(&subtle, &JsValue::from_str(name)).is_ok_and(|f| f.is_function())
        };
        // Not `dyn_into`: Node has no global `SubtleCrypto` class to check `instanceof` against.
        (subtle.is_object() && has("importKey") && has("encrypt")).then(|| Self {
            subtle: subtle.unchecked_into(),
        })
    }
}

impl Gcm for WebCryptoGcm {
    type Sealer = WebCryptoSealer;

    async fn sealer(&self, key: &[u8]) -> Result<WebCryptoSealer, Error> {
        let key_data = Uint8Array::from(key);
        let usages = Array::of1(&JsValue::from_str("encrypt"));
        let promise = self
            .subtle
            .import_key_with_str("raw", &key_data, "AES-GCM", false, &usages);
        // importKey copied the bytes before returning: clear the JS-side copy of the key.
        key_data.fill(0, 0, key_data.length());
        let promise = promise.map_err(|_| encrypt_error("WebCrypto importKey threw"))?;
        let key = JsFuture::from(promise)
            .await
            .map_err(|_| encrypt_error("WebCrypto refused the AES-GCM key"))?;
        let key = key
            .dyn_into::<CryptoKey>()
            .map_err(|_| encrypt_error("WebCrypto importKey returned no CryptoKey"))?;
        Ok(WebCryptoSealer {
            subtle: self.subtle.clone(),
            key,
        })
    }
}

impl ChunkSealer for WebCryptoSealer {
    type Sealed = ArrayBuffer;
    type Pending = Pin<Box<dyn Future<Output = Result<ArrayBuffer, Error>>>>;

    fn start(&self, nonce: &[u8; NONCE_LEN], aad: &[u8], plaintext: &[u8]) -> Self::Pending {
        let params = AesGcmParams::new("AES-GCM", &Uint8Array::from(&nonce[..]));
        params.set_additional_data(&Uint8Array::from(aad));
        params.set_tag_length(128);
        // The plaintext goes in as a view of wasm memory, which `encrypt` copies before it
        // returns the Promise.
        // `JsFuture::from` attaches the Promise's handlers now, not at the first poll: a chunk
        // that rejects while earlier ones are awaited, or after the message was given up, is
        // never an unhandled rejection (which ends a Node process).
        let pending = self
            .subtle
            .encrypt_with_object_and_u8_array(&params, &self.key, plaintext)
            .map(JsFuture::from);
        Box::pin(async move {
            pending
                .map_err(|_| encrypt_error("WebCrypto encrypt threw"))?
                .await
                .map_err(|_| encrypt_error("WebCrypto refused to encrypt a chunk"))?
                .dyn_into::<ArrayBuffer>()
                .map_err(|_| encrypt_error("WebCrypto encrypt returned no ArrayBuffer"))
        })
    }
}

impl SealedChunk for ArrayBuffer {
    fn append_to(&self, out: &mut Vec<u8>) {
        let sealed = Uint8Array::new(self);
        let start = out.len();
        out.resize(start + sealed.length() as usize, 0);
        sealed.copy_to(&mut out[start..]);
    }
}
