//! Greedy generation chained on the GPU (`GpuModel::generate_greedy`: step N+1 submitted before
//! step N's id is read, the id copied on the GPU) gives exactly the tokens and the position of
//! the step-by-step path (`forward_argmax` one token at a time), with both kernel families,
//! including a stop found one step late and rolled back, and the end of a context.

mod common;

use mistral_engine::model::{GpuModel, ModelOptions};
use mistral_engine::{GpuContext, KernelChoice, KernelFamily};
use mistral_formats::open::open_model;
use mistral_formats::ModelFile;
use mistral_testdata::{fixture, smollm2_gguf};
use std::sync::Arc;

fn gpu() -> Arc<GpuContext> {
    common::gpu_arc()
}

fn load(model: &ModelFile, context: usize, family: KernelFamily) -> GpuModel {
    let opts = ModelOptions {
        prefill_chunk: 8,
        context,
        kernels: KernelChoice::Force(family),
        ..ModelOptions::default()
    };
    pollster::block_on(GpuModel::load(gpu(), model, &opts, None, |_| {})).unwrap()
}

/// The step-by-step reference: `n` tokens, stopping after `stop` if it comes.
fn stepwise(m: &mut GpuModel, prompt: &[u32], n: usize, stop: Option<u32>) -> Vec<u32> {
    m.reset();
    let mut next = pollster::block_on(m.forward_argmax(prompt)).unwrap();
    let mut out = vec![next];
    while out.len() < n && Some(next) != stop {
        next = pollster::block_on(m.forward_argmax(&[next])).unwrap();
        out.push(next);
    }
    out
}

fn chained(m: &mut GpuModel, prompt: &[u32], n: usize, stop: Option<u32>) -> Vec<u32> {
    m.reset();
    let mut seen = Vec::new();
    let out = pollster::block_on(m.generate_greedy(prompt, n, |t| {
        seen.push(t);
        Some(t) != stop
    }))
    .unwrap();
    assert_eq!(seen, out, "every token is reported once, in order");
    out
}

#[test]
fn chained_greedy_equals_step_by_step_with_both_families() {
    let model = open_model(&fixture("tiny-w6/tiny-w6-Q4_0.gguf")).unwrap();
    let prompt = [1u32, 30, 200, 7, 99];
    for family in KernelFamily::ALL {
        let mut m = load(&model, 64, family);
        for n in [1, 2, 3, 20] {
            let want = stepwise(&mut m, &prompt, n, None);
            let pos = m.position();
            assert_eq!(chained(&mut m, &prompt, n, None), want, "{family} n={n}");
            assert_eq!(m.position(), pos, "{family} n={n}: position");
        }
        // A stop in the middle: the step queued after it is rolled back.
        let all = stepwise(&mut m, &prompt, 20, None);
        let stop = all[6];
        let want = stepwise(&mut m, &prompt, 20, Some(stop));
        let pos = m.position();
        assert_eq!(chained(&mut m, &prompt, 20, Some(stop)), want, "{family}");
        assert_eq!(m.position(), pos, "{family}: position after a stop");
        // And generation goes on from there exactly as the step-by-step path does.
        let last = *want.last().unwrap();
        let a = pollster::block_on(m.forward_argmax(&[last])).unwrap();
        stepwise(&mut m, &prompt, 20, Some(stop));
        let b = pollster::block_on(m.forward_argmax(&[last])).unwrap();
        assert_eq!(a, b, "{family}: continuation");
    }
}

#[test]
fn chained_greedy_stops_at_the_end_of_a_context_without_a_window() {
    let model = open_model(&fixture("tiny-w6/tiny-w6-nowindow-Q4_0.gguf")).unwrap();
    let prompt = [1u32, 30, 200, 7, 99];
    let mut m = load(&model, 12, KernelFamily::Cpu);
    // 5 prompt tokens + 7 run tokens fill the 12 slots; the 8th token is produced, not run.
    let out = chained(&mut m, &prompt, 100, None);
    assert_eq!(out.len(), 8);
    assert_eq!(m.position(), 12);
    assert_eq!(out, stepwise(&mut m, &prompt, 8, None));
}

#[test]
fn smollm2_answers_the_same_chained() {
    let model = open_model(&smollm2_gguf()).unwrap();
    let prompt: Vec<u32> = (0..20).map(|i| 1 + (i * 7919) % 49000).collect();
    for family in KernelFamily::ALL {
        let mut m = load(&model, 256, family);
        let want = stepwise(&mut m, &prompt, 12, None);
        assert_eq!(chained(&mut m, &prompt, 12, None), want, "{family}");
    }
}
