//! CPU reference model.
