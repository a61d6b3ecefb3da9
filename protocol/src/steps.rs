//! Validation of the msgpack proving steps a wallet hands to the prover.
//!
//! The payload is what `serializePrivateExecutionSteps` from `@aztec/stdlib/kernel` writes and
//! what `bb prove --scheme chonk --ivc_inputs_path` reads:
//!
//! ```text
//! steps = [ step, ... ]                  ; msgpack array, at least one
//! step  = { "functionName": str,         ; msgpack map, keys in any order, each exactly once
//!           "bytecode":     bin,         ; gzipped ACIR
//!           "witness":      bin,         ; gzipped witness map
//!           "vk":           bin }        ; verification key
//! ```
//!
//! [`parse_steps`] walks the bytes without copying them and without trusting length headers for
//! allocation, so it is safe on hostile input. It refuses anything bb would choke on later, so a
//! client gets a clear error before a proving slot is spent.
//!
//! Function names and witnesses say what a user did: never log them.

/// One proving step, borrowed from the payload.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Step<'a> {
    /// The circuit's function name, e.g. `private_kernel_init`.
    pub function_name: &'a str,
    /// Gzipped ACIR bytecode.
    pub bytecode: &'a [u8],
    /// Gzipped witness map.
    pub witness: &'a [u8],
    /// Verification key.
    pub vk: &'a [u8],
}

/// Why a payload is not a valid list of proving steps.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StepsError {
    /// The array is empty.
    #[error("the payload holds no proving steps")]
    Empty,
    /// The bytes do not follow the format at `offset`.
    #[error("malformed proving steps at byte {offset}: {reason}")]
    Malformed {
        /// Byte offset of the offending item.
        offset: usize,
        /// What was expected there.
        reason: &'static str,
    },
    /// Bytes follow the steps array.
    #[error("{extra} unexpected bytes after the proving steps")]
    TrailingBytes {
        /// How many.
        extra: usize,
    },
}

/// Parses and validates a msgpack proving-steps payload.
///
/// # Errors
/// [`StepsError::Empty`] for an empty array, [`StepsError::TrailingBytes`] when bytes follow it,
/// [`StepsError::Malformed`] for anything else that does not match the format.
pub fn parse_steps(payload: &[u8]) -> Result<Vec<Step<'_>>, StepsError> {
    let mut reader = Reader {
        bytes: payload,
        pos: 0,
    };
    let count = reader.array_len()?;
    if count == 0 {
        return Err(StepsError::Empty);
    }

    // `count` comes from the input: grow as steps actually parse instead of reserving it.
    let mut steps = Vec::new();
    for _ in 0..count {
        steps.push(reader.step()?);
    }

    let extra = payload.len() - reader.pos;
    if extra != 0 {
        return Err(StepsError::TrailingBytes { extra });
    }
    Ok(steps)
}

impl std::fmt::Debug for Step<'_> {
    /// Shows sizes only: names and witnesses are private.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Step")
            .field("function_name_len", &self.function_name.len())
            .field("bytecode_len", &self.bytecode.len())
            .field("witness_len", &self.witness.len())
            .field("vk_len", &self.vk.len())
            .finish()
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn step(&mut self) -> Result<Step<'a>, StepsError> {
        let start = self.pos;
        let entries = self.map_len()?;
        let (mut name, mut bytecode, mut witness, mut vk) = (None, None, None, None);
        for _ in 0..entries {
            let key_at = self.pos;
            match self.str()? {
                "functionName" => {
                    let value = self.str()?;
                    set_once(&mut name, value, key_at)?
                }
                "bytecode" => set_once(&mut bytecode, self.bin()?, key_at)?,
                "witness" => set_once(&mut witness, self.bin()?, key_at)?,
                "vk" => set_once(&mut vk, self.bin()?, key_at)?,
                _ => return Err(malformed(key_at, "unknown step field")),
            }
        }
        let missing = |field| malformed(start, field);
        Ok(Step {
            function_name: name.ok_or_else(|| missing("step lacks functionName"))?,
            bytecode: bytecode
                .filter(|b: &&[u8]| !b.is_empty())
                .ok_or_else(|| missing("step lacks bytecode"))?,
            witness: witness
                .filter(|w: &&[u8]| !w.is_empty())
                .ok_or_else(|| missing("step lacks witness"))?,
            vk: vk.ok_or_else(|| missing("step lacks vk"))?,
        })
    }

    fn array_len(&mut self) -> Result<usize, StepsError> {
        let at = self.pos;
        match self.byte()? {
            b @ 0x90..=0x9f => Ok(usize::from(b & 0x0f)),
            0xdc => self.uint(2),
            0xdd => self.uint(4),
            _ => Err(malformed(at, "expected an array of steps")),
        }
    }

    fn map_len(&mut self) -> Result<usize, StepsError> {
        let at = self.pos;
        match self.byte()? {
            b @ 0x80..=0x8f => Ok(usize::from(b & 0x0f)),
            0xde => self.uint(2),
            0xdf => self.uint(4),
            _ => Err(malformed(at, "expected a step map")),
        }
    }

    fn str(&mut self) -> Result<&'a str, StepsError> {
        let at = self.pos;
        let len = match self.byte()? {
            b @ 0xa0..=0xbf => usize::from(b & 0x1f),
            0xd9 => self.uint(1)?,
            0xda => self.uint(2)?,
            0xdb => self.uint(4)?,
            _ => return Err(malformed(at, "expected a string")),
        };
        std::str::from_utf8(self.take(len)?).map_err(|_| malformed(at, "string is not UTF-8"))
    }

    fn bin(&mut self) -> Result<&'a [u8], StepsError> {
        let at = self.pos;
        let len = match self.byte()? {
            0xc4 => self.uint(1)?,
            0xc5 => self.uint(2)?,
            0xc6 => self.uint(4)?,
            _ => return Err(malformed(at, "expected binary data")),
        };
        self.take(len)
    }

    fn uint(&mut self, width: usize) -> Result<usize, StepsError> {
        let bytes = self.take(width)?;
        let value = bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        usize::try_from(value).map_err(|_| malformed(self.pos - width, "length too large"))
    }

    fn byte(&mut self) -> Result<u8, StepsError> {
        Ok(self.take(1)?[0])
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], StepsError> {
        let end = self
            .pos
            .checked_add(len)
            .filter(|end| *end <= self.bytes.len())
            .ok_or_else(|| malformed(self.pos, "unexpected end of data"))?;
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(slice)
    }
}

fn set_once<T>(slot: &mut Option<T>, value: T, key_at: usize) -> Result<(), StepsError> {
    if slot.replace(value).is_some() {
        return Err(malformed(key_at, "duplicate step field"));
    }
    Ok(())
}

fn malformed(offset: usize, reason: &'static str) -> StepsError {
    StepsError::Malformed { offset, reason }
}

#[cfg(test)]
mod tests;
