//! Every WGSL module the engine builds is parsed and validated by naga with the capabilities of
//! baseline WebGPU (no shader-f16, no subgroups; the subgroup variants with subgroups added),
//! then translated to SPIR-V, MSL and HLSL, so the Vulkan, Metal and DX12 paths are checked here
//! although only Vulkan runs in CI. No GPU needed.

use mistral_engine::shaders;
use naga::valid::{Capabilities, ShaderStages, SubgroupOperationSet, ValidationFlags, Validator};

/// WebGPU's baseline: no f16 types, no subgroups; unpack2x16float is core WGSL, so modules
/// using it get the one capability naga asks for it. Subgroup modules get WebGPU's `subgroups`
/// feature: the capability, basic + ballot/broadcast/shuffle operations, compute stage only.
fn validator(m: &shaders::ShaderModuleSource, subgroups: bool) -> Validator {
    let mut caps = Capabilities::empty();
    if m.needs_f16_in_f32 {
        caps |= Capabilities::SHADER_FLOAT16_IN_FLOAT32;
    }
    if subgroups {
        caps |= Capabilities::SUBGROUP;
    }
    let mut v = Validator::new(ValidationFlags::all(), caps);
    if subgroups {
        v.subgroup_stages(ShaderStages::COMPUTE)
            .subgroup_operations(SubgroupOperationSet::all());
    }
    v
}

fn translate(m: &shaders::ShaderModuleSource) -> Result<(), String> {
    let module =
        naga::front::wgsl::parse_str(&m.source).map_err(|e| e.emit_to_string(&m.source))?;
    let info = validator(m, m.needs_subgroups)
        .validate(&module)
        .map_err(|e| e.emit_to_string(&m.source))?;
    let stage = naga::ShaderStage::Compute;
    naga::back::spv::write_vec(
        &module,
        &info,
        &naga::back::spv::Options::default(),
        Some(&naga::back::spv::PipelineOptions {
            shader_stage: stage,
            entry_point: m.entry_point.to_string(),
        }),
    )
    .map_err(|e| format!("SPIR-V: {e}"))?;
    // Subgroup operations need SIMD-group functions (MSL 2.1) and wave intrinsics (HLSL shader
    // model 6.0, which wgpu's DX12 backend requires for Features::SUBGROUP). naga's writers do not
    // check these versions themselves, so the subgroup modules are written for them and the
    // output is checked for the intrinsics below.
    let mut msl_options = naga::back::msl::Options::default();
    let mut options = naga::back::hlsl::Options::default();
    if m.needs_subgroups {
        msl_options.lang_version = (2, 1);
        options.shader_model = naga::back::hlsl::ShaderModel::V6_0;
    }
    let (msl, _) = naga::back::msl::write_string(
        &module,
        &info,
        &msl_options,
        &naga::back::msl::PipelineOptions {
            entry_point: Some((stage, m.entry_point.to_string())),
            ..Default::default()
        },
    )
    .map_err(|e| format!("MSL: {e}"))?;
    let mut hlsl = String::new();
    let pipeline = naga::back::hlsl::PipelineOptions {
        entry_point: Some((stage, m.entry_point.to_string())),
    };
    naga::back::hlsl::Writer::new(&mut hlsl, &options, &pipeline)
        .write(&module, &info, None)
        .map_err(|e| format!("HLSL: {e}"))?;
    // Broadcasts (CPU family) or sums (GPU family's reductions) must come out as the SIMD-group
    // / wave intrinsics.
    let msl_sg = msl.contains("simd_broadcast(") || msl.contains("simd_sum(");
    let hlsl_sg = hlsl.contains("WaveReadLaneAt(") || hlsl.contains("WaveActiveSum(");
    if m.needs_subgroups && !(msl_sg && hlsl_sg) {
        return Err(
            "subgroup module without simd_broadcast/simd_sum (MSL) or WaveReadLaneAt/WaveActiveSum (HLSL)"
                .into(),
        );
    }
    Ok(())
}

/// The subgroup modules really need the capability: without it naga rejects them, so the
/// baseline modules above (validated without it) are known to run on devices lacking subgroups.
#[test]
fn subgroup_modules_are_rejected_without_the_subgroup_capability() {
    let modules: Vec<_> = shaders::all_modules()
        .into_iter()
        .filter(|m| m.needs_subgroups)
        .collect();
    assert!(!modules.is_empty(), "no subgroup modules built");
    for m in &modules {
        let module = naga::front::wgsl::parse_str(&m.source).expect("parses");
        let err = validator(m, false)
            .validate(&module)
            .expect_err("validated without SUBGROUP");
        let text = format!("{:?}", err.as_inner());
        assert!(
            text.contains("MissingCapability(Capabilities(SUBGROUP))"),
            "{}: unexpected error {text}",
            m.name
        );
    }
}

#[test]
fn every_module_validates_for_webgpu_and_translates_to_spirv_msl_hlsl() {
    let mut failures = Vec::new();
    let modules = shaders::all_modules();
    for m in &modules {
        if let Err(e) = translate(m) {
            failures.push(format!("{} ({}):\n{e}", m.name, m.files.join(" + ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    println!("{} modules validated and translated", modules.len());
}

#[test]
fn every_wgsl_file_on_disk_is_compiled_in_and_used() {
    let dir = mistral_testdata::workspace_root().join("shaders");
    let on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".wgsl"))
        .collect();
    let used: Vec<&str> = shaders::all_modules()
        .iter()
        .flat_map(|m| m.files.clone())
        .collect();
    for name in &on_disk {
        assert!(
            shaders::FILES.iter().any(|(f, _)| f == name),
            "shaders/{name} is not listed in mistral_engine::shaders::FILES"
        );
        assert!(
            used.contains(&name.as_str()),
            "shaders/{name} is not part of any module"
        );
    }
    assert_eq!(
        on_disk.len(),
        shaders::FILES.len(),
        "FILES lists a file missing on disk"
    );
}
