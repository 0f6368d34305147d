//! Shards of one run: paths cut into contiguous ranges that line up with the engine's
//! fixed `CHUNK`s, each simulated on its own (another process or machine), then merged
//! into the summary a single run would have produced, bit for bit.
//!
//! Why this is exact: path i depends only on (seed, i); per-period sums are kept per
//! chunk and a merge reduces the same chunk partials in the same order as a single run;
//! per-path results and per-period values are kept whole, so the merge computes moments
//! and exact type-7 percentiles over the same values in the same path order. The part
//! file format that carries these lives with the plans (`crate::sweep::part`).

use super::{aggregate, EngineError, PathBlock, PeriodAccumulator, RunOptions, CHUNK};
use crate::model::Model;
use crate::risk::RiskSummary;
use crate::scenario::Scenario;
use crate::summary::{ResultMetric, RunSummary, SeriesMetric};

/// The path ranges `(first, count)` of `shards` shards of a `paths`-path run: whole
/// chunks, as even as chunks allow, the last one taking the partial chunk.
pub fn ranges(paths: u64, shards: usize) -> Result<Vec<(u64, u64)>, String> {
    let chunks = paths.div_ceil(CHUNK as u64);
    if shards == 0 {
        return Err("must be at least 1".into());
    }
    if shards as u64 > chunks {
        return Err(format!(
            "{shards} shards of {paths} paths: a shard holds whole blocks of {CHUNK} paths, \
             so at most {chunks} shard{} here",
            if chunks == 1 { "" } else { "s" }
        ));
    }
    let s = shards as u64;
    Ok((0..s)
        .map(|k| {
            let c0 = chunks * k / s;
            let c1 = chunks * (k + 1) / s;
            let first = c0 * CHUNK as u64;
            let end = (c1 * CHUNK as u64).min(paths);
            (first, end - first)
        })
        .collect())
}

/// What a shard keeps besides its per-period data: each result of every path (in
/// `ResultMetric::ALL` order, path order), each path's cap-hit year and its
/// renegotiation year.
pub struct ShardResults {
    pub columns: Vec<Vec<f64>>,
    pub cap_years: Vec<Option<i32>>,
    pub renegotiation_years: Vec<Option<i32>>,
}

/// Simulate paths `first..first+count` of the run of `sc` (`sc.simulation.paths` is the
/// whole run's count; `first` must be a multiple of `CHUNK`). After each period,
/// `on_period` gets the shard's chunk partials (in chunk order) and its eight value
/// buffers (path order), to store.
pub fn run_shard(
    sc: &Scenario,
    opts: &RunOptions,
    first: u64,
    count: u64,
    mut on_period: impl FnMut(&[PeriodAccumulator], &[Vec<f64>]) -> Result<(), EngineError> + Send,
) -> Result<ShardResults, EngineError> {
    if count == 0 {
        return Err(EngineError::NoPaths);
    }
    debug_assert_eq!(first % CHUNK as u64, 0, "shards start on a chunk boundary");
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()?;
    pool.install(|| {
        let model = Model::new(sc);
        let mut block = PathBlock::new(sc, &model, opts, first, count as usize, None)?;
        block.advance(&model, opts, |_, partials, buffers| {
            on_period(partials, buffers)
        })?;
        Ok(ShardResults {
            columns: ResultMetric::ALL
                .iter()
                .map(|&m| block.column(&model, m))
                .collect(),
            cap_years: block.cap_years(),
            renegotiation_years: block.renegotiation_years(),
        })
    })
}

/// Rebuild the whole run's summary and risk answers from its shards.
/// `read_period(k, partials, buffers)` fills period k's chunk partials of every shard (in
/// chunk order) and its value buffers (all paths, path order); `column(m)` gives result m
/// of every path; `cap_years` and `renegotiation_years` every path's years. The same
/// guards as a single run apply, so a merge fails exactly where the run would have.
/// Memory: the value buffers of one period plus one column.
pub fn merge<E: From<EngineError>>(
    sc: &Scenario,
    opts: &RunOptions,
    mut read_period: impl FnMut(usize, &mut Vec<PeriodAccumulator>, &mut [Vec<f64>]) -> Result<(), E>,
    column: &(dyn Fn(ResultMetric) -> Vec<f64> + Sync),
    cap_years: &[Option<i32>],
    renegotiation_years: &[Option<i32>],
) -> Result<(RunSummary, RiskSummary), E> {
    let model = Model::new(sc);
    let n = sc.simulation.paths as usize;
    let seed = sc.simulation.seed;
    let mut buffers: Vec<Vec<f64>> = vec![vec![0.0; n]; SeriesMetric::ALL.len()];
    let mut partials = Vec::with_capacity(n.div_ceil(CHUNK));
    let mut periods = Vec::with_capacity(model.grid.len());
    for (k, per) in model.grid.periods.iter().enumerate() {
        partials.clear();
        read_period(k, &mut partials, &mut buffers)?;
        let summary = super::checked_period(sc, seed, per, &partials, &mut buffers, n)?;
        periods.push(summary);
    }
    drop(buffers);
    aggregate::run_summary(
        sc,
        &model,
        opts,
        &[],
        column,
        &aggregate::YearCounts::of(&model, cap_years, renegotiation_years),
        periods,
    )
    .map_err(|stop| super::summary_error(sc, seed, stop).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_the_run_in_whole_chunks() {
        let c = CHUNK as u64;
        assert_eq!(ranges(10, 1).unwrap(), vec![(0, 10)]);
        // 4 chunks (the last partial): 2 + 2.
        assert_eq!(
            ranges(3 * c + 5, 2).unwrap(),
            vec![(0, 2 * c), (2 * c, c + 5)]
        );
        let r = ranges(100 * c + 1, 7).unwrap();
        assert_eq!(r.len(), 7);
        let mut next = 0;
        for &(first, count) in &r {
            assert_eq!(first, next);
            assert_eq!(first % c, 0);
            assert!(count > 0);
            next = first + count;
        }
        assert_eq!(next, 100 * c + 1);
        assert!(ranges(c, 2).unwrap_err().contains("at most 1 shard "));
        assert!(ranges(5, 0).is_err());
    }
}
