//! `herald completions bash|zsh|fish`: shell completion scripts, generated
//! from the same clap definitions the binary parses with.

use std::process::ExitCode;

use clap_complete::Shell;

/// Prints the completion script for `shell` to stdout.
pub(crate) fn print(shell: Shell, command: &mut clap::Command) -> ExitCode {
    clap_complete::generate(shell, command, "herald", &mut std::io::stdout());
    ExitCode::SUCCESS
}
