// f16 pair decoding with the WGSL builtin. Needs the adapter's SHADER_F16_IN_F32 downlevel
// capability (always there in browsers; absent on Mesa Vulkan without shader-f16, e.g. lavapipe,
// and on GL ES), otherwise f16_bits.wgsl is used.
fn f16_pair(word: u32) -> vec2<f32> {
    return unpack2x16float(word);
}
