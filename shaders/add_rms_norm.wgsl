// Residual add fused with the RMSNorm that follows it in every transformer block:
// x[t, :] += residual[t, :]; out[t, :] = x[t, :] / sqrt(mean(x[t, :]^2) + eps) * weight.
// One dispatch instead of two: on lavapipe each dispatch costs 30-60 us, and a token runs two of
// these pairs per layer. One workgroup per token row; each thread updates its own strided
// elements of x, so the sum of squares needs no barrier before the reduction.
// `struct Step` is prepended from step.rs (STEP_WGSL).

struct AddRmsNormParams {
    n: u32,       // row length
    eps: f32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: AddRmsNormParams;
@group(0) @binding(1) var<storage, read> step: Step;
@group(0) @binding(2) var<storage, read> residual: array<f32>;
@group(0) @binding(3) var<storage, read> w: array<f32>;
@group(0) @binding(4) var<storage, read_write> x: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;

const ADD_RMS_WORKGROUP: u32 = 256u;
var<workgroup> partial_sq: array<f32, 256>;

@compute @workgroup_size(256)
fn add_rms_norm(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let row = wid.x;
    if row >= step.n_tokens {
        return;
    }
    let base = row * params.n;
    var s = 0.0;
    for (var i = lid; i < params.n; i += ADD_RMS_WORKGROUP) {
        let v = x[base + i] + residual[base + i];
        x[base + i] = v;
        s += v * v;
    }
    partial_sq[lid] = s;
    workgroupBarrier();
    for (var stride = ADD_RMS_WORKGROUP / 2u; stride > 0u; stride >>= 1u) {
        if lid < stride {
            partial_sq[lid] += partial_sq[lid + stride];
        }
        workgroupBarrier();
    }
    let scale = 1.0 / sqrt(partial_sq[0] / f32(params.n) + params.eps);
    for (var i = lid; i < params.n; i += ADD_RMS_WORKGROUP) {
        out[base + i] = x[base + i] * scale * w[i];
    }
}
