//! What every bench's command line shares, so that each bench's `#[derive(Parser)]` struct
//! holds only its own options: cargo's `--bench` ignored.

/// The bench's options from its command line (what follows `cargo bench --bench NAME --`).
/// `cargo bench` adds `--bench` to a `harness = false` target's arguments: it is dropped
/// before clap reads them, wherever it stands.
pub(crate) fn parse<T: clap::Parser>() -> T {
    T::parse_from(std::env::args_os().filter(|a| a != "--bench"))
}
