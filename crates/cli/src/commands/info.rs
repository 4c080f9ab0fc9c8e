//! `info`: what a model is and what it will cost to run.

use crate::device_args::AdapterArgs;
use crate::model_args::ModelArgs;
use anyhow::Result;
use mistral_engine::model::{MemoryEstimate, ModelOptions};
use mistral_engine::ops::KvStorage;
use mistral_engine::{KernelFamily, ADAPTER_ENV};
use mistral_formats::{ModelFormat, TensorType, WindowSource};
use mistral_generate::SamplingDefaults;

pub fn run(args: &ModelArgs, gpu: &AdapterArgs) -> Result<()> {
    let model = args.open()?;
    let c = &model.config;
    println!("model        {}", args.model.display());
    if let Some(name) = &c.name {
        println!("name         {name}");
    }
    let format = match model.format {
        ModelFormat::Gguf => format!("GGUF v{}", model.gguf.as_ref().map_or(0, |g| g.version)),
        ModelFormat::HfSafetensors => "safetensors + config.json (Hugging Face)".into(),
        ModelFormat::MistralSafetensors => "safetensors + params.json (Mistral)".into(),
    };
    println!("format       {format}");
    println!("architecture {}", c.architecture);
    println!(
        "dims         dim {} | layers {} | heads {} (kv {}, head_dim {}) | ffn {} | vocab {}",
        c.dim, c.n_layers, c.n_heads, c.n_kv_heads, c.head_dim, c.ffn_dim, c.vocab_size
    );
    println!("context      {} (trained)", c.context_length);
    let window = match (c.sliding_window, c.window_source) {
        (Some(w), WindowSource::File) => format!("{w} (from the file)"),
        (Some(w), WindowSource::InferredMistral7Bv01) => format!(
            "{w} (the file has no window key, but this is Mistral-7B-v0.1, trained with W={w}; override with --window)"
        ),
        (Some(w), WindowSource::UserOverride) => format!("{w} (--window)"),
        _ => "none (full causal attention)".into(),
    };
    println!("window       {window}");
    println!(
        "rope         theta {} | adjacent pairs{}",
        c.rope_theta,
        if model.format == ModelFormat::HfSafetensors {
            " (HF Q/K rows un-permuted at load)"
        } else {
            ""
        }
    );
    println!("norm eps     {}", c.norm_eps);
    println!(
        "embeddings   {}",
        if c.tied_embeddings {
            "tied (output head = token_embd)"
        } else {
            "separate output head"
        }
    );
    let mut types: Vec<String> = Vec::new();
    for ty in TensorType::ALL {
        let n = model.tensors.iter().filter(|t| t.ty == ty).count();
        if n > 0 {
            types.push(format!("{} x{n}", ty.name()));
        }
    }
    println!(
        "tensors      {} ({})",
        model.tensors.len(),
        types.join(", ")
    );
    // Weights the forward pass never reads: the file is a variant of the architecture (extra
    // biases, a vision tower, ...) and its output may not be what its authors intended.
    let unused = model.unused_tensors();
    if !unused.is_empty() {
        let names: Vec<&str> = unused.iter().take(5).map(|t| t.name.as_str()).collect();
        let more = unused.len().saturating_sub(names.len());
        println!(
            "unused       {} tensors the model does not read: {}{}",
            unused.len(),
            names.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        );
    }
    let tokenizer = model
        .gguf
        .as_ref()
        .and_then(|g| g.metadata.get_str("tokenizer.ggml.model").ok().flatten())
        .map(|m| match m {
            "llama" => "SentencePiece (GGUF llama vocabulary)".to_string(),
            "gpt2" => "byte-level BPE (GGUF gpt2 vocabulary)".to_string(),
            other => format!("{other} (unsupported)"),
        })
        .unwrap_or_else(|| "none in the file (pass a tokenizer.json)".into());
    println!("tokenizer    {tokenizer}");
    println!("sampling     {}", sampling_line(&model));
    let (kernels, family) = kernels_line(gpu)?;
    println!("kernels      {kernels}");
    // The GPU engine's own estimate (f32 and f16 K/V), the figure it checks before loading.
    for kv in [KvStorage::F32, KvStorage::F16] {
        // The prefill chunk (and so the ring) of the family the adapter would run.
        let opts = ModelOptions {
            context: args.context,
            kv_storage: kv,
            ..ModelOptions::default()
        }
        .resolved(family.unwrap_or(KernelFamily::Cpu));
        let m = MemoryEstimate::of(&model, &opts);
        println!(
            "memory ({})  weights {} + KV cache {} ({} slots{}) + scratch {} = {}",
            if kv == KvStorage::F32 {
                "f32 KV"
            } else {
                "f16 KV"
            },
            human_bytes(m.weights),
            human_bytes(m.kv_cache),
            opts.ring_len(c),
            if c.sliding_window.is_none() {
                ", --context"
            } else {
                ""
            },
            human_bytes(m.scratch),
            human_bytes(m.total())
        );
    }
    Ok(())
}

/// The file's recommended sampling settings (llama.cpp's `general.sampling.*`), which `run` and
/// `chat` use where no flag is given; a value out of range is named and left out.
fn sampling_line(model: &mistral_formats::ModelFile) -> String {
    let Some(gguf) = &model.gguf else {
        return "none in the file".into();
    };
    let read = SamplingDefaults::from_metadata(&gguf.metadata);
    let given: Vec<String> = read
        .defaults
        .entries()
        .into_iter()
        .map(|(name, value)| format!("{name} {value}"))
        .collect();
    let mut line = if given.is_empty() {
        "none in the file".to_string()
    } else {
        format!(
            "{} (the file's recommendation: run and chat use it unless a flag says otherwise)",
            given.join(" | ")
        )
    };
    for w in &read.warnings {
        line.push_str(&format!("\n             {w}"));
    }
    line
}

/// The kernel family the GPU engine would run, on the adapter it would pick (the same choice as
/// a model command's: --adapter, else MISTRAL_WGPU_ADAPTER, else the best adapter), and why.
/// Adapters are only listed, no device is opened.
/// The kernel line, and the family when an adapter was found.
fn kernels_line(gpu: &AdapterArgs) -> Result<(String, Option<KernelFamily>)> {
    let adapters = pollster::block_on(mistral_engine::list_adapters());
    let wanted = gpu
        .adapter
        .clone()
        .or_else(|| std::env::var(ADAPTER_ENV).ok().filter(|s| !s.is_empty()));
    let chosen = match &wanted {
        Some(w) => adapters
            .iter()
            .find(|a| a.name.to_lowercase().contains(&w.to_lowercase())),
        None => adapters.first(),
    };
    Ok(match (chosen, wanted) {
        (Some(a), _) => {
            let (family, why) = gpu.kernels_for(a)?;
            (
                format!("{family} on {} ({:?}): {why}", a.name, a.backend),
                Some(family),
            )
        }
        (None, Some(w)) => (
            format!("no adapter matches {w:?} (see `mistral-wgpu devices`)"),
            None,
        ),
        (None, None) => (
            "no GPU adapter found (--device cpu runs the f32 CPU reference)".to_string(),
            None,
        ),
    })
}

/// 1536 -> "1.5 KiB", 5 << 30 -> "5.00 GiB".
pub fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.2} {}", UNITS[u])
    }
}
