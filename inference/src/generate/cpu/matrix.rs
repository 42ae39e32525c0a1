//! Weight matrices for the CPU engine. The legacy block types (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0:
//! all of SmolLM2, most of gemma-3) and Q4_K, Q5_K, Q6_K (gemma-3's attention output and
//! feed-forward down) run on our int8 kernel (`crate::vnni`: AVX-512 VNNI or AVX2), about as
//! many bytes as in the file, where the CPU has it; every other type keeps its GGML blocks and
//! candle's dot kernel for it (the arithmetic of candle's `QMatMul`: activations quantized to
//! the type's companion block type, one dot product per row and token). Both are driven by our
//! own threads.

use candle_core::quantized::k_quants::{
    BlockQ2K, BlockQ3K, BlockQ4_0, BlockQ4_1, BlockQ4K, BlockQ5_0, BlockQ5_1, BlockQ5K, BlockQ6K,
    BlockQ8_0, GgmlType,
};
use candle_core::quantized::{GgmlDType, QTensor};
use half::f16;

use super::team::SharedOut;
use crate::vnni;

/// How a matrix wants its input quantized: matrices of one kind share it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InputKind {
    /// Blocks of this companion type, for candle's dot kernel.
    Blocks(GgmlDType),
    /// Our kernel's int8 blocks.
    Vnni,
}

/// Activations quantized for a matrix (see [`InputKind`]).
pub(crate) enum Acts {
    Blocks(BlockActs),
    Vnni(vnni::Acts),
}

/// `tokens` rows of blocks of the companion type, kept in `u64`s so any block type is aligned.
pub(crate) struct BlockActs {
    dtype: GgmlDType,
    tokens: usize,
    blocks_per_token: usize,
    data: Vec<u64>,
}

impl BlockActs {
    fn typed<T: GgmlType>(&self) -> &[T] {
        assert_eq!(
            self.dtype,
            T::DTYPE,
            "activations quantized for another type"
        );
        // SAFETY: `data` was allocated for `tokens × blocks_per_token` blocks of `T` (checked by
        // the dtype) and u64 alignment covers every block type.
        unsafe {
            std::slice::from_raw_parts(
                self.data.as_ptr() as *const T,
                self.tokens * self.blocks_per_token,
            )
        }
    }

    fn token<T: GgmlType>(&self, t: usize) -> &[T] {
        &self.typed::<T>()[t * self.blocks_per_token..(t + 1) * self.blocks_per_token]
    }
}

/// A `rows × cols` weight matrix, row-major.
pub(crate) trait Matrix: Send + Sync {
    fn rows(&self) -> usize;
    fn cols(&self) -> usize;
    fn input_kind(&self) -> InputKind;
    /// Quantizes `x` (`tokens × cols`, row-major) the way this matrix's kernel reads it.
    fn quantize(&self, x: &[f32], tokens: usize) -> Acts;
    /// Writes `x_t · w_r` at `t * rows() + r` of `out` for every token of `acts` and every row
    /// in `rows`, which starts at a multiple of 4 (and ends at one, or at the last row). A
    /// direct write, not a callback: the output projection has 262,144 rows per token.
    ///
    /// # Safety
    /// `out` holds `tokens * rows()` values and no one else writes these rows during the call.
    unsafe fn product(
        &self,
        acts: &Acts,
        tokens: usize,
        rows: std::ops::Range<usize>,
        out: SharedOut,
    );
    /// Row `r` as f32 (an embedding lookup).
    fn row(&self, r: usize, out: &mut [f32]);
}

struct Typed<T: GgmlType> {
    rows: usize,
    cols: usize,
    blocks: Vec<T>,
}

impl<T: GgmlType> Typed<T> {
    fn blocks_per_row(&self) -> usize {
        self.cols / T::BLCK_SIZE
    }

    fn row_blocks(&self, r: usize) -> &[T] {
        let b = self.blocks_per_row();
        &self.blocks[r * b..(r + 1) * b]
    }
}

impl<T: GgmlType + 'static> Matrix for Typed<T> {
    fn rows(&self) -> usize {
        self.rows
    }

    fn cols(&self) -> usize {
        self.cols
    }

    fn input_kind(&self) -> InputKind {
        InputKind::Blocks(T::VecDotType::DTYPE)
    }

    fn quantize(&self, x: &[f32], tokens: usize) -> Acts {
        let per = self.cols / T::VecDotType::BLCK_SIZE;
        let bytes = tokens * per * std::mem::size_of::<T::VecDotType>();
        let mut acts = BlockActs {
            dtype: T::VecDotType::DTYPE,
            tokens,
            blocks_per_token: per,
            data: vec![0u64; bytes.div_ceil(8)],
        };
        // SAFETY: as in `Acts::typed`, for writing; the blocks are plain data that from_float
        // overwrites completely.
        let blocks = unsafe {
            std::slice::from_raw_parts_mut(
                acts.data.as_mut_ptr() as *mut T::VecDotType,
                tokens * per,
            )
        };
        for (xs, ys) in x.chunks_exact(self.cols).zip(blocks.chunks_exact_mut(per)) {
            T::VecDotType::from_float(xs, ys);
        }
        Acts::Blocks(acts)
    }

    unsafe fn product(
        &self,
        acts: &Acts,
        tokens: usize,
        rows: std::ops::Range<usize>,
        out: SharedOut,
    ) {
        let n_rows = self.rows;
        // SAFETY: (t, r) is one of this call's rows, inside `out` (the contract).
        let out = |t: usize, r: usize, v: f32| unsafe { out.write(t * n_rows + r, v) };
        let Acts::Blocks(acts) = acts else {
            panic!("activations quantized for another kernel");
        };
        let k = self.cols;
        for r0 in rows.clone().step_by(4) {
            let n = 4.min(rows.end - r0);
            // Each quad of rows stays in cache while every token passes over it.
            for t in 0..tokens {
                let ys = acts.token::<T::VecDotType>(t);
                if n == 4 {
                    let (a, b, c, d) = T::vec_dot_4(
                        k,
                        self.row_blocks(r0),
                        self.row_blocks(r0 + 1),
                        self.row_blocks(r0 + 2),
                        self.row_blocks(r0 + 3),
                        ys,
                    );
                    for (i, v) in [a, b, c, d].into_iter().enumerate() {
                        out(t, r0 + i, v);
                    }
                } else {
                    for i in 0..n {
                        out(t, r0 + i, T::vec_dot(k, self.row_blocks(r0 + i), ys));
                    }
                }
            }
        }
    }

    fn row(&self, r: usize, out: &mut [f32]) {
        T::to_float(self.row_blocks(r), out);
    }
}

fn typed<T: GgmlType + 'static>(
    rows: usize,
    cols: usize,
    data: &[u8],
) -> candle_core::Result<Box<dyn Matrix>> {
    if !cols.is_multiple_of(T::BLCK_SIZE) {
        candle_core::bail!("{cols} columns are not whole {:?} blocks", T::DTYPE);
    }
    let n = rows * cols / T::BLCK_SIZE;
    if data.len() != n * std::mem::size_of::<T>() {
        candle_core::bail!(
            "{:?} data of {} bytes for {rows}×{cols}",
            T::DTYPE,
            data.len()
        );
    }
    let mut blocks = vec![T::zeros(); n];
    // SAFETY: the blocks are plain `repr(C)` data; the lengths were checked above.
    unsafe {
        std::ptr::copy_nonoverlapping(data.as_ptr(), blocks.as_mut_ptr() as *mut u8, data.len());
    }
    Ok(Box::new(Typed { rows, cols, blocks }))
}

/// A matrix on our VNNI kernel.
struct VnniMatrix(vnni::Packed);

impl Matrix for VnniMatrix {
    fn rows(&self) -> usize {
        self.0.rows
    }

    fn cols(&self) -> usize {
        self.0.k
    }

    fn input_kind(&self) -> InputKind {
        InputKind::Vnni
    }

    fn quantize(&self, x: &[f32], tokens: usize) -> Acts {
        Acts::Vnni(vnni::quantise(x, tokens, self.0.k))
    }

    unsafe fn product(
        &self,
        acts: &Acts,
        tokens: usize,
        rows: std::ops::Range<usize>,
        out: SharedOut,
    ) {
        let Acts::Vnni(acts) = acts else {
            panic!("activations quantized for another kernel");
        };
        let n_rows = self.0.rows;
        // SAFETY: a `VnniMatrix` is built only when the CPU has the kernel's features and the
        // shape fits (`from_qtensor`); `product` checks the rest. Each (t, r) is one of this
        // call's rows, inside `out` (this function's contract).
        #[cfg(target_arch = "x86_64")]
        unsafe {
            vnni::product(&self.0, acts, 0..tokens, rows, &mut |t, r, v| {
                out.write(t * n_rows + r, v)
            })
        };
        #[cfg(not(target_arch = "x86_64"))]
        unreachable!(
            "built on x86-64 only ({tokens} tokens, rows {rows:?}, {:p})",
            acts
        );
    }

    fn row(&self, r: usize, out: &mut [f32]) {
        self.0.row(r, out);
    }
}

/// Whether [`from_qtensor`] puts the legacy block types (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0) on our
/// kernel on this CPU (no need to convert them at load).
pub(crate) fn takes_legacy_types() -> bool {
    vnni::runs()
}

/// Takes a 2-D tensor into a matrix for the CPU engine: the legacy block types, Q4_K, Q5_K
/// and Q6_K on our kernel where it runs (4/5-bit ones kept at their size: decoding reads every
/// weight once per token, so bytes read set its speed), otherwise the tensor's own block type
/// ([`own_blocks`]).
pub(crate) fn from_qtensor(t: &QTensor) -> candle_core::Result<Box<dyn Matrix>> {
    let (rows, cols) = t.shape().dims2()?;
    if vnni::takes(t.dtype()) && vnni::runs() && vnni::fits(rows, cols) {
        let packed = vnni::Packed::from_ggml(t.dtype(), &t.data()?, rows, cols, true);
        return Ok(Box::new(VnniMatrix(packed)));
    }
    own_blocks(t)
}

/// The tensor in its own block type, for candle's dot kernels. Types without a dot kernel of
/// their own in candle (BF16; Q8_1 and Q8_K, which are activation types) are dequantized to f32.
fn own_blocks(t: &QTensor) -> candle_core::Result<Box<dyn Matrix>> {
    let (rows, cols) = t.shape().dims2()?;
    let data = t.data()?;
    match t.dtype() {
        GgmlDType::F32 => typed::<f32>(rows, cols, &data),
        GgmlDType::F16 => typed::<f16>(rows, cols, &data),
        GgmlDType::Q4_0 => typed::<BlockQ4_0>(rows, cols, &data),
        GgmlDType::Q4_1 => typed::<BlockQ4_1>(rows, cols, &data),
        GgmlDType::Q5_0 => typed::<BlockQ5_0>(rows, cols, &data),
        GgmlDType::Q5_1 => typed::<BlockQ5_1>(rows, cols, &data),
        GgmlDType::Q8_0 => typed::<BlockQ8_0>(rows, cols, &data),
        GgmlDType::Q2K => typed::<BlockQ2K>(rows, cols, &data),
        GgmlDType::Q3K => typed::<BlockQ3K>(rows, cols, &data),
        GgmlDType::Q4K => typed::<BlockQ4K>(rows, cols, &data),
        GgmlDType::Q5K => typed::<BlockQ5K>(rows, cols, &data),
        GgmlDType::Q6K => typed::<BlockQ6K>(rows, cols, &data),
        GgmlDType::BF16 | GgmlDType::Q8_1 | GgmlDType::Q8K => {
            let v = t
                .dequantize(&candle_core::Device::Cpu)?
                .flatten_all()?
                .to_vec1::<f32>()?;
            let bytes: Vec<u8> = v.iter().flat_map(|f| f.to_ne_bytes()).collect();
            typed::<f32>(rows, cols, &bytes)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Tensor};

    /// Every row, token and kernel shape (quads and tails) against the exact product of the
    /// dequantized weights: only the activations' 8-bit rounding may separate them. Q8_0 runs
    /// both on our kernel (where the CPU has it) and on candle's.
    #[test]
    fn rows_match_the_dequantized_product() {
        let (cols, tokens) = (512, 6);
        let x: Vec<f32> = (0..tokens * cols)
            .map(|i| (i * 104_729 % 997) as f32 / 498.0 - 1.0)
            .collect();
        for rows in [7, 8] {
            let w: Vec<f32> = (0..rows * cols)
                .map(|i| ((i * 7919 % 1000) as f32 / 500.0 - 1.0) * 0.1)
                .collect();
            let wt = Tensor::from_vec(w, (rows, cols), &Device::Cpu).unwrap();
            for dtype in [
                GgmlDType::Q8_0,
                GgmlDType::Q4_0,
                GgmlDType::Q5_0,
                GgmlDType::Q4K,
                GgmlDType::Q6K,
                GgmlDType::F32,
            ] {
                let q = QTensor::quantize(&wt, dtype).unwrap();
                let deq = q
                    .dequantize(&Device::Cpu)
                    .unwrap()
                    .to_vec2::<f32>()
                    .unwrap();
                for m in [from_qtensor(&q).unwrap(), own_blocks(&q).unwrap()] {
                    let what = format!("{dtype:?} {:?} rows {rows}", m.input_kind());
                    assert_eq!((m.rows(), m.cols()), (rows, cols));
                    let acts = m.quantize(&x, tokens);
                    let mut got = vec![f32::NAN; tokens * rows];
                    // Two row ranges, as two workers would take them.
                    for range in [4..rows, 0..4] {
                        // SAFETY: `got` holds every (token, row); one range at a time.
                        unsafe { m.product(&acts, tokens, range, SharedOut::new(&mut got)) };
                    }
                    for t in 0..tokens {
                        let xt = &x[t * cols..(t + 1) * cols];
                        for (r, wr) in deq.iter().enumerate() {
                            let exact: f32 = wr.iter().zip(xt).map(|(a, b)| a * b).sum();
                            let scale: f32 = wr.iter().zip(xt).map(|(a, b)| (a * b).abs()).sum();
                            let g = got[t * rows + r];
                            assert!(
                                (g - exact).abs() <= 0.01 * scale,
                                "{what} t{t} r{r}: {g} vs {exact}"
                            );
                        }
                    }
                    let mut row = vec![0f32; cols];
                    m.row(2, &mut row);
                    assert_eq!(row, deq[2], "{what} row lookup");
                }
            }
        }
    }
}
