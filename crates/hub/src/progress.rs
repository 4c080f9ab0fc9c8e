//! How a download reports itself; the CLI draws a bar, tests and libraries may ignore it.

pub trait Progress {
    /// A transfer of `total` bytes (if known) starts, `done` of them already on disk.
    fn start(&mut self, name: &str, total: Option<u64>, done: u64);
    /// `bytes` more arrived.
    fn advance(&mut self, bytes: u64);
    /// A line for the user (what is downloaded from where, verifying, saved to).
    fn note(&mut self, line: &str);
    /// The transfer ended, successfully or not.
    fn finish(&mut self);
}

/// Reports nothing.
pub struct Quiet;

impl Progress for Quiet {
    fn start(&mut self, _: &str, _: Option<u64>, _: u64) {}
    fn advance(&mut self, _: u64) {}
    fn note(&mut self, _: &str) {}
    fn finish(&mut self) {}
}
