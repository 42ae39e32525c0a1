//! GGML weight blocks to the kernel's numbers: every weight's unsigned value `q`, and per
//! sub-block its scale `d` and, for types with a minimum, `m` — the file's own values, so a
//! weight is exactly what the file (and candle's dequantisation) says: `d · (q − offset)`, or
//! `d · q + m`.
//!
//! Legacy types (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0) have one fp16 scale per 32 weights, kept as its
//! bits. K-quants pack 256 weights with one fp16 super-scale and small integer sub-scales;
//! their products (`d · sc`, `dmin · m`: at most 11 × 8 significant bits) are exact in f32, so
//! they become plain f32 scales per 32 (Q4_K, Q5_K) or per 16 (Q6_K) weights.

use candle_core::quantized::GgmlDType;

use super::{Aligned, QK, Scales};

/// Weights per K-quant super-block.
const QK_K: usize = 256;

/// One matrix's weights as the kernel reads them, before they are laid out.
pub(super) struct Unpacked {
    /// The unsigned value of each weight, row-major.
    pub values: Aligned<u8>,
    /// How many bits the values use (4, 5, 6 or 8).
    pub bits: u32,
    /// Scales per `scale_block` weights.
    pub d: Scales,
    /// Minima per `scale_block` weights, for types that have one.
    pub m: Option<Scales>,
    /// What was added to each signed weight to make it unsigned (0 with a minimum).
    pub offset: i32,
    /// Weights per scale: 32, or 16 for Q6_K.
    pub scale_block: usize,
}

/// Whether the kernel takes `dtype`'s blocks.
pub(crate) fn takes(dtype: GgmlDType) -> bool {
    matches!(
        dtype,
        GgmlDType::Q4_0
            | GgmlDType::Q4_1
            | GgmlDType::Q5_0
            | GgmlDType::Q5_1
            | GgmlDType::Q8_0
            | GgmlDType::Q4K
            | GgmlDType::Q5K
            | GgmlDType::Q6K
    )
}

/// The `n` weights of `raw`, GGML blocks of `dtype` (one the kernel [`takes`]).
pub(super) fn unpack(dtype: GgmlDType, raw: &[u8], n: usize) -> Unpacked {
    match dtype {
        GgmlDType::Q4K | GgmlDType::Q5K => k_quant_with_minimum(dtype == GgmlDType::Q5K, raw, n),
        GgmlDType::Q6K => q6_k(raw, n),
        _ => legacy(dtype, raw, n),
    }
}

/// The fp16 value at `block[at..at + 2]`, as bits.
fn f16_at(block: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([block[at], block[at + 1]])
}

fn f32_at(block: &[u8], at: usize) -> f32 {
    half::f16::from_bits(f16_at(block, at)).to_f32()
}

/// The 32 values of a GGML 4/5-bit block from its 16 bytes of nibbles and, for 5 bits, the
/// 32 high bits: value `j` is the low nibble of byte `j`, value `j + 16` the high one.
fn unpack_32(qs: &[u8], high_bits: Option<u32>) -> [u8; QK] {
    let mut q = [0u8; QK];
    for j in 0..QK / 2 {
        q[j] = qs[j] & 0x0F;
        q[j + QK / 2] = qs[j] >> 4;
    }
    if let Some(h) = high_bits {
        for (j, v) in q.iter_mut().enumerate() {
            *v |= (((h >> j) & 1) as u8) << 4;
        }
    }
    q
}

/// Q4_0, Q4_1, Q5_0, Q5_1, Q8_0: blocks of 32 with an fp16 scale (and minimum).
fn legacy(dtype: GgmlDType, raw: &[u8], n: usize) -> Unpacked {
    let (block, offset, has_min, bits) = match dtype {
        GgmlDType::Q4_0 => (18, 8, false, 4),
        GgmlDType::Q4_1 => (20, 0, true, 4),
        GgmlDType::Q5_0 => (22, 16, false, 5),
        GgmlDType::Q5_1 => (24, 0, true, 5),
        GgmlDType::Q8_0 => (34, 128, false, 8),
        other => panic!("{other:?} has no layout on the int8 kernel"),
    };
    let nb = n / QK;
    let mut values = Aligned::zeroed(n);
    let mut d = Vec::with_capacity(nb);
    let mut m = Vec::with_capacity(if has_min { nb } else { 0 });
    for (i, b) in raw.chunks_exact(block).take(nb).enumerate() {
        d.push(f16_at(b, 0));
        if has_min {
            m.push(f16_at(b, 2));
        }
        let out = &mut values[i * QK..(i + 1) * QK];
        match dtype {
            GgmlDType::Q8_0 => {
                for (o, &q) in out.iter_mut().zip(&b[2..]) {
                    *o = (q as i8 as i32 + 128) as u8;
                }
            }
            GgmlDType::Q4_0 => out.copy_from_slice(&unpack_32(&b[2..], None)),
            GgmlDType::Q4_1 => out.copy_from_slice(&unpack_32(&b[4..], None)),
            GgmlDType::Q5_0 => {
                let h = u32::from_le_bytes([b[2], b[3], b[4], b[5]]);
                out.copy_from_slice(&unpack_32(&b[6..], Some(h)));
            }
            _ => {
                let h = u32::from_le_bytes([b[4], b[5], b[6], b[7]]);
                out.copy_from_slice(&unpack_32(&b[8..], Some(h)));
            }
        }
    }
    Unpacked {
        values,
        bits,
        d: Scales::Half(d),
        m: has_min.then_some(Scales::Half(m)),
        offset,
        scale_block: QK,
    }
}

/// Sub-block `j`'s 6-bit scale and minimum from a Q4_K/Q5_K block's 12 packed bytes: the first
/// four pairs in the low six bits of bytes 0–7, the last four split over bytes 8–11 and the
/// top two bits of bytes 0–7.
fn scale_and_min(j: usize, s: &[u8]) -> (u8, u8) {
    if j < 4 {
        (s[j] & 63, s[j + 4] & 63)
    } else {
        (
            (s[j + 4] & 0x0F) | ((s[j - 4] >> 6) << 4),
            (s[j + 4] >> 4) | ((s[j] >> 6) << 4),
        )
    }
}

/// Q4_K (144 bytes: d, dmin, 12 bytes of scales, 128 of nibbles) and Q5_K (176: the same with
/// 32 bytes of fifth bits before the nibbles). In each 64 weights, byte `i` of its 32 holds
/// weight `i` low and `32 + i` high; sub-block `j` (32 weights) is `d·sc_j · q − dmin·m_j`.
fn k_quant_with_minimum(five_bits: bool, raw: &[u8], n: usize) -> Unpacked {
    let block = if five_bits { 176 } else { 144 };
    let nb = n / QK_K;
    let mut values = Aligned::zeroed(n);
    let mut d = Vec::with_capacity(n / QK);
    let mut m = Vec::with_capacity(n / QK);
    for (bi, b) in raw.chunks_exact(block).take(nb).enumerate() {
        let (scale, min) = (f32_at(b, 0), f32_at(b, 2));
        let scales = &b[4..16];
        let (qh, qs) = if five_bits {
            (&b[16..48], &b[48..176])
        } else {
            (&b[..0], &b[16..144])
        };
        let out = &mut values[bi * QK_K..(bi + 1) * QK_K];
        for j in 0..QK_K / QK {
            let (sc, mn) = scale_and_min(j, scales);
            d.push(scale * sc as f32);
            m.push(-(min * mn as f32));
            // Sub-blocks 2c and 2c + 1 share the 32 bytes of chunk c.
            let (c, upper) = (j / 2, j % 2);
            for i in 0..QK {
                let byte = qs[c * QK + i];
                let mut q = if upper == 1 { byte >> 4 } else { byte & 0x0F };
                if five_bits && qh[i] & (1 << j) != 0 {
                    q |= 16;
                }
                out[j * QK + i] = q;
            }
        }
    }
    Unpacked {
        values,
        bits: if five_bits { 5 } else { 4 },
        d: Scales::Single(d),
        m: Some(Scales::Single(m)),
        offset: 0,
        scale_block: QK,
    }
}

/// Q6_K (210 bytes: 128 of low nibbles, 64 of 2-bit pairs, 16 signed sub-scales, fp16 d):
/// weight `e` of a 128-weight half is `d · sc[e / 16] · (q − 32)`, its low four bits in byte
/// `e % 64` of the half's 64 (low nibble for `e < 64`) and its top two in byte `e % 32` of the
/// half's 32, at bit `2 · (e / 32)`.
fn q6_k(raw: &[u8], n: usize) -> Unpacked {
    let nb = n / QK_K;
    let mut values = Aligned::zeroed(n);
    let mut d = Vec::with_capacity(n / 16);
    for (bi, b) in raw.chunks_exact(210).take(nb).enumerate() {
        let (ql, qh, sc) = (&b[..128], &b[128..192], &b[192..208]);
        let scale = f32_at(b, 208);
        d.extend(sc.iter().map(|&s| scale * s as i8 as f32));
        let out = &mut values[bi * QK_K..(bi + 1) * QK_K];
        for (half, out) in out.chunks_exact_mut(128).enumerate() {
            let (ql, qh) = (
                &ql[64 * half..64 * (half + 1)],
                &qh[32 * half..32 * (half + 1)],
            );
            for (e, q) in out.iter_mut().enumerate() {
                let low = if e < 64 {
                    ql[e] & 0x0F
                } else {
                    ql[e % 64] >> 4
                };
                let top = (qh[e % 32] >> (2 * (e / 32))) & 3;
                *q = low | (top << 4);
            }
        }
    }
    Unpacked {
        values,
        bits: 6,
        d: Scales::Single(d),
        m: None,
        offset: 32,
        scale_block: 16,
    }
}
