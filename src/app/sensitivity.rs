//! `dealsim sensitivity`: orchestration of the extra runs (all on the base run's seed
//! and paths, so every difference is paired) and their files. `run --attribute channel`
//! reuses [`with_value`] and [`quiet_run`] from `app::attribution`.

use super::{load, manifest, out, progress, simulate, AppError};
use crate::cli::SensitivityArgs;
use crate::engine::{PathTable, RunOutput};
use crate::report::charts::palette;
use crate::report::charts::sensitivity::{Bar, SensitivityCharts};
use crate::report::precision::{by_error, percent, plain, short_value, signed, Gap};
use crate::report::{self, sensitivity_csv as scsv, Outputs};
use indicatif::ProgressBar;

use crate::scenario::Loaded;
use crate::sensitivity::{self as sens, Swing, TARGETS};
use crate::summary::ResultMetric;

/// `l` with the scalar input `key` set to the constant `value` through its typed
/// accessor (checked by its rule and the cross-key rule, `Scenario::with_input`); `None`
/// if the value is out of range. An input of an `[[input_correlation]]` pair held at a
/// constant keeps the pairs: the copula still draws its normal score from its stream, so
/// every other input (its partners too) is drawn exactly as in the base run
/// (docs/model.md §7). The raw tree stays the base's: runs read only the typed scenario.
pub(super) fn with_value(l: &Loaded, key: &str, value: f64) -> Option<Loaded> {
    let scenario = l.scenario.with_input(key, value).ok()?;
    Some(Loaded {
        scenario,
        ..l.clone()
    })
}

/// Run `l` quietly (no progress bar) and return its output.
pub(super) fn quiet_run(
    l: &Loaded,
    args: &crate::cli::SimArgs,
    keep: bool,
) -> Result<RunOutput, AppError> {
    let mut sim = args.clone();
    sim.quiet = true;
    Ok(simulate(l, &sim, keep, "")?.0)
}

pub fn sensitivity(args: &SensitivityArgs) -> Result<(), AppError> {
    let mut l = load(&args.file, &args.sim)?;
    l.scenario.meta.overrides = args.sim.sets.clone();
    // The base run keeps every path (results, draws, annual cash flows).
    crate::resources::check_run(&l.scenario, true).map_err(AppError::Usage)?;
    let target = args.out.clone().unwrap_or_else(|| {
        // `output/base-sensitivity/`, or with --set `output/base-<edits>-sensitivity/`.
        let mut dir = report::default_out_dir_with(&args.file, &args.sim.sets);
        let name = format!(
            "{}-sensitivity",
            dir.file_name().unwrap_or_default().to_string_lossy()
        );
        dir.set_file_name(report::output::names::safe_name(&name));
        dir
    });
    let mut outputs = Outputs::new(&target)?;
    let (base, wall) = simulate(&l, &args.sim, true, "base run")?;
    // `simulate` was asked to keep paths, so the table is there.
    let table = base
        .paths
        .as_ref()
        .ok_or_else(|| AppError::Runtime(anyhow::anyhow!("no per-path table")))?;
    let base_means: [f64; 6] = std::array::from_fn(|k| base.summary.result(TARGETS[k]).mean);
    let mut notes = String::new();

    // 1. Rank correlations and per-year sensitivity (uncertain inputs only).
    let ranks = sens::rank_table(table);
    let years = sens::by_year(table);
    if table.draw_names.is_empty() {
        notes.push_str(
            "no uncertain inputs: rank correlations need at least one distribution in the scenario; \
             only one-at-a-time swings of the constants are shown\n",
        );
    }

    // 2. One-at-a-time swings on common random numbers: two runs per input, counted on a
    // progress bar of their own (each run is quiet).
    let constants: Vec<(String, f64)> = l
        .scenario
        .inputs()
        .into_iter()
        .filter_map(|(name, input)| input.as_const().filter(|&v| v != 0.0).map(|v| (name, v)))
        .collect();
    let bar = progress::bar(
        args.sim.quiet,
        (2 * table.draw_names.len() + constants.len() + sens::SHOCK_GROUPS.len()) as u64,
        &progress::counted("one at a time", "inputs"),
    );
    let mut swings: Vec<Swing> = Vec::new();
    for (i, name) in table.draw_names.iter().enumerate() {
        let (lo, hi) = sens::p10_p90(table, i);
        if let Some(s) = swing(&l, args, name, "p10/p90", lo, hi)? {
            swings.push(s);
        }
        bar.inc(1);
    }
    for (name, v) in constants {
        // A calendar year swings by a year either side, never by 20 % of itself.
        let (kind, lo, hi, what) = if sens::is_year_key(&name) {
            let y = sens::YEAR_SWING;
            ("-1y/+1y", v - y, v + y, "+-1 year")
        } else {
            ("-20%/+20%", 0.8 * v, 1.2 * v, "+-20 %")
        };
        match swing(&l, args, &name, kind, lo, hi)? {
            Some(s) => swings.push(s),
            None => notes.push_str(&format!(
                "{name}: {what} leaves its valid range; not swung\n"
            )),
        }
        bar.inc(1);
    }
    // 3. The headline: each source's share of the variance of npv_total, drawn inputs and
    // per-path shock groups alike, by freezing it (an input at its median, a group's
    // volatility at 0) on the same paths.
    let variance = variance_rows(&l, args, table, &base, &bar)?;
    bar.finish_and_clear();
    swings.sort_by(|a, b| {
        let w = |s: &Swing| (s.mean_high[0] - s.mean_low[0]).abs();
        w(b).total_cmp(&w(a)).then(a.input.cmp(&b.input))
    });

    outputs.write("sensitivity.csv", &scsv::rank_csv(&ranks))?;
    outputs.write("sensitivity_by_year.csv", &scsv::by_year_csv(&years))?;
    outputs.write("sensitivity_oat.csv", &scsv::oat_csv(&swings, &base_means))?;
    outputs.write("sensitivity_variance.csv", &scsv::variance_csv(&variance))?;
    report::write_run_files(
        &mut outputs,
        "base",
        &base.summary,
        &base.risk,
        None,
        &manifest(&l, &args.file, &args.sim, wall),
    )?;
    let charts = sensitivity_charts(
        &l,
        &base.summary,
        &ranks,
        &years,
        table,
        &swings,
        &base_means,
        &variance,
    )
    .render(args.extras.charts)?;
    outputs.charts("", charts)?;
    let overlap = overlap_note(&variance);
    let why = why_rankings_differ(&ranks, &swings);
    let sentences: Vec<String> = overlap.iter().chain(&why).cloned().collect();
    if !args.extras.no_xlsx {
        report::xlsx::write_plain_workbook(&mut outputs, "")?;
    }
    if !args.extras.no_report {
        let input = report::html::sensitivity::SensitivityInput {
            name: &l.scenario.meta.name,
            overrides: report::charts::style::overrides_note(&l.scenario.meta),
            paths: base.summary.paths,
            seed: base.summary.seed,
            base_mean: base_means[0],
            variance: &variance,
            ranks: &ranks,
            swings: &swings,
            notes: &sentences,
            command_line: &std::env::args().collect::<Vec<_>>(),
        };
        report::html::sensitivity::write_sensitivity_report(&mut outputs, &input)?;
    }
    let dir = outputs.commit()?;
    out(&notes)?;
    out(&variance_table(
        &l,
        &variance,
        base.summary.result(ResultMetric::NpvTotal),
    ))?;
    out(&sensitivity_table(&l, &ranks, &swings, &base_means))?;
    if let Some(why) = &why {
        out(&format!("{why}\n"))?;
    }
    out(&format!("wrote {}\n", dir.display()))
}

/// The variance ranking: one quiet run per drawn input (frozen at its median) and per
/// shock group (its volatility at 0), then the remainder; largest share first.
fn variance_rows(
    l: &Loaded,
    args: &SensitivityArgs,
    table: &PathTable,
    base: &RunOutput,
    bar: &ProgressBar,
) -> Result<Vec<sens::VarianceRow>, AppError> {
    let npv = |r: &RunOutput| r.summary.result(ResultMetric::NpvTotal).std_dev;
    let base_sd = npv(base);
    let mut rows = Vec::new();
    let mut frozen =
        |source: String, kind, key: &str, value: f64, at: String| -> Result<(), AppError> {
            if let Some(f) = with_value(l, key, value) {
                let sd = npv(&quiet_run(&f, &args.sim, false)?);
                rows.push(sens::VarianceRow {
                    source,
                    kind,
                    frozen_at: at,
                    std_dev: sd,
                    share: sens::variance_share(base_sd, sd),
                });
            }
            bar.inc(1);
            Ok(())
        };
    for (i, name) in table.draw_names.iter().enumerate() {
        let m = sens::median(table, i);
        frozen(name.clone(), "input", name, m, format!("median {m}"))?;
    }
    let inputs = l.scenario.inputs();
    for (id, group) in sens::SHOCK_GROUPS {
        let key = id.key();
        // A group already switched off (volatility 0) moves nothing.
        let off = inputs
            .iter()
            .any(|(k, i)| k == key && i.as_const() == Some(0.0));
        if off {
            bar.inc(1);
            continue;
        }
        frozen(
            format!("{group} ({key})"),
            "shocks",
            key,
            0.0,
            format!("{key}=0"),
        )?;
    }
    rows.sort_by(|a, b| b.share.total_cmp(&a.share).then(a.source.cmp(&b.source)));
    let explained: f64 = rows.iter().map(|r| r.share).sum();
    rows.push(sens::VarianceRow {
        source: "everything else: interactions, funding rounds, renewals, renegotiation".into(),
        kind: "rest",
        frozen_at: String::new(),
        std_dev: base_sd,
        share: 1.0 - explained,
    });
    Ok(rows)
}

/// The headline ranking on the terminal, shares in whole percent (the frozen runs share
/// the base run's paths, so their differences are paired, but a share is still an
/// estimate), the standard deviation rounded by its standard error (about sd/sqrt(2n)).
fn variance_table(l: &Loaded, rows: &[sens::VarianceRow], npv: &crate::summary::Stats) -> String {
    let mut t = format!(
        "{}: what moves npv_total (sd {} USD bn): share of its variance removed by \
         freezing each source on the same paths\n",
        titled(l),
        by_error(npv.std_dev, npv.std_error / std::f64::consts::SQRT_2, 2)
    );
    // A share that rounds to zero reads `0`, not `-0`.
    let pct = |v: f64| plain(if v.abs() < 0.005 { 0.0 } else { 100.0 * v }, 0);
    for r in rows.iter().filter(|r| r.kind != "rest") {
        t.push_str(&format!("  {:>5} %  {}\n", pct(r.share), r.source));
    }
    match (rows.iter().find(|r| r.kind == "rest"), overlap_note(rows)) {
        (_, Some(note)) => t.push_str(&format!("  {note}\n")),
        (Some(rest), None) => {
            t.push_str(&format!("  {:>5} %  {}\n", pct(rest.share), rest.source));
        }
        _ => {}
    }
    t
}

/// When the variance shares add up to more than 100 %, one sentence on why.
fn overlap_note(rows: &[sens::VarianceRow]) -> Option<String> {
    let rest = rows.iter().find(|r| r.kind == "rest")?;
    (rest.share < -0.005).then(|| {
        format!(
            "The shares add up to {}, more than 100 %: the sources multiply (revenue, \
             multiple and stake), so freezing one also removes its interactions with the \
             others, and each interaction is counted in both shares.",
            percent(1.0 - rest.share, 0, Gap::Space)
        )
    })
}

/// The scenario's name with its command-line edits: `Base case (with revenue_share.cap=50)`.
fn titled(l: &Loaded) -> String {
    match report::charts::style::overrides_note(&l.scenario.meta) {
        Some(o) => format!("{} ({o})", l.scenario.meta.name),
        None => l.scenario.meta.name.clone(),
    }
}

/// One sentence on why the rank-correlation and one-at-a-time rankings put different
/// inputs first, or `None` when they agree (or either is empty).
fn why_rankings_differ(ranks: &[sens::RankRow], swings: &[Swing]) -> Option<String> {
    let rank_top = ranks
        .iter()
        .find(|r| r.target == ResultMetric::NpvTotal)?
        .input
        .as_str();
    let oat = swings.first()?;
    if oat.input == rank_top {
        return None;
    }
    Some(if oat.kind == "p10/p90" {
        format!(
            "The rankings differ ({rank_top} first by rank correlation, {} first one at a \
             time) because rank correlation measures how consistently an input orders the \
             paths' results against all the other noise, while the one-at-a-time swing \
             measures the change in the mean between its p10 and p90 with everything else \
             held; the variance ranking above weighs both against the shocks.",
            oat.input
        )
    } else {
        format!(
            "The rankings differ ({rank_top} first by rank correlation, {} first one at a \
             time) because {} is a constant here: it has no spread to correlate with, so \
             only the one-at-a-time swing (an assumed {}) shows it, while rank correlation \
             and the variance ranking cover only what actually varies.",
            oat.input, oat.input, oat.kind
        )
    })
}

fn swing(
    l: &Loaded,
    args: &SensitivityArgs,
    name: &str,
    kind: &'static str,
    lo: f64,
    hi: f64,
) -> Result<Option<Swing>, AppError> {
    let (Some(a), Some(b)) = (with_value(l, name, lo), with_value(l, name, hi)) else {
        return Ok(None);
    };
    let ra = quiet_run(&a, &args.sim, false)?;
    let rb = quiet_run(&b, &args.sim, false)?;
    let means =
        |r: &RunOutput| -> [f64; 6] { std::array::from_fn(|k| r.summary.result(TARGETS[k]).mean) };
    Ok(Some(Swing {
        input: name.to_string(),
        kind,
        low_value: lo,
        high_value: hi,
        mean_low: means(&ra),
        mean_high: means(&rb),
    }))
}

/// The sensitivity charts' data: tornadoes of rank correlations and swings, heat map.
#[allow(clippy::too_many_arguments)]
fn sensitivity_charts(
    l: &Loaded,
    base_summary: &crate::summary::RunSummary,
    ranks: &[sens::RankRow],
    years: &[sens::YearRow],
    table: &PathTable,
    swings: &[Swing],
    base: &[f64; 6],
    variance: &[sens::VarianceRow],
) -> SensitivityCharts {
    let color = |up: bool| {
        if up {
            palette::BLUE
        } else {
            palette::VERMILLION
        }
    };
    let short = short_value;
    SensitivityCharts {
        name: l.scenario.meta.name.clone(),
        note: report::charts::style::summary_note(base_summary),
        variance_bars: variance
            .iter()
            .filter(|v| v.kind != "rest" || v.share > 0.0)
            .map(|v| {
                let c = match v.kind {
                    "shocks" => palette::VERMILLION,
                    "input" => palette::BLUE,
                    _ => palette::AXIS,
                };
                let mut b = Bar::new(v.source.clone(), 0.0, v.share, c);
                b.ends.1 = percent(v.share.max(0.0), 0, Gap::Space);
                b
            })
            .collect(),
        rank_bars: ranks
            .iter()
            .filter(|r| r.target == ResultMetric::NpvTotal)
            .map(|r| {
                let mut b = Bar::new(r.input.clone(), 0.0, r.corr.rho, color(r.corr.rho >= 0.0));
                b.ci = Some((r.corr.lo, r.corr.hi));
                b.ends.1 = signed(r.corr.rho, 2);
                b
            })
            .collect(),
        swing_bars: swings
            .iter()
            .take(15)
            .map(|s| {
                let mut b = Bar::new(
                    format!("{} ({})", s.input, s.kind),
                    s.mean_low[0] - base[0],
                    s.mean_high[0] - base[0],
                    color(s.mean_high[0] >= s.mean_low[0]),
                );
                b.ends = (
                    format!("low {}", short(s.low_value)),
                    format!("high {}", short(s.high_value)),
                );
                b
            })
            .collect(),
        inputs: table.draw_names.clone(),
        years: table.years.clone(),
        // by_year lists each input's years in order: row-major already.
        cells: years.iter().map(|y| y.corr.map(|c| c.rho)).collect(),
    }
}

fn sensitivity_table(
    l: &Loaded,
    ranks: &[sens::RankRow],
    swings: &[Swing],
    base: &[f64; 6],
) -> String {
    let mut t = format!(
        "{}: mean npv_total {} USD bn\n",
        titled(l),
        plain(base[0], 2)
    );
    let top: Vec<&sens::RankRow> = ranks
        .iter()
        .filter(|r| r.target == ResultMetric::NpvTotal)
        .collect();
    if !top.is_empty() {
        t.push_str(&format!(
            "{:<34}{:>10}{:>20}\n",
            "rank correlation with npv_total", "rho", "95% CI"
        ));
        for r in top {
            t.push_str(&format!(
                "{:<34}{:>10}    [{:>6}, {:>6}]\n",
                r.input,
                plain(r.corr.rho, 3),
                plain(r.corr.lo, 3),
                plain(r.corr.hi, 3)
            ));
        }
    }
    t.push_str(&format!(
        "{:<34}{:>12}{:>12}{:>12}\n",
        "one at a time (npv_total)", "kind", "low", "high"
    ));
    for s in swings.iter().take(12) {
        t.push_str(&format!(
            "{:<34}{:>12}{:>12}{:>12}\n",
            s.input,
            s.kind,
            signed(s.mean_low[0] - base[0], 2),
            signed(s.mean_high[0] - base[0], 2)
        ));
    }
    t
}
