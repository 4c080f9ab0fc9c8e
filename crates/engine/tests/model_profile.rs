//! `GpuModel::profile_step`: every dispatch of a step timed with GPU timestamps, summed per
//! kernel. lavapipe (what CI runs) offers timestamp queries: assert it, so the profile is never
//! skipped silently there.

use mistral_engine::model::{GpuModel, ModelOptions};
use mistral_engine::GpuContext;
use mistral_formats::open::open_model;
use mistral_testdata::fixture;
use std::sync::Arc;

#[test]
fn a_profiled_step_times_every_dispatch_and_advances_like_a_step() {
    if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
        let dir = std::env::temp_dir().join("mistral-engine-xdg-profile");
        let _ = std::fs::create_dir_all(&dir);
        std::env::set_var("XDG_RUNTIME_DIR", &dir);
    }
    let ctx = Arc::new(
        GpuContext::new_blocking(None).unwrap_or_else(|e| panic!("GPU tests need an adapter: {e}")),
    );
    if ctx.adapter.name.contains("llvmpipe")
        && ctx.adapter.backend == mistral_engine::wgpu::Backend::Vulkan
    {
        assert!(ctx.timestamps, "lavapipe Vulkan without timestamp queries");
    }
    let model = open_model(&fixture("tiny-w6/tiny-w6-Q4_0.gguf")).unwrap();
    let opts = ModelOptions {
        prefill_chunk: 4,
        context: 64,
        ..ModelOptions::default()
    };
    let mut gpu = pollster::block_on(GpuModel::load(ctx, &model, &opts, None, |_| {})).unwrap();
    assert!(pollster::block_on(gpu.profile_step(&[])).is_err());
    assert!(pollster::block_on(gpu.profile_step(&[1, 2, 3, 4, 5])).is_err());
    let prefill = pollster::block_on(gpu.profile_step(&[1, 2, 3, 4])).unwrap();
    assert_eq!(gpu.position(), 4);
    let decode = pollster::block_on(gpu.profile_step(&[5])).unwrap();
    assert_eq!(gpu.position(), 5);
    // A decode step records what a greedy token records; every dispatch is in some kernel's row.
    assert_eq!(decode.dispatches, gpu.dispatches_per_token());
    for p in [&prefill, &decode] {
        assert_eq!(p.ops.iter().map(|o| o.calls).sum::<usize>(), p.dispatches);
        assert!(p.total_ns() > 0.0);
        assert!(
            p.ops.windows(2).all(|w| w[0].ns >= w[1].ns),
            "slowest first"
        );
        assert!(p.ops.iter().any(|o| o.op.starts_with("attention")));
    }
    assert_eq!(prefill.tokens, 4);
    assert!(prefill.ops.iter().any(|o| o.op.starts_with("matmul")));
    assert!(decode.ops.iter().any(|o| o.op.starts_with("matvec")));
}
