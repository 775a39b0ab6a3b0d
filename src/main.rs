// mimalloc: the engine allocates many small, short-lived buffers per answer (frames, batch
// rows); glibc malloc spent ~14 % of the server's CPU on them under load (see BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    studyhub::cli::main()
}
