//! Take a definite-length COSE_Sign1 apart and put it back together, to build mutations.

/// The four parts of a COSE_Sign1; `unprotected` is kept as its raw encoding.
#[derive(Debug, Clone)]
pub(crate) struct Parts {
    pub(crate) protected: Vec<u8>,
    pub(crate) unprotected: Vec<u8>,
    pub(crate) payload: Vec<u8>,
    pub(crate) signature: Vec<u8>,
}

impl Parts {
    /// Split an untagged COSE_Sign1 whose byte strings have definite lengths.
    pub(crate) fn split(doc: &[u8]) -> Self {
        assert_eq!(doc[0], 0x84, "not an untagged 4-element array");
        let mut pos = 1;
        let protected = bytes(doc, &mut pos);
        let start = pos;
        assert_eq!(doc[pos], 0xa0, "unprotected header is not an empty map");
        pos += 1;
        let unprotected = doc[start..pos].to_vec();
        let payload = bytes(doc, &mut pos);
        let signature = bytes(doc, &mut pos);
        assert_eq!(pos, doc.len());
        Self {
            protected,
            unprotected,
            payload,
            signature,
        }
    }

    /// Encode again, with shortest definite lengths.
    pub(crate) fn join(&self) -> Vec<u8> {
        let mut out = vec![0x84];
        push_bytes(&mut out, &self.protected);
        out.extend_from_slice(&self.unprotected);
        push_bytes(&mut out, &self.payload);
        push_bytes(&mut out, &self.signature);
        out
    }
}

/// Read a definite byte string at `pos`.
fn bytes(doc: &[u8], pos: &mut usize) -> Vec<u8> {
    let initial = doc[*pos];
    assert_eq!(initial >> 5, 2, "not a byte string");
    *pos += 1;
    let len = match initial & 0x1f {
        n @ 0..=23 => usize::from(n),
        n @ 24..=27 => {
            let width = 1 << (n - 24);
            let len = doc[*pos..*pos + width]
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            *pos += width;
            len
        }
        _ => panic!("indefinite byte string"),
    };
    let out = doc[*pos..*pos + len].to_vec();
    *pos += len;
    out
}

/// Append `bytes` as a definite byte string.
pub(crate) fn push_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = bytes.len();
    if len < 24 {
        out.push(0x40 | len as u8);
    } else if len < 0x100 {
        out.extend_from_slice(&[0x58, len as u8]);
    } else if len < 0x1_0000 {
        out.push(0x59);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0x5a);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
    out.extend_from_slice(bytes);
}

#[test]
fn split_and_join_round_trip() {
    for real in crate::real::REAL {
        assert_eq!(Parts::split(real.bytes).join(), real.bytes, "{}", real.name);
    }
    let baseline = crate::synthetic::BASELINE;
    assert_eq!(Parts::split(baseline).join(), baseline);
}
