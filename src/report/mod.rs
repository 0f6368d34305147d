//! Exporters: CSV bytes, charts and the run manifest, written by one thin manager into a
//! staging folder that replaces the output folder only when complete, and only if
//! dealsim wrote that folder ([`output`]).

pub mod attribution_csv;
pub mod charts;
pub mod compare_csv;
pub mod csv;
pub mod html;
pub mod input_corr_csv;
pub mod manifest;
pub mod output;
pub mod precision;
pub mod risk_csv;
pub mod sensitivity_csv;
pub mod xlsx;

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::engine::PathTable;
use crate::risk::RiskSummary;
use crate::summary::RunSummary;
pub use manifest::{Manifest, Stopping, TargetSe};
pub use output::{Outputs, Staging};

/// Write the files of one run into folder `sub` of `out` (not yet in place).
pub fn write_run_files(
    out: &mut Outputs,
    sub: &str,
    summary: &RunSummary,
    risk: &RiskSummary,
    paths: Option<&PathTable>,
    manifest: &Manifest,
) -> Result<()> {
    let f = |name: &str| {
        if sub.is_empty() {
            name.to_string()
        } else {
            format!("{sub}/{name}")
        }
    };
    out.write(
        &f("summary.csv"),
        &csv::summary_csv_with_intervals(summary, risk),
    )?;
    out.write(&f("timeseries.csv"), &csv::timeseries_csv(summary))?;
    out.write(&f("cashflows.csv"), &csv::cashflows_csv(summary))?;
    out.write(&f("cap_hits.csv"), &csv::cap_hits_csv(summary))?;
    out.write(&f("risk.csv"), &risk_csv::risk_csv(risk))?;
    out.write(&f("convergence.csv"), &risk_csv::convergence_csv(risk))?;
    if let Some(t) = paths {
        out.write(&f("paths.csv"), &csv::paths_csv(t))?;
    }
    out.write(&f("run.json"), &manifest.to_json())?;
    Ok(())
}

/// A scenario file's name without `.toml` (`stdin` for `-`): names its output folders.
pub fn scenario_stem(scenario_file: &Path) -> String {
    match scenario_file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
    {
        Some(stem) if stem != "-" => stem,
        _ => String::from("stdin"),
    }
}

/// The default output folder of a scenario file: `output/<stem>/`, the stem made safe
/// for the file system (a file named `...toml` must not name `output/..`).
pub fn default_out_dir(scenario_file: &Path) -> PathBuf {
    default_out_dir_with(scenario_file, &[])
}

/// The default output folder of a scenario file run with `--set` edits: the plain run's
/// folder name plus a suffix naming the edits (see [`output::names::overrides_suffix`]),
/// so an edited run never replaces the plain run's results.
pub fn default_out_dir_with(scenario_file: &Path, sets: &[String]) -> PathBuf {
    let stem = scenario_stem(scenario_file);
    let name = match output::names::overrides_suffix(sets) {
        Some(suffix) => format!("{stem}-{suffix}"),
        None => stem,
    };
    PathBuf::from("output").join(output::names::safe_name(&name))
}
