//! One error type for everything the GPU engine can report. Messages name the problem and the
//! way out; nothing here is produced by a panic.

use mistral_formats::{FormatError, TensorType};

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(
        "no GPU adapter found{backends}. Install a Vulkan driver (on Debian/Ubuntu: \
         `apt-get install mesa-vulkan-drivers libvulkan1` gives the lavapipe CPU adapter) or \
         update your graphics drivers; WGPU_BACKEND=gl tries OpenGL instead"
    )]
    NoAdapter { backends: String },
    #[error("no GPU adapter matches {wanted:?}; available: {available}")]
    AdapterNotFound { wanted: String, available: String },
    #[error("adapter {adapter:?} cannot run compute shaders (downlevel backend without compute support); choose another with --adapter or MISTRAL_WGPU_ADAPTER")]
    NoCompute { adapter: String },
    #[error("could not open a device on adapter {adapter:?}: {reason}")]
    RequestDevice { adapter: String, reason: String },
    #[error("the GPU device was lost ({0}); restart, and if it recurs update the driver or pick another adapter")]
    DeviceLost(String),
    #[error("out of GPU memory while {what}; the adapter cannot hold this model: try a smaller quantization or another adapter")]
    OutOfMemory { what: String },
    #[error("GPU validation error while {what}: {message}")]
    Validation { what: String, message: String },
    #[error("GPU internal error while {what}: {message}")]
    Internal { what: String, message: String },
    #[error("tensor {tensor:?} of type {ty:?} cannot be uploaded: {reason}")]
    BadTensor {
        tensor: String,
        ty: TensorType,
        reason: String,
    },
    #[error("the model needs {} of GPU memory but {adapter:?} offers {}; use a smaller quantization, a shorter --context, or another adapter", human(*needed), human(*available))]
    TooLarge {
        needed: u64,
        available: u64,
        adapter: String,
    },
    /// The model needs more than one of the adapter's limits allows (a buffer binding).
    #[error("{0}")]
    AdapterLimit(String),
    #[error("token id {id} is outside the vocabulary of {vocab}")]
    BadToken { id: u32, vocab: usize },
    #[error("position {pos} is past the context of {context} tokens (the model has no sliding window); start a new conversation or raise --context")]
    PastContext { pos: usize, context: usize },
    #[error("reading back a GPU buffer failed: {0}")]
    Readback(String),
    #[error("{0}")]
    Shape(String),
    /// A load option out of range (context, window, prefill chunk).
    #[error("{0}")]
    Options(String),
    #[error(transparent)]
    Format(#[from] FormatError),
    #[error(transparent)]
    KernelChoice(#[from] crate::kernel_family::ParseKernelChoiceError),
}

pub type Result<T, E = EngineError> = std::result::Result<T, E>;

impl EngineError {
    /// Maps a wgpu error caught by an error scope to an error naming what we were doing.
    pub fn from_wgpu(err: wgpu::Error, what: &str) -> Self {
        match err {
            wgpu::Error::OutOfMemory { .. } => EngineError::OutOfMemory { what: what.into() },
            wgpu::Error::Validation { description, .. } => EngineError::Validation {
                what: what.into(),
                message: description,
            },
            wgpu::Error::Internal { description, .. } => EngineError::Internal {
                what: what.into(),
                message: description,
            },
        }
    }
}

/// Bytes in GiB or MiB for messages.
fn human(bytes: u64) -> String {
    if bytes >= 1 << 30 {
        format!("{:.2} GiB", bytes as f64 / (1u64 << 30) as f64)
    } else {
        format!("{:.1} MiB", bytes as f64 / (1u64 << 20) as f64)
    }
}
