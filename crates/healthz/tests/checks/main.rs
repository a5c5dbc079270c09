//! The bundled checks that need no server (or only a local one, such as a TCP
//! listener the test opens), one module per check.

mod blocking;
#[cfg(feature = "disk")]
mod disk;
mod filesystem;
#[cfg(feature = "memory")]
mod memory;
mod memory_cache;
#[cfg(feature = "sqlite")]
mod sqlite;
mod tcp;
