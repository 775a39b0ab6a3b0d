fn main() -> anyhow::Result<()> {
    studyhub::cli::main()
}
