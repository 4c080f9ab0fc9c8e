//! Every WGSL module the engine builds is parsed and validated by naga with the capabilities of
//! baseline WebGPU (no shader-f16, no subgroups), then translated to SPIR-V, MSL and HLSL, so the
//! Vulkan, Metal and DX12 paths are checked here although only Vulkan runs in CI. No GPU needed.

use mistral_engine::shaders;
use naga::valid::{Capabilities, ValidationFlags, Validator};

fn translate(m: &shaders::ShaderModuleSource) -> Result<(), String> {
    let module =
        naga::front::wgsl::parse_str(&m.source).map_err(|e| e.emit_to_string(&m.source))?;
    // WebGPU's baseline: no f16 types, no subgroups; unpack2x16float is core WGSL, so modules
    // using it get the one capability naga asks for it.
    let caps = if m.needs_f16_in_f32 {
        Capabilities::SHADER_FLOAT16_IN_FLOAT32
    } else {
        Capabilities::empty()
    };
    let info = Validator::new(ValidationFlags::all(), caps)
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
    naga::back::msl::write_string(
        &module,
        &info,
        &naga::back::msl::Options::default(),
        &naga::back::msl::PipelineOptions {
            entry_point: Some((stage, m.entry_point.to_string())),
            ..Default::default()
        },
    )
    .map_err(|e| format!("MSL: {e}"))?;
    let mut hlsl = String::new();
    let options = naga::back::hlsl::Options::default();
    let pipeline = naga::back::hlsl::PipelineOptions {
        entry_point: Some((stage, m.entry_point.to_string())),
    };
    naga::back::hlsl::Writer::new(&mut hlsl, &options, &pipeline)
        .write(&module, &info, None)
        .map_err(|e| format!("HLSL: {e}"))?;
    Ok(())
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
