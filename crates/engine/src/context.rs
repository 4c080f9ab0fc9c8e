//! Device set-up: choose an adapter, open a device with the adapter's own limits, and record the
//! optional features that select faster kernel variants.
//!
//! Choice: an explicit name (substring, case-insensitive) wins, then `MISTRAL_WGPU_ADAPTER`, then
//! the best adapter by type (discrete > integrated > virtual > cpu) and backend (native APIs
//! before OpenGL). `WGPU_BACKEND` (e.g. `vulkan`, `gl`) narrows the backends, through wgpu's own
//! environment helpers. Errors raised by wgpu outside an error scope are recorded instead of
//! panicking (wgpu's default) and reported by [`GpuContext::check`].

use std::fmt;
use std::sync::{Arc, Mutex};

use crate::error::{EngineError, Result};

/// Environment variable naming the adapter to use (substring of its name).
pub const ADAPTER_ENV: &str = "MISTRAL_WGPU_ADAPTER";

/// What `devices` prints about an adapter, and what kernel selection needs to know.
#[derive(Clone, Debug)]
pub struct AdapterSummary {
    pub name: String,
    pub backend: wgpu::Backend,
    pub device_type: wgpu::DeviceType,
    pub driver: String,
    pub driver_info: String,
    pub features: wgpu::Features,
    pub limits: wgpu::Limits,
    /// Whether the backend can run compute shaders at all (some GL ES 3.0 / WebGL2 cannot).
    pub compute: bool,
    /// Whether shaders may use `unpack2x16float` (wgpu's SHADER_F16_IN_F32 downlevel flag).
    pub f16_in_f32: bool,
}

impl AdapterSummary {
    fn of(adapter: &wgpu::Adapter) -> Self {
        let info = adapter.get_info();
        let downlevel = adapter.get_downlevel_capabilities().flags;
        AdapterSummary {
            name: info.name,
            backend: info.backend,
            device_type: info.device_type,
            driver: info.driver,
            driver_info: info.driver_info,
            features: adapter.features(),
            limits: adapter.limits(),
            compute: downlevel.contains(wgpu::DownlevelFlags::COMPUTE_SHADERS),
            f16_in_f32: downlevel.contains(wgpu::DownlevelFlags::SHADER_F16_IN_F32),
        }
    }

    /// Lower is better: discrete GPUs first, CPU rasterisers last; native APIs before GL.
    fn rank(&self) -> (u8, u8) {
        let by_type = match self.device_type {
            wgpu::DeviceType::DiscreteGpu => 0,
            wgpu::DeviceType::IntegratedGpu => 1,
            wgpu::DeviceType::VirtualGpu => 2,
            wgpu::DeviceType::Cpu => 3,
            wgpu::DeviceType::Other => 4,
        };
        let by_backend = match self.backend {
            wgpu::Backend::Vulkan
            | wgpu::Backend::Metal
            | wgpu::Backend::Dx12
            | wgpu::Backend::BrowserWebGpu => 0,
            _ => 1,
        };
        (u8::from(!self.compute), by_type * 2 + by_backend)
    }

    pub fn kernel_features(&self) -> KernelFeatures {
        KernelFeatures {
            shader_f16: self.features.contains(wgpu::Features::SHADER_F16),
            subgroup: self.features.contains(wgpu::Features::SUBGROUP),
            f16_in_f32: self.f16_in_f32,
        }
    }
}

impl fmt::Display for AdapterSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let l = &self.limits;
        let k = self.kernel_features();
        write!(
            f,
            "{} ({:?}, {:?}{}) shader-f16: {}, subgroup: {}, unpack2x16float: {}, max storage binding: {} MiB, \
             max buffer: {} MiB, storage buffers/stage: {}, workgroup storage: {} KiB, \
             invocations/workgroup: {}, workgroups/dim: {}{}",
            self.name,
            self.backend,
            self.device_type,
            if self.driver.is_empty() {
                String::new()
            } else {
                format!(", {} {}", self.driver, self.driver_info)
            },
            yes_no(k.shader_f16),
            yes_no(k.subgroup),
            yes_no(k.f16_in_f32),
            l.max_storage_buffer_binding_size >> 20,
            l.max_buffer_size >> 20,
            l.max_storage_buffers_per_shader_stage,
            l.max_compute_workgroup_storage_size >> 10,
            l.max_compute_invocations_per_workgroup,
            l.max_compute_workgroups_per_dimension,
            if self.compute { "" } else { " [no compute shaders]" }
        )
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// Optional adapter features that select kernel variants. The baseline kernels need none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KernelFeatures {
    pub shader_f16: bool,
    pub subgroup: bool,
    /// `unpack2x16float` is available (else f16 is decoded with integer operations).
    pub f16_in_f32: bool,
}

impl KernelFeatures {
    /// The f16 decoder kernels use on this device.
    pub fn f16_decode(&self) -> crate::shaders::F16Decode {
        if self.f16_in_f32 {
            crate::shaders::F16Decode::Builtin
        } else {
            crate::shaders::F16Decode::Bits
        }
    }
}

/// An open device and what we know about it. Cheap to share by reference; clone the wgpu handles
/// (they are reference counted) when a longer-lived owner needs them.
pub struct GpuContext {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub adapter: AdapterSummary,
    /// The device's limits (the adapter's own, requested in full).
    pub limits: wgpu::Limits,
    /// Features enabled on the device that kernels may use.
    pub features: KernelFeatures,
    /// Whether passes can write GPU timestamps (`Features::TIMESTAMP_QUERY`), for profiles.
    pub timestamps: bool,
    uncaptured: Arc<Mutex<Vec<String>>>,
    lost: Arc<Mutex<Option<String>>>,
}

/// The backends to look at: all compiled in, narrowed by `WGPU_BACKEND`.
pub fn default_backends() -> wgpu::Backends {
    wgpu::Backends::all().with_env()
}

fn instance(backends: wgpu::Backends) -> wgpu::Instance {
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle().with_env();
    desc.backends = backends;
    wgpu::Instance::new(desc)
}

async fn adapters(instance: &wgpu::Instance, backends: wgpu::Backends) -> Vec<wgpu::Adapter> {
    let mut found = instance.enumerate_adapters(backends).await;
    if found.is_empty() && !backends.is_empty() {
        // The browser backend may only hand out adapters through requestAdapter.
        if let Ok(a) = instance
            .request_adapter(&wgpu::RequestAdapterOptions {
                power_preference: wgpu::PowerPreference::HighPerformance,
                ..Default::default()
            })
            .await
        {
            found.push(a);
        }
    }
    found
}

/// Every adapter wgpu can see (respecting `WGPU_BACKEND`), best first.
pub async fn list_adapters() -> Vec<AdapterSummary> {
    let backends = default_backends();
    let mut list: Vec<AdapterSummary> = adapters(&instance(backends), backends)
        .await
        .iter()
        .map(AdapterSummary::of)
        .collect();
    list.sort_by_key(AdapterSummary::rank);
    list
}

fn backends_note(backends: wgpu::Backends) -> String {
    match std::env::var("WGPU_BACKEND") {
        Ok(b) => format!(" (WGPU_BACKEND={b})"),
        Err(_) if backends != wgpu::Backends::all() => format!(" (backends {backends:?})"),
        Err(_) => String::new(),
    }
}

impl GpuContext {
    /// Opens a device. `adapter_name` (a case-insensitive substring of the adapter's name)
    /// overrides `MISTRAL_WGPU_ADAPTER`; with neither, the best adapter is used.
    pub async fn new(adapter_name: Option<&str>) -> Result<Self> {
        Self::new_with_backends(adapter_name, default_backends()).await
    }

    /// [`GpuContext::new`] looking only at `backends`.
    pub async fn new_with_backends(
        adapter_name: Option<&str>,
        backends: wgpu::Backends,
    ) -> Result<Self> {
        let wanted = adapter_name
            .map(str::to_string)
            .or_else(|| std::env::var(ADAPTER_ENV).ok().filter(|s| !s.is_empty()));
        let instance = instance(backends);
        let mut candidates: Vec<(AdapterSummary, wgpu::Adapter)> = adapters(&instance, backends)
            .await
            .into_iter()
            .map(|a| (AdapterSummary::of(&a), a))
            .collect();
        if candidates.is_empty() {
            return Err(EngineError::NoAdapter {
                backends: backends_note(backends),
            });
        }
        candidates.sort_by_key(|(s, _)| s.rank());
        let chosen = match &wanted {
            Some(w) => {
                let needle = w.to_lowercase();
                let pos = candidates
                    .iter()
                    .position(|(s, _)| s.name.to_lowercase().contains(&needle));
                match pos {
                    Some(i) => candidates.swap_remove(i),
                    None => {
                        return Err(EngineError::AdapterNotFound {
                            wanted: w.clone(),
                            available: candidates
                                .iter()
                                .map(|(s, _)| format!("{} ({:?})", s.name, s.backend))
                                .collect::<Vec<_>>()
                                .join(", "),
                        })
                    }
                }
            }
            None => candidates.swap_remove(0),
        };
        Self::open(chosen.0, chosen.1).await
    }

    /// [`GpuContext::new`] for native callers, blocking on the future.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn new_blocking(adapter_name: Option<&str>) -> Result<Self> {
        pollster::block_on(Self::new(adapter_name))
    }

    async fn open(summary: AdapterSummary, adapter: wgpu::Adapter) -> Result<Self> {
        if !summary.compute {
            return Err(EngineError::NoCompute {
                adapter: summary.name,
            });
        }
        // Timestamps only serve `bench --profile`; requesting them costs nothing otherwise.
        let optional =
            wgpu::Features::SHADER_F16 | wgpu::Features::SUBGROUP | wgpu::Features::TIMESTAMP_QUERY;
        let required_features = summary.features & optional;
        let limits = summary.limits.clone();
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("mistral-wgpu"),
                required_features,
                required_limits: limits.clone(),
                experimental_features: wgpu::ExperimentalFeatures::disabled(),
                memory_hints: wgpu::MemoryHints::Performance,
                trace: wgpu::Trace::Off,
            })
            .await
            .map_err(|e| EngineError::RequestDevice {
                adapter: summary.name.clone(),
                reason: e.to_string(),
            })?;
        let uncaptured = Arc::new(Mutex::new(Vec::new()));
        let sink = uncaptured.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            if let Ok(mut v) = sink.lock() {
                v.push(e.to_string());
            }
        }));
        let lost = Arc::new(Mutex::new(None));
        let lost_sink = lost.clone();
        device.set_device_lost_callback(move |reason, message| {
            if let Ok(mut l) = lost_sink.lock() {
                *l = Some(format!("{reason:?}: {message}"));
            }
        });
        let features = KernelFeatures {
            shader_f16: required_features.contains(wgpu::Features::SHADER_F16),
            subgroup: required_features.contains(wgpu::Features::SUBGROUP),
            f16_in_f32: summary.f16_in_f32,
        };
        Ok(GpuContext {
            device,
            queue,
            adapter: summary,
            limits,
            features,
            timestamps: required_features.contains(wgpu::Features::TIMESTAMP_QUERY),
            uncaptured,
            lost,
        })
    }

    /// Reports a lost device or the first error wgpu raised outside an error scope since the
    /// last check.
    pub fn check(&self) -> Result<()> {
        if let Some(reason) = self.lost.lock().ok().and_then(|l| l.clone()) {
            return Err(EngineError::DeviceLost(reason));
        }
        let errors: Vec<String> = self
            .uncaptured
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default();
        match errors.into_iter().next() {
            Some(message) => Err(EngineError::Validation {
                what: "running GPU work".into(),
                message,
            }),
            None => Ok(()),
        }
    }

    /// Runs `f` (resource creation, submissions) inside out-of-memory and validation error
    /// scopes, turning what they catch into an [`EngineError`] naming `what`.
    pub async fn scoped<T>(&self, what: &str, f: impl FnOnce() -> T) -> Result<T> {
        let oom = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let validation = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let value = f();
        let validation = validation.pop().await;
        let oom = oom.pop().await;
        self.check()?;
        match oom.or(validation) {
            Some(e) => Err(EngineError::from_wgpu(e, what)),
            None => Ok(value),
        }
    }

    /// Largest byte size one storage binding may have on this device.
    pub fn max_binding_bytes(&self) -> u64 {
        self.limits
            .max_storage_buffer_binding_size
            .min(self.limits.max_buffer_size)
    }
}
