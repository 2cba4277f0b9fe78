//! A local stand-in for the parts of Google's Cloud Resource Manager API that jit uses (SPEC §6).

/// `jit emulator` flags.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Port to listen on (0 picks a free one and prints it).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
}

/// Serves until interrupted.
pub fn run(_args: Args) -> crate::Result<()> {
    Err(crate::Error::usage("the emulator is not built yet"))
}
