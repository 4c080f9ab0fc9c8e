// RMSNorm of each token's row: out = x / sqrt(mean(x^2) + eps) * weight. One workgroup per row
// (the grid covers the binding's capacity; rows from step.n_tokens on are skipped); the sum of
// squares is a tree reduction in workgroup memory (f32). `struct Step` is prepended from
// step.rs (STEP_WGSL).

struct RmsNormParams {
    n: u32,       // row length
    eps: f32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: RmsNormParams;
@group(0) @binding(1) var<storage, read> step: Step;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> w: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

const RMS_WORKGROUP: u32 = 256u;
var<workgroup> partial: array<f32, 256>;

@compute @workgroup_size(256)
fn rms_norm(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let row = wid.x;
    if row >= step.n_tokens {
        return;
    }
    let base = row * params.n;
    var s = 0.0;
    for (var i = lid; i < params.n; i += RMS_WORKGROUP) {
        let v = x[base + i];
        s += v * v;
    }
    partial[lid] = s;
    workgroupBarrier();
    for (var stride = RMS_WORKGROUP / 2u; stride > 0u; stride >>= 1u) {
        if lid < stride {
            partial[lid] += partial[lid + stride];
        }
        workgroupBarrier();
    }
    let scale = 1.0 / sqrt(partial[0] / f32(params.n) + params.eps);
    for (var i = lid; i < params.n; i += RMS_WORKGROUP) {
        out[base + i] = x[base + i] * scale * w[i];
    }
}
