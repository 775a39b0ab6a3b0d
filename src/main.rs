// mimalloc: the engine allocates many small, short-lived buffers per answer (frames, batch
// rows); glibc malloc spent ~14 % of the server's CPU on them under load (see BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    huge_pages_off();
    studyhub::cli::main()
}

/// Transparent huge pages off for this process, unless `MIMALLOC_ALLOW_THP` says otherwise.
/// mimalloc asks for them, and a 2 MiB page is resident as soon as one byte of it is: with
/// thousands of connections each holding a few KiB across the heap, they cost a third more
/// memory (36 against 25 KiB a learner at 15 000 idle) for ~5 % less CPU per answer
/// (BENCHMARKS.md).
fn huge_pages_off() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_none() {
        // SAFETY: PR_SET_THP_DISABLE takes plain integers and touches no memory of ours.
        unsafe {
            libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
        }
    }
}
