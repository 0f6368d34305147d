//! What each command does: parse → validate → execute → export, in that order. This
//! module holds what the commands share (errors and exit codes, loading with the command
//! line's overrides, the progress bar, the manifest); each command has its own file.

mod attribution;
mod compare;
mod progress;
mod run;
pub mod sensitivity;
mod sweep;
mod variant;

use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use crate::cli::{Cli, Command, Extras, SimArgs};
use crate::engine::{self, EngineError, RunOptions, RunOutput};
use crate::escape::terminal;
use crate::interrupt::{self, Interrupted};
use crate::report::charts::{self, SharedAxes};
use crate::report::output::Refused;
use crate::report::{self as rep, Manifest, Outputs};
use crate::risk::RiskSummary;
use crate::scenario::{self, Loaded, ScenarioError};
use crate::summary::RunSummary;

pub use run::summary_table;

/// Why a command failed, and so its exit code.
#[derive(Debug)]
pub enum AppError {
    /// Invalid scenario(s): exit 2.
    Scenario(Vec<ScenarioError>),
    /// Bad usage not caught by clap: exit 2.
    Usage(String),
    /// I/O, anything at run time: exit 1.
    Runtime(anyhow::Error),
    /// Stopped by SIGINT, SIGTERM or SIGHUP before the results were in place: exit
    /// 128 + the signal number (130, 143, 129).
    Interrupted(Interrupted),
}

impl AppError {
    pub fn exit_code(&self) -> i32 {
        match self {
            AppError::Scenario(_) | AppError::Usage(_) => 2,
            AppError::Runtime(_) => 1,
            AppError::Interrupted(i) => i.exit_code(),
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
                let _ = writeln!(err, "error: {}", terminal(m));
            }
            AppError::Interrupted(i) => {
                let _ = writeln!(
                    err,
                    "error: {i}: stopped before the results were in place; the previous \
                     output folder is as it was"
                );
            }
            AppError::Runtime(e) => {
                // Messages carry paths and names from users.
                let _ = writeln!(err, "error: {}", terminal(&e.to_string()));
                for cause in e.chain().skip(1) {
                    let _ = writeln!(err, "  caused by: {}", terminal(&cause.to_string()));
                }
            }
        }
    }
}

impl From<anyhow::Error> for AppError {
    /// An interruption or a refused output folder keeps its own exit code through any
    /// context added on the way up.
    fn from(e: anyhow::Error) -> Self {
        if let Some(i) = e.chain().find_map(|c| c.downcast_ref::<Interrupted>()) {
            return AppError::Interrupted(*i);
        }
        if let Some(r) = e.chain().find_map(|c| c.downcast_ref::<Refused>()) {
            return AppError::Usage(r.0.clone());
        }
        AppError::Runtime(e)
    }
}

impl From<Interrupted> for AppError {
    fn from(i: Interrupted) -> Self {
        AppError::Interrupted(i)
    }
}

impl From<ScenarioError> for AppError {
    fn from(e: ScenarioError) -> Self {
        AppError::Scenario(vec![e])
    }
}

pub fn run(cli: Cli) -> Result<(), AppError> {
    let r = match cli.command {
        Command::Validate { files } => validate(&files),
        Command::Run(args) => run::run_one(&args),
        Command::Compare(args) => compare::compare(&args),
        Command::Sensitivity(args) => sensitivity::sensitivity(&args),
        Command::Example => out(&scenario::EXAMPLE),
        Command::Sweep(args) => sweep::sweep(&args),
        Command::Task(args) => sweep::task(&args),
        Command::Merge(args) => sweep::merge(&args),
    };
    if r.is_ok() && interrupt::received().is_some() {
        // The signal came after the one-step swap: the new results are complete.
        eprintln!(
            "note: {}, but only after the new results were in place",
            Interrupted::now()
        );
    }
    r
}

/// Write to stdout; a closed pipe (`| head`) is not an error.
pub fn out(text: &str) -> Result<(), AppError> {
    // Everything printed passes here: names from users cannot drive the terminal.
    let text = crate::escape::terminal(text);
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

/// The stop flag of SIGINT, SIGTERM and SIGHUP, with its handlers installed.
pub fn cancel_flag() -> &'static AtomicBool {
    interrupt::install();
    interrupt::flag()
}

/// Simulate a loaded scenario with a progress bar.
pub fn simulate(
    l: &Loaded,
    sim: &SimArgs,
    keep_paths: bool,
    label: &str,
) -> Result<(RunOutput, f64), AppError> {
    simulate_with_targets(l, sim, keep_paths, label, &[])
}

/// [`simulate`], with `--target` probabilities in the risk rows.
pub fn simulate_with_targets(
    l: &Loaded,
    sim: &SimArgs,
    keep_paths: bool,
    label: &str,
    targets: &[crate::risk::Target],
) -> Result<(RunOutput, f64), AppError> {
    let sc = &l.scenario;
    let steps = ((sc.simulation.end_year - sc.simulation.start_year + 1) as u64)
        * u64::from(sc.simulation.steps_per_year);
    let bar = progress::bar(sim.quiet, steps, &progress::counted("{prefix}", "periods"));
    bar.set_prefix(terminal(label).into_owned());
    let cancel = cancel_flag();
    let progress = |done: usize, _total: usize| bar.set_position(done as u64);
    let opts = RunOptions {
        threads: sim.threads,
        keep_paths,
        progress: Some(&progress),
        cancel: Some(cancel),
    };
    let sampler = sim.sampler();
    sampler
        .check(sc.simulation.paths)
        .map_err(|e| AppError::Usage(e.to_string()))?;
    let t0 = Instant::now();
    let r = engine::run_sampled(sc, &opts, targets, sampler).map_err(|e| match e {
        EngineError::Cancelled => AppError::Interrupted(Interrupted::now()),
        e => AppError::Runtime(e.into()),
    });
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
        stopping: crate::report::Stopping::fixed(),
    }
}

/// The rest of one run's folder `<sub>/` once its CSVs are written: its charts (on the
/// shared `axes` of a comparison, if given), the workbook of those CSVs (the bytes kept in memory),
/// and report.html, which embeds the charts just saved.
#[allow(clippy::too_many_arguments)]
pub fn finish_run(
    out: &mut Outputs,
    sub: &str,
    summary: &RunSummary,
    risk: &RiskSummary,
    scenario: &scenario::Scenario,
    manifest: &Manifest,
    axes: Option<&SharedAxes>,
    x: Extras,
) -> Result<(), AppError> {
    let mut files = match axes {
        Some(a) => charts::render_run_charts_on(summary, a, x.charts)?,
        None => charts::render_run_charts(summary, x.charts)?,
    };
    files.extend(charts::convergence::render_convergence_chart(
        summary, risk, x.charts,
    )?);
    out.charts(sub, files)?;
    if !x.no_xlsx {
        rep::xlsx::write_run_workbook(out, sub)?;
    }
    if !x.no_report {
        rep::html::write_run_report(out, sub, summary, risk, scenario, manifest)?;
    }
    Ok(())
}
