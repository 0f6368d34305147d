//! The command line: what each subcommand and flag means, in words an analyst can use.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::report::charts::ChartFormat;

const AFTER_HELP: &str = "\
Examples:
  dealsim example > my.toml                      start from a fully commented scenario
  dealsim validate scenarios/*.toml              check files; every problem is listed at once
  dealsim run scenarios/base.toml                CSVs, charts, report.html in output/base/
  dealsim run base.toml --attribute channel      what the channel adds and takes, per path
  dealsim compare base.toml pre_amendment.toml   paired differences on the same random numbers
  dealsim sensitivity base.toml                  which inputs drive the payoff
  dealsim run base.toml --paths 1000000 --seed 7 --set channel.ceiling=0.3

Exit status: 0 ok, 1 runtime failure (I/O), 2 invalid scenario or usage (including an
--out folder dealsim may not replace), 130/143/129 interrupted by SIGINT/SIGTERM/SIGHUP.
dealsim replaces an output folder only if it is missing, empty or dealsim's own earlier
output; it never deletes files it did not write.
Money is in USD billions everywhere; rates and shares are fractions (0.20 = 20 %).";

/// The most worker threads `--threads` accepts. Fixed, not a multiple of this machine's
/// cores, so a command line means the same everywhere; far above any useful count (the
/// work is CPU-bound), far below what exhausts the process's threads or memory.
pub const MAX_THREADS: usize = 1024;

/// Monte Carlo simulator of deal payoffs: an investor's equity stake, a capped revenue
/// share, cloud sales, and a rival sales channel, over many random paths.
#[derive(Debug, Parser)]
#[command(name = "dealsim", version, about, long_about = None, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check scenario files and report every problem (file, key, line, rule) at once.
    Validate {
        /// Scenario files (TOML); `-` reads standard input.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Simulate one scenario and write CSVs, charts and run.json into an output folder.
    Run(RunArgs),
    /// Run several scenarios on the same random numbers and write paired differences
    /// against the first (the baseline), overlay charts, and each scenario's own outputs.
    Compare(CompareArgs),
    /// Which inputs drive the payoff: rank correlations (overall and per year) and
    /// one-at-a-time swings, all on common random numbers.
    Sensitivity(SensitivityArgs),
    /// Print a fully commented example scenario that validates.
    Example,
}

/// Options shared by every command that simulates.
#[derive(Debug, Args, Clone)]
pub struct SimArgs {
    /// Number of paths (overrides `simulation.paths`; default there: 10000).
    #[arg(long, value_name = "N")]
    pub paths: Option<u64>,
    /// Random seed (overrides `simulation.seed`). Same seed + paths => byte-identical CSVs
    /// on any number of threads.
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Worker threads (default: all cores; at most 1024). Results do not depend on it.
    #[arg(long, value_name = "T", default_value_t = 0,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(0..=MAX_THREADS as u64))]
    pub threads: usize,
    /// Override one scenario key for this run, e.g. `--set revenue_share.cap=50` or
    /// `--set 'channel.ceiling={dist="uniform",low=0.1,high=0.3}'` (value in TOML syntax).
    /// Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// No progress bar (it is also hidden when stderr is not a terminal).
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario file (TOML); `-` reads standard input.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    #[command(flatten)]
    pub sim: SimArgs,
    /// Output folder (default: output/<scenario file stem>/). Replaced only when the run
    /// completes, and only if it is missing, empty or dealsim's own earlier output; a
    /// failed or interrupted run leaves the previous results as they were.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Also write paths.csv: one row per path with its results and drawn inputs.
    #[arg(long)]
    pub paths_csv: bool,
    /// Do not write report.html (the one-page HTML report with the charts inlined).
    #[arg(long)]
    pub no_report: bool,
    /// Chart files to draw into <out>/charts/.
    #[arg(long, value_enum, default_value = "both", value_name = "FORMAT")]
    pub charts: ChartFormat,
    /// Also run every path with the channel switched off (channel.ceiling = 0) on the
    /// same random numbers and write attribution.csv and a waterfall chart.
    #[arg(long, value_enum, value_name = "WHAT")]
    pub attribute: Option<Attribute>,
    /// Also write the probability that a result is beyond a threshold, with a 95 %
    /// interval, to risk.csv, e.g. `--target 'npv_total>500'` (`<` or `>`, any summary.csv
    /// metric, threshold in its unit). Repeatable.
    #[arg(long = "target", value_name = "METRIC<X|METRIC>X")]
    pub targets: Vec<String>,
    /// Run as many paths as it takes for METRIC's standard error to reach X (e.g.
    /// `npv_total=1.0`, USD bn), in batches of 1000 paths, up to --max-paths. The result
    /// equals a plain run with the path count found; run.json records it and why it stopped.
    #[arg(long, value_name = "METRIC=X", conflicts_with = "paths")]
    pub target_se: Option<String>,
    /// Upper limit on paths for --target-se.
    #[arg(
        long,
        value_name = "N",
        requires = "target_se",
        default_value_t = 1_000_000
    )]
    pub max_paths: u64,
}

/// What `--attribute` switches off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Attribute {
    /// The rival sales channel (`[channel]`).
    Channel,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Scenario files; the first is the baseline. Paths and seed come from the baseline
    /// unless given here, and are the same for all (common random numbers).
    #[arg(value_name = "FILE", num_args = 2.., required = true)]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub sim: SimArgs,
    /// Output folder (default: output/compare-<baseline>-<other>...).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Do not write report.html (the comparison's and each scenario's).
    #[arg(long)]
    pub no_report: bool,
    /// Chart files to draw (each scenario's own and the overlays).
    #[arg(long, value_enum, default_value = "both", value_name = "FORMAT")]
    pub charts: ChartFormat,
}

#[derive(Debug, Args)]
pub struct SensitivityArgs {
    /// Scenario file (TOML).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    #[command(flatten)]
    pub sim: SimArgs,
    /// Output folder (default: output/<stem>-sensitivity/).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Chart files to draw.
    #[arg(long, value_enum, default_value = "both", value_name = "FORMAT")]
    pub charts: ChartFormat,
}
