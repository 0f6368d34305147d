//! `dealsim compare`: several scenarios on common random numbers, paired deltas against
//! the first, overlay charts, and each scenario's own outputs.

use std::path::Path;

use super::{cancel_flag, finish_run, load, manifest, out, simulate, variant, AppError};
use crate::cli::CompareArgs;
use crate::compare::{self as cmp, Member};
use crate::report::output::names;
use crate::report::{self, Outputs};

/// What the comparison itself writes at the top of its folder: no member may be named so.
const RESERVED: [&str; 7] = [
    "charts",
    "compare_summary.csv",
    "compare_deltas.csv",
    "compare_timeseries.csv",
    "what_changed.csv",
    report::html::REPORT_FILE,
    report::xlsx::WORKBOOK_FILE,
];

/// A member's id and subfolder: its file stem made safe for the file system, and unique
/// (case-insensitively) among `taken` and the comparison's own files by a numeric suffix.
fn unique_id(file: &Path, taken: &[String]) -> String {
    names::unique_name(&report::scenario_stem(file), taken, &RESERVED)
}

/// One member to load: a file, or an edited copy of the first file.
struct Source<'a> {
    file: &'a Path,
    variant: Option<variant::Variant>,
}

pub(super) fn compare(args: &CompareArgs) -> Result<(), AppError> {
    let variants = args
        .variants
        .iter()
        .map(|v| variant::parse(v).map_err(AppError::Usage))
        .collect::<Result<Vec<_>, _>>()?;
    if args.files.len() + variants.len() < 2 {
        return Err(AppError::Usage(
            "compare needs at least two scenarios: two files, or a file and a \
             --variant 'NAME: KEY=VALUE'"
                .into(),
        ));
    }
    if !variants.is_empty() && args.files[0] == Path::new("-") {
        return Err(AppError::Usage(
            "--variant edits the first scenario file, which is read twice: give it as a \
             file, not standard input"
                .into(),
        ));
    }
    let sources: Vec<Source> = args
        .files
        .iter()
        .map(|f| Source {
            file: f,
            variant: None,
        })
        .chain(variants.into_iter().map(|v| Source {
            file: &args.files[0],
            variant: Some(v),
        }))
        .collect();
    // Validate every member before simulating any: all problems at once.
    let mut loaded = Vec::new();
    let mut sims = Vec::new();
    let mut errors = Vec::new();
    for src in &sources {
        // A variant is the first file with the shared --set edits, then its own.
        let mut sim = args.sim.clone();
        if let Some(v) = &src.variant {
            sim.sets.extend(v.edits.iter().cloned());
        }
        match load(src.file, &sim) {
            Ok(mut l) => {
                l.scenario.meta.overrides = sim.sets.clone();
                loaded.push(l);
            }
            Err(AppError::Scenario(e)) => match &src.variant {
                Some(v) => errors.extend(e.into_iter().map(|e| variant::relabel(e, v))),
                None => errors.extend(e),
            },
            Err(e) => return Err(e),
        }
        sims.push(sim);
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
    for src in &sources {
        let id = match &src.variant {
            Some(v) => names::unique_name(&v.name, &ids, &RESERVED),
            None => unique_id(src.file, &ids),
        };
        ids.push(id);
    }
    let target = args.out.clone().unwrap_or_else(|| {
        Path::new("output").join(names::safe_name(&format!("compare-{}", ids.join("-"))))
    });
    let mut outputs = Outputs::new(&target)?;
    let base_flat = loaded[0].raw.flatten_values();
    let mut members = Vec::new();
    let mut manifests = Vec::new();
    let mut risks = Vec::new();
    for (((l, src), sim), id) in loaded.iter().zip(&sources).zip(&sims).zip(&ids) {
        let (r, wall) = simulate(l, sim, true, id)?;
        let m = manifest(l, src.file, sim, wall);
        report::write_run_files(&mut outputs, id, &r.summary, &r.risk, None, &m)?;
        manifests.push(m);
        risks.push(r.risk);
        let changed = cmp::what_changed(&base_flat, &l.raw.flatten_values());
        members.push(Member {
            id: id.clone(),
            summary: r.summary,
            paths: r.paths.unwrap_or_default(),
            changed,
        });
    }
    let mut c = cmp::compare(members);
    cmp::sampler_std_errors(&mut c, args.sim.sampler());
    // The paired deltas are in: the members' paths are not needed any more, and the
    // charts and workbooks below need the memory they hold.
    for m in &mut c.members {
        m.paths = Default::default();
    }
    // Each member's own charts on axes shared by all members: only now are all known.
    let summaries: Vec<&crate::summary::RunSummary> =
        c.members.iter().map(|m| &m.summary).collect();
    let axes = report::charts::SharedAxes::across(&summaries);
    for (((m, risk), l), man) in c.members.iter().zip(&risks).zip(&loaded).zip(&manifests) {
        finish_run(
            &mut outputs,
            &m.id,
            &m.summary,
            risk,
            &l.scenario,
            man,
            Some(&axes),
            args.extras,
        )?;
    }
    use report::compare_csv as cc;
    outputs.write("compare_summary.csv", &cc::compare_summary_csv(&c))?;
    outputs.write("compare_deltas.csv", &cc::compare_deltas_csv(&c))?;
    outputs.write("compare_timeseries.csv", &cc::compare_timeseries_csv(&c))?;
    outputs.write("what_changed.csv", &cc::what_changed_csv(&c))?;
    let overlays = report::charts::overlay::render_compare_charts(&c, args.extras.charts)?;
    outputs.charts("", overlays)?;
    if !args.extras.no_xlsx {
        report::xlsx::write_compare_workbook(&mut outputs, &ids)?;
    }
    // After every CSV and chart: the report inlines the charts in <out>/charts/.
    if !args.extras.no_report {
        report::html::write_compare_report(&mut outputs, &c, &manifests)?;
    }
    let dir = outputs.commit()?;
    if !args.sim.sets.is_empty() {
        out(&format!(
            "note: --set applies to every member ({}); to compare against an edited copy, \
             use --variant 'NAME: KEY=VALUE'\n",
            args.sim.sets.join("; ")
        ))?;
    }
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
        // v1's seven money rows, then MODEL.md §6's results where either side has them
        // (npv_licence in USD bn; renewed and renegotiated as probabilities).
        let v2 = |d: &&cmp::Delta| {
            use crate::summary::ResultMetric as R;
            matches!(d.metric, R::NpvLicence | R::Renewed | R::Renegotiated)
                && (base.summary.result(d.metric).mean != 0.0 || d.mean != 0.0)
                && !(d.metric == R::Renewed
                    && base.summary.result(d.metric).mean == 1.0
                    && d.mean == 0.0)
        };
        // Each estimate rounded to what its error supports (the mean by its paired
        // standard error, p50 and P(>0) by their 95 % intervals); errors to 2 digits.
        use crate::report::precision::{by_error, interval_error};
        let err = |e: f64| by_error(e, e, 4);
        for d in ds.iter().take(7).chain(ds.iter().filter(v2)) {
            let ci = |i: crate::risk::Interval| interval_error(i.low, i.high);
            t.push_str(&format!(
                "  {:<22}{:>12}{:>12}{:>12}{:>12}{:>10}\n",
                d.metric.name(),
                by_error(d.mean, d.std_error, 3),
                err(d.std_error),
                err(d.std_error_unpaired),
                by_error(d.pct[1], ci(d.pct_ci[1]), 3),
                by_error(d.prob_positive, ci(d.prob_positive_ci), 3)
            ));
        }
    }
    t
}
