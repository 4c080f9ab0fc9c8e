//! The metadata memory budget: decoded header values (metadata and tensor infos) may take at
//! most this many bytes. Counts in a header are only bounded by the file's length, which in a
//! browser is what the server claims; the budget bounds memory whatever the claim, and it is
//! charged before anything is allocated, so a lying count fails fast.

use crate::error::{FormatError, Result};

/// Real models need far less (a 256k-token vocabulary with merges decodes to about 20 MiB).
pub const METADATA_BUDGET: u64 = 256 << 20;

pub(crate) struct Budget {
    left: u64,
}

impl Budget {
    pub fn new() -> Self {
        Budget {
            left: METADATA_BUDGET,
        }
    }

    /// Takes `bytes` from the budget, or fails naming what asked for them.
    pub fn charge(&mut self, what: &'static str, bytes: u64) -> Result<()> {
        match self.left.checked_sub(bytes) {
            Some(left) => {
                self.left = left;
                Ok(())
            }
            None => Err(FormatError::MetadataBudget {
                what,
                needed: bytes,
                left: self.left,
                budget: METADATA_BUDGET,
            }),
        }
    }
}
