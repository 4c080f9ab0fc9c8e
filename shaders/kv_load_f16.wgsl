// f16 cache storage for the attention kernels: pair `word` of a cache buffer, two f16 packed in
// one u32, widened exactly to f32 by `f16_pair` (f16_unpack.wgsl or f16_bits.wgsl, chosen from
// the adapter's features).

@group(0) @binding(3) var<storage, read> k_cache: array<u32>;
@group(0) @binding(4) var<storage, read> v_cache: array<u32>;

fn k_pair(word: u32) -> vec2<f32> {
    return f16_pair(k_cache[word]);
}

fn v_pair(word: u32) -> vec2<f32> {
    return f16_pair(v_cache[word]);
}
