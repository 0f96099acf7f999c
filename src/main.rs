//! The `hookgate` command: parse arguments, load config, start logging, run. Exit codes:
//! 0 done, 1 runtime failure (and a `send-test` delivery that did not get a 2xx), 2 invalid
//! config or arguments, 3 cannot bind a port.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use tokio::net::TcpListener;

use hookgate::app::{self, Listeners};
use hookgate::clock::system_clock;
use hookgate::config::{self, Config, ConfigError, Env, ProcessEnv, Secrets};
use hookgate::reload;

mod cli;

use cli::{check, demo, queue, send_test, sign};

#[derive(Parser)]
#[command(
    name = "hookgate",
    version,
    about = "A verifying reverse proxy for webhooks"
)]
struct Cli {
    /// Config file (YAML); see config.example.yaml.
    #[arg(long, short, env = "HOOKGATE_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// How often to check the config and secret files for changes (live reload); 0s turns
    /// the check off (SIGHUP still reloads).
    #[arg(long, global = true, default_value = "2s", value_parser = parse_duration)]
    watch_interval: Duration,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the proxy (the default).
    Run,
    /// Validate the config and the presence of every secret, and list the routes.
    Check {
        /// Do not read secrets (for linting rendered configs in CI).
        #[arg(long)]
        no_secrets: bool,
        /// A route's name: say what its filter and rules do with `--body` (a real event).
        #[arg(long, value_name = "ROUTE", requires = "body")]
        explain: Option<String>,
        /// The event `--explain` runs through the route (`-` for stdin).
        #[arg(long, requires = "explain")]
        body: Option<PathBuf>,
    },
    /// Print the headers a route's sender would attach to a body, ready for curl.
    Sign {
        /// The route's name.
        #[arg(long)]
        route: String,
        /// The body to sign (`-` for stdin); a sample event when absent.
        #[arg(long)]
        body: Option<PathBuf>,
        /// Which of the route's secrets to sign with (its id); the first when absent.
        #[arg(long)]
        secret: Option<String>,
        /// `NAME=VALUE`: what to send for the scheme's `{header:NAME}` or `{param:NAME}`
        /// pieces (a sample value when absent). Repeatable.
        #[arg(long = "value", value_name = "NAME=VALUE")]
        values: Vec<String>,
        /// Use the demo's secrets for variables that are not set (as `hookgate demo` does).
        #[arg(long)]
        demo_secrets: bool,
    },
    /// Send a signed sample event through a running hookgate and say what happened (exit 0 on
    /// a 2xx answer, 1 otherwise).
    SendTest {
        /// The route's name.
        #[arg(long)]
        route: String,
        /// hookgate's URL (`http://host:port`, the route's path is appended, or a full URL);
        /// default: the config's `listen` address.
        #[arg(long)]
        to: Option<String>,
        /// Which of the route's secrets to sign with (its id); the first when absent.
        #[arg(long)]
        secret: Option<String>,
        /// A real event to send (`-` for stdin) instead of the sample: see what the route's
        /// filter and rules do with it.
        #[arg(long)]
        body: Option<PathBuf>,
        /// Use the demo's secrets for variables that are not set (as `hookgate demo` does).
        #[arg(long)]
        demo_secrets: bool,
    },
    /// The durable queue of a running hookgate, through its admin port: list dead letters
    /// (or what waits), show one, replay them, purge them.
    Queue {
        /// The admin port's URL; default: the config's `admin_listen`.
        #[arg(long)]
        admin: Option<String>,
        #[command(subcommand)]
        action: QueueAction,
    },
    /// Start a demo app and hookgate in front of it, show a signed request accepted and a
    /// forged one refused, then keep running for your own curl requests.
    Demo,
}

#[derive(Subcommand)]
enum QueueAction {
    /// List dead letters (metadata only), oldest first.
    Ls {
        /// List the deliveries waiting for the app instead.
        #[arg(long)]
        pending: bool,
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Show one delivery's metadata (and with --body, its body).
    Show {
        id: u64,
        #[arg(long)]
        body: bool,
    },
    /// Put a dead letter (or all with --all) back in the queue, due now.
    Replay {
        #[arg(required_unless_present = "all")]
        id: Option<u64>,
        #[arg(long, conflicts_with = "id")]
        all: bool,
    },
    /// Remove a dead letter, or all of them.
    Purge { id: Option<u64> },
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("{e}; write it like 2s or 500ms"))
}

/// glibc's allocator showed up at ~15% of CPU under load (many small per-request allocations
/// across threads); mimalloc's thread-local heaps make them cheap.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const EXIT_RUNTIME: u8 = 1;
const EXIT_CONFIG: u8 = 2;
const EXIT_BIND: u8 = 3;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(code, e)) => {
            eprintln!("hookgate: {e:#}");
            ExitCode::from(code)
        }
    }
}

struct Failure(u8, anyhow::Error);

fn fail(code: u8) -> impl FnOnce(anyhow::Error) -> Failure {
    move |e| Failure(code, e)
}

/// A command's report on stdout (a closed pipe is fine: see `cli::emit`).
fn show(text: &str) -> Result<(), Failure> {
    cli::emit(text).map_err(|e| Failure(EXIT_RUNTIME, e.into()))
}

fn dispatch(cli: Cli) -> Result<(), Failure> {
    let command = cli.command.unwrap_or(Command::Run);
    if let Command::Demo = command {
        let path = cli
            .config
            .unwrap_or_else(|| PathBuf::from("config.example.yaml"));
        let env = demo::DemoEnv;
        let mut config = load(&path, &env, Secrets::Load)?;
        // Show the rejection lines too: seeing why a forgery was refused is the point.
        config.startup.log.level = format!("{},hookgate::gate=debug", config.startup.log.level);
        let _logs = init_logging(&config);
        return runtime()?
            .block_on(demo::run(config))
            .map_err(fail(EXIT_RUNTIME));
    }
    let path = cli.config.ok_or_else(|| {
        Failure(
            EXIT_CONFIG,
            anyhow::anyhow!("no config file: pass --config FILE or set HOOKGATE_CONFIG"),
        )
    })?;
    match command {
        Command::Run => {
            let poll = Some(cli.watch_interval).filter(|d| !d.is_zero());
            let (config, source) =
                reload::Source::load(path, Arc::new(ProcessEnv), poll).map_err(config_failure)?;
            let _logs = init_logging(&config);
            for w in config
                .warnings
                .iter()
                .chain(&check::memory_warning(&config))
            {
                tracing::warn!("{w}");
            }
            // After logging, so that the exporter's own warnings are seen.
            let env = |k: &str| std::env::var(k).ok();
            let (traces, provider) =
                hookgate::otel::from_env(&env).map_err(|e| Failure(EXIT_CONFIG, e.into()))?;
            if traces.is_on() {
                tracing::info!("traces: exporting spans over OTLP (OTEL_* environment)");
            }
            let served = runtime()?.block_on(serve(config, source, traces));
            // The last spans, exported before the process exits (bounded).
            provider.shutdown();
            served
        }
        Command::Check {
            no_secrets,
            explain,
            body,
        } => {
            let secrets = if no_secrets || explain.is_some() {
                Secrets::Skip
            } else {
                Secrets::Load
            };
            let config = load(&path, &ProcessEnv, secrets)?;
            if let (Some(route), Some(body)) = (explain, body) {
                let body = read_body(&body)?;
                let out = check::explain(&config, &route, &body).map_err(fail(2))?;
                return show(&out);
            }
            show(&check::render(&path, &config))
        }
        Command::Sign {
            route,
            body,
            secret,
            values,
            demo_secrets,
        } => {
            let env = secrets_from(demo_secrets);
            let config = load(&path, env, Secrets::Load)?;
            sign::run(&config, &route, body.as_deref(), secret.as_deref(), &values)
                .map_err(fail(EXIT_CONFIG))
        }
        Command::SendTest {
            route,
            to,
            secret,
            body,
            demo_secrets,
        } => {
            let env = secrets_from(demo_secrets);
            let config = load(&path, env, Secrets::Load)?;
            let body = body.as_deref().map(read_body).transpose()?;
            let sent = runtime()?.block_on(send_test::send_test(
                &config,
                &route,
                secret.as_deref(),
                to.as_deref(),
                body,
                SystemTime::now(),
            ));
            match sent {
                Ok(report) => {
                    show(&report.to_string())?;
                    if report.success() {
                        Ok(())
                    } else {
                        Err(Failure(
                            EXIT_RUNTIME,
                            anyhow::anyhow!(
                                "the test delivery was not accepted ({})",
                                report.status
                            ),
                        ))
                    }
                }
                Err(e) if e.is_usage() => Err(Failure(EXIT_CONFIG, e.into())),
                Err(e) => Err(Failure(EXIT_RUNTIME, e.into())),
            }
        }
        Command::Queue { admin, action } => {
            let config = load(&path, &ProcessEnv, Secrets::Load)?;
            let action = match action {
                QueueAction::Ls { pending, limit } => queue::Action::Ls { pending, limit },
                QueueAction::Show { id, body } => queue::Action::Show { id, body },
                QueueAction::Replay { id, .. } => queue::Action::Replay { id },
                QueueAction::Purge { id } => queue::Action::Purge { id },
            };
            let url = queue::admin_url(&config, admin.as_deref());
            let out = runtime()?
                .block_on(queue::run(&config, &url, action))
                .map_err(fail(EXIT_RUNTIME))?;
            show(&out)
        }
        Command::Demo => Ok(()),
    }
}

/// Where `sign` and `send-test` read secrets: the demo's made-up ones, or the environment.
fn secrets_from(demo_secrets: bool) -> &'static dyn Env {
    if demo_secrets {
        &demo::DemoEnv
    } else {
        &ProcessEnv
    }
}

fn load(path: &Path, env: &dyn Env, secrets: Secrets) -> Result<Config, Failure> {
    config::load(path, env, secrets).map_err(config_failure)
}

fn config_failure(e: ConfigError) -> Failure {
    match e {
        ConfigError::Read { .. } | ConfigError::Invalid { .. } => Failure(EXIT_CONFIG, e.into()),
    }
}

/// The main thread's runtime, which is also worker 0 (workers.rs starts the others).
fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
        .map_err(fail(EXIT_RUNTIME))
}

/// Logs go to stderr in batches written by their own thread (logging.rs): a request never
/// waits on the write syscall, and under load there is one write per batch, not per line. The
/// returned guard writes what is pending on drop, so it lives until the process exits.
fn init_logging(config: &Config) -> hookgate::logging::LogGuard {
    hookgate::logging::init(&config.startup.log.level, config.startup.log.format)
}

async fn bind(addr: std::net::SocketAddr, what: &str) -> Result<TcpListener, Failure> {
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} ({what}); is another process using it? change `{what}` in the config"))
        .map_err(fail(EXIT_BIND))
}

async fn serve(
    config: Config,
    source: reload::Source,
    traces: hookgate::otel::Traces,
) -> Result<(), Failure> {
    let listeners = Listeners {
        main: bind(config.startup.listen, "listen").await?,
        admin: bind(config.startup.admin_listen, "admin_listen").await?,
    };
    app::run_reloading(
        config,
        listeners,
        system_clock(),
        app::shutdown_signal(),
        source,
        traces,
    )
    .await
    .map_err(|e| Failure(EXIT_RUNTIME, e.into()))
}

/// A `--body` argument's bytes: a file, or stdin for `-`.
fn read_body(p: &Path) -> Result<Vec<u8>, Failure> {
    let read = if p == Path::new("-") {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf).map(|_| buf)
    } else {
        std::fs::read(p)
    };
    read.map_err(|e| fail(2)(anyhow::anyhow!("cannot read {}: {e}", p.display())))
}
