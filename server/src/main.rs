//! The `portcullis` binary: parse the command line, set up logging, run.

use clap::Parser;
use portcullis::cli::{self, Cli};
use std::io::Write;

// mimalloc returns large freed blocks (argon2's 19 MiB) to the system, where glibc's malloc
// keeps them, and is faster on the token endpoint's many small allocations.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let filter = std::env::var("PORTCULLIS_LOG").or_else(|_| std::env::var("RUST_LOG")).unwrap_or_else(|_| {
        if matches!(cli.command, None | Some(cli::Command::Serve)) { "info" } else { "warn" }.into()
    });
    // PORTCULLIS_LOG_FORMAT=json: one JSON object per line (with the request id of its span),
    // for log collectors; plain text otherwise.
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr);
    match std::env::var("PORTCULLIS_LOG_FORMAT").as_deref() {
        Ok("json") => subscriber.json().init(),
        _ => subscriber.init(),
    }
    match cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            let line = e.to_string().replace('\n', " ");
            let _ = writeln!(std::io::stderr(), "error: {line}");
            std::process::ExitCode::FAILURE
        }
    }
}
