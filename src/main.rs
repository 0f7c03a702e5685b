use std::process::ExitCode;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use pain_journal::config::Settings;
use pain_journal::domain::{Email, UserId};
use pain_journal::error::ApiError;
use pain_journal::insight::demo::Progress;
use pain_journal::insight::simulate::Booking;
use pain_journal::reports::import::{self, ImportDocument};
use pain_journal::startup::Application;
use pain_journal::state::AppState;
use pain_journal::{db, insight, openapi, telemetry};

#[derive(Parser)]
#[command(name = "pain-journal", version, about = "The pain-journal API server")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run migrations, then serve the API (the default).
    Serve,
    /// Run pending database migrations and exit.
    Migrate,
    /// Print the OpenAPI document (e.g. `> openapi/openapi.json`).
    Openapi,
    /// Fill a registered account with a synthetic journal (pain, painkillers, massages) with a
    /// chosen true effect of massage, to try the insight.
    DemoData {
        /// The account's email (register it first).
        #[arg(long)]
        email: String,
        #[arg(long, default_value_t = 26)]
        weeks: usize,
        /// True relative change of painkiller use after a massage, e.g. -0.33.
        #[arg(long, default_value_t = -0.33, allow_negative_numbers = true)]
        effect: f64,
        /// When massages happen: fortnightly, random-weeks or on-bad-days.
        #[arg(long, default_value = "on-bad-days")]
        booking: String,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Load an export document (`GET /v1/export`) from a file into a registered account whose
    /// journal is empty, in one transaction: every row or none.
    Import {
        /// The account's email (register it first).
        #[arg(long)]
        email: String,
        /// The export document (JSON).
        file: std::path::PathBuf,
    },
    /// Check the massage-effect analysis on synthetic journals with known effects and print
    /// the power / false-alarm / error table for 8, 26 and 52 weeks.
    ValidateInsight {
        /// Journals per cell of the table.
        #[arg(long, default_value_t = 200)]
        runs: usize,
        /// The family of people with unknown relief timing (`insight::family`) instead of
        /// the first simulator.
        #[arg(long)]
        family: bool,
        /// With --family: check the bars the CI holds the method to; exit 1 below them.
        #[arg(long)]
        check: bool,
        /// With --family: only the cases whose name holds this text from the start of a word
        /// (e.g. "no effect" for the null cases, to run them with many journals).
        #[arg(long, requires = "family", conflicts_with = "check")]
        only: Option<String>,
        /// With --family: the seed of each case's first journal. The README's table uses
        /// 10000 and the CI check 50000; another value gives journals neither has seen.
        #[arg(long, requires = "family", conflicts_with = "check", default_value_t = pain_journal::insight::family::TABLE_FIRST_SEED)]
        first_seed: u64,
    },
}

fn main() -> ExitCode {
    pain_journal::memory::return_large_blocks();
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);
    match command {
        Command::Openapi => {
            print!("{}", openapi::document_json());
            return ExitCode::SUCCESS;
        }
        Command::ValidateInsight {
            runs,
            family: true,
            check: true,
            ..
        } => {
            return match pain_journal::insight::family::check(runs) {
                Ok(report) => {
                    print!("{report}");
                    ExitCode::SUCCESS
                }
                Err(report) => {
                    eprint!("{report}");
                    ExitCode::FAILURE
                }
            };
        }
        Command::ValidateInsight {
            runs,
            family,
            only,
            first_seed,
            ..
        } => {
            let table = if family {
                pain_journal::insight::family::validation_table(runs, only.as_deref(), first_seed)
            } else {
                pain_journal::insight::simulate::validation_table(runs)
            };
            print!("{table}");
            return ExitCode::SUCCESS;
        }
        _ => {}
    }
    telemetry::init();
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match command {
        Command::Migrate => db::migrate(&settings.database),
        Command::DemoData {
            email,
            weeks,
            effect,
            booking,
            seed,
        } => demo_data(&settings, &email, weeks, effect, &booking, seed),
        Command::Import { email, file } => import(&settings, &email, &file),
        _ => serve(&settings),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn demo_data(
    settings: &Settings,
    email: &str,
    weeks: usize,
    effect: f64,
    booking: &str,
    seed: u64,
) -> Result<(), String> {
    let booking = Booking::parse(booking)
        .ok_or("--booking: one of fortnightly, random-weeks, on-bad-days")?;
    if !(1..=520).contains(&weeks) || !(-0.9..=2.0).contains(&effect) {
        return Err("--weeks must be 1–520 and --effect between -0.9 and 2".into());
    }
    let pool = db::connect(&settings.database, 2)?;
    let state = AppState::new(settings, pool);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let bar = rows_bar(0, "writing");
    let written = runtime.block_on(insight::demo::fill(
        &state,
        email,
        weeks,
        effect,
        booking,
        seed,
        &mut |step| match step {
            Progress::Total(rows) => bar.set_length(rows),
            Progress::Done(rows) => bar.inc(rows),
        },
    ))?;
    bar.finish_and_clear();
    println!(
        "wrote {written} journal rows for {email} ({weeks} weeks, true effect {:+.0}%)",
        effect * 100.0
    );
    Ok(())
}

/// A bar over rows on stderr (drawn only on a terminal).
fn rows_bar(rows: u64, doing: &'static str) -> ProgressBar {
    let bar = ProgressBar::new(rows);
    bar.set_style(
        ProgressStyle::with_template("{msg} {wide_bar} {pos}/{len} rows ({eta} left)")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(doing);
    bar
}

fn import(settings: &Settings, email: &str, path: &std::path::Path) -> Result<(), String> {
    let email = Email::parse(email).map_err(|e| format!("--email: {e}"))?;
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let reading = ProgressBar::new(size).with_style(
        ProgressStyle::with_template("reading {wide_bar} {bytes}/{total_bytes}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let document: ImportDocument =
        serde_json::from_reader(std::io::BufReader::new(reading.wrap_read(file)))
            .map_err(|e| format!("{}: not an export document: {e}", path.display()))?;
    reading.finish_and_clear();
    import::check_document(&document).map_err(|e| e.to_string())?;
    let pool = db::connect(&settings.database, 1)?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let user = db::users::find_by_email(&mut conn, email.as_str())
        .map_err(|e| e.to_string())?
        .ok_or("no account with that email; register it first")?;
    let user_id = UserId::from_trusted(user.id);
    let bar = rows_bar(document.rows() as u64, "importing");
    let summary = conn
        .write_transaction(|conn| import::load(conn, &user_id, &document, &mut |n| bar.inc(n)))
        .map_err(|e| match e {
            ApiError::Validation(errors) => errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.reason))
                .collect::<Vec<_>>()
                .join("\n"),
            other => other.to_string(),
        })?;
    bar.finish_and_clear();
    let total: usize = summary.imported.values().sum();
    println!("imported {total} journal rows into {}", email.as_str());
    for (table, rows) in &summary.imported {
        println!("  {table}: {rows}");
    }
    Ok(())
}

fn serve(settings: &Settings) -> Result<(), String> {
    actix_web::rt::System::new().block_on(async {
        let app = Application::build(settings)?;
        pain_journal::memory::give_back_periodically();
        tracing::info!(addr = %settings.bind_addr, port = app.port(), "serving");
        app.run_until_stopped().await.map_err(|e| e.to_string())
    })
}
