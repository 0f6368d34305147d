//! `dealsim run`: one scenario into one output folder.

use super::{cancel_flag, load, manifest, out, simulate, AppError};
use crate::cli::RunArgs;
use crate::report::{self, Staging};
use crate::summary::{ResultMetric, RunSummary};

pub(super) fn run_one(args: &RunArgs) -> Result<(), AppError> {
    let l = load(&args.file, &args.sim)?;
    if let (Some(dir), Some(n)) = (&args.plan, args.shards) {
        return super::sweep::plan_shards(args, &l, dir, n);
    }
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
    let (r, wall) = simulate(&l, &args.sim, keeps, &l.scenario.meta.name)?;
    let m = manifest(&l, &args.file, &args.sim, wall);
    let paths_csv = if args.paths_csv {
        r.paths.as_ref()
    } else {
        None
    };
    report::write_run_files(&staging, "", &r.summary, paths_csv, &m)?;
    let mut attribution = String::new();
    if let (Some(_), Some(t)) = (args.attribute, r.paths.as_ref()) {
        let rows = super::sensitivity::attribute_channel(&l, &args.sim, t, &staging, args.charts)?;
        attribution.push_str("channel attribution (paired, mean USD bn):");
        for row in &rows {
            attribution.push_str(&format!(" {} {:+.2}", row.component.name(), row.mean_delta));
        }
        attribution.push('\n');
    }
    report::charts::render_run_charts(&r.summary, &staging.path().join("charts"), args.charts)?;
    // Last before commit: the report inlines every chart written above.
    if !args.no_report {
        report::html::write_run_report(&staging, "", &r.summary, &l.scenario, &m)?;
    }
    let dir = staging.commit()?;
    out(&summary_table(&r.summary))?;
    out(&attribution)?;
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
