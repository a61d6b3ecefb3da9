//! A small, strict CBOR reader (RFC 8949) for attestation documents.
//!
//! It reads one complete item and refuses trailing bytes, duplicate map keys at any depth,
//! nesting deeper than [`MAX_DEPTH`], reserved or malformed headers, floats and simple values
//! other than `false`, `true`, `null` and `undefined`, and map keys that are not integers or
//! text. Definite and indefinite lengths are both accepted. No allocation is sized by a length
//! header: containers grow one decoded item at a time, and byte and text strings borrow from the
//! input (indefinite ones are concatenated from chunks that are already present).

use std::borrow::Cow;
use std::collections::BTreeSet;

use crate::Error;

/// Deepest nesting of arrays, maps and tags followed.
pub(crate) const MAX_DEPTH: usize = 16;

/// One decoded CBOR data item, borrowing from the input where it can.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value<'a> {
    /// Major type 0.
    Unsigned(u64),
    /// Major type 1: the value is `-1 - n`.
    Negative(u64),
    /// Major type 2.
    Bytes(Cow<'a, [u8]>),
    /// Major type 3.
    Text(Cow<'a, str>),
    /// Major type 4.
    Array(Vec<Item<'a>>),
    /// Major type 5, in encoded order.
    Map(Entries<'a>),
    /// Major type 6.
    Tag(u64, Box<Item<'a>>),
    /// Simple values 20 and 21.
    Bool(bool),
    /// Simple value 22.
    Null,
    /// Simple value 23.
    Undefined,
}

/// The entries of a map, in encoded order.
pub(crate) type Entries<'a> = Vec<(Item<'a>, Item<'a>)>;

/// A decoded item with the byte offset it started at, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Item<'a> {
    pub(crate) offset: usize,
    pub(crate) value: Value<'a>,
}

/// A map key, ordered so duplicates are found in `O(n log n)`.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Key<'v> {
    Unsigned(u64),
    Negative(u64),
    Text(&'v str),
}

/// Decode exactly one item from `input`; anything after it is an error.
pub(crate) fn decode(input: &[u8]) -> Result<Item<'_>, Error> {
    let mut reader = Reader { input, pos: 0 };
    let item = reader.item(0)?;
    if reader.pos != input.len() {
        return Err(Error::TrailingBytes {
            offset: reader.pos,
            remaining: input.len() - reader.pos,
        });
    }
    Ok(item)
}

struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
}

/// The additional-information value meaning "indefinite length" (or "break" in major type 7).
const INDEFINITE: u8 = 31;

/// What a header announces: a major type and its argument (`None` for indefinite length).
struct Header {
    major: u8,
    info: u8,
    argument: Option<u64>,
}

impl<'a> Reader<'a> {
    fn malformed(&self, offset: usize, reason: &'static str) -> Error {
        Error::MalformedCbor { offset, reason }
    }

    fn byte(&mut self) -> Result<u8, Error> {
        let byte = *self
            .input
            .get(self.pos)
            .ok_or_else(|| self.malformed(self.pos, "unexpected end of input"))?;
        self.pos += 1;
        Ok(byte)
    }

    fn take(&mut self, len: u64) -> Result<&'a [u8], Error> {
        let start = self.pos;
        let end = usize::try_from(len)
            .ok()
            .and_then(|len| start.checked_add(len))
            .filter(|&end| end <= self.input.len())
            .ok_or_else(|| self.malformed(start, "length runs past the end of input"))?;
        self.pos = end;
        // `end` was checked against the input length above.
        self.input
            .get(start..end)
            .ok_or_else(|| self.malformed(start, "length runs past the end of input"))
    }

    fn header(&mut self) -> Result<Header, Error> {
        let start = self.pos;
        let initial = self.byte()?;
        let major = initial >> 5;
        let info = initial & 0x1f;
        let argument = match info {
            0..=23 => Some(u64::from(info)),
            24..=27 => {
                let width = 1u64 << (info - 24);
                let bytes = self.take(width)?;
                Some(bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
            }
            28..=30 => return Err(self.malformed(start, "reserved additional information")),
            _ => None,
        };
        Ok(Header {
            major,
            info,
            argument,
        })
    }

    fn item(&mut self, depth: usize) -> Result<Item<'a>, Error> {
        let offset = self.pos;
        if depth > MAX_DEPTH {
            return Err(Error::NestingTooDeep {
                offset,
                max: MAX_DEPTH,
            });
        }
        let header = self.header()?;
        let value = match (header.major, header.argument) {
            (0, Some(n)) => Value::Unsigned(n),
            (1, Some(n)) => Value::Negative(n),
            (2, Some(len)) => Value::Bytes(Cow::Borrowed(self.take(len)?)),
            (2, None) => Value::Bytes(Cow::Owned(self.chunks(2)?)),
            (3, Some(len)) => Value::Text(Cow::Borrowed(self.text(len)?)),
            (3, None) => {
                let bytes = self.chunks(3)?;
                // Each chunk was checked to be UTF-8, so their concatenation is too.
                let text = String::from_utf8(bytes)
                    .map_err(|_| self.malformed(offset, "text is not UTF-8"))?;
                Value::Text(Cow::Owned(text))
            }
            (4, len) => Value::Array(self.array(len, depth)?),
            (5, len) => Value::Map(self.map(len, depth)?),
            (6, Some(tag)) => Value::Tag(tag, Box::new(self.item(depth + 1)?)),
            (7, _) => match header.info {
                20 => Value::Bool(false),
                21 => Value::Bool(true),
                22 => Value::Null,
                23 => Value::Undefined,
                INDEFINITE => return Err(self.malformed(offset, "unexpected break")),
                25..=27 => return Err(self.malformed(offset, "floats are not supported")),
                _ => return Err(self.malformed(offset, "unsupported simple value")),
            },
            _ => return Err(self.malformed(offset, "indefinite length on an integer or tag")),
        };
        Ok(Item { offset, value })
    }

    fn text(&mut self, len: u64) -> Result<&'a str, Error> {
        let start = self.pos;
        let bytes = self.take(len)?;
        std::str::from_utf8(bytes).map_err(|_| self.malformed(start, "text is not UTF-8"))
    }

    /// Whether the next byte is a break (0xff); consumes it if so.
    fn at_break(&mut self) -> Result<bool, Error> {
        match self.input.get(self.pos) {
            Some(0xff) => {
                self.pos += 1;
                Ok(true)
            }
            Some(_) => Ok(false),
            None => Err(self.malformed(self.pos, "missing break")),
        }
    }

    /// The concatenated chunks of an indefinite byte (2) or text (3) string.
    fn chunks(&mut self, major: u8) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        while !self.at_break()? {
            let offset = self.pos;
            let header = self.header()?;
            let len = match header.argument {
                Some(len) if header.major == major => len,
                _ => return Err(self.malformed(offset, "bad chunk in indefinite string")),
            };
            let chunk = if major == 3 {
                self.text(len)?.as_bytes()
            } else {
                self.take(len)?
            };
            out.extend_from_slice(chunk);
        }
        Ok(out)
    }

    fn array(&mut self, len: Option<u64>, depth: usize) -> Result<Vec<Item<'a>>, Error> {
        let mut items = Vec::new();
        match len {
            Some(len) => {
                for _ in 0..len {
                    items.push(self.item(depth + 1)?);
                }
            }
            None => {
                while !self.at_break()? {
                    items.push(self.item(depth + 1)?);
                }
            }
        }
        Ok(items)
    }

    fn map(&mut self, len: Option<u64>, depth: usize) -> Result<Entries<'a>, Error> {
        let mut entries = Vec::new();
        let mut remaining = len;
        loop {
            match remaining.as_mut() {
                Some(0) => break,
                Some(n) => *n -= 1,
                None => {
                    if self.at_break()? {
                        break;
                    }
                }
            }
            let key = self.item(depth + 1)?;
            let value = self.item(depth + 1)?;
            entries.push((key, value));
        }

        let mut seen = BTreeSet::new();
        for (key, _) in &entries {
            let ordered = match &key.value {
                Value::Unsigned(n) => Key::Unsigned(*n),
                Value::Negative(n) => Key::Negative(*n),
                Value::Text(text) => Key::Text(text),
                _ => return Err(self.malformed(key.offset, "map key is not an integer or text")),
            };
            if !seen.insert(ordered) {
                return Err(Error::DuplicateKey { offset: key.offset });
            }
        }
        Ok(entries)
    }
}

#[cfg(test)]
pub(crate) mod tests;
