//! `dealsim sensitivity` and `run --attribute channel`: orchestration of the extra runs
//! (all on the base run's seed and paths, so every difference is paired) and their files.

use super::{load, manifest, out, simulate, AppError};
use crate::cli::SensitivityArgs;
use crate::engine::{PathTable, RunOutput};
use crate::report::charts::sensitivity::{self as sc_chart, Bar, SensitivityCharts};
use crate::report::charts::{palette, ChartFormat};
use crate::report::{self, sensitivity_csv as scsv, Staging};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::scenario::{self, Loaded};
use crate::sensitivity::{self as sens, Swing, TARGETS};
use crate::summary::ResultMetric;

/// Re-validate `l` with one more `--set` override; `None` if the value is out of range.
fn with_set(l: &Loaded, set: &str) -> Option<Loaded> {
    let mut raw = l.raw.clone();
    scenario::apply_set(&mut raw, set).ok()?;
    let mut s = scenario::validate(&raw, "sensitivity").ok()?;
    s.simulation = l.scenario.simulation;
    Some(Loaded {
        scenario: s,
        raw,
        files: l.files.clone(),
        bytes: l.bytes.clone(),
    })
}

/// Run `l` quietly (no progress bar) and return its output.
fn quiet_run(l: &Loaded, args: &crate::cli::SimArgs, keep: bool) -> Result<RunOutput, AppError> {
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
    let staging = Staging::new(&target)?;
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
    let bar = if args.sim.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::with_draw_target(
            Some((table.draw_names.len() + constants.len()) as u64),
            ProgressDrawTarget::stderr(),
        )
    };
    bar.set_style(
        ProgressStyle::with_template(
            "one at a time [{bar:30}] {pos}/{len} inputs  {elapsed_precise} (ETA {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
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
        match swing(&l, args, &name, "-20%/+20%", 0.8 * v, 1.2 * v)? {
            Some(s) => swings.push(s),
            None => notes.push_str(&format!(
                "{name}: +-20 % leaves its valid range; not swung\n"
            )),
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    swings.sort_by(|a, b| {
        let w = |s: &Swing| (s.mean_high[0] - s.mean_low[0]).abs();
        w(b).total_cmp(&w(a)).then(a.input.cmp(&b.input))
    });

    staging.write("sensitivity.csv", &scsv::rank_csv(&ranks))?;
    staging.write("sensitivity_by_year.csv", &scsv::by_year_csv(&years))?;
    staging.write("sensitivity_oat.csv", &scsv::oat_csv(&swings, &base_means))?;
    report::write_run_files(
        &staging,
        "base",
        &base.summary,
        &base.risk,
        None,
        &manifest(&l, &args.file, &args.sim, wall),
    )?;
    sensitivity_charts(
        &l.scenario.meta.name,
        &ranks,
        &years,
        table,
        &swings,
        &base_means,
    )
    .render(&staging.path().join("charts"), args.charts)?;
    if !args.no_xlsx {
        report::xlsx::write_plain_workbook(&staging, "")?;
    }
    let dir = staging.commit()?;
    out(&notes)?;
    out(&sensitivity_table(&l, &ranks, &swings, &base_means))?;
    out(&format!("wrote {}\n", dir.display()))
}

fn swing(
    l: &Loaded,
    args: &SensitivityArgs,
    name: &str,
    kind: &'static str,
    lo: f64,
    hi: f64,
) -> Result<Option<Swing>, AppError> {
    let (Some(a), Some(b)) = (
        with_set(l, &format!("{name}={lo}")),
        with_set(l, &format!("{name}={hi}")),
    ) else {
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
fn sensitivity_charts(
    name: &str,
    ranks: &[sens::RankRow],
    years: &[sens::YearRow],
    table: &PathTable,
    swings: &[Swing],
    base: &[f64; 6],
) -> SensitivityCharts {
    let color = |up: bool| {
        if up {
            palette::BLUE
        } else {
            palette::VERMILLION
        }
    };
    SensitivityCharts {
        name: name.to_string(),
        rank_bars: ranks
            .iter()
            .filter(|r| r.target == ResultMetric::NpvTotal)
            .map(|r| Bar {
                label: r.input.clone(),
                lo: 0.0,
                hi: r.corr.rho,
                color: color(r.corr.rho >= 0.0),
            })
            .collect(),
        swing_bars: swings
            .iter()
            .take(15)
            .map(|s| Bar {
                label: format!("{} ({})", s.input, s.kind),
                lo: s.mean_low[0] - base[0],
                hi: s.mean_high[0] - base[0],
                color: color(s.mean_high[0] >= s.mean_low[0]),
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
        "{}: mean npv_total {:.2} USD bn\n",
        l.scenario.meta.name, base[0]
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
                "{:<34}{:>10.3}    [{:>6.3}, {:>6.3}]\n",
                r.input, r.corr.rho, r.corr.lo, r.corr.hi
            ));
        }
    }
    t.push_str(&format!(
        "{:<34}{:>12}{:>12}{:>12}\n",
        "one at a time (npv_total)", "kind", "low", "high"
    ));
    for s in swings.iter().take(12) {
        t.push_str(&format!(
            "{:<34}{:>12}{:>+12.2}{:>+12.2}\n",
            s.input,
            s.kind,
            s.mean_low[0] - base[0],
            s.mean_high[0] - base[0]
        ));
    }
    t
}

/// `run --attribute channel`: every path again with the channel off (ceiling 0), paired.
pub fn attribute_channel(
    l: &Loaded,
    sim: &crate::cli::SimArgs,
    with: &PathTable,
    staging: &Staging,
    format: ChartFormat,
) -> Result<Vec<sens::AttributionRow>, AppError> {
    let off = with_set(l, "channel.ceiling=0.0").ok_or_else(|| {
        AppError::Usage(
            "cannot switch the channel off (channel.ceiling = 0 fails validation)".into(),
        )
    })?;
    let without = quiet_run(&off, sim, true)?;
    let without = without
        .paths
        .as_ref()
        .ok_or_else(|| AppError::Runtime(anyhow::anyhow!("no per-path table")))?;
    let rows = sens::attribution(with, without);
    staging.write("attribution.csv", &scsv::attribution_csv(&rows))?;
    if format != ChartFormat::None {
        let m = &l.scenario.meta;
        let title = format!(
            "{}: what the {} channel adds and takes (mean NPV, paired)",
            m.name, m.channel
        );
        let total = rows.last().copied();
        let steps: Vec<(String, f64)> = rows[..rows.len() - 1]
            .iter()
            .map(|r| {
                (
                    r.component
                        .name()
                        .trim_start_matches("npv_")
                        .replace('_', " "),
                    r.mean_delta,
                )
            })
            .collect();
        if let Some(t) = total {
            let start = (format!("without {}", m.channel), t.mean_without);
            let end = (format!("with {}", m.channel), t.mean_with);
            sc_chart::render_waterfall(
                &staging.path().join("charts"),
                format,
                &title,
                start,
                &steps,
                end,
            )?;
        }
    }
    Ok(rows)
}
