// Embedding lookup: out[t, :] = row ids[t] of the token table, dequantized to f32, for the
// tokens t < step.n_tokens of the chunk (`struct Step` is prepended from step.rs). Completed by
// quant_<type>.wgsl (after common.wgsl). A table split across buffers is looked up by one
// dispatch per part; only the part holding the row writes, so the token id can come from a GPU
// buffer (the previous step's argmax) without a CPU round trip.

struct EmbeddingParams {
    row_start: u32,       // first table row held by this part
    rows: u32,            // rows in this part
    cols: u32,            // embedding width
    blocks_per_row: u32,  // padded row length / BLOCK
}

@group(0) @binding(0) var<uniform> params: EmbeddingParams;
@group(0) @binding(1) var<storage, read> ids: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
// Bindings 3 and 4 are the weight arrays of quant_<type>.wgsl.
@group(0) @binding(5) var<storage, read> step: Step;

@compute @workgroup_size(64)
fn embedding(@builtin(global_invocation_id) gid: vec3<u32>) {
    let c = gid.x;
    let t = gid.y;
    if c >= params.cols || t >= step.n_tokens {
        return;
    }
    let id = ids[t];
    if id < params.row_start || id - params.row_start >= params.rows {
        return;
    }
    let gb = (id - params.row_start) * params.blocks_per_row + c / BLOCK;
    out[t * params.cols + c] = weight(gb, c % BLOCK);
}
