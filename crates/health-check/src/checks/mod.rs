//! The bundled checks.
