//! Which family of kernels a device runs: the table from adapter facts to kernel shapes.
//!
//! Two families compute the same ops (the op-table and model tests prove both on every adapter
//! CI has):
//! - [`KernelFamily::Cpu`]: shaped for GPUs implemented on a CPU (lavapipe/llvmpipe, SwiftShader,
//!   WARP): one invocation walks whole rows (each SIMD lane streams its own row), four rows share
//!   every load of x, no workgroup memory and no barriers (barriers are coroutine switches there).
//! - [`KernelFamily::Gpu`]: shaped for real GPUs: a workgroup per group of rows whose adjacent
//!   invocations read adjacent words (coalesced), reductions in workgroup memory or subgroups,
//!   prefill GEMM in tiles dequantised once into workgroup memory.
//!
//! `--kernels auto|cpu|gpu` (or `MISTRAL_WGPU_KERNELS`) forces a family; `auto` uses the table.

use std::fmt;
use std::str::FromStr;

use crate::context::AdapterSummary;

/// Environment variable forcing a family (`auto`, `cpu` or `gpu`) when no option is given.
pub const KERNELS_ENV: &str = "MISTRAL_WGPU_KERNELS";

/// A family of kernel shapes (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KernelFamily {
    Cpu,
    Gpu,
}

impl KernelFamily {
    pub const ALL: [KernelFamily; 2] = [KernelFamily::Cpu, KernelFamily::Gpu];

    pub fn name(self) -> &'static str {
        match self {
            KernelFamily::Cpu => "cpu",
            KernelFamily::Gpu => "gpu",
        }
    }

    /// The family the table picks for an adapter, and why (printed by `info`, `devices`, `bench`).
    pub fn for_adapter(adapter: &AdapterFacts) -> (KernelFamily, &'static str) {
        if adapter.device_type == wgpu::DeviceType::Cpu {
            return (KernelFamily::Cpu, "the adapter is a CPU implementation");
        }
        let name = adapter.name.to_lowercase();
        // Software adapters that do not always say so in their device type (the browser's
        // WebGPU reports no type; SwiftShader shows up in the name or the architecture).
        const SOFTWARE: [&str; 5] = [
            "llvmpipe",
            "lavapipe",
            "swiftshader",
            "microsoft basic render",
            "warp",
        ];
        if SOFTWARE.iter().any(|s| name.contains(s)) {
            return (KernelFamily::Cpu, "the adapter is a software rasteriser");
        }
        (KernelFamily::Gpu, "the adapter is a GPU")
    }
}

impl fmt::Display for KernelFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a user asks for: a family, or the table's choice.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum KernelChoice {
    #[default]
    Auto,
    Force(KernelFamily),
}

impl KernelChoice {
    /// `choice` if it forces a family, else `MISTRAL_WGPU_KERNELS` if set, else the table's pick
    /// for `adapter`; with the reason. An unparsable environment value is an error (a typo must
    /// not silently measure the wrong kernels).
    pub fn resolve(
        self,
        adapter: &AdapterFacts,
    ) -> Result<(KernelFamily, String), ParseKernelChoiceError> {
        let env = std::env::var(KERNELS_ENV).ok().filter(|v| !v.is_empty());
        let choice = match (self, env) {
            (KernelChoice::Force(f), _) => return Ok((f, "forced by --kernels".into())),
            (KernelChoice::Auto, Some(v)) => v.parse::<KernelChoice>()?,
            (KernelChoice::Auto, None) => KernelChoice::Auto,
        };
        Ok(match choice {
            KernelChoice::Force(f) => (f, format!("forced by {KERNELS_ENV}")),
            KernelChoice::Auto => {
                let (f, why) = KernelFamily::for_adapter(adapter);
                (f, why.to_string())
            }
        })
    }
}

/// The adapter facts the table reads (a subset of [`AdapterSummary`], so the browser and tests
/// can describe adapters too).
#[derive(Clone, Debug)]
pub struct AdapterFacts {
    pub name: String,
    pub device_type: wgpu::DeviceType,
}

impl From<&AdapterSummary> for AdapterFacts {
    fn from(a: &AdapterSummary) -> Self {
        AdapterFacts {
            name: a.name.clone(),
            device_type: a.device_type,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseKernelChoiceError(pub String);

impl fmt::Display for ParseKernelChoiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown kernel family {:?}: expected auto, cpu or gpu",
            self.0
        )
    }
}

impl std::error::Error for ParseKernelChoiceError {}

impl FromStr for KernelChoice {
    type Err = ParseKernelChoiceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(KernelChoice::Auto),
            "cpu" => Ok(KernelChoice::Force(KernelFamily::Cpu)),
            "gpu" => Ok(KernelChoice::Force(KernelFamily::Gpu)),
            _ => Err(ParseKernelChoiceError(s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(name: &str, device_type: wgpu::DeviceType) -> AdapterFacts {
        AdapterFacts {
            name: name.into(),
            device_type,
        }
    }

    #[test]
    fn table_keeps_cpu_kernels_for_software_adapters() {
        use wgpu::DeviceType::*;
        let cases = [
            ("llvmpipe (LLVM 15.0.6, 256 bits)", Cpu, KernelFamily::Cpu),
            ("SwiftShader Device (Subzero)", Other, KernelFamily::Cpu),
            ("Microsoft Basic Render Driver", Other, KernelFamily::Cpu),
            ("NVIDIA H100 80GB HBM3", DiscreteGpu, KernelFamily::Gpu),
            ("Apple M2", IntegratedGpu, KernelFamily::Gpu),
            ("", Other, KernelFamily::Gpu),
        ];
        for (name, ty, want) in cases {
            assert_eq!(
                KernelFamily::for_adapter(&facts(name, ty)).0,
                want,
                "{name}"
            );
        }
    }

    #[test]
    fn choices_parse_and_bad_ones_are_refused() {
        assert_eq!("auto".parse(), Ok(KernelChoice::Auto));
        assert_eq!(" GPU ".parse(), Ok(KernelChoice::Force(KernelFamily::Gpu)));
        assert_eq!("cpu".parse(), Ok(KernelChoice::Force(KernelFamily::Cpu)));
        let err = "fast".parse::<KernelChoice>().unwrap_err();
        assert!(err.to_string().contains("auto, cpu or gpu"), "{err}");
    }

    #[test]
    fn a_forced_choice_beats_the_table() {
        let lavapipe = facts("llvmpipe", wgpu::DeviceType::Cpu);
        let (f, why) = KernelChoice::Force(KernelFamily::Gpu)
            .resolve(&lavapipe)
            .unwrap();
        assert_eq!(f, KernelFamily::Gpu);
        assert!(why.contains("--kernels"));
    }
}
