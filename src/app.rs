//! What each command does: parse → validate → execute → export, in that order.

use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::{Cli, Command, CompareArgs, RunArgs, SimArgs};
use crate::compare::{self as cmp, Member};
use crate::engine::{self, RunOptions, RunOutput};
use crate::report::{self, Manifest, Staging};
use crate::scenario::{self, Loaded, ScenarioError};
use crate::summary::{ResultMetric, RunSummary};

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
        Command::Run(args) => run_one(&args),
        Command::Compare(args) => compare(&args),
        Command::Sensitivity(args) => crate::sensitivity_cmd::sensitivity(&args),
        Command::Example => out(scenario::EXAMPLE),
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

fn run_one(args: &RunArgs) -> Result<(), AppError> {
    let l = load(&args.file, &args.sim)?;
    // Refuse up front what cannot fit in memory (paths kept for paths.csv or attribution).
    let keeps = args.paths_csv || args.attribute.is_some();
    crate::resources::check_run(&l.scenario, keeps).map_err(AppError::Usage)?;
    // Ctrl-C handler in place before the staging folder exists, so it is always removed.
    let _ = cancel_flag();
    let target = args
        .out
        .clone()
        .unwrap_or_else(|| report::default_out_dir(&args.file));
    // Stage first: an unwritable location fails before minutes of simulation.
    let staging = Staging::new(&target)?;
    let keep = args.paths_csv || args.attribute.is_some();
    let (r, wall) = simulate(&l, &args.sim, keep, &l.scenario.meta.name)?;
    let m = manifest(&l, &args.file, &args.sim, wall);
    let paths_csv = if args.paths_csv {
        r.paths.as_ref()
    } else {
        None
    };
    report::write_run_files(&staging, "", &r.summary, paths_csv, &m)?;
    if let (Some(_), Some(t)) = (args.attribute, r.paths.as_ref()) {
        let rows =
            crate::sensitivity_cmd::attribute_channel(&l, &args.sim, t, &staging, args.charts)?;
        let mut text = String::from("channel attribution (paired, mean USD bn): ");
        for row in &rows {
            text.push_str(&format!(
                "{} {:+.2}  ",
                row.component.name(),
                row.mean_delta
            ));
        }
        out(&format!("{}\n", text.trim_end()))?;
    }
    report::charts::render_run_charts(&r.summary, &staging.path().join("charts"), args.charts)?;
    // Last before commit: the report inlines every chart written above.
    if !args.no_report {
        report::html::write_run_report(&staging, "", &r.summary, &l.scenario, &m)?;
    }
    let dir = staging.commit()?;
    out(&summary_table(&r.summary))?;
    out(&format!(
        "wrote {} ({} paths in {:.2} s)\n",
        dir.display(),
        r.summary.paths,
        wall
    ))
}

/// The short table printed after a run.
pub fn summary_table(s: &RunSummary) -> String {
    let mut t = format!(
        "{} — {} paths, seed {}, {}-{}\n{:<22}{:>12}{:>12}{:>12}{:>12}\n",
        s.meta.name,
        s.paths,
        s.seed,
        s.start_year,
        s.end_year,
        "USD bn",
        "mean",
        "p5",
        "p50",
        "p95"
    );
    for m in [
        ResultMetric::NpvTotal,
        ResultMetric::NpvRevenueShare,
        ResultMetric::NpvCloudModels,
        ResultMetric::NpvReverseShare,
        ResultMetric::NpvCompute,
        ResultMetric::PvStake,
    ] {
        let st = s.result(m);
        // What rounds to zero prints as 0.00, never -0.00.
        let z = |v: f64| if v.abs() < 0.005 { 0.0 } else { v };
        t.push_str(&format!(
            "{:<22}{:>12.2}{:>12.2}{:>12.2}{:>12.2}\n",
            m.name(),
            z(st.mean),
            z(st.p5()),
            z(st.p50()),
            z(st.p95())
        ));
    }
    let p = s.result(ResultMetric::CapHit).mean;
    let med = s
        .median_cap_hit_year
        .map(|y| y.to_string())
        .unwrap_or_else(|| "none (hit in < half of paths)".into());
    t.push_str(&format!("P(cap hit) {:.3}; median cap-hit year {med}\n", p));
    t
}

/// A file stem, made unique among `taken` by a numeric suffix.
fn unique_id(file: &Path, taken: &[String]) -> String {
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "stdin".into());
    let stem = if stem == "-" {
        String::from("stdin")
    } else {
        stem
    };
    let mut id = stem.clone();
    let mut i = 2;
    while taken.contains(&id) {
        id = format!("{stem}-{i}");
        i += 1;
    }
    id
}

fn compare(args: &CompareArgs) -> Result<(), AppError> {
    // Validate every file before simulating any: all problems at once.
    let mut loaded = Vec::new();
    let mut errors = Vec::new();
    for f in &args.files {
        match load(f, &args.sim) {
            Ok(l) => loaded.push(l),
            Err(AppError::Scenario(e)) => errors.extend(e),
            Err(e) => return Err(e),
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Scenario(errors));
    }
    // Common random numbers: the baseline's seed and paths for everyone.
    let (paths, seed) = (
        loaded[0].scenario.simulation.paths,
        loaded[0].scenario.simulation.seed,
    );
    for l in &mut loaded {
        l.scenario.simulation.paths = paths;
        l.scenario.simulation.seed = seed;
    }
    let scenarios: Vec<&crate::scenario::Scenario> = loaded.iter().map(|l| &l.scenario).collect();
    crate::resources::check_compare(&scenarios).map_err(AppError::Usage)?;
    let _ = cancel_flag();
    let mut ids: Vec<String> = Vec::new();
    for f in &args.files {
        let id = unique_id(f, &ids);
        ids.push(id);
    }
    let target = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(format!("compare-{}", ids.join("-"))));
    let staging = Staging::new(&target)?;
    let base_flat = loaded[0].raw.flatten_values();
    let mut members = Vec::new();
    let mut manifests = Vec::new();
    for ((l, f), id) in loaded.iter().zip(&args.files).zip(&ids) {
        let (r, wall) = simulate(l, &args.sim, true, id)?;
        let m = manifest(l, f, &args.sim, wall);
        report::write_run_files(&staging, id, &r.summary, None, &m)?;
        report::charts::render_run_charts(
            &r.summary,
            &staging.path().join(id).join("charts"),
            args.charts,
        )?;
        if !args.no_report {
            report::html::write_run_report(&staging, id, &r.summary, &l.scenario, &m)?;
        }
        manifests.push(m);
        let changed = cmp::what_changed(&base_flat, &l.raw.flatten_values());
        members.push(Member {
            id: id.clone(),
            summary: r.summary,
            paths: r.paths.unwrap_or_default(),
            changed,
        });
    }
    let c = cmp::compare(members);
    use report::compare_csv as cc;
    staging.write("compare_summary.csv", &cc::compare_summary_csv(&c))?;
    staging.write("compare_deltas.csv", &cc::compare_deltas_csv(&c))?;
    staging.write("compare_timeseries.csv", &cc::compare_timeseries_csv(&c))?;
    staging.write("what_changed.csv", &cc::what_changed_csv(&c))?;
    report::charts::overlay::render_compare_charts(
        &c,
        &staging.path().join("charts"),
        args.charts,
    )?;
    // After every CSV and chart: the report inlines the charts in <out>/charts/.
    if !args.no_report {
        report::html::write_compare_report(&staging, &c, &manifests)?;
    }
    let dir = staging.commit()?;
    out(&compare_table(&c))?;
    out(&format!("wrote {}\n", dir.display()))
}

/// The comparison printed on stdout: what changed, then the paired npv deltas.
fn compare_table(c: &cmp::Comparison) -> String {
    let base = &c.members[0];
    let mut t = format!("baseline: {} ({})\n", base.id, base.summary.meta.name);
    for (m, ds) in c.members.iter().skip(1).zip(&c.deltas) {
        t.push_str(&format!(
            "\n{} ({}) vs {}\n  what changed:\n",
            m.id, m.summary.meta.name, base.id
        ));
        if m.changed.is_empty() {
            t.push_str("    (nothing)\n");
        }
        for (k, a, b) in &m.changed {
            t.push_str(&format!("    {k}: {a} -> {b}\n"));
        }
        t.push_str(&format!(
            "  {:<22}{:>12}{:>12}{:>12}{:>12}{:>10}\n",
            "paired delta, USD bn", "mean", "se paired", "se unpaired", "p50", "P(>0)"
        ));
        for d in ds.iter().take(7) {
            t.push_str(&format!(
                "  {:<22}{:>12.3}{:>12.4}{:>12.4}{:>12.3}{:>10.3}\n",
                d.metric.name(),
                d.mean,
                d.std_error,
                d.std_error_unpaired,
                d.pct[1],
                d.prob_positive
            ));
        }
    }
    t
}
