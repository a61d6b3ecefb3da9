//! Expected PCR values from the command line (`N=HEX`) or from a JSON file.
//!
//! Two JSON shapes are accepted: a flat object `{"PCR0":"<hex>","PCR1":"<hex>",...}` (what the
//! tee-rex dev server writes beside its root, `<root>.pcrs.json`) and nitro-cli's build output
//! `{"Measurements":{"HashAlgorithm":"...","PCR0":"<hex>",...}}`.

use serde_json::Value;

use crate::Error;

/// Highest PCR index a Nitro document carries.
const MAX_PCR_INDEX: u8 = 31;
/// Length of a SHA-384 PCR value.
const PCR_LEN: usize = 48;

/// Parses one `N=HEX` expectation, e.g. `0=9f2a...` (96 hex digits).
///
/// # Errors
/// [`Error::InvalidPcrSpec`] for a missing `=`, an index over 31, or a value that is not 48 bytes
/// of hex.
pub fn parse_pcr_arg(arg: &str) -> Result<(u8, Vec<u8>), Error> {
    let (index, value) = arg
        .split_once('=')
        .ok_or_else(|| spec(format!("expected N=HEX, got {:?}", truncate(arg))))?;
    pcr(parse_index(index.trim())?, value.trim())
}

/// Parses a PCR JSON file (either shape described in the module docs).
///
/// # Errors
/// [`Error::InvalidPcrSpec`] for invalid JSON, an unknown top-level key, a `PCRn` key with a bad
/// index or value, or a file without any PCR.
pub fn parse_pcrs_json(json: &str) -> Result<Vec<(u8, Vec<u8>)>, Error> {
    let value: Value =
        serde_json::from_str(json).map_err(|e| spec(format!("PCR file is not JSON: {e}")))?;
    let Value::Object(top) = value else {
        return Err(spec("PCR file is not a JSON object".into()));
    };

    // nitro-cli nests the PCRs beside other measurements; the flat form holds only PCRs.
    let (map, nested) = match top.get("Measurements") {
        Some(Value::Object(inner)) if top.len() == 1 => (inner, true),
        Some(_) => {
            return Err(spec(
                "\"Measurements\" must be the only key, an object".into(),
            ))
        }
        None => (&top, false),
    };

    let mut out = Vec::new();
    for (key, value) in map {
        let Some(index) = key.strip_prefix("PCR") else {
            if nested {
                continue;
            }
            return Err(spec(format!("unexpected key {:?}", truncate(key))));
        };
        let Value::String(hex) = value else {
            return Err(spec(format!("{key} is not a hex string")));
        };
        out.push(pcr(parse_index(index)?, hex)?);
    }
    if out.is_empty() {
        return Err(spec("the PCR file lists no PCR".into()));
    }
    Ok(out)
}

fn pcr(index: u8, hex_value: &str) -> Result<(u8, Vec<u8>), Error> {
    let bytes =
        hex::decode(hex_value).map_err(|e| spec(format!("PCR{index} value is not hex: {e}")))?;
    if bytes.len() != PCR_LEN {
        return Err(spec(format!(
            "PCR{index} is {} bytes, expected {PCR_LEN}",
            bytes.len()
        )));
    }
    Ok((index, bytes))
}

fn parse_index(text: &str) -> Result<u8, Error> {
    let index: u8 = text
        .parse()
        .map_err(|_| spec(format!("PCR index {:?} is not a number", truncate(text))))?;
    if index > MAX_PCR_INDEX {
        return Err(spec(format!("PCR index {index} is over {MAX_PCR_INDEX}")));
    }
    Ok(index)
}

fn spec(reason: String) -> Error {
    Error::InvalidPcrSpec { reason }
}

fn truncate(text: &str) -> String {
    text.chars().take(24).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "aa";

    fn hex48(byte: &str) -> String {
        byte.repeat(PCR_LEN)
    }

    #[test]
    fn parses_arg() {
        let (i, v) = parse_pcr_arg(&format!("2={}", hex48(A))).unwrap();
        assert_eq!((i, v), (2, vec![0xaa; 48]));
    }

    #[test]
    fn refuses_bad_args() {
        for bad in [
            hex48(A),
            format!("32={}", hex48(A)),
            format!("x={}", hex48(A)),
            "0=abcd".to_string(),
            format!("0={}", hex48("zz")),
        ] {
            assert!(
                matches!(parse_pcr_arg(&bad), Err(Error::InvalidPcrSpec { .. })),
                "accepted {bad}"
            );
        }
    }

    #[test]
    fn parses_flat_and_nitro_cli_files() {
        let flat = format!(r#"{{"PCR0":"{}","PCR1":"{}"}}"#, hex48(A), hex48("bb"));
        let mut got = parse_pcrs_json(&flat).unwrap();
        got.sort();
        assert_eq!(got, vec![(0, vec![0xaa; 48]), (1, vec![0xbb; 48])]);

        let nested = format!(
            r#"{{"Measurements":{{"HashAlgorithm":"Sha384 {{ ... }}","PCR2":"{}"}}}}"#,
            hex48("cc")
        );
        assert_eq!(parse_pcrs_json(&nested).unwrap(), vec![(2, vec![0xcc; 48])]);
    }

    #[test]
    fn refuses_bad_files() {
        for bad in [
            "[]".to_string(),
            "{}".to_string(),
            "not json".to_string(),
            r#"{"Measurements":{"HashAlgorithm":"x"}}"#.to_string(),
            format!(r#"{{"PCR0":"{}","other":1}}"#, hex48(A)),
            format!(r#"{{"PCR33":"{}"}}"#, hex48(A)),
            r#"{"PCR0":"abcd"}"#.to_string(),
            r#"{"PCR0":5}"#.to_string(),
        ] {
            assert!(
                matches!(parse_pcrs_json(&bad), Err(Error::InvalidPcrSpec { .. })),
                "accepted {bad}"
            );
        }
    }
}
