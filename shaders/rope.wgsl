// Rotary position embedding in place, on ADJACENT pairs (x[2i], x[2i+1]) of each head (the GGUF
// convention). Token t of the chunk is at position step.pos0 + t, read from the step buffer so
// that nothing is rebuilt per step; tokens from step.n_tokens on are skipped.
// inv_freq[i] = 1 / theta^(2i/head_dim) is computed once on the CPU in f32 exactly as the
// reference does; the angle is the same f32 product. Angles reach
// thousands of radians, where GPU sin/cos lose accuracy, so they are first reduced to
// [-pi, pi] with 2*pi split in pieces whose products with k are exact (Cody-Waite).

// `struct Step` is prepended from step.rs (STEP_WGSL).

struct RopeParams {
    head_dim: u32,
    n_heads: u32,   // heads per token
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: RopeParams;
@group(0) @binding(1) var<storage, read> step: Step;
@group(0) @binding(2) var<storage, read> inv_freq: array<f32>;
@group(0) @binding(3) var<storage, read_write> x: array<f32>;

// 2*pi = TWO_PI_A + TWO_PI_B + TWO_PI_C + TWO_PI_D; A, B, C have 8 significant bits, so k * A
// etc. are exact for k < 2^16 (angles below ~4e5 rad: positions up to ~400k at inv_freq 1).
const TWO_PI_A: f32 = 6.28125;
const TWO_PI_B: f32 = 0.00193023681640625;
const TWO_PI_C: f32 = 5.066394805908203e-06;
const TWO_PI_D: f32 = 3.968374073792802e-09;
const INV_TWO_PI: f32 = 0.15915493667125702;

fn reduce_angle(a: f32) -> f32 {
    let k = round(a * INV_TWO_PI);
    return (((a - k * TWO_PI_A) - k * TWO_PI_B) - k * TWO_PI_C) - k * TWO_PI_D;
}

@compute @workgroup_size(64)
fn rope(@builtin(global_invocation_id) gid: vec3<u32>) {
    let half = params.head_dim / 2u;
    let pair = gid.x;  // pair index within the token, over all heads
    let t = gid.y;
    if pair >= params.n_heads * half || t >= step.n_tokens {
        return;
    }
    let i = pair % half;
    let angle = reduce_angle(f32(step.pos0 + t) * inv_freq[i]);
    let c = cos(angle);
    let s = sin(angle);
    let base = t * params.n_heads * params.head_dim + 2u * pair;
    let a = x[base];
    let b = x[base + 1u];
    x[base] = a * c - b * s;
    x[base + 1u] = a * s + b * c;
}
