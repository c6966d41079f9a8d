//! Command line: `supportbox` alone means `supportbox serve`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::FlagOverrides;

#[derive(Debug, Parser)]
#[command(
    name = "supportbox",
    version,
    about = "Self-hosted helpdesk and hardware registry in one binary"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web interface and API over HTTPS (the default).
    Serve(ServerArgs),
    /// Exit 0 when the local server answers /healthz, 1 otherwise (for container and
    /// systemd health probes).
    Healthcheck(ServerArgs),
    /// Fill the data directory with demo tenants, people and tickets (server stopped),
    /// and print how to sign in.
    DemoData(DemoArgs),
    /// Write a backup archive of the data directory (server stopped; while it runs, use
    /// GET /api/v1/admin/backup or a snapshot from DATA_DIR/backups/).
    Backup(BackupArgs),
    /// Restore a backup archive into the data directory (server stopped). Everything is
    /// checked first; the replaced data is kept in DATA_DIR/pre-restore-<time>/.
    Restore(RestoreArgs),
    /// Check a data directory (server stopped) or a backup archive; exits 1 on problems.
    Verify(VerifyArgs),
    /// Rebuild the search index from the database (server stopped).
    Reindex(ServerArgs),
}

#[derive(Debug, Args, Clone)]
pub struct BackupArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// Where to write the archive (a tar+zstd file).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

#[derive(Debug, Args, Clone)]
pub struct RestoreArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// The archive to restore.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

#[derive(Debug, Args, Clone)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// A data directory or a backup archive.
    #[arg(value_name = "DATA_DIR|BACKUP_FILE")]
    pub path: PathBuf,
    /// For an archive: check structure and hashes only, without decoding every record.
    #[arg(long)]
    pub quick: bool,
}

#[derive(Debug, Args, Clone)]
pub struct DemoArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// Number of demo tenants to add.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub tenants: u64,
    /// Number of tickets in total, spread evenly over the new tenants.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(0..=100_000_000))]
    pub tickets: u64,
}

/// Options shared by every command that needs to know where the instance lives.
#[derive(Debug, Args, Default, Clone)]
pub struct ServerArgs {
    /// Configuration file (TOML); see packaging/supportbox.toml for every key.
    #[arg(long, env = "SUPPORTBOX_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Data directory [default: ./data].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// HTTPS listen address [default: 0.0.0.0:8443].
    #[arg(long, value_name = "ADDR")]
    pub https_addr: Option<String>,
    /// Redirecting plain-HTTP listen address, or "off" [default: 0.0.0.0:8080].
    #[arg(long, value_name = "ADDR")]
    pub http_addr: Option<String>,
}

impl ServerArgs {
    pub fn flag_overrides(&self) -> FlagOverrides {
        FlagOverrides {
            data_dir: self.data_dir.clone(),
            https_addr: self.https_addr.clone(),
            http_addr: self.http_addr.clone(),
        }
    }
}

impl Cli {
    /// The command to run, with `serve` standing in when none was given.
    pub fn command_or_serve(self) -> Command {
        self.command
            .unwrap_or_else(|| Command::Serve(ServerArgs::default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn no_arguments_means_serve() {
        let cli = Cli::try_parse_from(["supportbox"]).unwrap();
        assert!(matches!(cli.command_or_serve(), Command::Serve(_)));
    }

    #[test]
    fn serve_flags_are_parsed() {
        let cli = Cli::try_parse_from([
            "supportbox",
            "serve",
            "--data-dir",
            "/srv/sb",
            "--https-addr",
            "127.0.0.1:9443",
            "--http-addr",
            "off",
        ])
        .unwrap();
        let Command::Serve(args) = cli.command_or_serve() else {
            panic!("expected serve");
        };
        let flags = args.flag_overrides();
        assert_eq!(flags.data_dir, Some(PathBuf::from("/srv/sb")));
        assert_eq!(flags.https_addr.as_deref(), Some("127.0.0.1:9443"));
        assert_eq!(flags.http_addr.as_deref(), Some("off"));
    }
}
