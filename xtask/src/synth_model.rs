//! `cargo xtask synth-model [--out DIR] [--types q4_k_m,q4_0,q8_0] [--layers N] [--seed S]
//! [--force]`: GGUF files with random weights in Mistral-7B-v0.1's exact shapes and llama.cpp's
//! tensor-type mix, for speed measurements at real model size without downloading one.
//!
//! Each file has the 7B hyper-parameters (dim 4096, 32 layers, 32/8 heads, head_dim 128, ffn
//! 14336, vocab 32000, rope theta 10000, norm eps 1e-5, context 32768, `output` untied from
//! `token_embd`), Mistral's real tokenizer (the `tokenizer.*` keys of the tiny-mistral-256
//! fixture, whose vocabulary is Mistral's), F32 norms and the per-tensor types llama.cpp writes:
//! - Q4_K_M: `requantize::tensor_type_for` (llama.cpp's policy: Q6_K for `output` and for
//!   `attn_v`/`ffn_down` in the layers `use_more_bits` picks, Q4_K elsewhere);
//! - Q4_0: Q4_0 everywhere except `output`, which llama.cpp keeps at Q6_K;
//! - Q8_0: Q8_0 everywhere.
//!
//! Nothing is quantized: the blocks are drawn directly from a seeded PRNG (splitmix64), with f16
//! scales chosen so the dequantized weights have standard deviation 0.02 (`token_embd`) or
//! 1/sqrt(cols) (every other matrix), sub-block scales in the range ggml's quantizers produce,
//! and norms of 1 ± 0.02, so activations stay finite through 32 layers. The same seed gives the
//! same bytes. Tensor data is streamed to disk chunk by chunk (the 7B Q8_0 file is 7.7 GB) into
//! `NAME.partial`, renamed when complete; a file already present with the expected size is kept
//! unless `--force`.
//!
//! The header comes from mistral-formats' `GgufWriter` (see [`header_bytes`]); the data section
//! follows it at the writer's offsets and alignment.

use mistral_formats::byte_source::MappedFile;
use mistral_formats::gguf::{GgufFile, GgufWriter, Metadata, MetadataValue};
use mistral_formats::model_file::expected_shapes;
use mistral_formats::requantize::{metadata_from_config, tensor_type_for, QuantTarget};
use mistral_formats::{ModelConfig, TensorType, WindowSource};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

const USAGE: &str =
    "synth-model [--out DIR] [--types q4_k_m,q4_0,q8_0] [--layers N] [--seed S] [--force]";
const DEFAULT_SEED: u64 = 0x005E_ED7B;
/// Alignment of the data section: the writer's default (no `general.alignment` key is written).
const ALIGNMENT: u64 = 32;
/// Standard deviation of `token_embd` (a trained embedding's typical magnitude).
const EMBEDDING_STD: f64 = 0.02;
/// Norm weights are 1 plus uniform noise in ±NORM_NOISE.
const NORM_NOISE: f32 = 0.02;
/// Bytes generated per write (a chunk of whole blocks).
const CHUNK_BYTES: usize = 4 << 20;

/// The file-level quantization presets we synthesize.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preset {
    Q4KM,
    Q4_0,
    Q8_0,
}

impl Preset {
    pub const ALL: [Preset; 3] = [Preset::Q4KM, Preset::Q4_0, Preset::Q8_0];

    pub fn parse(name: &str) -> Result<Self, String> {
        Preset::ALL
            .into_iter()
            .find(|p| p.label().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| format!("unknown type {name:?}: q4_k_m, q4_0 or q8_0"))
    }

    /// The name llama.cpp's file names use.
    pub fn label(self) -> &'static str {
        match self {
            Preset::Q4KM => "Q4_K_M",
            Preset::Q4_0 => "Q4_0",
            Preset::Q8_0 => "Q8_0",
        }
    }

    /// llama.cpp's `general.file_type` (LLAMA_FTYPE_MOSTLY_*).
    fn file_type(self) -> u32 {
        match self {
            Preset::Q4KM => 15,
            Preset::Q4_0 => 2,
            Preset::Q8_0 => 7,
        }
    }

    /// The type llama.cpp's `llama-quantize` gives this tensor under the preset.
    pub fn tensor_type(self, name: &str, dims: &[u64], n_layers: usize) -> TensorType {
        match self {
            Preset::Q4KM => tensor_type_for(QuantTarget::Q4KM, name, dims, n_layers),
            // llama_tensor_get_type: an untied `output` gets Q6_K unless the preset is Q8_0.
            Preset::Q4_0 if name == "output.weight" => TensorType::Q6K,
            Preset::Q4_0 => {
                tensor_type_for(QuantTarget::Uniform(TensorType::Q4_0), name, dims, n_layers)
            }
            Preset::Q8_0 => {
                tensor_type_for(QuantTarget::Uniform(TensorType::Q8_0), name, dims, n_layers)
            }
        }
    }
}

/// The hyper-parameters a synthetic file gets. [`Shape::mistral_7b`] for every real file; tests
/// shrink `dim`/`ffn` to keep CI fast.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    pub dim: usize,
    pub n_layers: usize,
    pub n_heads: usize,
    pub n_kv_heads: usize,
    pub ffn: usize,
    pub vocab: usize,
}

impl Shape {
    /// Mistral-7B-v0.1 with `n_layers` layers (32 for the real thing).
    pub fn mistral_7b(n_layers: usize) -> Self {
        Shape {
            dim: 4096,
            n_layers,
            n_heads: 32,
            n_kv_heads: 8,
            ffn: 14336,
            vocab: 32000,
        }
    }

    pub fn config(&self, preset: Preset) -> ModelConfig {
        ModelConfig {
            architecture: "llama".into(),
            name: Some(format!(
                "mistral-7b-shape (random weights, {})",
                preset.label()
            )),
            dim: self.dim,
            n_layers: self.n_layers,
            n_heads: self.n_heads,
            n_kv_heads: self.n_kv_heads,
            head_dim: self.dim / self.n_heads,
            ffn_dim: self.ffn,
            vocab_size: self.vocab,
            norm_eps: 1e-5,
            rope_theta: 10000.0,
            context_length: 32768,
            // Like GGUFs converted from Mistral-7B-v0.1: no window key (readers infer W = 4096).
            sliding_window: None,
            window_source: WindowSource::None,
            tied_embeddings: false,
        }
    }
}

/// What a tensor's values look like.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    /// 1 + uniform noise in ±NORM_NOISE (F32 vectors).
    Norm,
    /// Zero-mean values of this standard deviation.
    Std(f64),
}

#[derive(Clone, Debug)]
pub struct PlannedTensor {
    pub name: String,
    /// Innermost first (GGUF order).
    pub dims: Vec<u64>,
    pub ty: TensorType,
    pub init: Init,
    pub n_bytes: u64,
    /// Offset inside the data section.
    pub offset: u64,
}

/// Everything about a file but its tensor data.
pub struct Plan {
    pub header: Vec<u8>,
    pub tensors: Vec<PlannedTensor>,
    /// Header plus padded data.
    pub file_len: u64,
}

/// The tensor list in llama.cpp's file order (token_embd, the layers, output_norm, output) with
/// each tensor's type under `preset`.
pub fn plan_tensors(shape: &Shape, preset: Preset) -> Vec<PlannedTensor> {
    let config = shape.config(preset);
    let (tail, mut shapes): (Vec<_>, Vec<_>) = expected_shapes(&config)
        .into_iter()
        .partition(|(n, _)| n == "output_norm.weight" || n == "output.weight");
    shapes.extend(tail);
    let mut offset = 0u64;
    shapes
        .into_iter()
        .map(|(name, dims)| {
            let ty = preset.tensor_type(&name, &dims, shape.n_layers);
            let init = if dims.len() < 2 {
                Init::Norm
            } else if name == "token_embd.weight" {
                Init::Std(EMBEDDING_STD)
            } else {
                Init::Std(1.0 / (dims[0] as f64).sqrt())
            };
            let n_bytes = ty
                .bytes_for(dims.iter().product())
                .expect("7B shapes are whole blocks");
            let t = PlannedTensor {
                name,
                dims,
                ty,
                init,
                n_bytes,
                offset,
            };
            offset = (offset + n_bytes).next_multiple_of(ALIGNMENT);
            t
        })
        .collect()
}

/// GGUF metadata: the 7B configuration, llama.cpp's file-type keys and the fixture's tokenizer.
pub fn metadata(shape: &Shape, preset: Preset, tokenizer: &Metadata) -> Metadata {
    let mut m = metadata_from_config(&shape.config(preset));
    m.set("general.file_type", MetadataValue::U32(preset.file_type()));
    m.set("general.quantization_version", MetadataValue::U32(2));
    for (k, v) in tokenizer.iter() {
        m.set(k, v.clone());
    }
    m
}

/// The `tokenizer.*` keys (vocabulary, scores, types, special ids, chat template) of the
/// tiny-mistral-256 fixture, which carries Mistral's 32000-token vocabulary.
pub fn fixture_tokenizer() -> Result<Metadata, String> {
    let path =
        crate::shell::root().join("tests/fixtures/tiny-mistral-256/tiny-mistral-256-Q4_K_M.gguf");
    let source = MappedFile::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let gguf = GgufFile::read(&source).map_err(|e| format!("{}: {e}", path.display()))?;
    let entries: Vec<(String, MetadataValue)> = gguf
        .metadata
        .iter()
        .filter(|(k, _)| k.starts_with("tokenizer."))
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    if entries.is_empty() {
        return Err(format!("{} has no tokenizer keys", path.display()));
    }
    Ok(Metadata::new(entries))
}

/// The header bytes `GgufWriter` writes for these tensors, up to the start of the data section.
///
/// The writer holds every tensor's bytes in memory; here each is a zeroed vector, which the
/// allocator maps lazily (calloc of fresh pages), and the sink below only counts the data bytes
/// without reading them, so no page is touched: building the header of a 7.7 GB file costs
/// virtual address space, not memory. Two passes: one measures the whole output (header =
/// total - padded data), the second keeps that many leading bytes.
fn header_bytes(metadata: &Metadata, tensors: &[PlannedTensor]) -> Result<Vec<u8>, String> {
    let mut writer = GgufWriter::new();
    writer.metadata = metadata.clone();
    for t in tensors {
        writer
            .add_tensor(&t.name, &t.dims, t.ty, vec![0u8; t.n_bytes as usize])
            .map_err(|e| e.to_string())?;
    }
    let data_len = tensors
        .last()
        .map_or(0, |t| (t.offset + t.n_bytes).next_multiple_of(ALIGNMENT));
    let mut count = HeaderSink::new(0);
    writer.write_to(&mut count).map_err(|e| e.to_string())?;
    let header_len = count
        .total
        .checked_sub(data_len)
        .ok_or("the writer wrote less than the tensor data")?;
    let mut keep = HeaderSink::new(header_len as usize);
    writer.write_to(&mut keep).map_err(|e| e.to_string())?;
    if keep.header.len() as u64 != header_len || header_len % ALIGNMENT != 0 {
        return Err(format!("unexpected GGUF header length {header_len}"));
    }
    Ok(keep.header)
}

/// Counts what is written and keeps the first `keep` bytes.
struct HeaderSink {
    keep: usize,
    header: Vec<u8>,
    total: u64,
}

impl HeaderSink {
    fn new(keep: usize) -> Self {
        HeaderSink {
            keep,
            header: Vec::with_capacity(keep),
            total: 0,
        }
    }
}

impl Write for HeaderSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let wanted = self.keep - self.header.len();
        if wanted > 0 {
            self.header.extend_from_slice(&buf[..wanted.min(buf.len())]);
        }
        self.total += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Plan {
    pub fn new(shape: Shape, preset: Preset, tokenizer: &Metadata) -> Result<Self, String> {
        let tensors = plan_tensors(&shape, preset);
        let header = header_bytes(&metadata(&shape, preset, tokenizer), &tensors)?;
        let data_len = tensors
            .last()
            .map_or(0, |t| (t.offset + t.n_bytes).next_multiple_of(ALIGNMENT));
        Ok(Plan {
            file_len: header.len() as u64 + data_len,
            header,
            tensors,
        })
    }

    /// Writes the file (through `PATH.partial`, renamed at the end). `progress` gets
    /// (tensors done, bytes written) after each tensor. One thread generates 4 MB chunks while
    /// this one writes them.
    pub fn write(
        &self,
        path: &Path,
        seed: u64,
        mut progress: impl FnMut(usize, u64),
    ) -> Result<(), String> {
        let partial = path.with_extension("gguf.partial");
        let io = |e: std::io::Error| format!("{}: {e}", partial.display());
        let mut file = std::fs::File::create(&partial).map_err(io)?;
        file.write_all(&self.header).map_err(io)?;
        let mut written = self.header.len() as u64;
        // (bytes, Some(i) when the chunk ends tensor i, padding included); spent buffers return.
        let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<(Vec<u8>, Option<usize>)>(2);
        let (spent_tx, spent_rx) = std::sync::mpsc::channel::<Vec<u8>>();
        let tensors = &self.tensors;
        let result = std::thread::scope(|scope| {
            scope.spawn(move || {
                for (i, t) in tensors.iter().enumerate() {
                    let mut gen = BlockGen::new(t, seed);
                    let mut left = t.n_bytes as usize;
                    while left > 0 {
                        let mut chunk = spent_rx
                            .try_recv()
                            .unwrap_or_else(|_| Vec::with_capacity(CHUNK_BYTES + 256));
                        chunk.clear();
                        gen.fill(&mut chunk, left.min(CHUNK_BYTES));
                        left -= chunk.len();
                        let ends = (left == 0).then_some(i);
                        if ends.is_some() {
                            let padded = (t.n_bytes).next_multiple_of(ALIGNMENT);
                            chunk.resize(chunk.len() + (padded - t.n_bytes) as usize, 0);
                        }
                        if full_tx.send((chunk, ends)).is_err() {
                            return; // the writer failed
                        }
                    }
                }
            });
            for (chunk, ends) in full_rx {
                file.write_all(&chunk).map_err(io)?;
                written += chunk.len() as u64;
                let _ = spent_tx.send(chunk);
                if let Some(i) = ends {
                    debug_assert_eq!(
                        written,
                        self.header.len() as u64
                            + (tensors[i].offset + tensors[i].n_bytes).next_multiple_of(ALIGNMENT)
                    );
                    progress(i + 1, written);
                }
            }
            Ok::<(), String>(())
        });
        result?;
        file.sync_all().map_err(io)?;
        drop(file);
        if written != self.file_len {
            return Err(format!("wrote {written} bytes, planned {}", self.file_len));
        }
        std::fs::rename(&partial, path).map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// splitmix64: fast, and good enough for weights nobody will train.
struct Rng(u64);

impl Rng {
    #[inline(always)]
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Fills `out` (a multiple of 8 bytes) with random bytes.
    #[inline(always)]
    fn fill(&mut self, out: &mut [u8]) {
        for c in out.chunks_exact_mut(8) {
            c.copy_from_slice(&self.next().to_le_bytes());
        }
    }
}

/// One tensor's seed: the file seed mixed with the tensor's name (FNV-1a), so each tensor's
/// bytes do not depend on the others.
fn tensor_seed(seed: u64, name: &str) -> u64 {
    let h = name.bytes().fold(0xCBF2_9CE4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01B3)
    });
    Rng(seed ^ h).next()
}

/// Q4_K sub-block scales (6 bits): ggml normalises the largest of a block to 63.
const Q4K_SCALES: std::ops::RangeInclusive<u32> = 32..=63;
/// Q6_K sub-block scales (int8, random sign): ggml maps the largest magnitude to 127/128.
const Q6K_SCALES: std::ops::RangeInclusive<u32> = 64..=127;
/// Each block's f16 scale is the tensor's base scale times one of this many factors spread
/// over 0.75..1.25, so blocks differ as in a real file.
const N_FACTORS: usize = 64;

/// Mean of f(v) over the integers of `r`.
fn mean_over(r: std::ops::RangeInclusive<u32>, f: impl Fn(f64) -> f64) -> f64 {
    let n = (r.end() - r.start() + 1) as f64;
    r.map(|v| f(v as f64)).sum::<f64>() / n
}

/// E[w^2] of a dequantized weight when the block's f16 scale is 1.
fn unit_second_moment(ty: TensorType) -> f64 {
    match ty {
        // q in -127..=127, with -128 drawn as 0 (ggml never writes -128).
        TensorType::Q8_0 => mean_over(0..=255, |b| {
            let q = b - 128.0;
            if q == -128.0 {
                0.0
            } else {
                q * q
            }
        }),
        // (n - 8), n in 0..16.
        TensorType::Q4_0 => mean_over(0..=15, |n| (n - 8.0) * (n - 8.0)),
        // d*sc*(q - 7.5): the minimum is 7.5 * d * sc (dmin = 7.5 d, m = sc).
        TensorType::Q4K => {
            mean_over(0..=15, |q| (q - 7.5) * (q - 7.5)) * mean_over(Q4K_SCALES, |s| s * s)
        }
        // d*sc*(q - 32), q in 0..64.
        TensorType::Q6K => {
            mean_over(0..=63, |q| (q - 32.0) * (q - 32.0)) * mean_over(Q6K_SCALES, |s| s * s)
        }
        other => unreachable!("no synthetic blocks of type {}", other.name()),
    }
}

/// Generates one tensor's bytes block by block.
struct BlockGen {
    ty: TensorType,
    init: Init,
    rng: Rng,
    /// f16 bits of the per-block scale choices (and for Q4_K, of dmin = 7.5 d).
    d: [u16; N_FACTORS],
    dmin: [u16; N_FACTORS],
}

impl BlockGen {
    fn new(t: &PlannedTensor, seed: u64) -> Self {
        let mut d = [0u16; N_FACTORS];
        let mut dmin = [0u16; N_FACTORS];
        if let (Init::Std(std), true) = (t.init, t.ty.is_quantized()) {
            let factors: Vec<f64> = (0..N_FACTORS)
                .map(|k| 0.75 + 0.5 * k as f64 / (N_FACTORS - 1) as f64)
                .collect();
            let rms_factor = (factors.iter().map(|f| f * f).sum::<f64>() / N_FACTORS as f64).sqrt();
            let base = std / unit_second_moment(t.ty).sqrt() / rms_factor;
            for (k, f) in factors.iter().enumerate() {
                d[k] = half::f16::from_f64(base * f).to_bits();
                dmin[k] = half::f16::from_f64(7.5 * half::f16::from_bits(d[k]).to_f64()).to_bits();
            }
        }
        BlockGen {
            ty: t.ty,
            init: t.init,
            rng: Rng(tensor_seed(seed, &t.name)),
            d,
            dmin,
        }
    }

    /// Appends about `max` bytes (whole blocks, at least one) to `out`.
    fn fill(&mut self, out: &mut Vec<u8>, max: usize) {
        let bb = self.ty.block_bytes();
        let n = (max / bb).max(1);
        let start = out.len();
        out.resize(start + n * bb, 0);
        let blocks = out[start..].chunks_exact_mut(bb);
        match (self.ty, self.init) {
            (TensorType::F32, _) => {
                for c in blocks {
                    // 24 random bits -> uniform in [-1, 1).
                    let u = (self.rng.next() >> 40) as f32 / (1u32 << 23) as f32 - 1.0;
                    c.copy_from_slice(&(1.0 + NORM_NOISE * u).to_le_bytes());
                }
            }
            (TensorType::Q8_0, _) => blocks.for_each(|b| self.q8_0(b)),
            (TensorType::Q4_0, _) => blocks.for_each(|b| self.q4_0(b)),
            (TensorType::Q4K, _) => blocks.for_each(|b| self.q4_k(b)),
            (TensorType::Q6K, _) => blocks.for_each(|b| self.q6_k(b)),
            (other, _) => unreachable!("no synthetic blocks of type {}", other.name()),
        }
    }

    fn q8_0(&mut self, b: &mut [u8]) {
        let r = self.rng.next();
        b[..2].copy_from_slice(&self.d[(r & 63) as usize].to_le_bytes());
        for c in b[2..].chunks_exact_mut(8) {
            let x = self.rng.next();
            // Bytes equal to 0x80 (-128) become 0: SWAR zero-byte test on x ^ 0x80...80.
            let y = x ^ 0x8080_8080_8080_8080;
            let low7 = 0x7F7F_7F7F_7F7F_7F7F;
            let zero = !(((y & low7) + low7) | y | low7);
            c.copy_from_slice(&(x ^ zero).to_le_bytes());
        }
    }

    fn q4_0(&mut self, b: &mut [u8]) {
        let r = self.rng.next();
        // ggml's Q4_0 scale is max/-8: its sign follows the block's largest weight.
        let d = self.d[(r & 63) as usize] | (((r >> 6) & 1) as u16) << 15;
        b[..2].copy_from_slice(&d.to_le_bytes());
        self.rng.fill(&mut b[2..18]);
    }

    fn q4_k(&mut self, b: &mut [u8]) {
        let r = self.rng.next();
        let k = (r & 63) as usize;
        b[..2].copy_from_slice(&self.d[k].to_le_bytes());
        b[2..4].copy_from_slice(&self.dmin[k].to_le_bytes());
        let span = Q4K_SCALES.end() - Q4K_SCALES.start() + 1;
        let mut sc = [0u8; 8];
        let mut bits = r >> 8;
        for s in &mut sc {
            *s = (Q4K_SCALES.start() + (bits & 0x7F) as u32 % span) as u8;
            bits >>= 7;
        }
        // Minimum m = sc with dmin = 7.5 d: each sub-block is centred on zero.
        let mut s = [0u8; 12];
        for j in 0..4 {
            s[j] = sc[j] | ((sc[j + 4] >> 4) << 6);
            s[j + 4] = sc[j] | ((sc[j + 4] >> 4) << 6);
            s[j + 8] = (sc[j + 4] & 0x0F) | ((sc[j + 4] & 0x0F) << 4);
        }
        b[4..16].copy_from_slice(&s);
        self.rng.fill(&mut b[16..144]);
    }

    fn q6_k(&mut self, b: &mut [u8]) {
        self.rng.fill(&mut b[..192]);
        let span = Q6K_SCALES.end() - Q6K_SCALES.start() + 1;
        for half in 0..2 {
            let mut bits = self.rng.next();
            for s in &mut b[192 + 8 * half..200 + 8 * half] {
                let mag = (Q6K_SCALES.start() + (bits & 0x7F) as u32 % span) as i32;
                let signed = if bits & 0x80 != 0 { -mag } else { mag };
                *s = signed as i8 as u8;
                bits >>= 8;
            }
        }
        let r = self.rng.next();
        b[208..210].copy_from_slice(&self.d[(r & 63) as usize].to_le_bytes());
    }
}

/// The file name for a preset: `mistral-7b-shape-Q4_K_M.gguf`, with `-NL` before the type when
/// the layer count is not 32.
pub fn file_name(preset: Preset, n_layers: usize) -> String {
    if n_layers == 32 {
        format!("mistral-7b-shape-{}.gguf", preset.label())
    } else {
        format!("mistral-7b-shape-{n_layers}L-{}.gguf", preset.label())
    }
}

/// Plans and writes one file unless it already exists with the planned size (or `force`).
pub fn synthesize(
    dir: &Path,
    shape: Shape,
    preset: Preset,
    seed: u64,
    force: bool,
    tokenizer: &Metadata,
) -> Result<PathBuf, String> {
    let path = dir.join(file_name(preset, shape.n_layers));
    let plan = Plan::new(shape, preset, tokenizer)?;
    let mb = |b: u64| b as f64 / 1e6;
    if !force {
        if let Ok(m) = std::fs::metadata(&path) {
            if m.len() == plan.file_len {
                eprintln!(
                    "synth-model: {} exists with the expected size ({:.0} MB), kept (--force rewrites it)",
                    path.display(),
                    mb(plan.file_len)
                );
                return Ok(path);
            }
            eprintln!(
                "synth-model: {} has {} bytes, expected {}: rewriting",
                path.display(),
                m.len(),
                plan.file_len
            );
        }
    }
    let n = plan.tensors.len();
    eprintln!(
        "synth-model: writing {} ({n} tensors, {:.0} MB, seed {seed:#x})",
        path.display(),
        mb(plan.file_len)
    );
    let start = Instant::now();
    let mut last = start;
    plan.write(&path, seed, |done, written| {
        if done == n || last.elapsed().as_secs_f64() >= 2.0 {
            last = Instant::now();
            let s = start.elapsed().as_secs_f64();
            eprintln!(
                "  {done}/{n} tensors, {:.0}/{:.0} MB, {:.1} s ({:.0} MB/s)",
                mb(written),
                mb(plan.file_len),
                s,
                mb(written) / s.max(1e-9)
            );
        }
    })?;
    Ok(path)
}

pub fn run(args: &[String]) -> Result<(), String> {
    let mut out = crate::shell::root().join(".cache/synth");
    let mut presets = Preset::ALL.to_vec();
    let mut layers = 32usize;
    let mut seed = DEFAULT_SEED;
    let mut force = false;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or(format!("{arg} needs a value ({USAGE})"))
        };
        match arg.as_str() {
            "--out" => out = PathBuf::from(value()?),
            "--types" => {
                presets = value()?
                    .split(',')
                    .filter(|s| !s.trim().is_empty())
                    .map(Preset::parse)
                    .collect::<Result<_, _>>()?
            }
            "--layers" => {
                layers = value()?
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or(format!("--layers takes a positive integer ({USAGE})"))?
            }
            "--seed" => {
                let v = value()?;
                seed = match v.strip_prefix("0x") {
                    Some(hex) => u64::from_str_radix(hex, 16),
                    None => v.parse(),
                }
                .map_err(|_| format!("--seed takes an integer ({USAGE})"))?
            }
            "--force" => force = true,
            other => return Err(format!("unknown argument {other:?} ({USAGE})")),
        }
    }
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let tokenizer = fixture_tokenizer()?;
    for preset in presets {
        synthesize(
            &out,
            Shape::mistral_7b(layers),
            preset,
            seed,
            force,
            &tokenizer,
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use mistral_formats::byte_source::check_range;
    use mistral_formats::quant::dequantize_to_vec;
    use mistral_formats::{ByteSource, ModelFile};

    /// A planned file's header followed by zeros: parses a 7B header without writing 4 GB.
    struct HeaderOnly(Plan);

    impl ByteSource for HeaderOnly {
        fn len(&self) -> u64 {
            self.0.file_len
        }

        fn read_at(&self, offset: u64, buf: &mut [u8]) -> mistral_formats::error::Result<()> {
            check_range(offset, buf.len() as u64, self.0.file_len)?;
            for (i, b) in buf.iter_mut().enumerate() {
                *b = *self.0.header.get(offset as usize + i).unwrap_or(&0);
            }
            Ok(())
        }
    }

    /// A scratch folder, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(tag: &str) -> Self {
            let p = std::env::temp_dir().join(format!("xtask-synth-{}-{tag}", std::process::id()));
            let _ = std::fs::remove_dir_all(&p);
            std::fs::create_dir_all(&p).unwrap();
            TempDir(p)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// Small enough for CI (32000 x 512 embeddings): 7B's head_dim, GQA ratio and vocabulary.
    fn small(n_layers: usize) -> Shape {
        Shape {
            dim: 512,
            n_layers,
            n_heads: 4,
            n_kv_heads: 1,
            ffn: 1792,
            vocab: 32000,
        }
    }

    /// llama.cpp's `use_more_bits`, written out independently of mistral-formats.
    fn layers_with_q6k(n_layers: usize) -> Vec<usize> {
        let (a, b) = (n_layers / 8, 7 * n_layers / 8);
        (0..n_layers)
            .filter(|&l| l < a || l >= b || (l - a) % 3 == 2)
            .collect()
    }

    fn expected_type(preset: Preset, name: &str, n_layers: usize) -> TensorType {
        if name.ends_with("norm.weight") {
            return TensorType::F32;
        }
        let layer = name
            .strip_prefix("blk.")
            .and_then(|r| r.split('.').next())
            .map(|l| l.parse::<usize>().unwrap());
        match preset {
            Preset::Q8_0 => TensorType::Q8_0,
            Preset::Q4_0 if name == "output.weight" => TensorType::Q6K,
            Preset::Q4_0 => TensorType::Q4_0,
            Preset::Q4KM => {
                let more = layer.is_some_and(|l| layers_with_q6k(n_layers).contains(&l))
                    && (name.ends_with("attn_v.weight") || name.ends_with("ffn_down.weight"));
                if name == "output.weight" || more {
                    TensorType::Q6K
                } else {
                    TensorType::Q4K
                }
            }
        }
    }

    fn tokenizer_keys(m: &Metadata) -> Vec<(String, MetadataValue)> {
        m.iter()
            .filter(|(k, _)| k.starts_with("tokenizer."))
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    /// Checks a parsed file against its shape and preset: config, types, shapes, tokenizer.
    fn check_model(model: &ModelFile, shape: &Shape, preset: Preset, tok: &Metadata) {
        let c = &model.config;
        assert_eq!(
            (c.dim, c.n_layers, c.n_heads, c.n_kv_heads, c.head_dim),
            (
                shape.dim,
                shape.n_layers,
                shape.n_heads,
                shape.n_kv_heads,
                128
            )
        );
        assert_eq!(
            (c.ffn_dim, c.vocab_size, c.context_length),
            (shape.ffn, 32000, 32768)
        );
        assert_eq!((c.rope_theta, c.norm_eps), (10000.0, 1e-5));
        assert!(!c.tied_embeddings);
        let expected = expected_shapes(c);
        assert_eq!(model.tensors.len(), 3 + 9 * shape.n_layers);
        assert_eq!(model.tensors.len(), expected.len());
        // llama.cpp's order: token_embd, the layers, output_norm, output.
        assert_eq!(model.tensors[0].name, "token_embd.weight");
        assert_eq!(
            model.tensors[model.tensors.len() - 2].name,
            "output_norm.weight"
        );
        assert_eq!(model.tensors.last().unwrap().name, "output.weight");
        for (name, dims) in expected {
            let t = model.require(&name).unwrap();
            assert_eq!(t.dims, dims, "{name}");
            assert_eq!(t.ty, expected_type(preset, &name, shape.n_layers), "{name}");
        }
        let gguf = model.gguf.as_ref().unwrap();
        let file_type = gguf.metadata.get_u64("general.file_type").unwrap();
        assert_eq!(file_type, Some(preset.file_type() as u64));
        let keys = tokenizer_keys(&gguf.metadata);
        assert_eq!(keys, tokenizer_keys(tok));
        let tokens = gguf
            .metadata
            .get_str_array("tokenizer.ggml.tokens")
            .unwrap();
        assert_eq!(tokens.map(|t| t.len()), Some(32000));
    }

    #[test]
    fn full_size_headers_are_mistral_7b_with_llama_cpp_types() {
        let tok = fixture_tokenizer().unwrap();
        assert!(tok.get("tokenizer.ggml.model").is_some());
        assert_eq!(
            layers_with_q6k(32),
            [0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31]
        );
        // Data sections by hand, e.g. Q4_K_M: 0.5625 B/weight (Q4_K), 0.8203125 (Q6_K) for
        // output and 16 layers' attn_v + ffn_down, F32 norms. The whole Q4_K_M file is
        // 4.37 GB like llama.cpp's mistral-7b-v0.1.Q4_K_M.gguf.
        for (preset, n_layers, data_bytes) in [
            (Preset::Q4KM, 32, 4_367_704_064u64),
            (Preset::Q4_0, 32, 4_108_181_504),
            (Preset::Q8_0, 32, 7_695_122_432),
            (Preset::Q4KM, 2, 442_916_864),
        ] {
            let shape = Shape::mistral_7b(n_layers);
            let plan = Plan::new(shape, preset, &tok).unwrap();
            assert_eq!(plan.file_len - plan.header.len() as u64, data_bytes);
            let model = ModelFile::from_gguf(Box::new(HeaderOnly(plan))).unwrap();
            check_model(&model, &shape, preset, &tok);
            // Recognised as Mistral-7B-v0.1 (window 4096 inferred) exactly at 32 layers.
            assert_eq!(model.config.looks_like_mistral_7b_v01(), n_layers == 32);
            assert_eq!(model.gguf.as_ref().unwrap().weight_bytes(), data_bytes);
        }
    }

    fn mean_std(v: &[f32]) -> (f64, f64) {
        let n = v.len() as f64;
        let mean = v.iter().map(|&x| x as f64).sum::<f64>() / n;
        let var = v.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n;
        (mean, var.sqrt())
    }

    #[test]
    fn two_layer_files_parse_with_the_intended_magnitudes() {
        let tok = fixture_tokenizer().unwrap();
        let dir = TempDir::new("files");
        let shape = small(2);
        for preset in Preset::ALL {
            let path = synthesize(&dir.0, shape, preset, 7, false, &tok).unwrap();
            assert_eq!(
                path.file_name().unwrap().to_str().unwrap(),
                format!("mistral-7b-shape-2L-{}.gguf", preset.label())
            );
            let bytes = std::fs::read(&path).unwrap();
            let model = ModelFile::from_gguf(Box::new(bytes.clone())).unwrap();
            check_model(&model, &shape, preset, &tok);

            // The streamed file is byte for byte what GgufWriter writes for the same tensors.
            let mut writer = GgufWriter::new();
            writer.metadata = model.gguf.as_ref().unwrap().metadata.clone();
            for t in &model.tensors {
                let data = model.read_raw(t).unwrap();
                writer.add_tensor(&t.name, &t.dims, t.ty, data).unwrap();
            }
            assert!(writer.to_bytes().unwrap() == bytes, "{preset:?}");

            // Dequantized magnitudes: 0.02 for the embedding, 1/sqrt(cols) for matrices.
            // (Under Q4_K_M, blk.0.ffn_down is Q4_K and blk.1.ffn_down Q6_K.)
            for (name, std) in [
                ("token_embd.weight", 0.02),
                ("blk.0.attn_q.weight", 1.0 / (512f64).sqrt()),
                ("blk.0.attn_v.weight", 1.0 / (512f64).sqrt()),
                ("blk.0.ffn_down.weight", 1.0 / (1792f64).sqrt()),
                ("blk.1.ffn_down.weight", 1.0 / (1792f64).sqrt()),
                ("output.weight", 1.0 / (512f64).sqrt()),
            ] {
                let t = model.require(name).unwrap();
                let w = dequantize_to_vec(t.ty, &model.read_raw(t).unwrap()).unwrap();
                assert!(w.iter().all(|x| x.is_finite()), "{preset:?} {name}");
                let (m, s) = mean_std(&w);
                let what = format!("{preset:?} {name} ({}): mean {m}, std {s}", t.ty.name());
                assert!((s / std - 1.0).abs() < 0.05, "{what}, wanted std {std}");
                assert!(m.abs() < 0.02 * std, "{what}");
                let max = w.iter().fold(0f32, |a, &x| a.max(x.abs())) as f64;
                assert!(max > 1.5 * std && max < 4.0 * std, "{what}, max {max}");
            }
            for name in ["blk.1.attn_norm.weight", "output_norm.weight"] {
                let w = model.read_f32(name).unwrap();
                assert!(w.iter().all(|&x| (x - 1.0).abs() <= NORM_NOISE), "{name}");
                let (m, s) = mean_std(&w);
                assert!((m - 1.0).abs() < 0.002 && s > 0.005, "{name}: {m} {s}");
            }
        }
    }

    #[test]
    fn same_seed_same_bytes_and_existing_files_are_kept() {
        let tok = fixture_tokenizer().unwrap();
        let (a, b) = (TempDir::new("seed-a"), TempDir::new("seed-b"));
        let shape = small(1);
        let p = synthesize(&a.0, shape, Preset::Q4KM, 1, false, &tok).unwrap();
        let first = std::fs::read(&p).unwrap();
        let q = synthesize(&b.0, shape, Preset::Q4KM, 1, false, &tok).unwrap();
        assert!(std::fs::read(&q).unwrap() == first);
        let r = synthesize(&b.0, shape, Preset::Q4KM, 2, true, &tok).unwrap();
        let other = std::fs::read(&r).unwrap();
        assert_eq!(other.len(), first.len());
        assert!(other != first, "another seed gives other weights");

        // Present with the right size: kept (even for another seed) unless forced.
        std::fs::write(&p, vec![0u8; first.len()]).unwrap();
        synthesize(&a.0, shape, Preset::Q4KM, 1, false, &tok).unwrap();
        assert!(std::fs::read(&p).unwrap().iter().all(|&x| x == 0));
        // A wrong size (an interrupted copy) is rewritten.
        std::fs::write(&p, b"GGUF").unwrap();
        synthesize(&a.0, shape, Preset::Q4KM, 1, false, &tok).unwrap();
        assert!(std::fs::read(&p).unwrap() == first);
        synthesize(&a.0, shape, Preset::Q4KM, 1, true, &tok).unwrap();
        assert!(std::fs::read(&p).unwrap() == first);
        assert!(!p.with_extension("gguf.partial").exists());
    }

    #[test]
    fn q8_0_blocks_never_hold_minus_128() {
        let t = PlannedTensor {
            name: "x".into(),
            dims: vec![256, 64],
            ty: TensorType::Q8_0,
            init: Init::Std(0.1),
            n_bytes: 64 * 8 * 34,
            offset: 0,
        };
        let mut out = Vec::new();
        BlockGen::new(&t, 3).fill(&mut out, t.n_bytes as usize);
        assert_eq!(out.len() as u64, t.n_bytes);
        let qs = out.chunks_exact(34).flat_map(|b| &b[2..]);
        let zeros = qs.clone().filter(|&&q| q == 0).count();
        assert!(qs.clone().all(|&q| q != 0x80));
        // -128 drawn as 0: zero is twice as frequent as any other value (2/256 of 16384).
        assert!((80..180).contains(&zeros), "{zeros}");
    }
}
