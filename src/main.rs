//! Thin entry point: parse the command line, set up logging, dispatch.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use supportbox::cli::{Cli, Command, ServerArgs};
use supportbox::clock::SystemClock;
use supportbox::config::Config;

#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc 3's `mi_option_e` (include/mimalloc.h); the Rust
/// bindings name only some options.
#[cfg(feature = "mimalloc")]
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// How long mimalloc keeps freed pages before returning them to the system. Its default of
/// one second kept RssAnon at about 290 MiB after a mixed load at a million tickets,
/// against a live heap of 70 to 100 MiB: bursts come more often than that, so freed pages
/// were reused by the next burst on another thread rather than returned. 10 ms (mimalloc
/// 2's default) held the maximum at 170 MiB (the budget is 200 MB: docs/performance.md,
/// "Memory") for a few percent of throughput (bench/README.md, "Memory").
#[cfg(feature = "mimalloc")]
const ALLOCATOR_PURGE_DELAY_MS: std::ffi::c_long = 10;

#[cfg(feature = "mimalloc")]
#[allow(unsafe_code)]
fn configure_allocator() {
    // An operator's own `MIMALLOC_PURGE_DELAY` wins.
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
        return;
    }
    // SAFETY: mi_option_set only stores an integer in mimalloc's option table; the option
    // and the value are valid, and it runs once, before any other thread exists.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, ALLOCATOR_PURGE_DELAY_MS) }
}

#[cfg(not(feature = "mimalloc"))]
fn configure_allocator() {}

/// tokio's default is 512. Under creation load blocking reads pile up behind commits, and
/// tokio starts a thread for every task that finds none idle: 128 clients grew the pool to
/// about 120 threads, which then stay alive because the pool hands work to its threads in
/// turn. Every thread keeps allocator pages of its own, so at a million tickets the pool's
/// size decided much of RssAnon (200 MB budget, docs/performance.md). With 32, creation
/// with 128 clients was about as fast as with 512 (bench/README.md, "Memory").
const MAX_BLOCKING_THREADS: usize = 32;

fn main() -> ExitCode {
    configure_allocator();
    let cli = Cli::parse();
    let command = cli.command_or_serve();
    let args = match &command {
        Command::Serve(a) | Command::Healthcheck(a) => a.clone(),
        Command::DemoData(d) => d.server.clone(),
        Command::Backup(b) => b.server.clone(),
        Command::Restore(r) => r.server.clone(),
        Command::Verify(v) => v.server.clone(),
        Command::Reindex(a) => a.clone(),
    };
    let config = match load_config(&args) {
        Ok(c) => c,
        Err(message) => {
            eprintln!("supportbox: {message}");
            return ExitCode::from(2);
        }
    };
    supportbox::logging::init(config.log_format, &config.log_level);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(MAX_BLOCKING_THREADS)
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("supportbox: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match command {
            Command::Serve(_) => supportbox::server::serve(config, Arc::new(SystemClock))
                .await
                .map_err(|e| e.to_string()),
            Command::Healthcheck(_) => supportbox::server::healthcheck(&config)
                .await
                .map_err(|e| e.to_string()),
            Command::DemoData(d) => supportbox::tools::demo_data(&config, d.tenants, d.tickets)
                .await
                .map_err(|e| e.to_string()),
            Command::Backup(b) => supportbox::tools::backup(&config, &b.out)
                .await
                .map_err(|e| e.to_string()),
            Command::Restore(r) => supportbox::tools::restore(&config, &r.file)
                .await
                .map_err(|e| e.to_string()),
            Command::Verify(v) => supportbox::tools::verify(&config, &v.path, v.quick)
                .await
                .map_err(|e| e.to_string()),
            Command::Reindex(_) => supportbox::tools::reindex(&config)
                .await
                .map_err(|e| e.to_string()),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("supportbox: {message}");
            ExitCode::FAILURE
        }
    }
}

fn load_config(args: &ServerArgs) -> Result<Config, String> {
    let env: BTreeMap<String, String> = std::env::vars()
        .filter(|(k, _)| k.starts_with("SUPPORTBOX_"))
        .collect();
    Config::load(args.config.as_deref(), &env, &args.flag_overrides()).map_err(|e| e.to_string())
}
