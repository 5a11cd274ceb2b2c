//! What the tool commands share: running async code from `main`, exit
//! codes, and progress bars that only appear on a terminal.

use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Runs a tool command to completion and turns its outcome into the exit code.
pub(crate) fn run<F: std::future::Future<Output = anyhow::Result<u8>>>(future: F) -> ExitCode {
    finish(block_on(future))
}

/// Runs `future` on a runtime made for one command.
pub(crate) fn block_on<F: std::future::Future<Output = anyhow::Result<u8>>>(
    future: F,
) -> anyhow::Result<u8> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| anyhow::anyhow!("starting the async runtime: {e}"))?
        .block_on(future)
}

/// The exit code of a tool command: its own verdict (0 pass, 1 a contract
/// or record was refused), 2 for any error. A closed stdout (`| head`) is
/// not an error.
pub(crate) fn finish(result: anyhow::Result<u8>) -> ExitCode {
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("herald: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// A progress bar with rate on stderr when stderr is a terminal, hidden
/// otherwise (`len` `None`: a spinner with a count).
pub(crate) fn progress(len: Option<u64>, what: &str) -> ProgressBar {
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return ProgressBar::hidden();
    }
    let (bar, template) = match len {
        Some(n) => (
            ProgressBar::new(n),
            "{prefix} [{bar:30}] {pos}/{len} {per_sec} {msg}",
        ),
        None => (
            ProgressBar::new_spinner(),
            "{spinner} {prefix} {pos} {per_sec} {msg}",
        ),
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_draw_target(ProgressDrawTarget::stderr());
    bar.set_prefix(what.to_owned());
    bar
}
