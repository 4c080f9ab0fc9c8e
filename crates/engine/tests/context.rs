//! Adapter listing and choice, and errors as values.

mod common;

use mistral_engine::{list_adapters, EngineError, GpuContext};

#[test]
fn adapters_are_listed_best_first_with_limits() {
    let ctx = common::gpu(); // fails loudly when there is none
    let list = pollster::block_on(list_adapters());
    assert!(!list.is_empty());
    for a in &list {
        println!("{a}");
    }
    // The default choice is the head of the list, unless MISTRAL_WGPU_ADAPTER picked another.
    if std::env::var_os(mistral_engine::ADAPTER_ENV).is_none() {
        assert_eq!(ctx.adapter.name, list[0].name);
        assert_eq!(ctx.adapter.backend, list[0].backend);
    }
    assert!(ctx.limits.max_storage_buffer_binding_size >= 1 << 20);
}

#[test]
fn an_unknown_adapter_name_is_an_error_listing_the_available_ones() {
    common::gpu();
    let err = match GpuContext::new_blocking(Some("no-such-gpu-xyz")) {
        Ok(_) => panic!("an adapter named no-such-gpu-xyz was found"),
        Err(e) => e,
    };
    assert!(matches!(err, EngineError::AdapterNotFound { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("no-such-gpu-xyz") && msg.contains("available"),
        "{msg}"
    );
}

#[test]
fn an_adapter_can_be_chosen_by_name_substring() {
    let ctx = common::gpu();
    let part: String = ctx
        .adapter
        .name
        .chars()
        .take(4)
        .collect::<String>()
        .to_uppercase();
    let chosen = GpuContext::new_blocking(Some(&part)).unwrap_or_else(|e| panic!("{e}"));
    assert!(chosen.adapter.name.to_uppercase().contains(&part));
}

#[test]
fn no_adapter_is_an_error_that_says_what_to_install() {
    common::gpu();
    let err = match pollster::block_on(GpuContext::new_with_backends(
        None,
        mistral_engine::wgpu::Backends::empty(),
    )) {
        Ok(c) => panic!("found adapter {} with no backends", c.adapter.name),
        Err(e) => e,
    };
    assert!(matches!(err, EngineError::NoAdapter { .. }), "{err}");
    assert!(err.to_string().contains("mesa-vulkan-drivers"), "{err}");
}
