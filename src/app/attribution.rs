//! `run --attribute channel`: every path again with the channel off (ceiling 0) on the
//! base run's seed and paths, the paired differences ([`crate::attribution`]) saved as
//! attribution.csv and a waterfall chart.

use super::sensitivity::{quiet_run, with_value};
use super::AppError;
use crate::attribution::{self, AttributionRow};
use crate::cli::SimArgs;
use crate::engine::PathTable;
use crate::report::attribution_csv::attribution_csv;
use crate::report::charts::sensitivity::render_waterfall;
use crate::report::charts::ChartFormat;
use crate::report::Outputs;
use crate::scenario::{InputId, Loaded};

/// Runs `l` without its channel, compares path by path with `with` (the run with it)
/// and writes attribution.csv and `charts/attribution_waterfall.*` into `outputs`.
pub fn attribute_channel(
    l: &Loaded,
    sim: &SimArgs,
    with: &PathTable,
    outputs: &mut Outputs,
    format: ChartFormat,
) -> Result<Vec<AttributionRow>, AppError> {
    let off = with_value(l, InputId::ChannelCeiling.key(), 0.0).ok_or_else(|| {
        AppError::Usage(
            "cannot switch the channel off (channel.ceiling = 0 fails validation)".into(),
        )
    })?;
    let without = quiet_run(&off, sim, true)?;
    let without = without
        .paths
        .as_ref()
        .ok_or_else(|| AppError::Runtime(anyhow::anyhow!("no per-path table")))?;
    let rows = attribution::attribution(with, without);
    outputs.write("attribution.csv", &attribution_csv(&rows))?;
    if let Some(t) = rows.last() {
        let m = &l.scenario.meta;
        let title = format!(
            "{}: what the {} channel adds and takes (mean NPV, paired)",
            m.name, m.channel
        );
        let start = (format!("without {}", m.channel), t.mean_without);
        let end = (format!("with {}", m.channel), t.mean_with);
        let steps = attribution::waterfall_steps(&rows);
        let files = render_waterfall(format, &title, start, &steps, end)?;
        outputs.charts("", files)?;
    }
    Ok(rows)
}
