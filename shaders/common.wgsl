// Helpers shared by the weight decoders (quant_*.wgsl). Prepended to every module that reads
// quantized weights. Weights arrive as u32 words (WebGPU has no 8- or 16-bit storage types in
// the baseline), so bytes are picked with shifts and f16 values with f16_pair(), which
// f16_unpack.wgsl or f16_bits.wgsl provides.

// Byte `i & 3` of a little-endian word.
fn byte_of(word: u32, i: u32) -> u32 {
    return (word >> (8u * (i & 3u))) & 0xffu;
}

// The four bytes of a word as signed integers (two's complement sign extension).
fn i8x4(word: u32) -> vec4<i32> {
    let w = vec4<u32>(word << 24u, word << 16u, word << 8u, word);
    return bitcast<vec4<i32>>(w) >> vec4<u32>(24u);
}

// The four bytes of a word as unsigned integers.
fn u8x4(word: u32) -> vec4<u32> {
    return (vec4<u32>(word) >> vec4<u32>(0u, 8u, 16u, 24u)) & vec4<u32>(0xffu);
}

// The low nibbles of the four bytes of a word, as floats.
fn lo_nibbles(word: u32) -> vec4<f32> {
    return vec4<f32>((vec4<u32>(word) >> vec4<u32>(0u, 8u, 16u, 24u)) & vec4<u32>(0xfu));
}

// The high nibbles of the four bytes of a word, as floats.
fn hi_nibbles(word: u32) -> vec4<f32> {
    return vec4<f32>((vec4<u32>(word) >> vec4<u32>(4u, 12u, 20u, 28u)) & vec4<u32>(0xfu));
}

// Element `i & 1` of an f16 pair packed in a word.
fn half_of(pair: u32, i: u32) -> f32 {
    let v = f16_pair(pair);
    return select(v.x, v.y, (i & 1u) == 1u);
}
