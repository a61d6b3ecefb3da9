//! `tee-rex attestation verify`: the verifier on one document, for operators.

use base64::{engine::general_purpose::STANDARD as BASE64, Engine as _};
use clap::Args;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use tee_rex_attestation::{
    ExpectedPcrs, TrustedRoot, UnixTime, VerifiedAttestation, VerifyOptions,
};
use tee_rex_protocol::ProverIdentity;

use crate::{input, time, Failure};

/// Arguments of `tee-rex attestation verify`.
#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The document: raw COSE_Sign1 bytes or base64 text; `-` reads stdin.
    file: String,
    /// Trust this PEM root instead of the AWS Nitro Enclaves Root G1 (e.g. a dev server's root).
    #[arg(long, value_name = "PEM")]
    root: Option<String>,
    /// Verify at TIME (RFC 3339 or unix milliseconds) instead of now.
    #[arg(long, value_name = "TIME", value_parser = time::parse_time)]
    at: Option<u64>,
    /// Require this nonce (hex).
    #[arg(long, value_name = "HEX", value_parser = parse_hex)]
    nonce: Option<HexBytes>,
    /// Require PCR N to equal HEX (48 bytes); repeatable.
    #[arg(long = "expect-pcr", value_name = "N=HEX", value_parser = parse_pcr)]
    expect_pcr: Vec<(u8, Vec<u8>)>,
    /// Accept debug-mode enclaves (PCR0, PCR1, PCR2 all zero), whose memory the host can read.
    #[arg(long)]
    allow_debug: bool,
    /// Refuse documents older than SECONDS.
    #[arg(long, value_name = "SECONDS")]
    max_age: Option<u64>,
    /// Apply tee-rex's key policy: `public_key` must be a binary OpenPGP key able to encrypt.
    #[arg(long)]
    require_openpgp_key: bool,
}

/// Runs the command: JSON summary on stdout when the document is accepted.
pub(crate) fn run(args: VerifyArgs) -> Result<(), Failure> {
    let raw = input::read(&args.file, "document")?;
    let document = decode_document(&raw);
    let root = match &args.root {
        None => TrustedRoot::aws_nitro_g1(),
        Some(path) => TrustedRoot::insecure_from_pem(&input::read_text(path, "root")?)
            .map_err(|e| Failure::usage(e.code(), format!("--root {path:?}: {e}")))?,
    };
    let root_json = json!({ "sha256": root.sha256_hex(), "insecure": args.root.is_some() });
    let now = args.at.unwrap_or_else(time::now_ms);

    let mut options = VerifyOptions::new(UnixTime::from_millis(now))
        .trusted_root(root)
        .insecure_allow_debug(args.allow_debug);
    if let Some(HexBytes(nonce)) = args.nonce {
        options = options.expected_nonce(nonce);
    }
    if !args.expect_pcr.is_empty() {
        let pcrs = ExpectedPcrs::new(args.expect_pcr)
            .map_err(|e| Failure::usage(e.code(), format!("--expect-pcr: {e}")))?;
        options = options.expected_pcrs(pcrs);
    }
    if let Some(secs) = args.max_age {
        options = options.max_age(std::time::Duration::from_secs(secs));
    }

    let (verified, key_fingerprint) = if args.require_openpgp_key {
        let checked = tee_rex_sdk::verify_attestation(&document, &options)?;
        let fingerprint = checked.key_fingerprint();
        (checked.attestation().clone(), Some(fingerprint))
    } else {
        let verified = tee_rex_attestation::verify(&document, &options)
            .map_err(|e| Failure::refused(e.code(), e.to_string()))?;
        (verified, None)
    };

    let mut summary = summary(&verified, now);
    summary.insert("root".into(), root_json);
    if let Some(fingerprint) = key_fingerprint {
        summary.insert("openpgpFingerprint".into(), Value::String(fingerprint));
    }
    let text = serde_json::to_string_pretty(&Value::Object(summary))
        .map_err(|e| Failure::refused("INTERNAL", e.to_string()))?;
    println!("{text}");
    Ok(())
}

/// Raw COSE starts with a CBOR array or tag byte, never a base64 character: anything made only
/// of base64 characters and whitespace is base64 text.
fn decode_document(raw: &[u8]) -> Vec<u8> {
    let text: Vec<u8> = raw
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let is_base64 = !text.is_empty()
        && text
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='));
    if is_base64 {
        if let Ok(decoded) = BASE64.decode(&text) {
            return decoded;
        }
    }
    raw.to_vec()
}

fn summary(v: &VerifiedAttestation, now: u64) -> Map<String, Value> {
    let pcrs: Map<String, Value> = v
        .pcrs()
        .iter()
        .map(|(i, value)| (i.to_string(), Value::String(hex::encode(value))))
        .collect();
    let blob = |bytes: Option<&[u8]>| match bytes {
        None => Value::Null,
        Some(b) => json!({ "length": b.len(), "sha256": hex::encode(Sha256::digest(b)) }),
    };
    let prover = v
        .user_data()
        .and_then(|d| ProverIdentity::from_user_data(d).ok())
        .and_then(|p| serde_json::to_value(p).ok())
        .unwrap_or(Value::Null);
    let mut out = Map::new();
    out.insert("verified".into(), Value::Bool(true));
    out.insert("verifiedAt".into(), json!(now));
    out.insert("verifiedAtUtc".into(), json!(time::format_rfc3339(now)));
    out.insert("moduleId".into(), json!(v.module_id()));
    out.insert("digest".into(), json!(v.digest()));
    out.insert("timestamp".into(), json!(v.timestamp().as_millis()));
    out.insert(
        "timestampUtc".into(),
        json!(time::format_rfc3339(v.timestamp().as_millis())),
    );
    out.insert("debug".into(), json!(v.is_debug()));
    out.insert("pcrs".into(), Value::Object(pcrs));
    out.insert(
        "nonce".into(),
        v.nonce().map_or(Value::Null, |n| json!(hex::encode(n))),
    );
    out.insert("publicKey".into(), blob(v.public_key()));
    out.insert("userData".into(), blob(v.user_data()));
    out.insert("proverIdentity".into(), prover);
    out.insert(
        "leafNotBefore".into(),
        json!(v.leaf_not_before().as_millis()),
    );
    out.insert("leafNotAfter".into(), json!(v.leaf_not_after().as_millis()));
    out
}

/// Bytes given as hex on the command line (a newtype: clap reads a bare `Vec` as many values).
#[derive(Clone, Debug)]
struct HexBytes(Vec<u8>);

fn parse_hex(text: &str) -> Result<HexBytes, String> {
    let bytes = hex::decode(text.trim()).map_err(|e| format!("not hex: {e}"))?;
    if bytes.is_empty() {
        return Err("empty".into());
    }
    Ok(HexBytes(bytes))
}

pub(crate) fn parse_pcr(text: &str) -> Result<(u8, Vec<u8>), String> {
    tee_rex_sdk::parse_pcr_arg(text).map_err(|e| e.to_string())
}
