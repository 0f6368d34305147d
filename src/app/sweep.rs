//! `dealsim sweep`, `dealsim task`, `dealsim merge` and `dealsim run --plan --shards`.
//!
//! The in-process sweep builds the same [`Plan`] a cluster would get and runs its tasks
//! in memory, then writes through the same exporter as `merge`: one code path, so the
//! merged CSVs are the in-process ones byte for byte.

use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::ProgressBar;
use serde::Serialize;

use super::{cancel_flag, finish_run, load, out, progress, AppError};
use crate::cli::{Emit, EmitArgs, Extras, MergeArgs, RunArgs, SimArgs, SweepArgs, TaskArgs};
use crate::engine::RunOptions;
use crate::report::precision::seconds;
use crate::report::{self, Manifest, Outputs};
use crate::resources::{self, RunShape};
use crate::scenario::{self, Loaded, Scenario};
use crate::summary::{RunSummary, Stats};
use crate::sweep::plan::{Kind, Plan, FORMAT, PLAN_FILE};
use crate::sweep::{self, emit, grid, merge as merging, metric_by_name, part, task, SweepResult};

fn usage(e: impl Into<String>) -> AppError {
    AppError::Usage(e.into())
}

/// A plan of `kind` for loaded scenario `l` (its --set, --paths and --seed folded into
/// the scenario text, so a task needs nothing else).
fn new_plan(kind: Kind, l: &Loaded, file: &Path, sim: &SimArgs) -> Result<Plan, AppError> {
    let s = &l.scenario.simulation;
    let mut raw = l.raw.clone();
    for set in [
        format!("simulation.paths={}", s.paths),
        format!("simulation.seed={}", s.seed),
    ] {
        scenario::apply_set(&mut raw, &set).map_err(|p| usage(p.message))?;
    }
    Ok(Plan {
        format: FORMAT.into(),
        kind,
        dealsim_version: env!("CARGO_PKG_VERSION").into(),
        scenario_file: file.display().to_string(),
        scenario_sha256: Manifest::sha256_hex(&l.bytes),
        overrides: sim.sets.clone(),
        scenario: raw.to_toml_string(),
        seed: s.seed,
        paths: s.paths,
        keys: Vec::new(),
        points: Vec::new(),
        metric: String::new(),
        shards: Vec::new(),
        hash: String::new(),
    })
}

/// Every point's scenario, or every problem (at most 20 listed) as one usage error.
fn point_scenarios(plan: &Plan) -> Result<Vec<Scenario>, AppError> {
    let base = plan.raw().map_err(usage)?;
    let mut ok = Vec::with_capacity(plan.points.len());
    let mut errors: Vec<String> = Vec::new();
    for k in 0..plan.points.len() {
        match plan.point_scenario(&base, k) {
            Ok(sc) => ok.push(sc),
            Err(e) => errors.extend(e),
        }
    }
    if errors.is_empty() {
        return Ok(ok);
    }
    let n = errors.len();
    errors.truncate(20);
    let mut msg = errors.join("\nerror: ");
    if n > 20 {
        msg.push_str(&format!("\nerror: ... and {} more", n - 20));
    }
    msg.push_str("\nnothing was simulated.");
    Err(usage(msg))
}

pub fn sweep(args: &SweepArgs) -> Result<(), AppError> {
    // Bad grids and metrics are refused before anything is read or run.
    let axes: Vec<grid::Axis> = args
        .grids
        .iter()
        .map(|g| grid::parse(g))
        .collect::<Result<_, _>>()
        .map_err(usage)?;
    for (i, a) in axes.iter().enumerate() {
        if axes[..i].iter().any(|b| b.key == a.key) {
            return Err(usage(format!(
                "--grid: key {} is given twice; list all its values in one --grid",
                a.key
            )));
        }
    }
    let metric = metric_by_name(&args.metric).map_err(usage)?;
    if args.sim.sampler() != crate::model::sampler::Sampler::Mc {
        return Err(AppError::Usage(
            "--sampler antithetic|sobol applies to run, compare and sensitivity; sweep runs plain Monte Carlo".into(),
        ));
    }
    let l = load(&args.file, &args.sim)?;
    let mut plan = new_plan(Kind::Sweep, &l, &args.file, &args.sim)?;
    plan.keys = axes.iter().map(|a| a.key.clone()).collect();
    plan.points = grid::points(&axes);
    plan.metric = metric.name().into();
    plan.seal();
    let scenarios = point_scenarios(&plan)?;
    for sc in &scenarios {
        resources::check_run(sc, false).map_err(usage)?;
    }
    let target = args.out.clone().unwrap_or_else(|| {
        Path::new("output").join(format!("{}-sweep", report::scenario_stem(&args.file)))
    });
    if let Some(dir) = &args.plan {
        let task_mib = mib(resources::estimate_run(&RunShape::of(&scenarios[0]), false));
        return write_plan(&plan, dir, &args.emit, args.out.as_deref(), task_mib, 256);
    }

    let _ = cancel_flag();
    let mut outputs = Outputs::new(&target)?;
    let t0 = Instant::now();
    let bar = bar(args.sim.quiet, plan.points.len() as u64, "points");
    let cancel = cancel_flag();
    let mut stats: Vec<Vec<Stats>> = Vec::with_capacity(scenarios.len());
    for sc in &scenarios {
        let opts = RunOptions {
            threads: args.sim.threads,
            keep_paths: false,
            progress: None,
            cancel: Some(cancel),
        };
        let r = crate::engine::run(sc, &opts).map_err(|e| AppError::Runtime(e.into()))?;
        stats.push(r.summary.results.to_vec());
        bar.inc(1);
    }
    bar.finish_and_clear();
    let result = SweepResult {
        name: l.scenario.meta.name.clone(),
        paths: plan.paths,
        seed: plan.seed,
        keys: plan.keys.clone(),
        points: plan.points.clone(),
        stats,
        metric,
    };
    let wall = t0.elapsed().as_secs_f64();
    write_sweep(&mut outputs, &plan, &result, args.extras, wall)?;
    let dir = outputs.commit()?;
    out(&format!(
        "wrote {} ({} points x {} paths in {})\n",
        dir.display(),
        plan.points.len(),
        plan.paths,
        seconds(wall)
    ))
}

/// The sweep's progress bar over `len` units.
fn bar(quiet: bool, len: u64, unit: &str) -> ProgressBar {
    progress::bar(quiet, len, &progress::counted("sweep", unit))
}

fn mib(bytes: u128) -> u64 {
    // A quarter more than the estimate, at least 256 MiB: the estimate is of the engine.
    let m = (bytes * 5 / 4).div_ceil(1 << 20);
    (m as u64).max(256)
}

/// How a sweep output folder was made (sweep.json).
#[derive(Serialize)]
struct SweepManifest<'a> {
    dealsim_version: &'a str,
    scenario_file: &'a str,
    scenario_sha256: &'a str,
    overrides: &'a [String],
    seed: u64,
    paths: u64,
    keys: &'a [String],
    points: usize,
    metric: &'a str,
    plan_hash: &'a str,
    wall_time_seconds: f64,
    command_line: Vec<String>,
}

/// Every file of a sweep folder: sweep.csv, its workbook, the chart, sweep.json,
/// report.html, as `x` says (`--charts`, `--no-report`, `--no-xlsx`).
fn write_sweep(
    outputs: &mut Outputs,
    plan: &Plan,
    r: &SweepResult,
    x: Extras,
    wall: f64,
) -> Result<(), AppError> {
    outputs.write("sweep.csv", &sweep::csv::sweep_csv(r))?;
    if !x.no_xlsx {
        // The folder's only CSV so far: a workbook of one `sweep` sheet.
        report::xlsx::write_plain_workbook(outputs, "")?;
    }
    outputs.charts("", report::charts::sweep::render(r, x.charts)?)?;
    let m = SweepManifest {
        dealsim_version: env!("CARGO_PKG_VERSION"),
        scenario_file: &plan.scenario_file,
        scenario_sha256: &plan.scenario_sha256,
        overrides: &plan.overrides,
        seed: plan.seed,
        paths: plan.paths,
        keys: &plan.keys,
        points: plan.points.len(),
        metric: &plan.metric,
        plan_hash: &plan.hash,
        wall_time_seconds: wall,
        command_line: std::env::args().collect(),
    };
    let mut json = serde_json::to_vec_pretty(&m).unwrap_or_default();
    json.push(b'\n');
    outputs.write("sweep.json", &json)?;
    if !x.no_report {
        report::html::sweep::write_sweep_report(outputs, r, &plan.scenario_file)?;
    }
    Ok(())
}

/// Write the plan folder (plan.json, an empty parts/, job files) and say what next.
fn write_plan(
    plan: &Plan,
    dir: &Path,
    emit_args: &EmitArgs,
    out_dir: Option<&Path>,
    task_mib: u64,
    merge_mib: u64,
) -> Result<(), AppError> {
    let abs = |p: &Path| std::path::absolute(p).map_err(|e| AppError::Runtime(e.into()));
    let plan_abs = abs(dir)?;
    let out_abs = match out_dir {
        Some(o) => abs(o)?,
        None => plan_abs.join("result"),
    };
    let exe = std::env::current_exe().map_err(|e| AppError::Runtime(e.into()))?;
    // A new plan replaces the folder: never throw away finished tasks' parts with it.
    let done = parts_in(dir);
    if done > 0 {
        return Err(usage(format!(
            "--plan {}: the folder already holds {done} part file{} of tasks run; merge them              (dealsim merge {}) or move the folder away before making a new plan there",
            dir.display(),
            if done == 1 { "" } else { "s" },
            dir.display()
        )));
    }
    let mut outputs = Outputs::new(dir)?;
    outputs.write(PLAN_FILE, &plan.to_json())?;
    let staged = outputs.path().to_path_buf();
    let mk = |rel: &str| {
        std::fs::create_dir_all(staged.join(rel))
            .map_err(|e| AppError::Runtime(anyhow::Error::from(e)))
    };
    mk(crate::sweep::plan::PARTS_DIR)?;
    let target = emit::Target {
        dealsim: &exe,
        plan_dir: &plan_abs,
        out: &out_abs,
        cpus: emit_args.task_cpus.max(1),
        task_mib,
        merge_mib,
        image: &emit_args.image,
        parallelism: plan.tasks().min(1000),
    };
    let mut next = format!(
        "wrote plan {} ({} tasks, plan hash {})\n",
        dir.display(),
        plan.tasks(),
        &plan.hash[..12]
    );
    for e in &emit_args.emit {
        let files = match e {
            Emit::Slurm => {
                mk("slurm/logs")?;
                next.push_str(&format!(
                    "slurm: {}/slurm/submit.sh   (tasks as a job array, then the merge into {})\n",
                    dir.display(),
                    out_abs.display()
                ));
                emit::slurm(plan, &target)
            }
            Emit::K8s => {
                next.push_str(&format!(
                    "kubernetes: {}/k8s/run.sh   (Indexed Job, then the merge Job; plan folder at /plan)\n",
                    dir.display()
                ));
                emit::k8s(plan, &target)
            }
        };
        for (rel, text, exec) in files {
            outputs.write(&rel, text.as_bytes())?;
            if exec {
                use std::os::unix::fs::PermissionsExt;
                let p = outputs.path().join(&rel);
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755))
                    .map_err(|e| AppError::Runtime(e.into()))?;
            }
        }
    }
    outputs.commit()?;
    next.push_str(&format!(
        "by hand: dealsim task {d} K (K = 0..{}), then dealsim merge {d} --out {}\n",
        plan.tasks() - 1,
        out_abs.display(),
        d = dir.display()
    ));
    out(&next)
}

/// Part files (not hidden) in a plan folder's parts/.
fn parts_in(dir: &Path) -> usize {
    std::fs::read_dir(dir.join(crate::sweep::plan::PARTS_DIR))
        .map(|it| {
            it.flatten()
                .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                .count()
        })
        .unwrap_or(0)
}

/// `dealsim run SCENARIO --plan DIR --shards N`.
pub fn plan_shards(args: &RunArgs, l: &Loaded, dir: &Path, n: usize) -> Result<(), AppError> {
    if args.paths_csv || args.attribute.is_some() {
        return Err(usage(
            "--plan: --paths-csv and --attribute need every path in one process; run without --plan",
        ));
    }
    let mut plan = new_plan(Kind::Shards, l, &args.file, &args.sim)?;
    plan.shards = crate::engine::shard::ranges(plan.paths, n)
        .map_err(|e| usage(format!("--shards {n}: {e}")))?;
    plan.seal();
    // What one task holds: the engine's working set for its paths plus its result columns.
    let largest = plan.shards.iter().map(|s| s.1).max().unwrap_or(1);
    let mut shape = RunShape::of(&l.scenario);
    shape.paths = largest;
    let task_bytes = resources::estimate_run(&shape, false) + 84 * u128::from(largest);
    // The merge holds one period's eight values and a few result columns of every path.
    let merge_bytes = u128::from(resources::PROCESS_BYTES) + 128 * u128::from(plan.paths);
    write_plan(
        &plan,
        dir,
        &args.emit,
        args.out.as_deref(),
        mib(task_bytes),
        mib(merge_bytes),
    )
}

pub fn task(args: &TaskArgs) -> Result<(), AppError> {
    let plan = Plan::load(&args.dir).map_err(usage)?;
    let k = args.task;
    if k >= plan.tasks() {
        return Err(usage(format!(
            "task {k}: the plan has tasks 0 to {}",
            plan.tasks() - 1
        )));
    }
    refuse_foreign_part(&args.dir, &plan, k)?;
    let t0 = Instant::now();
    let path = match plan.kind {
        Kind::Sweep => {
            let base = plan.raw().map_err(usage)?;
            let sc = plan
                .point_scenario(&base, k)
                .map_err(|e| usage(e.join("\n")))?;
            let stats =
                task::run_point(&sc, args.threads).map_err(|e| AppError::Runtime(e.into()))?;
            task::write_point(&args.dir, &plan, k, &stats)?
        }
        Kind::Shards => {
            let sc = plan.scenario().map_err(usage)?;
            let periods = crate::model::Model::new(&sc).grid.len();
            let b = bar(args.quiet, periods as u64, "periods");
            let progress = |done: usize, _: usize| b.set_position(done as u64);
            let cancel = cancel_flag();
            let opts = RunOptions {
                threads: args.threads,
                keep_paths: false,
                progress: Some(&progress),
                cancel: Some(cancel),
            };
            let p = task::run_shard(&args.dir, &plan, k, &sc, &opts)?;
            b.finish_and_clear();
            p
        }
    };
    if args.quiet {
        return Ok(());
    }
    out(&format!(
        "task {k} of {}: wrote {} in {}\n",
        plan.tasks(),
        path.display(),
        seconds(t0.elapsed().as_secs_f64())
    ))
}

/// A task rewrites its own part; it never replaces a file of that name that is not a
/// part of this plan.
fn refuse_foreign_part(dir: &Path, plan: &Plan, k: usize) -> Result<(), AppError> {
    let p = dir
        .join(crate::sweep::plan::PARTS_DIR)
        .join(part::file_name(k));
    if !p.exists() {
        return Ok(());
    }
    match part::read(&p) {
        Ok(h) if h.header.plan_hash == plan.hash && h.header.task == k => Ok(()),
        _ => Err(AppError::Runtime(anyhow::anyhow!(
            "{} exists and is not this plan's part of task {k}; it was not overwritten (move it away first)",
            p.display()
        ))),
    }
}

pub fn merge(args: &MergeArgs) -> Result<(), AppError> {
    let plan = Plan::load(&args.dir).map_err(usage)?;
    let parts =
        part::collect(&args.dir, &plan).map_err(|e| AppError::Runtime(anyhow::anyhow!(e)))?;
    let target: PathBuf = args.out.clone().unwrap_or_else(|| args.dir.join("result"));
    let mut outputs = Outputs::new(&target)?;
    let t0 = Instant::now();
    match plan.kind {
        Kind::Sweep => {
            let r = merging::sweep(&plan, &parts)?;
            write_sweep(
                &mut outputs,
                &plan,
                &r,
                args.extras,
                t0.elapsed().as_secs_f64(),
            )?;
        }
        Kind::Shards => {
            let (s, risk) = merging::shards(&plan, &parts, args.threads)?;
            let sc = plan.scenario().map_err(usage)?;
            let m = shard_manifest(&plan, &s, args.threads, t0.elapsed().as_secs_f64());
            report::write_run_files(&mut outputs, "", &s, &risk, None, &m)?;
            finish_run(&mut outputs, "", &s, &risk, &sc, &m, None, args.extras)?;
        }
    }
    let dir = outputs.commit()?;
    if args.quiet {
        return Ok(());
    }
    out(&format!(
        "merged {} parts into {} in {}\n",
        parts.len(),
        dir.display(),
        seconds(t0.elapsed().as_secs_f64())
    ))
}

/// run.json of a merged run: the plan's scenario, the merge's own time and command.
fn shard_manifest(plan: &Plan, s: &RunSummary, threads: usize, wall: f64) -> Manifest {
    Manifest {
        dealsim_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario_file: plan.scenario_file.clone(),
        scenario_sha256: plan.scenario_sha256.clone(),
        scenario_files: vec![plan.scenario_file.clone()],
        seed: s.seed,
        paths: s.paths,
        threads: if threads == 0 {
            rayon::current_num_threads()
        } else {
            threads
        },
        steps: s.periods.len(),
        steps_per_year: s.steps_per_year,
        start_year: s.start_year,
        end_year: s.end_year,
        wall_time_seconds: wall,
        command_line: std::env::args().collect(),
        overrides: plan.overrides.clone(),
        effective_scenario: plan.scenario.clone(),
        stopping: crate::report::Stopping::fixed(),
    }
}
