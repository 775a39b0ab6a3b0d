//! What every bench's command line shares, so that each bench's `#[derive(Parser)]` struct
//! holds only its own options: cargo's `--bench` ignored, and the server binary to start.

use std::path::PathBuf;

/// The bench's options from its command line (what follows `cargo bench --bench NAME --`).
/// `cargo bench` adds `--bench` to a `harness = false` target's arguments: it is dropped
/// before clap reads them, wherever it stands.
pub(crate) fn parse<T: clap::Parser>() -> T {
    T::parse_from(std::env::args_os().filter(|a| a != "--bench"))
}

/// `--server-bin`: which `studyhub` the bench starts.
#[derive(clap::Args, Clone, Debug)]
pub(crate) struct ServerBin {
    /// The `studyhub` binary to start: a previous release's compares it with the current one
    /// on the same machine (default: the one cargo built with this bench)
    #[arg(long = "server-bin", value_name = "PATH", default_value = env!("CARGO_BIN_EXE_studyhub"))]
    pub bin: PathBuf,
}
