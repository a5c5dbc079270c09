//! `healthz`: serve a health endpoint for the backends in a TOML file, or check
//! them once. Everything but this line lives in the package's library, where the fuzz
//! targets reach the config loader.

fn main() -> std::process::ExitCode {
    healthz_cli::run()
}
