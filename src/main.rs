use std::process::ExitCode;

use clap::{Parser, Subcommand};
use pain_journal::config::Settings;
use pain_journal::startup::Application;
use pain_journal::{db, openapi, telemetry};

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
    /// Check the massage-effect analysis on synthetic journals with known effects and print
    /// the power / false-alarm / error table for 8, 26 and 52 weeks.
    ValidateInsight {
        /// Journals per cell of the table.
        #[arg(long, default_value_t = 200)]
        runs: usize,
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
        Command::ValidateInsight { runs } => {
            print!(
                "{}",
                pain_journal::insight::simulate::validation_table(runs)
            );
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

fn serve(settings: &Settings) -> Result<(), String> {
    actix_web::rt::System::new().block_on(async {
        let app = Application::build(settings)?;
        tracing::info!(addr = %settings.bind_addr, port = app.port(), "serving");
        app.run_until_stopped().await.map_err(|e| e.to_string())
    })
}
