//! Dispatches per decoder layer, the figure issue 8 bounds (at most 8 is the goal): a layer whose
//! projections share a type takes 8 (norm, [q|k|v] matmul, rope_kv, attention, o matmul,
//! add + norm, [gate|up] matmul, down matmul with SwiGLU on load), plus an attention merge where
//! the KV length allows more than one split (not at this test's 64 slots; 9 at 7B's 4096), and
//! a layer of llama.cpp's Q4_K_M mix (V in Q6_K, Q and K in Q4_K) only one more: Q and K stay one
//! matmul, V is the only part apart. Logits of both kinds of file are checked against
//! transformers by model_logits.rs.

mod common;

use mistral_engine::model::{GpuModel, ModelOptions};
use mistral_engine::{GpuContext, KernelChoice, KernelFamily};
use mistral_formats::open::open_model;
use mistral_formats::ModelFile;
use mistral_testdata::fixture;
use std::sync::Arc;

fn gpu() -> Arc<GpuContext> {
    common::gpu_arc()
}

fn per_layer(model: &ModelFile, family: KernelFamily) -> usize {
    let opts = ModelOptions {
        prefill_chunk: 8,
        context: 64,
        kernels: KernelChoice::Force(family),
        ..ModelOptions::default()
    };
    let m = pollster::block_on(GpuModel::load(gpu(), model, &opts, None, |_| {})).unwrap();
    m.dispatches_per_layer()
}

#[test]
fn a_mixed_type_layer_costs_one_dispatch_more_than_a_uniform_one() {
    let uniform = open_model(&fixture("tiny-w6/tiny-w6-Q8_0.gguf")).unwrap();
    let mixed = open_model(&fixture("tiny-mistral-256/tiny-mistral-256-Q4_K_M.gguf")).unwrap();
    // The premise: some layer of the Q4_K_M file stores V in another type than Q and K.
    let ty = |l: usize, t: &str| mixed.require(&format!("blk.{l}.{t}.weight")).unwrap().ty;
    assert!(
        (0..mixed.config.n_layers)
            .any(|l| ty(l, "attn_v") != ty(l, "attn_q") && ty(l, "attn_k") == ty(l, "attn_q")),
        "the fixture no longer mixes types within Q/K/V"
    );
    for family in KernelFamily::ALL {
        let u = per_layer(&uniform, family);
        let m = per_layer(&mixed, family);
        assert_eq!(u, 8, "{family}: uniform layer, one attention split");
        assert_eq!(m, u + 1, "{family}: mixed layer");
    }
}
