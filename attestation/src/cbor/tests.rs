//! Unit and property tests of the CBOR reader.

use proptest::prelude::*;

use super::*;

/// A CBOR item to encode, with the length style of each string and container.
#[derive(Debug, Clone)]
enum Tree {
    Unsigned(u64),
    Negative(u64),
    /// Bytes, and the chunk sizes to split them into for an indefinite encoding.
    Bytes(Vec<u8>, Option<Vec<usize>>),
    Text(String, bool),
    Array(Vec<Tree>, bool),
    Map(Vec<(Tree, Tree)>, bool),
    Tag(u64, Box<Tree>),
    Simple(u8),
}

// Each arm's range bounds `n`, so the narrowing casts are lossless.
#[allow(clippy::cast_possible_truncation)]
pub(crate) fn head(out: &mut Vec<u8>, major: u8, n: u64) {
    let major = major << 5;
    match n {
        0..=23 => out.push(major | n as u8),
        24..=0xff => out.extend_from_slice(&[major | 24, n as u8]),
        0x100..=0xffff => {
            out.push(major | 25);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(major | 26);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        }
        _ => {
            out.push(major | 27);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }
}

/// Encode `tree`; with `definite`, ignore its indefinite-length choices.
fn encode(tree: &Tree, definite: bool, out: &mut Vec<u8>) {
    match tree {
        Tree::Unsigned(n) => head(out, 0, *n),
        Tree::Negative(n) => head(out, 1, *n),
        Tree::Bytes(bytes, Some(chunks)) if !definite => {
            out.push(0x5f);
            let mut rest = bytes.as_slice();
            for &size in chunks {
                let (chunk, tail) = rest.split_at(size.min(rest.len()));
                head(out, 2, chunk.len() as u64);
                out.extend_from_slice(chunk);
                rest = tail;
            }
            head(out, 2, rest.len() as u64);
            out.extend_from_slice(rest);
            out.push(0xff);
        }
        Tree::Bytes(bytes, _) => {
            head(out, 2, bytes.len() as u64);
            out.extend_from_slice(bytes);
        }
        Tree::Text(text, indefinite) if *indefinite && !definite => {
            out.push(0x7f);
            // Split on char boundaries: each chunk must be valid UTF-8.
            for c in text.chars() {
                let mut buf = [0; 4];
                let s = c.encode_utf8(&mut buf);
                head(out, 3, s.len() as u64);
                out.extend_from_slice(s.as_bytes());
            }
            out.push(0xff);
        }
        Tree::Text(text, _) => {
            head(out, 3, text.len() as u64);
            out.extend_from_slice(text.as_bytes());
        }
        Tree::Array(items, indefinite) => {
            let indefinite = *indefinite && !definite;
            if indefinite {
                out.push(0x9f);
            } else {
                head(out, 4, items.len() as u64);
            }
            for item in items {
                encode(item, definite, out);
            }
            if indefinite {
                out.push(0xff);
            }
        }
        Tree::Map(entries, indefinite) => {
            let indefinite = *indefinite && !definite;
            if indefinite {
                out.push(0xbf);
            } else {
                head(out, 5, entries.len() as u64);
            }
            for (key, value) in entries {
                encode(key, definite, out);
                encode(value, definite, out);
            }
            if indefinite {
                out.push(0xff);
            }
        }
        Tree::Tag(tag, inner) => {
            head(out, 6, *tag);
            encode(inner, definite, out);
        }
        Tree::Simple(n) => out.push(0xe0 | n),
    }
}

fn encoded(tree: &Tree, definite: bool) -> Vec<u8> {
    let mut out = Vec::new();
    encode(tree, definite, &mut out);
    out
}

/// Encode a decoded item with definite lengths, to compare it with a `Tree`.
fn reencode(item: &Item<'_>, out: &mut Vec<u8>) {
    match &item.value {
        Value::Unsigned(n) => head(out, 0, *n),
        Value::Negative(n) => head(out, 1, *n),
        Value::Bytes(bytes) => {
            head(out, 2, bytes.len() as u64);
            out.extend_from_slice(bytes);
        }
        Value::Text(text) => {
            head(out, 3, text.len() as u64);
            out.extend_from_slice(text.as_bytes());
        }
        Value::Array(items) => {
            head(out, 4, items.len() as u64);
            items.iter().for_each(|item| reencode(item, out));
        }
        Value::Map(entries) => {
            head(out, 5, entries.len() as u64);
            for (key, value) in entries {
                reencode(key, out);
                reencode(value, out);
            }
        }
        Value::Tag(tag, inner) => {
            head(out, 6, *tag);
            reencode(inner, out);
        }
        Value::Bool(false) => out.push(0xf4),
        Value::Bool(true) => out.push(0xf5),
        Value::Null => out.push(0xf6),
        Value::Undefined => out.push(0xf7),
    }
}

fn key() -> impl Strategy<Value = Tree> {
    prop_oneof![
        any::<u64>().prop_map(Tree::Unsigned),
        any::<u64>().prop_map(Tree::Negative),
        (".{0,12}", any::<bool>()).prop_map(|(s, i)| Tree::Text(s, i)),
    ]
}

/// Canonical identity of a key, to keep generated map keys unique.
fn key_id(tree: &Tree) -> String {
    match tree {
        Tree::Unsigned(n) => format!("u{n}"),
        Tree::Negative(n) => format!("n{n}"),
        Tree::Text(s, _) => format!("t{s}"),
        _ => unreachable!("keys are integers or text"),
    }
}

fn tree() -> impl Strategy<Value = Tree> {
    let leaf = prop_oneof![
        key(),
        (
            proptest::collection::vec(any::<u8>(), 0..64),
            proptest::option::of(proptest::collection::vec(0usize..16, 0..4))
        )
            .prop_map(|(b, c)| Tree::Bytes(b, c)),
        (20u8..=23).prop_map(Tree::Simple),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            (
                proptest::collection::vec(inner.clone(), 0..8),
                any::<bool>()
            )
                .prop_map(|(items, i)| Tree::Array(items, i)),
            (
                proptest::collection::vec((key(), inner.clone()), 0..8),
                any::<bool>()
            )
                .prop_map(|(entries, i)| {
                    let mut seen = BTreeSet::new();
                    let entries = entries
                        .into_iter()
                        .filter(|(k, _)| seen.insert(key_id(k)))
                        .collect();
                    Tree::Map(entries, i)
                }),
            (any::<u64>(), inner).prop_map(|(tag, t)| Tree::Tag(tag, Box::new(t))),
        ]
    })
}

proptest! {
    #[test]
    fn decodes_what_it_is_given_in_any_length_style(tree in tree()) {
        let input = encoded(&tree, false);
        let item = decode(&input).unwrap();
        let mut out = Vec::new();
        reencode(&item, &mut out);
        prop_assert_eq!(out, encoded(&tree, true));
    }

    #[test]
    fn every_strict_prefix_is_refused(tree in tree()) {
        let input = encoded(&tree, false);
        for len in 0..input.len() {
            prop_assert!(decode(&input[..len]).is_err(), "prefix of {} bytes", len);
        }
    }

    #[test]
    fn a_trailing_byte_is_refused(tree in tree(), extra in any::<u8>()) {
        let mut input = encoded(&tree, false);
        let end = input.len();
        input.push(extra);
        prop_assert_eq!(decode(&input), Err(Error::TrailingBytes { offset: end, remaining: 1 }));
    }

    #[test]
    fn a_repeated_key_is_refused_at_any_depth(
        entries in proptest::collection::vec((key(), tree()), 1..6),
        wrap in 0usize..4,
        indefinite in any::<bool>(),
    ) {
        let mut seen = BTreeSet::new();
        let mut entries: Vec<_> =
            entries.into_iter().filter(|(k, _)| seen.insert(key_id(k))).collect();
        let repeated = entries[0].clone();
        entries.push(repeated);
        let mut tree = Tree::Map(entries, indefinite);
        for _ in 0..wrap {
            tree = Tree::Array(vec![Tree::Unsigned(1), tree], indefinite);
        }
        let input = encoded(&tree, false);
        let result = decode(&input);
        prop_assert!(matches!(result, Err(Error::DuplicateKey { .. })), "{:?}", result);
    }

    #[test]
    fn arbitrary_bytes_never_panic(input in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode(&input);
    }
}

#[test]
fn key_equality_ignores_the_length_style() {
    // "ab" definite, then "ab" as two indefinite chunks.
    let input = [
        0xa2, 0x62, b'a', b'b', 0x01, 0x7f, 0x61, b'a', 0x61, b'b', 0xff, 0x02,
    ];
    assert_eq!(decode(&input), Err(Error::DuplicateKey { offset: 5 }));
}

#[test]
fn integer_keys_with_non_shortest_encoding_are_still_duplicates() {
    let input = [0xa2, 0x01, 0x00, 0x18, 0x01, 0x00];
    assert_eq!(decode(&input), Err(Error::DuplicateKey { offset: 3 }));
}

#[test]
fn hostile_length_headers_fail_without_allocating() {
    for input in [
        &[0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff][..],
        &[0x7b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        &[0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00],
        &[
            0xbb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00,
        ],
        &[0x5a, 0xff, 0xff, 0xff, 0xff, 0x00],
    ] {
        assert!(
            matches!(decode(input), Err(Error::MalformedCbor { .. })),
            "{input:02x?}"
        );
    }
}

#[test]
fn nesting_is_limited() {
    let nested = |depth: usize| {
        let mut input = vec![0x81; depth];
        input.push(0x00);
        input
    };
    assert!(decode(&nested(MAX_DEPTH)).is_ok());
    assert_eq!(
        decode(&nested(MAX_DEPTH + 1)),
        Err(Error::NestingTooDeep {
            offset: MAX_DEPTH + 1,
            max: MAX_DEPTH
        })
    );
    let mut tags = [0xd8, 0x20].repeat(MAX_DEPTH + 1);
    tags.push(0x00);
    assert!(matches!(decode(&tags), Err(Error::NestingTooDeep { .. })));
}

#[test]
fn refused_encodings() {
    for (input, reason) in [
        (&[0x1c][..], "reserved additional information"),
        (&[0x1f], "indefinite length on an integer or tag"),
        (&[0xdf, 0x00], "indefinite length on an integer or tag"),
        (&[0xff], "unexpected break"),
        (&[0xf9, 0x3c, 0x00], "floats are not supported"),
        (&[0xfb, 0, 0, 0, 0, 0, 0, 0, 0], "floats are not supported"),
        (&[0xf8, 0x20], "unsupported simple value"),
        (&[0xf0], "unsupported simple value"),
        (&[0x62, 0xc3, 0x28], "text is not UTF-8"),
        (&[0x5f, 0x61, b'a', 0xff], "bad chunk in indefinite string"),
        (&[0x5f, 0x5f, 0xff, 0xff], "bad chunk in indefinite string"),
        (
            &[0x7f, 0x62, 0xc3, 0xa9, 0x61, 0xff, 0xff],
            "text is not UTF-8",
        ),
        (&[0x9f, 0x01], "missing break"),
        (&[0xa1, 0x40, 0x00], "map key is not an integer or text"),
        (&[0xa1, 0xf6, 0x00], "map key is not an integer or text"),
        (&[], "unexpected end of input"),
    ] {
        assert!(
            matches!(decode(input), Err(Error::MalformedCbor { reason: r, .. }) if r == reason),
            "{input:02x?}: {:?}",
            decode(input)
        );
    }
}

#[test]
fn indefinite_strings_concatenate_their_chunks() {
    let item = decode(&[0x5f, 0x41, 0x01, 0x40, 0x42, 0x02, 0x03, 0xff]).unwrap();
    assert_eq!(item.value, Value::Bytes(Cow::Owned(vec![1, 2, 3])));
    let item = decode(&[0x7f, 0x61, b'h', 0x62, b'e', b'y', 0xff]).unwrap();
    assert_eq!(item.value, Value::Text(Cow::Owned("hey".into())));
}
