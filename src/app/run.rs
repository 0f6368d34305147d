//! `dealsim run`: one scenario into one output folder.

use std::time::Instant;

use super::{
    cancel_flag, finish_run, load, manifest, out, progress, simulate_with_targets, AppError,
};
use crate::cli::RunArgs;
use crate::engine::autostop::{self, AutoStop, SeTarget};
use crate::engine::input_corr::achieved_ranks_sampled;
use crate::engine::rng;
use crate::engine::EngineError;
use crate::interrupt::Interrupted;
use crate::model::Model;
use crate::report::precision::{by_error, interval_error, money_pm, percent_by, seconds, signed};
use crate::report::{self, Outputs, Stopping, TargetSe};
use crate::risk::{RiskSummary, Statistic, Target};
use crate::summary::{ResultMetric, RunSummary};

pub(super) fn run_one(args: &RunArgs) -> Result<(), AppError> {
    let targets = args
        .targets
        .iter()
        .map(|t| Target::parse(t).map_err(|e| AppError::Usage(format!("--target {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let se_target = args
        .target_se
        .as_deref()
        .map(|s| parse_target_se(s, args.max_paths))
        .transpose()?;
    let mut l = load(&args.file, &args.sim)?;
    if args.sim.sampler() != crate::model::sampler::Sampler::Mc
        && (args.plan.is_some() || se_target.is_some())
    {
        return Err(AppError::Usage(
            "--sampler antithetic|sobol applies to a single run of a fixed --paths; not with --plan or --target-se".into(),
        ));
    }
    args.sim
        .sampler()
        .check(l.scenario.simulation.paths)
        .map_err(AppError::Usage)?;
    l.scenario.meta.overrides = args.sim.sets.clone();
    if let (Some(dir), Some(n)) = (&args.plan, args.shards) {
        if se_target.is_some() || !targets.is_empty() {
            return Err(AppError::Usage(
                "--plan writes a sharded plan; --target and --target-se apply to a single run"
                    .into(),
            ));
        }
        return super::sweep::plan_shards(args, &l, dir, n);
    }
    if let Some(t) = &se_target {
        // Checked against the most it may run.
        l.scenario.simulation.paths = t.max_paths;
    }
    // Refuse up front what cannot fit in memory (paths kept for paths.csv or attribution).
    let keeps = args.paths_csv || args.attribute.is_some();
    crate::resources::check_run(&l.scenario, keeps).map_err(AppError::Usage)?;
    // Ctrl-C handler in place before the staging folder exists, so it is always removed.
    let _ = cancel_flag();
    let target = args
        .out
        .clone()
        .unwrap_or_else(|| report::default_out_dir_with(&args.file, &args.sim.sets));
    // Stage first: an unwritable location fails before minutes of simulation.
    let mut outputs = Outputs::new(&target)?;
    let t0 = Instant::now();
    let stop = match &se_target {
        Some(t) => {
            let a = find_paths(&l, args, t)?;
            l.scenario.simulation.paths = a.paths;
            Some(a)
        }
        None => None,
    };
    let search_time = t0.elapsed().as_secs_f64();
    let (r, wall) = simulate_with_targets(&l, &args.sim, keeps, &l.scenario.meta.name, &targets)?;
    let wall = wall + search_time;
    let mut m = manifest(&l, &args.file, &args.sim, wall);
    if let (Some(t), Some(a)) = (&se_target, &stop) {
        m.stopping = Stopping {
            reason: a.reason.as_str().to_string(),
            target_se: Some(TargetSe {
                metric: t.metric.name().to_string(),
                target: t.max_std_error,
                std_error: a.std_error,
                batch_paths: autostop::BATCH,
                max_paths: t.max_paths,
            }),
        };
    }
    let paths_csv = if args.paths_csv {
        r.paths.as_ref()
    } else {
        None
    };
    report::write_run_files(&mut outputs, "", &r.summary, &r.risk, paths_csv, &m)?;
    let ranks = achieved_ranks_sampled(
        &l.scenario,
        r.summary.seed,
        r.summary.paths,
        rng::configure(&l.scenario, &Model::new(&l.scenario), args.sim.sampler()),
    );
    if !ranks.is_empty() {
        outputs.write(
            "input_correlation.csv",
            &report::input_corr_csv::input_correlation_csv(&ranks),
        )?;
    }
    let mut attribution = String::new();
    if let (Some(_), Some(t)) = (args.attribute, r.paths.as_ref()) {
        let rows = super::attribution::attribute_channel(
            &l,
            &args.sim,
            t,
            &mut outputs,
            args.extras.charts,
        )?;
        attribution.push_str("channel attribution (paired, mean USD bn):");
        for row in &rows {
            attribution.push_str(&format!(
                " {} {}",
                row.component.name(),
                signed(row.mean_delta, 2)
            ));
        }
        attribution.push('\n');
    }
    // After every CSV (attribution.csv included): the workbook takes them all.
    finish_run(
        &mut outputs,
        "",
        &r.summary,
        &r.risk,
        &l.scenario,
        &m,
        None,
        args.extras,
    )?;
    let dir = outputs.commit()?;
    out(&summary_table(&r.summary, &r.risk))?;
    out(&attribution)?;
    if let (Some(t), Some(a)) = (&se_target, &stop) {
        out(&format!(
            "--target-se {}={}: {} after {} paths (standard error {})\n",
            t.metric.name(),
            t.max_std_error,
            match a.reason {
                autostop::StopReason::TargetReached => "reached",
                autostop::StopReason::MaxPaths => "NOT reached (--max-paths)",
            },
            a.paths,
            a.std_error
        ))?;
    }
    out(&format!(
        "wrote {} ({} paths in {})\n",
        dir.display(),
        r.summary.paths,
        seconds(wall)
    ))
}

/// `METRIC=X`: a summary.csv metric and a positive standard error in its unit.
fn parse_target_se(s: &str, max_paths: u64) -> Result<SeTarget, AppError> {
    let usage = |why: String| AppError::Usage(format!("--target-se '{s}': {why}"));
    let (name, value) = s
        .split_once('=')
        .ok_or_else(|| usage("expected METRIC=X, e.g. npv_total=1.0".into()))?;
    let metric = ResultMetric::from_name(name.trim()).ok_or_else(|| {
        let names: Vec<&str> = ResultMetric::ALL.iter().map(|m| m.name()).collect();
        usage(format!(
            "unknown metric '{}' (one of: {})",
            name.trim(),
            names.join(", ")
        ))
    })?;
    let x: f64 = value
        .trim()
        .parse()
        .ok()
        .filter(|x: &f64| x.is_finite() && *x > 0.0)
        .ok_or_else(|| usage(format!("'{}' is not a positive number", value.trim())))?;
    if max_paths == 0 {
        return Err(AppError::Usage("--max-paths must be at least 1".into()));
    }
    Ok(SeTarget {
        metric,
        max_std_error: x,
        max_paths,
    })
}

/// The `--target-se` search, with its own progress bar.
fn find_paths(
    l: &crate::scenario::Loaded,
    args: &RunArgs,
    t: &SeTarget,
) -> Result<AutoStop, AppError> {
    let bar = progress::bar(
        args.sim.quiet,
        t.max_paths,
        "{prefix} {pos} paths (at most {len})  {elapsed_precise}",
    );
    bar.set_prefix(format!("--target-se {}", t.metric.name()));
    let progress = |done: u64, _max: u64| bar.set_position(done);
    let cancel = cancel_flag();
    let r = autostop::find_paths(
        &l.scenario,
        args.sim.threads,
        t,
        Some(&progress),
        Some(cancel),
    )
    .map_err(|e| match e {
        EngineError::Cancelled => AppError::Interrupted(Interrupted::now()),
        e => AppError::Runtime(e.into()),
    });
    bar.finish_and_clear();
    r
}

/// The short table printed after a run: each number rounded to what its error supports
/// (means by their standard error, percentiles by their 95 % interval).
pub fn summary_table(s: &RunSummary, risk: &RiskSummary) -> String {
    let with = crate::report::charts::style::overrides_note(&s.meta)
        .map(|o| format!(" ({o})"))
        .unwrap_or_default();
    let mut t = format!(
        "{}{with} — {} paths, seed {}, {}-{}\n{:<22}{:>18}{:>12}{:>12}{:>12}\n",
        s.meta.name,
        s.paths,
        s.seed,
        s.start_year,
        s.end_year,
        "USD bn",
        "mean ± se",
        "p5",
        "p50",
        "p95"
    );
    for m in ResultMetric::npv_metrics() {
        let st = s.result(m);
        let ci = risk.pct_ci(m);
        let pct = |i: usize| by_error(st.pct[i], interval_error(ci[i].low, ci[i].high), 2);
        let mean = money_pm(st.mean, st.std_error)
            .replace('$', "")
            .replace("bn", "");
        t.push_str(&format!(
            "{:<22}{:>18}{:>12}{:>12}{:>12}\n",
            m.name(),
            mean,
            pct(0),
            pct(2),
            pct(4)
        ));
    }
    let med = s
        .median_cap_hit_year
        .map(|y| y.to_string())
        .unwrap_or_else(|| "none (hit in < half of paths)".into());
    for row in risk
        .rows
        .iter()
        .filter(|r| matches!(r.statistic, Statistic::ProbBelow | Statistic::ProbAbove))
    {
        let err = interval_error(row.ci.low, row.ci.high);
        let what = if row.metric == ResultMetric::CapHit && row.level == 0.5 {
            String::from("P(cap hit)")
        } else {
            let op = if row.statistic == Statistic::ProbBelow {
                '<'
            } else {
                '>'
            };
            format!("P({} {op} {})", row.metric.name(), row.level)
        };
        t.push_str(&format!(
            "{what} {} (95 % interval {}–{})",
            percent_by(row.value, err),
            percent_by(row.ci.low, err),
            percent_by(row.ci.high, err)
        ));
        if row.metric == ResultMetric::CapHit && row.level == 0.5 {
            t.push_str(&format!("; median cap-hit year {med}"));
        }
        t.push('\n');
    }
    t
}
