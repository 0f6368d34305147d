//! The `dealsim` binary: parse the command line, run the app, map the outcome to an exit
//! code (0 ok, 1 runtime failure, 2 invalid scenario or usage, 128 + n stopped by signal n).

use clap::Parser;

fn main() {
    let cli = dealsim::cli::Cli::parse();
    let code = match dealsim::app::run(cli) {
        Ok(()) => 0,
        Err(e) => {
            e.report();
            e.exit_code()
        }
    };
    dealsim::resources::report_peak_rss();
    std::process::exit(code);
}
