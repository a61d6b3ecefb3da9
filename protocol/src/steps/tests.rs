use proptest::prelude::*;

use super::*;

const FIXTURE: &[u8] = include_bytes!("../../../testdata/aztec/ivc-deploy-schnorr.msgpack");

/// Builds a step map with the given (key, value) pairs; values are msgpack-encoded already.
fn map(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut out = vec![0x80 | u8::try_from(entries.len()).unwrap()];
    for (key, value) in entries {
        out.extend(fixstr(key));
        out.extend(value);
    }
    out
}

fn fixstr(s: &str) -> Vec<u8> {
    let mut out = vec![0xa0 | u8::try_from(s.len()).unwrap()];
    out.extend(s.as_bytes());
    out
}

fn bin(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0xc4, u8::try_from(data.len()).unwrap()];
    out.extend(data);
    out
}

fn good_step() -> Vec<u8> {
    map(&[
        ("functionName", fixstr("main")),
        ("bytecode", bin(b"acir")),
        ("witness", bin(b"wit")),
        ("vk", bin(b"vk")),
    ])
}

fn array(items: &[Vec<u8>]) -> Vec<u8> {
    let mut out = vec![0x90 | u8::try_from(items.len()).unwrap()];
    for item in items {
        out.extend(item);
    }
    out
}

#[test]
fn real_fixture_has_nine_steps() {
    let steps = parse_steps(FIXTURE).unwrap();
    let names: Vec<_> = steps.iter().map(|s| s.function_name).collect();
    assert_eq!(
        names,
        [
            "MultiCallEntrypoint:entrypoint",
            "private_kernel_init",
            "SchnorrAccount:constructor",
            "private_kernel_inner",
            "SchnorrAccount:entrypoint",
            "private_kernel_inner",
            "private_kernel_reset",
            "private_kernel_tail",
            "hiding_kernel",
        ]
    );
    assert!(steps.iter().all(|s| s.vk.len() == 4064));
    // Gzip magic: the bytecode and witness are gzipped.
    assert!(steps.iter().all(|s| s.bytecode.starts_with(&[0x1f, 0x8b])));
    assert!(steps.iter().all(|s| s.witness.starts_with(&[0x1f, 0x8b])));
}

#[test]
fn accepts_a_minimal_step_in_any_key_order() {
    let step = map(&[
        ("vk", bin(b"vk")),
        ("witness", bin(b"wit")),
        ("bytecode", bin(b"acir")),
        ("functionName", fixstr("main")),
    ]);
    let payload = array(&[step]);
    let steps = parse_steps(&payload).unwrap();
    assert_eq!(steps[0].function_name, "main");
    assert_eq!(steps[0].bytecode, b"acir");
}

#[test]
fn refuses_empty_array() {
    assert_eq!(parse_steps(&[0x90]), Err(StepsError::Empty));
}

#[test]
fn refuses_trailing_bytes() {
    let mut payload = array(&[good_step()]);
    payload.push(0);
    assert_eq!(
        parse_steps(&payload),
        Err(StepsError::TrailingBytes { extra: 1 })
    );
}

#[test]
fn refuses_malformed_steps() {
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (vec![], "unexpected end of data"),
        (vec![0x81], "expected an array of steps"),
        (array(&[fixstr("x")]), "expected a step map"),
        (
            array(&[map(&[
                ("functionName", fixstr("main")),
                ("bytecode", bin(b"a")),
                ("witness", bin(b"w")),
            ])]),
            "step lacks vk",
        ),
        (
            array(&[map(&[
                ("functionName", fixstr("main")),
                ("bytecode", bin(b"a")),
                ("bytecode", bin(b"a")),
                ("witness", bin(b"w")),
                ("vk", bin(b"v")),
            ])]),
            "duplicate step field",
        ),
        (
            array(&[map(&[
                ("functionName", fixstr("main")),
                ("bytecode", bin(b"")),
                ("witness", bin(b"w")),
                ("vk", bin(b"v")),
            ])]),
            "step lacks bytecode",
        ),
        (array(&[map(&[("extra", bin(b"x"))])]), "unknown step field"),
        (
            array(&[map(&[("bytecode", fixstr("not binary"))])]),
            "expected binary data",
        ),
        // An array header that promises 2^32-1 steps but holds none: no huge allocation.
        (vec![0xdd, 0xff, 0xff, 0xff, 0xff], "unexpected end of data"),
        // A bin32 header that promises 4 GiB.
        (
            {
                let mut p = vec![0x91, 0x81];
                p.extend(fixstr("bytecode"));
                p.extend([0xc6, 0xff, 0xff, 0xff, 0xff]);
                p
            },
            "unexpected end of data",
        ),
    ];
    for (payload, want) in cases {
        match parse_steps(&payload) {
            Err(StepsError::Malformed { reason, .. }) => assert_eq!(reason, want, "{payload:02x?}"),
            other => panic!("{payload:02x?}: expected {want:?}, got {other:?}"),
        }
    }
}

#[test]
fn debug_shows_no_content() {
    let steps = parse_steps(FIXTURE).unwrap();
    let shown = format!("{:?}", steps[0]);
    assert!(!shown.contains("MultiCallEntrypoint"), "{shown}");
}

proptest! {
    #[test]
    fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = parse_steps(&bytes);
    }

    #[test]
    fn never_panics_on_truncated_fixture(cut in 0usize..4096) {
        let end = FIXTURE.len().saturating_sub(cut);
        prop_assert!(parse_steps(&FIXTURE[..end]).is_err() || cut == 0);
    }
}
