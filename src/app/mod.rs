//! What each command does: parse → validate → execute → export, in that order. This
//! module holds what the commands share (errors and exit codes, loading with the command
//! line's overrides, the progress bar, the manifest); each command has its own file.

mod compare;
mod run;
pub mod sensitivity;
mod sweep;

use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::{Cli, Command, SimArgs};
use crate::engine::{self, RunOptions, RunOutput};
use crate::report::Manifest;
use crate::scenario::{self, Loaded, ScenarioError};

pub use run::summary_table;

/// Why a command failed, and so its exit code.
#[derive(Debug)]
pub enum AppError {
    /// Invalid scenario(s): exit 2.
    Scenario(Vec<ScenarioError>),
    /// Bad usage not caught by clap: exit 2.
    Usage(String),
    /// I/O, interrupted run, anything at run time: exit 1.
    Runtime(anyhow::Error),
}

impl AppError {
    pub fn exit_code(&self) -> i32 {
        match self {
            AppError::Scenario(_) | AppError::Usage(_) => 2,
            AppError::Runtime(_) => 1,
        }
    }

    /// Print to stderr: every scenario problem, or the error with its cause chain.
    pub fn report(&self) {
        let mut err = io::stderr().lock();
        match self {
            AppError::Scenario(list) => {
                for e in list {
                    let _ = writeln!(err, "{e}");
                }
                let n: usize = list.iter().map(|e| e.problems.len()).sum();
                let _ = writeln!(
                    err,
                    "{n} problem{} found; nothing was written.",
                    if n == 1 { "" } else { "s" }
                );
            }
            AppError::Usage(m) => {
                let _ = writeln!(err, "error: {m}");
            }
            AppError::Runtime(e) => {
                let _ = writeln!(err, "error: {e}");
                for cause in e.chain().skip(1) {
                    let _ = writeln!(err, "  caused by: {cause}");
                }
            }
        }
    }
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        AppError::Runtime(e)
    }
}

impl From<ScenarioError> for AppError {
    fn from(e: ScenarioError) -> Self {
        AppError::Scenario(vec![e])
    }
}

pub fn run(cli: Cli) -> Result<(), AppError> {
    match cli.command {
        Command::Validate { files } => validate(&files),
        Command::Run(args) => run::run_one(&args),
        Command::Compare(args) => compare::compare(&args),
        Command::Sensitivity(args) => sensitivity::sensitivity(&args),
        Command::Example => out(scenario::EXAMPLE),
        Command::Sweep(args) => sweep::sweep(&args),
        Command::Task(args) => sweep::task(&args),
        Command::Merge(args) => sweep::merge(&args),
    }
}

/// Write to stdout; a closed pipe (`| head`) is not an error.
pub fn out(text: &str) -> Result<(), AppError> {
    let mut o = io::stdout().lock();
    match o.write_all(text.as_bytes()).and_then(|_| o.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(AppError::Runtime(e.into())),
    }
}

fn validate(files: &[std::path::PathBuf]) -> Result<(), AppError> {
    let mut errors = Vec::new();
    let mut lines = String::new();
    for f in files {
        match scenario::load(f, &[]) {
            Ok(l) => {
                let s = &l.scenario;
                let sim = &s.simulation;
                let unc = s.uncertain_inputs().len();
                lines.push_str(&format!(
                    "ok: {}: \"{}\", {}-{}, {} steps/year, {} paths, seed {}, {} uncertain input{}\n",
                    f.display(),
                    s.meta.name,
                    sim.start_year,
                    sim.end_year,
                    sim.steps_per_year,
                    sim.paths,
                    sim.seed,
                    unc,
                    if unc == 1 { "" } else { "s" }
                ));
            }
            Err(e) => errors.push(e),
        }
    }
    out(&lines)?;
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Scenario(errors))
    }
}

/// Load a scenario with the command line's overrides applied (paths, seed, --set).
pub fn load(file: &Path, sim: &SimArgs) -> Result<Loaded, AppError> {
    let mut l = scenario::load(file, &sim.sets)?;
    if let Some(p) = sim.paths {
        if p == 0 {
            return Err(AppError::Usage("--paths must be at least 1".into()));
        }
        l.scenario.simulation.paths = p;
    }
    if let Some(s) = sim.seed {
        l.scenario.simulation.seed = s;
    }
    Ok(l)
}

/// A Ctrl-C flag, installed once per process.
pub fn cancel_flag() -> Arc<AtomicBool> {
    static FLAG: std::sync::OnceLock<Arc<AtomicBool>> = std::sync::OnceLock::new();
    FLAG.get_or_init(|| {
        let f = Arc::new(AtomicBool::new(false));
        let g = f.clone();
        // If a handler cannot be installed, Ctrl-C simply kills the process; the staging
        // folder design still leaves the previous output intact.
        let _ = ctrlc::set_handler(move || g.store(true, Ordering::Relaxed));
        f
    })
    .clone()
}

/// Simulate a loaded scenario with a progress bar.
pub fn simulate(
    l: &Loaded,
    sim: &SimArgs,
    keep_paths: bool,
    label: &str,
) -> Result<(RunOutput, f64), AppError> {
    let sc = &l.scenario;
    let steps = ((sc.simulation.end_year - sc.simulation.start_year + 1) as u64)
        * u64::from(sc.simulation.steps_per_year);
    let bar = if sim.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::with_draw_target(Some(steps), ProgressDrawTarget::stderr())
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix} [{bar:30}] {pos}/{len} periods  {elapsed_precise} (ETA {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_prefix(label.to_string());
    let cancel = cancel_flag();
    let progress = |done: usize, _total: usize| bar.set_position(done as u64);
    let opts = RunOptions {
        paths: sc.simulation.paths,
        seed: sc.simulation.seed,
        threads: sim.threads,
        keep_paths,
        progress: Some(&progress),
        cancel: Some(&cancel),
    };
    let t0 = Instant::now();
    let r = engine::run(sc, &opts).map_err(|e| AppError::Runtime(e.into()));
    bar.finish_and_clear();
    Ok((r?, t0.elapsed().as_secs_f64()))
}

/// Build run.json's manifest.
pub fn manifest(l: &Loaded, file: &Path, sim: &SimArgs, wall: f64) -> Manifest {
    let sc = &l.scenario;
    let threads = if sim.threads == 0 {
        rayon::current_num_threads()
    } else {
        sim.threads
    };
    Manifest {
        dealsim_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario_file: file.display().to_string(),
        scenario_sha256: Manifest::sha256_hex(&l.bytes),
        scenario_files: l.files.iter().map(|p| p.display().to_string()).collect(),
        seed: sc.simulation.seed,
        paths: sc.simulation.paths,
        threads,
        steps: ((sc.simulation.end_year - sc.simulation.start_year + 1) as usize)
            * sc.simulation.steps_per_year as usize,
        steps_per_year: sc.simulation.steps_per_year,
        start_year: sc.simulation.start_year,
        end_year: sc.simulation.end_year,
        wall_time_seconds: wall,
        command_line: std::env::args().collect(),
        overrides: sim.sets.clone(),
        effective_scenario: l.raw.to_toml_string(),
    }
}
