use std::process::ExitCode;

use clap::{Parser, Subcommand};
use pain_journal::config::Settings;
use pain_journal::insight::simulate::Booking;
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
    },
}

fn main() -> ExitCode {
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
        Command::ValidateInsight { runs, family, .. } => {
            let table = if family {
                pain_journal::insight::family::validation_table(runs)
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
    let written = runtime.block_on(insight::demo::fill(
        &state, email, weeks, effect, booking, seed,
    ))?;
    println!(
        "wrote {written} journal rows for {email} ({weeks} weeks, true effect {:+.0}%)",
        effect * 100.0
    );
    Ok(())
}

fn serve(settings: &Settings) -> Result<(), String> {
    actix_web::rt::System::new().block_on(async {
        let app = Application::build(settings)?;
        tracing::info!(addr = %settings.bind_addr, port = app.port(), "serving");
        app.run_until_stopped().await.map_err(|e| e.to_string())
    })
}
