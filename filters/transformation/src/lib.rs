//! kgateway-compatible transformation filter: MiniJinja templates over headers and bodies
