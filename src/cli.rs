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
  dealsim compare base.toml --variant 'cap50: revenue_share.cap=50'
                                                 the file against an edited copy of itself
  dealsim sensitivity base.toml                  which inputs drive the payoff
  dealsim run base.toml --paths 1000000 --seed 7 --set channel.ceiling=0.3
  dealsim sweep base.toml --grid revenue_share.cap=25,38,50 --grid channel.ceiling=0.05..0.4:8
  dealsim sweep base.toml --grid ... --plan plan/ --emit slurm   then: plan/slurm/submit.sh

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
    /// Run one scenario over a grid of values (`--grid KEY=VALUES`, any key `--set`
    /// accepts), every point on the same seed and paths; or, with `--plan`, write a plan
    /// of one task per point for a cluster (see docs/scale-out.md).
    Sweep(SweepArgs),
    /// Run task K of a plan (a grid point or a shard) and write its part file.
    Task(TaskArgs),
    /// Merge a plan's part files into the outputs a single machine would have written.
    Merge(MergeArgs),
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
    /// Repeatable. The edits are named in titles and, without --out, in the output folder
    /// (`output/base-revenue_share.cap=50/`). On `compare` it applies to every member; to
    /// compare a file with an edited copy of itself use `--variant`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// No progress bar (it is also hidden when stderr is not a terminal).
    #[arg(long, short)]
    pub quiet: bool,
    /// Where the paths' random numbers come from: mc (independent paths), antithetic
    /// (pairs of mirrored paths; even --paths) or sobol (randomised quasi-Monte Carlo,
    /// --replicates independent scramblings). Standard errors come from the pairs or the
    /// replicates; percentiles from all paths. See docs/model.md §7.
    #[arg(long, value_enum, default_value_t = SamplerArg::Mc)]
    pub sampler: SamplerArg,
    /// Independent Owen scramblings for --sampler sobol (--paths a multiple of it, at most
    /// 65536 paths each).
    #[arg(long, value_name = "R", default_value_t = 16)]
    pub replicates: u32,
}

/// `--sampler`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SamplerArg {
    Mc,
    Antithetic,
    Sobol,
}

impl SimArgs {
    /// The engine's sampler for `--sampler` and `--replicates`.
    pub fn sampler(&self) -> crate::model::sampler::Sampler {
        use crate::model::sampler::Sampler;
        match self.sampler {
            SamplerArg::Mc => Sampler::Mc,
            SamplerArg::Antithetic => Sampler::Antithetic,
            SamplerArg::Sobol => Sampler::Sobol {
                replicates: self.replicates,
                offset: 0,
            },
        }
    }
}

/// What a command writes besides its CSVs (run, compare, sensitivity, sweep, merge):
/// one definition, so the flags read the same in every command.
#[derive(Debug, Args, Clone, Copy)]
pub struct Extras {
    /// Do not write report.html (the one-page HTML report with the charts inlined; a
    /// comparison writes its own and one per scenario).
    #[arg(long)]
    pub no_report: bool,
    /// Do not write results.xlsx (the CSVs as one Excel workbook, with native charts for
    /// a run; a comparison writes its own and one per scenario).
    #[arg(long)]
    pub no_xlsx: bool,
    /// Chart files to draw into <out>/charts/ (a comparison: the overlays there and each
    /// scenario's own in <out>/<scenario>/charts/).
    #[arg(long, value_enum, default_value = "both", value_name = "FORMAT")]
    pub charts: ChartFormat,
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
    #[command(flatten)]
    pub extras: Extras,
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
    /// Do not simulate: write a plan of `--shards` tasks (path ranges) into DIR, to run
    /// with `dealsim task DIR K` and merge with `dealsim merge DIR` (docs/scale-out.md).
    #[arg(long, value_name = "DIR", requires = "shards")]
    pub plan: Option<PathBuf>,
    /// Number of shards (tasks) of the plan; each holds whole blocks of 4096 paths.
    #[arg(long, value_name = "N", requires = "plan")]
    pub shards: Option<usize>,
    #[command(flatten)]
    pub emit: EmitArgs,
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
    /// unless given here, and are the same for all (common random numbers). One file is
    /// enough with `--variant`.
    #[arg(value_name = "FILE", num_args = 1.., required = true)]
    pub files: Vec<PathBuf>,
    /// Also compare an edited copy of the first file: `NAME: KEY=VALUE; KEY=VALUE`, the
    /// edits written as for `--set` and separated by `;`, e.g.
    /// `--variant 'cap50: revenue_share.cap=50'`. The variant runs as a member named NAME
    /// after the files. Repeatable.
    #[arg(long = "variant", value_name = "'NAME: EDITS'")]
    pub variants: Vec<String>,
    #[command(flatten)]
    pub sim: SimArgs,
    /// Output folder (default: output/compare-<baseline>-<other>...).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub extras: Extras,
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
    #[command(flatten)]
    pub extras: Extras,
}

/// What `--plan` also writes for a cluster.
#[derive(Debug, Args, Clone)]
pub struct EmitArgs {
    /// Also write job files into the plan folder: a Slurm job array and a merge job
    /// that depends on it (`slurm/`), or a Kubernetes Indexed Job and a merge Job (`k8s/`).
    #[arg(long, value_enum, value_name = "ENGINE", requires = "plan")]
    pub emit: Vec<Emit>,
    /// CPUs (threads) per task in the emitted job files.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub task_cpus: u32,
    /// Container image with `dealsim` on its PATH (Kubernetes).
    #[arg(long, value_name = "IMAGE", default_value = concat!("dealsim:", env!("CARGO_PKG_VERSION")))]
    pub image: String,
}

/// A scheduler to write job files for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Emit {
    Slurm,
    K8s,
}

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Scenario file (TOML).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// A key and its values: `KEY=V1,V2,...` or `KEY=LO..HI:N` (N evenly spaced values,
    /// both ends included). Repeat for a grid: every combination runs, the first --grid
    /// varying slowest.
    #[arg(long = "grid", value_name = "KEY=VALUES", required = true)]
    pub grids: Vec<String>,
    #[command(flatten)]
    pub sim: SimArgs,
    /// The result the chart shows (a summary.csv metric).
    #[arg(long, value_name = "METRIC", default_value = "npv_total")]
    pub metric: String,
    /// Output folder (default: output/<scenario file stem>-sweep/; with --plan, where
    /// the emitted merge job writes).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub extras: Extras,
    /// Do not simulate: write a plan of one task per point into DIR.
    #[arg(long, value_name = "DIR")]
    pub plan: Option<PathBuf>,
    #[command(flatten)]
    pub emit: EmitArgs,
}

#[derive(Debug, Args)]
pub struct TaskArgs {
    /// The plan folder (from `sweep --plan` or `run --plan`).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// The task to run, 0 to tasks - 1.
    #[arg(value_name = "K")]
    pub task: usize,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, value_name = "T", default_value_t = 0)]
    pub threads: usize,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The plan folder whose parts to merge.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Output folder (default: DIR/result).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "T", default_value_t = 0)]
    pub threads: usize,
    #[command(flatten)]
    pub extras: Extras,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}
