//! The dynagate controller binary.

fn main() {}
