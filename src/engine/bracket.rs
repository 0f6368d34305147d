//! Exact order statistics of value streams in memory that does not grow with the number
//! of values, by bracketing (issue 15). Built for a path-major engine that cannot keep a
//! column of every path's value per metric and period, but can re-simulate the same paths
//! (counter-based streams) as many times as it likes.
//!
//! # Protocol
//!
//! A [`Plan`] holds many independent *columns* (a metric in a period, or a per-path
//! result), each with `n` values and a sorted set of wanted 0-based ranks (type 7 needs
//! `⌊h⌋` and `⌊h⌋ + 1`; interval bounds and the npv grid are more ranks).
//!
//! 1. **Pilot.** The caller gives each column's values of a few thousand paths (any
//!    paths, e.g. the first ones). Each wanted rank `r` (probability `p = r / (n − 1)`)
//!    gets the pilot's order statistics at `p·n_p ± (z·√(n_p p (1 − p)) + margin)` as a
//!    value bracket; overlapping brackets of a column merge into one *window* of `B`
//!    bins. If the pilot *is* the whole column (`n ≤` pilot size), the column is answered
//!    from it at once, exactly, and takes no part in any pass.
//! 2. **Count pass.** Every value goes to one *cell*: a bin of a window, or the gap
//!    between two windows. Cells hold integer counts (merged by addition, so the result is
//!    independent of workers, chunking and order), and each column its min and max.
//! 3. **Locate.** Cumulative counts give each rank's cell and the number of values
//!    before it; the cell's exact key range (see [`order_key`]) follows from the window's
//!    monotone bin map. A cell that holds a single distinct key resolves its rank at once
//!    (ties, constant columns, the min and the max). A cell with at most `cap` values is
//!    *collected*. A larger cell (a rank outside its bracket: bad pilot, heavy tail, or a
//!    tie run that is not alone in its bin) gets a **refinement count pass** over just that
//!    cell's key range with key-space bins (and per-bin min/max), which shrinks the range
//!    `B`-fold per pass, so it ends in at most `⌈64 / log2 B⌉` passes, usually one.
//! 4. **Collect pass.** Values whose key falls in a located cell are kept, then the rank
//!    is selected exactly among them. Expected-shortfall sums are accumulated in the same
//!    pass (below).
//!
//! # One pass (`Options::keep > 0`)
//!
//! The first count pass can also *keep* values, so that in the common case the collect
//! pass (a second simulation of every path) is not needed. Each worker keeps, per
//! column, the values whose key lies in a *keep range* around each wanted rank's running
//! estimate: for `p = r / (n − 1)` and the `m` values of the column the worker has seen,
//! the bins of the pilot windows holding the worker's local ranks
//! `p·m ± (keep·√(m p (1 − p)(1 − m/n)) + 8)` (from its own counts; `1 − m/n` the
//! finite-population correction: its first `m` values are a random `m` of the `n`), overlapping ranges merged. The
//! first 1024 values of a column are all kept; the ranges are then re-derived each time
//! `m` grows by a quarter, so they narrow like `1/√m` as a fraction. A gap between windows
//! (or a tail beyond them) is kept whole only while it holds at most 4096 of the worker's
//! values, so the extreme ranks (min, max) work too.
//!
//! At [`Plan::finish`] of that pass every rank is located as usual; a rank whose cell
//! `a..=z` would be collected is answered at once if the kept values with keys in `a..=z`
//! (all workers merged) number exactly the cell's merged count. Kept values are a
//! sub-multiset of the column's values, so equal counts mean the kept ones *are* the
//! cell's values, and the selection is the same as the collect pass's. Which values are
//! kept depends on the workers, chunking and order; the answer does not (a cell is
//! answered from the same multiset, or not at all, and then by the collect pass). Sorted
//! input (a running estimate that is biased all along), an unrepresentative pilot, or a
//! rank that needs a refinement pass fail the test and take the usual passes; so do
//! columns with ES ranks (the collect pass gives their sums).
//!
//! When the ranges narrow, kept values outside them are dropped (once the kept set has
//! doubled since the last pruning), so a worker holds about one set of current ranges'
//! worth, at most twice that, rather than the sum of all earlier, wider ones. Keys of
//! one-key windows (atoms: a cap, a zero payment) are never kept: a rank there resolves
//! from the counts, and a tie run holding most of a column would exhaust its budget. The
//! keep test compares values with the ranges' f64 bounds, which may keep a signed zero
//! more than the key ranges say; any extra kept value is harmless (the test above counts
//! kept values by key).
//!
//! Memory of keeping, per worker and column: a range keeps the fraction
//! `2·keep·√(p(1 − p)/m)` of the values arriving at `m`, so a randomly ordered column
//! keeps about `1024 + Σ_ranges 4·keep·√(p(1 − p)·n)` values (a little more: ranges are
//! whole bins, and a range set at `m` serves until `1.25·m`): `c·√n` per window with
//! `c ≈ 2·keep = 12` at `p = 0.5`, `keep = 6` (p5…p95, 5 ranges: ~43·√n predicted,
//! ~51·√n measured at n = 1M, see BENCHMARKS.md). It is capped at `1024 + R·(2·keep·√n + 64)` values for `R` ranks: a
//! column that would keep more (sorted input keeps nearly every value) stops keeping and
//! falls back.
//!
//! Every answer is the exact order statistic of the full sort by `f64::total_cmp` (so
//! `-0.0 < 0.0`); no value may be NaN. ±∞ and ±huge values are fine.
//!
//! # Expected shortfall
//!
//! For a rank `r` flagged `es`, [`Plan::sum_le`] gives the exact sum and count of the
//! values `≤ t` for any `t` between the order statistics `r` and `r + 1` (type 7's VaR).
//! The collect pass accumulates the values below `r`'s cell in exact integer
//! accumulators ([`ExactSum`]: a 32-bit-limb fixed-point integer spanning the whole f64
//! range, rounded to f64 once at the end), so the sum does not depend on the order of
//! addition, the workers or the chunking; the cells of `r` and `r + 1` are collected
//! anyway and the values in them `≤ t` are added the same way. (`≤` is f64's, as in
//! `engine::tail::shortfall`; the only difference from a total order is `-0.0 == 0.0`,
//! which can change a count only when VaR is a signed zero that sits between `r` and
//! `r + 1`'s cells.)
//!
//! # Memory (independent of n)
//!
//! Per worker in a count pass: `5 · Σ_col (W_col · (B + 1) + 1)` bytes of counts (`u32`,
//! and the slice path's `u8` bin counts) (8 bytes a cell again for the `u64` copy made
//! when the worker's tally is detached) plus `24` bytes per column (min, max, count),
//! `W_col` the merged windows of a column. For 360 columns × 5 windows × `B = 1024`:
//! 9.2 MB. Per worker in a collect pass: the located
//! cells' counts of `f64`s (reserved from the merged counts, so no allocation per value),
//! plus 600 bytes per ES rank.
//!
//! # Feeding values
//!
//! [`Tally::push`] takes one value; [`Tally::push_slice`] a block of one column's values
//! (e.g. 512 paths of one metric in one period), which keeps the column's windows and
//! counts in cache and is several times cheaper per value (see `examples/bracket_cost.rs`
//! and BENCHMARKS.md). Values the pilot holds more than once (a cap, a 0/1 flag, a year)
//! get one-key windows of their own, so a rank inside a tie run resolves in the first pass.
//!
//! A slice of at least 8 values (`FAST_MIN`) takes the *slice paths*, which give exactly the
//! data of one `push` per value (tested on adversarial slices):
//! - count pass ([`FastCount`], up to 16 windows; more take the per-value path): each
//!   value's cell *code* `Σ_j (v ≥ lo_j) + (v > hi_j)` by f64 compares against the
//!   column's window ends, vectorised across values (the compares agree with the key order
//!   but for signed zeros, whose exact codes are precomputed); gap cells (most values) are
//!   tallied from the codes, and only values inside a window get a bin, counted in `u8`
//!   cells that carry into the `u32` ones (a quarter of the cache footprint). On x86-64 with
//!   AVX2 the same source runs as an AVX2 build (runtime check), else as SSE2;
//! - collect pass ([`FastCollect`], up to 8 targets): an f64 prefilter over groups of 16
//!   values that lets through every value the exact key test keeps (and, for signed
//!   zeros, perhaps a few more); a group with a candidate takes the exact test.
//!
//! Collected values: a window covers about `w = 2(z·√(p(1 − p)/n_p) + margin/n_p)` of the
//! probability, so one bin holds about `n·w / B` values. With `z = 5`, `n_p = 4096`,
//! `p = 0.5`: `w ≈ 0.079`; at `n = 10M` and `B = 1024` a bin holds ~770 values (6 KB), and
//! 360 columns × ~10 ranks collect at most ~2.8M values, 22 MB, in the worst (median)
//! case; tails (`p = 0.05`: `w ≈ 0.035`) hold less. At `n = 1M` it is ten times less. The
//! bin that holds a wanted rank is at most `cap` values or it is refined, so the collected
//! set is also bounded by `cap` per rank whatever the pilot. A bracket misses (needs a
//! refinement pass) with probability about `2·Φ(−z) ≈ 6·10⁻⁷` per rank with a
//! representative pilot, more for ranks so far in a tail that the pilot clamps at its
//! min or max (`(1 − p)^{n_p}`: e.g. `p = 0.001` at `n_p = 4096`, ~2 %).

use super::stats::{from_order_key, order_key};

/// Tuning of a [`Plan`].
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Bins per window (pilot windows and refinement windows).
    pub bins: usize,
    /// Half-width of a pilot bracket in binomial standard errors of the pilot's rank.
    pub z: f64,
    /// Extra pilot ranks on each side of a bracket (ties, tiny pilots).
    pub margin: f64,
    /// Largest located cell that is collected; a larger one is refined by another count
    /// pass (unless it holds one distinct value).
    pub cap: u64,
    /// One-pass keeping (see "One pass"): half-width of each rank's keep range in
    /// binomial standard errors of the worker's running rank estimate; `0.0` turns it
    /// off (then every collected rank takes the collect pass).
    pub keep: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            bins: 1024,
            z: 5.0,
            margin: 2.0,
            cap: 1 << 16,
            keep: 0.0,
        }
    }
}

/// One column's request: its number of values, wanted ranks, and which of them want
/// expected-shortfall sums ([`Plan::sum_le`]).
#[derive(Clone, Debug)]
pub struct Column {
    pub n: u64,
    pub ranks: Vec<u64>,
    pub es: Vec<u64>,
}

/// What the next pass over all values is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
    Count,
    Collect,
    Done,
}

/// A monotone map from a value in a window to its bin.
#[derive(Clone, Copy, Debug)]
enum Map {
    /// `⌊(v − lo) · inv⌋`: bins even in value (pilot windows with finite ends).
    Linear { lo: f64, inv: f64 },
    /// `(key − lo_k) >> shift`: bins even in key space (refinements; infinite ends).
    Radix { shift: u32 },
}

/// A window: the keys `lo_k..=hi_k` split into `bins` cells.
#[derive(Clone, Copy, Debug)]
struct Window {
    lo_k: u64,
    hi_k: u64,
    map: Map,
    bins: usize,
    /// Offset of bin 0 in the pass's count array.
    off: usize,
    /// Offset of this window's per-bin (min, max) keys, refinement windows only.
    minmax: Option<usize>,
}

impl Window {
    fn new(lo_k: u64, hi_k: u64, bins: usize, linear: bool) -> Window {
        let (lo, hi) = (from_order_key(lo_k), from_order_key(hi_k));
        let width = hi - lo;
        let inv = bins as f64 / width;
        let map = if linear && width.is_finite() && width > 0.0 && inv.is_finite() {
            Map::Linear { lo, inv }
        } else {
            let span = hi_k - lo_k;
            let bits = 64 - span.leading_zeros();
            let want = usize::BITS - 1 - bins.max(1).leading_zeros(); // ⌊log2 bins⌋
            Map::Radix {
                shift: bits.saturating_sub(want),
            }
        };
        let bins = match map {
            Map::Linear { .. } => bins,
            Map::Radix { shift } => ((hi_k - lo_k) >> shift) as usize + 1,
        };
        Window {
            lo_k,
            hi_k,
            map,
            bins,
            off: 0,
            minmax: None,
        }
    }

    /// The bin of a value `v` with key `k` inside the window: non-decreasing in `k`.
    #[inline(always)]
    fn bin(&self, v: f64, k: u64) -> usize {
        match self.map {
            // (v − lo) ≥ 0 and rounding, the product and the saturating cast are all
            // monotone, so the map is too; the same expression runs in every pass.
            Map::Linear { lo, inv } => (((v - lo) * inv) as usize).min(self.bins - 1),
            Map::Radix { shift } => ((k - self.lo_k) >> shift) as usize,
        }
    }

    /// The first key of the window whose bin is at least `b` (`None`: no such key).
    fn first_key_of(&self, b: usize) -> Option<u64> {
        let at = |k: u64| self.bin(from_order_key(k), k);
        if at(self.hi_k) < b {
            return None;
        }
        let (mut lo, mut hi) = (self.lo_k, self.hi_k);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if at(mid) >= b {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        Some(lo)
    }

    /// The exact key range of bin `b` (all keys the map sends there).
    fn bin_keys(&self, b: usize) -> (u64, u64) {
        let a = self.first_key_of(b).unwrap_or(self.hi_k);
        let z = match self.first_key_of(b + 1) {
            Some(k) => k - 1,
            None => self.hi_k,
        };
        (a, z)
    }
}

/// Where a wanted rank stands.
#[derive(Clone, Copy, Debug)]
enum State {
    /// Awaiting a count pass over the column's windows; `before`: values with keys below
    /// `lo_k` of the window the rank is in (pilot windows: found by the pass itself).
    Count,
    /// Awaiting a refinement count pass over the keys `a..=z`, with `before` values below.
    Refine { a: u64, z: u64, before: u64 },
    /// Awaiting the collect pass: keys `a..=z` hold `count` values, `before` below.
    Collect {
        a: u64,
        z: u64,
        before: u64,
        count: u64,
    },
    /// Exact value; `a..=z`, `before`, `count` as in `Collect` for the ES sums.
    Done {
        value: f64,
        a: u64,
        z: u64,
        before: u64,
        count: u64,
    },
}

/// Per column: its request, windows of the current count pass, rank states, ES results.
#[derive(Clone, Debug)]
struct Col {
    n: u64,
    ranks: Vec<u64>,
    es: Vec<u64>,
    state: Vec<State>,
    /// The current count pass's windows, sorted and disjoint; gaps between them.
    windows: Vec<Window>,
    /// Offset of gap 0 in the pass's count array (gap g: before window g; gap W: after).
    gap_off: usize,
    /// The whole column, when the pilot was all of it (then no pass touches it).
    all: Option<Vec<f64>>,
    /// Collected values per collect target (key ranges of `Collect` ranks, deduplicated).
    targets: Vec<(u64, u64)>,
    collected: Vec<Vec<f64>>,
    /// Sorted cell starts of the ES ranks, and the exact sums of values below each.
    es_starts: Vec<u64>,
    es_below: Vec<ExactSum>,
    /// Refinement count passes this column took part in (diagnostics).
    refinements: usize,
    /// Values kept by the first count pass (one-pass keeping), and how many ranks were
    /// answered from them (diagnostics).
    kept: usize,
    one_pass: usize,
}

/// The per-value part of a column, small and flat so a push touches few cache lines:
/// its windows `first..first + nw` in [`Plan::hi`] / [`Plan::win`] (plus a sentinel window
/// at `first + nw` that no key reaches), gap 0's count offset, its collect targets
/// `t_first..t_first + nt` in [`Plan::tk`], its ES starts `e_first..e_first + ne`.
#[derive(Clone, Copy, Debug, Default)]
struct Hot {
    first: usize,
    nw: usize,
    gap_off: usize,
    t_first: usize,
    nt: usize,
    e_first: usize,
    ne: usize,
}

/// A window's per-value data (see [`Window`]); `radix` selects the map.
#[derive(Clone, Copy, Debug)]
struct HotWin {
    lo_k: u64,
    lo: f64,
    inv: f64,
    off: usize,
    last: usize,
    shift: u32,
    radix: bool,
    /// Offset of the per-bin min/max keys, or `usize::MAX` (pilot windows).
    minmax: usize,
}

impl HotWin {
    /// A window no key reaches (`lo_k` above every non-NaN key).
    const SENTINEL: HotWin = HotWin {
        lo_k: u64::MAX,
        lo: 0.0,
        inv: 0.0,
        off: 0,
        last: 0,
        shift: 0,
        radix: true,
        minmax: usize::MAX,
    };

    fn of(w: &Window) -> HotWin {
        let (lo, inv, shift, radix) = match w.map {
            Map::Linear { lo, inv } => (lo, inv, 0, false),
            Map::Radix { shift } => (0.0, 0.0, shift, true),
        };
        HotWin {
            lo_k: w.lo_k,
            lo,
            inv,
            off: w.off,
            last: w.bins - 1,
            shift,
            radix,
            minmax: w.minmax.unwrap_or(usize::MAX),
        }
    }

    /// The same map as [`Window::bin`], clamped so a key outside the window gives some
    /// bin (unused) instead of overflowing.
    #[inline(always)]
    fn bin(&self, v: f64, k: u64) -> usize {
        let b = if self.radix {
            (k.wrapping_sub(self.lo_k) >> self.shift) as usize
        } else {
            ((v - self.lo) * self.inv) as usize
        };
        b.min(self.last)
    }

    /// [`HotWin::bin`] of a value inside the window (`lo_k ≤ k ≤` the window's last key),
    /// the same bin: a linear window has finite ends, so `v − lo` is in `0..=hi − lo` and
    /// the product in `0..≈bins`, where the cast through `i64` truncates exactly as the
    /// saturating one (and is cheaper).
    #[inline(always)]
    fn bin_inside(&self, v: f64, k: u64) -> usize {
        let b = if self.radix {
            (k.wrapping_sub(self.lo_k) >> self.shift) as usize
        } else {
            let x = (v - self.lo) * self.inv;
            debug_assert!((0.0..4.0 * (self.last as f64 + 1.0)).contains(&x));
            x as i64 as usize
        };
        debug_assert_eq!(b.min(self.last), self.bin(v, k));
        b.min(self.last)
    }
}

/// The plan: all columns, and what the next pass is.
#[derive(Clone, Debug)]
pub struct Plan {
    opts: Options,
    cols: Vec<Col>,
    pass: Pass,
    /// Size of a count pass's count array.
    cells: usize,
    /// Size of a count pass's per-bin min/max array (refinement windows).
    minmax: usize,
    /// Count passes done (pilot pass included).
    pub count_passes: usize,
    /// Per column, the per-value layout of the current pass.
    hot: Vec<Hot>,
    /// Windows' last keys (scanned per value) and per-value data, with sentinels.
    hi: Vec<u64>,
    win: Vec<HotWin>,
    /// Collect targets' key ranges and ES starts, all columns.
    tk: Vec<(u64, u64)>,
    es: Vec<u64>,
    /// Per column, the f64 form of its windows (count pass) or targets (collect pass) for
    /// the slice path ([`FastCount`], [`FastCollect`]); `None`: the per-value path only.
    fast_count: Vec<Option<FastCount>>,
    fast_collect: Vec<Option<FastCollect>>,
    /// Gap cells of the slice path's columns ([`FastCount::gap_first`]).
    fast_gaps: usize,
}

impl Plan {
    /// A plan for `columns`, with `pilots[c]` some of column `c`'s values (all of them if
    /// `pilots[c].len() >= n`; then `pilots[c].len()` must equal `n`).
    pub fn new(columns: &[Column], pilots: &[Vec<f64>], opts: Options) -> Plan {
        assert_eq!(columns.len(), pilots.len(), "one pilot per column");
        assert!(opts.bins >= 2 && opts.cap >= 1);
        let cols = columns
            .iter()
            .zip(pilots)
            .map(|(c, p)| Col::new(c, p, &opts))
            .collect();
        let mut plan = Plan {
            opts,
            cols,
            pass: Pass::Count,
            cells: 0,
            minmax: 0,
            count_passes: 0,
            hot: Vec::new(),
            hi: Vec::new(),
            win: Vec::new(),
            tk: Vec::new(),
            es: Vec::new(),
            fast_count: Vec::new(),
            fast_collect: Vec::new(),
            fast_gaps: 0,
        };
        plan.lay_out();
        plan
    }

    /// The next pass the caller must run (every value of every column through a
    /// [`Tally`] from [`Plan::tally`], then [`Plan::finish`]).
    pub fn pass(&self) -> Pass {
        self.pass
    }

    /// An empty tally for one worker of the current pass.
    pub fn tally(&self) -> Tally<'_> {
        match self.pass {
            Pass::Count => Tally::count(self),
            Pass::Collect => Tally::collect(self),
            Pass::Done => panic!("no pass left"),
        }
    }

    /// Take the merged tally of the pass (all values of every column) and move on.
    pub fn finish(&mut self, t: TallyData) {
        match (self.pass, t) {
            (Pass::Count, TallyData::Count(mut c)) => {
                self.count_passes += 1;
                self.locate(&c);
                self.answer_kept(&mut c);
            }
            (Pass::Collect, TallyData::Collect(c)) => self.select(c),
            _ => panic!("tally of another pass"),
        }
        self.lay_out();
    }

    /// The exact order statistic of wanted rank `rank` of column `col` (after `Done`).
    pub fn value(&self, col: usize, rank: u64) -> f64 {
        let c = &self.cols[col];
        let i = c.ranks.binary_search(&rank).expect("a wanted rank");
        match c.state[i] {
            State::Done { value, .. } => value,
            _ => panic!("rank not resolved yet"),
        }
    }

    /// Exact sum (rounded once) and count of column `col`'s values `≤ t`, for an ES rank
    /// `r` and `t` between the order statistics `r` and `r + 1` (`r` alone if it is the
    /// last); `None` if `t` is outside them.
    pub fn sum_le(&self, col: usize, r: u64, t: f64) -> Option<(f64, u64)> {
        let c = &self.cols[col];
        if let Some(all) = &c.all {
            return Some(sum_le_of(all.iter().copied(), t));
        }
        c.es.binary_search(&r).expect("an ES rank");
        let x_r = self.value(col, r);
        let x_next = if r + 1 < c.n {
            self.value(col, r + 1)
        } else {
            x_r
        };
        if !(t >= x_r && t <= x_next) {
            return None;
        }
        let cell = |rank: u64| match c.state[c.ranks.binary_search(&rank).unwrap()] {
            State::Done {
                a,
                z,
                count,
                value,
                before,
            } => (a, z, count, value, before),
            _ => unreachable!(),
        };
        let (a0, _, _, _, before0) = cell(r);
        // Below r's cell: the accumulated sums (one accumulator per interval between
        // consecutive ES starts, so each value was added once).
        let j = c.es_starts.partition_point(|&s| s <= a0);
        let mut sum = ExactSum::default();
        for acc in &c.es_below[..j] {
            sum.merge(acc);
        }
        let mut count = before0;
        // r's cell, and r + 1's if it is another one: collected values or one tie run.
        let mut cells = vec![cell(r)];
        if r + 1 < c.n && cell(r + 1).0 != a0 {
            cells.push(cell(r + 1));
        }
        for (a, z, n_in, value, _) in cells {
            if a == z {
                if value <= t {
                    sum.add_times(value, n_in);
                    count += n_in;
                }
            } else {
                let ti = c.targets.iter().position(|&x| x == (a, z)).unwrap();
                for &v in &c.collected[ti] {
                    if v <= t {
                        sum.add(v);
                        count += 1;
                    }
                }
            }
        }
        Some((sum.to_f64(), count))
    }

    /// Per column, the refinement count passes it took part in (a bracket missed, or a
    /// located cell held more than `cap` values of several distinct keys).
    pub fn refinements(&self) -> Vec<usize> {
        self.cols.iter().map(|c| c.refinements).collect()
    }

    /// Values kept by the collect pass, all columns (the memory that scales with n·w/B).
    pub fn collected_len(&self) -> usize {
        self.cols
            .iter()
            .flat_map(|c| &c.collected)
            .map(Vec::len)
            .sum()
    }

    /// Values kept by the one-pass count pass, all columns (diagnostics).
    pub fn kept_len(&self) -> usize {
        self.cols.iter().map(|c| c.kept).sum()
    }

    /// Per column, the ranks answered from kept values (no collect pass needed for them).
    pub fn one_pass_ranks(&self) -> Vec<usize> {
        self.cols.iter().map(|c| c.one_pass).collect()
    }

    /// After the first count pass: answer each `Collect` rank whose cell was kept whole.
    /// Kept values are a sub-multiset of the column's values, so if the kept values with
    /// keys in the cell `a..=z` number exactly the merged count of the cell, they *are*
    /// the cell's values, and the rank is selected among them exactly as the collect pass
    /// would. Which values were kept depends on the chunking; this test and the answer
    /// do not (a cell is answered from the same multiset or not at all).
    fn answer_kept(&mut self, t: &mut CountData) {
        if t.kept.is_empty() {
            return;
        }
        for (ci, c) in self.cols.iter_mut().enumerate() {
            // This column's kept values of every worker, gathered only now: one column
            // at a time is all the extra memory the merge takes.
            let mut kept = std::mem::take(&mut t.kept[ci]);
            kept.reserve_exact(t.others.iter().map(|o| o[ci].len()).sum());
            for o in &mut t.others {
                kept.extend(std::mem::take(&mut o[ci]));
            }
            c.kept = kept.len();
            // ES columns need the sums below the cell: the collect pass gives them.
            if kept.is_empty() || !c.es.is_empty() {
                continue;
            }
            kept.sort_unstable_by(f64::total_cmp);
            for i in 0..c.ranks.len() {
                if let State::Collect {
                    a,
                    z,
                    before,
                    count,
                } = c.state[i]
                {
                    let from = kept.partition_point(|&v| order_key(v) < a);
                    let to = kept.partition_point(|&v| order_key(v) <= z);
                    if (to - from) as u64 == count {
                        c.state[i] = State::Done {
                            value: kept[from + (c.ranks[i] - before) as usize],
                            a,
                            z,
                            before,
                            count,
                        };
                        c.one_pass += 1;
                    }
                }
            }
        }
    }

    /// Sets up the next pass's windows and offsets, or `Done`.
    fn lay_out(&mut self) {
        let bins = self.opts.bins;
        let (mut cells, mut minmax) = (0usize, 0usize);
        let mut any_count = false;
        let mut any_collect = false;
        for c in &mut self.cols {
            // Refinements replace the column's windows (the pilot windows are used once).
            let refine: Vec<(u64, u64)> = dedup(c.state.iter().filter_map(|s| match *s {
                State::Refine { a, z, .. } => Some((a, z)),
                _ => None,
            }));
            if !refine.is_empty() {
                c.refinements += 1;
                c.windows = refine
                    .iter()
                    .map(|&(a, z)| {
                        let mut w = Window::new(a, z, bins, false);
                        w.minmax = Some(minmax);
                        minmax += 2 * w.bins;
                        w
                    })
                    .collect();
            } else if !c.state.iter().any(|s| matches!(s, State::Count)) {
                c.windows.clear();
            }
            if !c.windows.is_empty() {
                any_count = true;
                c.gap_off = cells;
                cells += c.windows.len() + 1;
                for w in &mut c.windows {
                    w.off = cells;
                    cells += w.bins;
                }
            }
            any_collect |= c.state.iter().any(|s| matches!(s, State::Collect { .. }))
                || (!c.es.is_empty() && c.all.is_none() && c.es_below.is_empty());
        }
        self.cells = cells;
        self.minmax = minmax;
        self.pass = if any_count {
            Pass::Count
        } else if any_collect {
            for c in &mut self.cols {
                c.prepare_collect();
            }
            Pass::Collect
        } else {
            Pass::Done
        };
        self.flatten();
    }

    /// The flat per-value layout of the pass just laid out.
    fn flatten(&mut self) {
        self.hot.clear();
        self.hi.clear();
        self.win.clear();
        self.tk.clear();
        self.es.clear();
        self.fast_count.clear();
        self.fast_gaps = 0;
        self.fast_collect.clear();
        for c in &self.cols {
            let count = self.pass == Pass::Count;
            let ws: &[Window] = if count { &c.windows } else { &[] };
            let (ts, es): (&[(u64, u64)], &[u64]) = if self.pass == Pass::Collect {
                (&c.targets, &c.es_starts)
            } else {
                (&[], &[])
            };
            self.hot.push(Hot {
                first: self.win.len(),
                nw: ws.len(),
                gap_off: c.gap_off,
                t_first: self.tk.len(),
                nt: ts.len(),
                e_first: self.es.len(),
                ne: es.len(),
            });
            // hi is indexed like win: the sentinel's slot keeps the two aligned.
            self.hi.extend(ws.iter().map(|w| w.hi_k));
            self.hi.push(u64::MAX);
            self.win.extend(ws.iter().map(HotWin::of));
            self.win.push(HotWin::SENTINEL);
            self.tk.extend_from_slice(ts);
            self.es.extend_from_slice(es);
            let fast = FastCount::of(ws).map(|mut f| {
                f.gap_first = self.fast_gaps;
                self.fast_gaps += f.nw + 1;
                f
            });
            self.fast_count.push(fast);
            self.fast_collect.push(FastCollect::of(ts, es));
        }
    }

    /// After a count pass: each counted rank's cell, then resolve / collect / refine.
    fn locate(&mut self, t: &CountData) {
        let cap = self.opts.cap;
        for (ci, c) in self.cols.iter_mut().enumerate() {
            if c.windows.is_empty() {
                continue;
            }
            assert_eq!(
                t.seen[ci], c.n,
                "column {ci}: the pass saw another number of values"
            );
            let (lo, hi) = (t.min[ci], t.max[ci]);
            for i in 0..c.ranks.len() {
                let r = c.ranks[i];
                let found = match c.state[i] {
                    State::Count => c.cell_of_pilot_rank(t, r, lo, hi),
                    State::Refine { a, z, before } => c.cell_of_refined_rank(t, r, a, z, before),
                    _ => continue,
                };
                c.state[i] = decide(found, cap);
            }
        }
    }

    /// After the collect pass: select each collected rank; keep the ES sums.
    fn select(&mut self, mut t: CollectData) {
        for (ci, c) in self.cols.iter_mut().enumerate() {
            c.collected = std::mem::take(&mut t.values[ci]);
            c.es_below = std::mem::take(&mut t.sums[ci]);
            for v in &mut c.collected {
                v.sort_unstable_by(f64::total_cmp);
            }
            for i in 0..c.ranks.len() {
                if let State::Collect {
                    a,
                    z,
                    before,
                    count,
                } = c.state[i]
                {
                    let ti = c.targets.iter().position(|&x| x == (a, z)).unwrap();
                    let got = &c.collected[ti];
                    assert_eq!(got.len() as u64, count, "collect pass saw other values");
                    c.state[i] = State::Done {
                        value: got[(c.ranks[i] - before) as usize],
                        a,
                        z,
                        before,
                        count,
                    };
                }
            }
        }
    }
}

/// A located cell: keys `a..=z`, `before` values below it, `count` in it.
struct Found {
    a: u64,
    z: u64,
    before: u64,
    count: u64,
    rank: u64,
}

/// Resolve, collect or refine a located cell.
fn decide(f: Found, cap: u64) -> State {
    if f.a == f.z {
        State::Done {
            value: from_order_key(f.a),
            a: f.a,
            z: f.z,
            before: f.before,
            count: f.count,
        }
    } else if f.count <= cap {
        State::Collect {
            a: f.a,
            z: f.z,
            before: f.before,
            count: f.count,
        }
    } else {
        debug_assert!(f.rank >= f.before);
        State::Refine {
            a: f.a,
            z: f.z,
            before: f.before,
        }
    }
}

impl Col {
    fn new(spec: &Column, pilot: &[f64], opts: &Options) -> Col {
        let n = spec.n;
        assert!(n >= 1, "a column needs values");
        let mut ranks = spec.ranks.clone();
        ranks.extend(&spec.es);
        // ES needs the next rank too (type 7's VaR lies between r and r + 1).
        ranks.extend(spec.es.iter().filter(|&&r| r + 1 < n).map(|&r| r + 1));
        ranks.sort_unstable();
        ranks.dedup();
        assert!(ranks.last().is_none_or(|&r| r < n), "rank beyond n");
        let mut es = spec.es.clone();
        es.sort_unstable();
        es.dedup();
        let mut sorted = pilot.to_vec();
        sorted.sort_unstable_by(f64::total_cmp);
        let mut col = Col {
            n,
            state: vec![State::Count; ranks.len()],
            ranks,
            es,
            windows: Vec::new(),
            gap_off: 0,
            all: None,
            targets: Vec::new(),
            collected: Vec::new(),
            es_starts: Vec::new(),
            es_below: Vec::new(),
            refinements: 0,
            kept: 0,
            one_pass: 0,
        };
        if sorted.len() as u64 >= n {
            assert_eq!(sorted.len() as u64, n, "a whole-column pilot has n values");
            for (s, &r) in col.state.iter_mut().zip(&col.ranks) {
                let k = order_key(sorted[r as usize]);
                *s = State::Done {
                    value: sorted[r as usize],
                    a: k,
                    z: k,
                    before: 0,
                    count: 0,
                };
            }
            col.all = Some(sorted);
        } else if !col.ranks.is_empty() {
            col.windows = pilot_windows(&sorted, n, &col.ranks, opts);
        }
        col
    }

    /// Most values one worker keeps of this column in a one-pass count pass (beyond it
    /// the column stops keeping and takes the collect pass): `KEEP_FIRST + R·(2·keep·√n +
    /// 64)` for `R` wanted ranks, about twice what a randomly ordered column keeps.
    fn keep_budget(&self, opts: &Options) -> usize {
        let per_rank = 2.0 * opts.keep * (self.n as f64).sqrt() + 64.0;
        KEEP_FIRST as usize + (self.ranks.len() as f64 * per_rank) as usize
    }

    /// The cell of rank `r` from a pilot-window count pass: walk the cells in key order.
    fn cell_of_pilot_rank(&self, t: &CountData, r: u64, lo: u64, hi: u64) -> Found {
        let mut before = 0u64;
        let nw = self.windows.len();
        for g in 0..=nw {
            let gap = t.counts[self.gap_off + g];
            if r < before + gap {
                let a = if g == 0 {
                    lo
                } else {
                    self.windows[g - 1].hi_k + 1
                };
                let z = if g == nw {
                    hi
                } else {
                    self.windows[g].lo_k - 1
                };
                return Found {
                    a: a.max(lo),
                    z: z.min(hi),
                    before,
                    count: gap,
                    rank: r,
                };
            }
            before += gap;
            if g == nw {
                break;
            }
            let w = &self.windows[g];
            for b in 0..w.bins {
                let cnt = t.counts[w.off + b];
                if r < before + cnt {
                    let (a, z) = w.bin_keys(b);
                    return Found {
                        a: a.max(lo),
                        z: z.min(hi),
                        before,
                        count: cnt,
                        rank: r,
                    };
                }
                before += cnt;
            }
        }
        panic!(
            "rank {r} beyond the {before} values counted (n = {})",
            self.n
        );
    }

    /// The cell of rank `r` from a refinement pass over keys `a..=z`.
    fn cell_of_refined_rank(&self, t: &CountData, r: u64, a: u64, z: u64, before: u64) -> Found {
        let w = self
            .windows
            .iter()
            .find(|w| w.lo_k == a && w.hi_k == z)
            .expect("the refinement window");
        let mm = w.minmax.expect("refinement windows track min/max");
        let mut before = before;
        for b in 0..w.bins {
            let cnt = t.counts[w.off + b];
            if r < before + cnt {
                // The bin's own min and max keys: exact, and one key for a tie run.
                return Found {
                    a: t.minmax[mm + 2 * b],
                    z: t.minmax[mm + 2 * b + 1],
                    before,
                    count: cnt,
                    rank: r,
                };
            }
            before += cnt;
        }
        panic!("rank {r} not in its refinement window (counts changed between passes?)");
    }

    /// Collect targets (distinct key ranges) and ES starts for the collect pass.
    fn prepare_collect(&mut self) {
        self.targets = dedup(self.state.iter().filter_map(|s| match *s {
            State::Collect { a, z, .. } => Some((a, z)),
            _ => None,
        }));
        let starts = self.es.iter().filter_map(|&r| {
            let i = self.ranks.binary_search(&r).ok()?;
            match self.state[i] {
                State::Collect { a, .. } | State::Done { a, .. } if self.all.is_none() => {
                    Some((a, 0))
                }
                _ => None,
            }
        });
        self.es_starts = dedup(starts).into_iter().map(|(a, _)| a).collect();
    }
}

/// One-pass keeping: first narrowing after this many values of a column (per worker);
/// extra local ranks on each side of a keep range.
const KEEP_FIRST: u64 = 1024;
const KEEP_MARGIN: f64 = 8.0;
/// A gap between windows (or a tail beyond them) is kept only while it holds at most
/// this many of the worker's values.
const KEEP_GAP: u64 = 4096;

/// Sorted distinct pairs.
fn dedup(it: impl Iterator<Item = (u64, u64)>) -> Vec<(u64, u64)> {
    let mut v: Vec<(u64, u64)> = it.collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The pilot's brackets of each rank, merged where they overlap or touch.
fn pilot_windows(sorted: &[f64], n: u64, ranks: &[u64], opts: &Options) -> Vec<Window> {
    let np = sorted.len();
    if np == 0 {
        // No pilot: one key-space window over everything; refinement does the rest.
        return vec![Window::new(0, u64::MAX, opts.bins, false)];
    }
    let last = (np - 1) as f64;
    let mut spans: Vec<(u64, u64)> = ranks
        .iter()
        .map(|&r| {
            let p = if n > 1 {
                r as f64 / (n - 1) as f64
            } else {
                0.5
            };
            let centre = p * last;
            let half = opts.z * (np as f64 * p * (1.0 - p)).sqrt() + opts.margin;
            let lo = (centre - half).floor().clamp(0.0, last) as usize;
            let hi = (centre + half).ceil().clamp(0.0, last) as usize;
            (order_key(sorted[lo]), order_key(sorted[hi]))
        })
        .collect();
    spans.sort_unstable();
    let mut merged: Vec<(u64, u64)> = Vec::with_capacity(spans.len());
    for (a, z) in spans {
        match merged.last_mut() {
            Some(m) if a <= m.1.saturating_add(1) => m.1 = m.1.max(z),
            _ => merged.push((a, z)),
        }
    }
    let mut out = Vec::with_capacity(merged.len());
    for (a, z) in merged {
        split_atoms(sorted, a, z, opts.bins, &mut out);
    }
    out
}

/// At most this many atoms get windows of their own in one bracket.
const MAX_ATOMS: usize = 16;

/// The window of keys `a..=z`, split around *atoms*: keys the pilot holds more than once
/// (a capped ledger's cap, a 0/1 flag, a year). An atom shares a bin with its neighbours
/// in a plain window, and a rank in a tie run that large would cost a refinement pass;
/// in a one-key window its count is exact after the first pass and it resolves at once.
fn split_atoms(sorted: &[f64], a: u64, z: u64, bins: usize, out: &mut Vec<Window>) {
    let from = sorted.partition_point(|&v| order_key(v) < a);
    let to = sorted.partition_point(|&v| order_key(v) <= z);
    let keys: Vec<u64> = sorted[from..to].iter().map(|&v| order_key(v)).collect();
    let mut atoms: Vec<u64> = keys
        .windows(2)
        .filter(|w| w[0] == w[1])
        .map(|w| w[0])
        .collect();
    atoms.dedup();
    if atoms.is_empty() || atoms.len() > MAX_ATOMS {
        out.push(Window::new(a, z, bins, true));
        return;
    }
    // Non-NaN keys are below u64::MAX, so `t + 1` cannot overflow.
    let last = atoms[atoms.len() - 1];
    let mut next = a;
    for t in atoms {
        if t > next {
            out.push(Window::new(next, t - 1, bins, true));
        }
        out.push(Window::new(t, t, 1, false));
        next = t + 1;
    }
    if last < z {
        out.push(Window::new(next, z, bins, true));
    }
}

/// Exact sum and count of `values ≤ t`.
fn sum_le_of(values: impl Iterator<Item = f64>, t: f64) -> (f64, u64) {
    let mut s = ExactSum::default();
    let mut n = 0;
    for v in values.filter(|&v| v <= t) {
        s.add(v);
        n += 1;
    }
    (s.to_f64(), n)
}

/// Kept values a column may gain before its first pruning, and the room left beyond the
/// next pruning (a block's slice of values, `pathmajor::BLOCK`, with margin).
const KEEP_SLACK: usize = 256;

/// Values whose keep test runs range by range together (`CountData::keep_values`).
const KEEP_GROUP: usize = 64;

/// Copy to the front of `out` the values of `values` that lie in some `lo <= v <= hi` of
/// `bounds`, in order; returns how many. `out` has room for `values.len()`.
#[inline(always)]
fn keep_filter(values: &[f64], bounds: &[(f64, f64)], out: &mut [f64]) -> usize {
    let mut j = 0;
    for group in values.chunks(KEEP_GROUP) {
        // Range by range over the whole group (compares the compiler vectorises), then a
        // branch-free store: write every value, advance past it only if kept (a few % are,
        // at random: a branch would mispredict).
        // u64 flags: as wide as the compares' lanes, so no packing between them.
        let mut hit = [0u64; KEEP_GROUP];
        for &(lo, hi) in bounds {
            for (h, &v) in hit.iter_mut().zip(group) {
                *h |= ((v >= lo) & (v <= hi)) as u64;
            }
        }
        for (&h, &v) in hit.iter().zip(group) {
            out[j] = v;
            j += h as usize;
        }
    }
    j
}

/// [`keep_filter`] compiled for AVX2 (the same source, so the same values: f64 compares
/// are exact whatever the instructions), four compares at a time.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn keep_filter_avx2(values: &[f64], bounds: &[(f64, f64)], out: &mut [f64]) -> usize {
    keep_filter(values, bounds, out)
}

/// The f64 bounds `(lo, hi)` of the keys `a..=z` for a keep test `lo <= v <= hi`: every
/// non-NaN value with a key in `a..=z` passes (but -0.0 when the range ends there), and
/// at most a -0.0 more (when it starts at +0.0). Ends in the
/// NaN parts of the key space go to ±∞, or to NaN (no value passes) when the range holds
/// no non-NaN key.
fn keep_bounds(a: u64, z: u64) -> (f64, f64) {
    let (lo_inf, hi_inf) = (order_key(f64::NEG_INFINITY), order_key(f64::INFINITY));
    let lo = if a <= lo_inf {
        f64::NEG_INFINITY
    } else if a > hi_inf {
        f64::NAN
    } else {
        from_order_key(a)
    };
    let hi = if z >= hi_inf {
        f64::INFINITY
    } else if z < lo_inf {
        f64::NAN
    } else if z == order_key(-0.0) {
        // A range ending at -0.0 (one split off below a +0.0 atom: a zero payment) must
        // not pass +0.0, which `v <= -0.0` would: end it at the least negative value
        // instead. Only -0.0 itself then goes unkept, and a cell holding it falls back to
        // the collect pass (the kept count falls short), as exact as ever.
        -f64::from_bits(1)
    } else {
        from_order_key(z)
    };
    (lo, hi)
}

/// Slices shorter than this take the per-value paths.
const FAST_MIN: usize = 8;
/// Values per chunk of the count pass's slice path (codes held on the stack).
const FAST_CHUNK: usize = 128;
/// Most windows of a column the count pass's slice path takes.
const FAST_WINDOWS: usize = 16;
/// Most collect targets of a column the collect pass's slice path takes.
const FAST_TARGETS: usize = 8;
/// Values per group of the collect pass's prefilter.
const COLLECT_GROUP: usize = 16;

const KEY_NEG_INF: u64 = 0x000f_ffff_ffff_ffff;
const KEY_POS_INF: u64 = 0xfff0_0000_0000_0000;

/// A count pass's windows of one column as f64 bounds, for the slice path.
///
/// A value's *code* is `Σ_j (v >= lo[j]) + (v > hi[j])` over the column's `nw` windows
/// (sorted, disjoint): `2g` in gap `g`, `2j + 1` in window `j`. With keys in place of
/// values (`k >= lo_k`, `k > hi_k`) it is exactly the cell [`CountData::cell`] finds.
/// `lo[j]`, `hi[j]` are the values of `lo_k`, `hi_k`, clamped to ±∞ where a key is beyond
/// every non-NaN key (`lo_k` above +∞'s key: NaN, which no value reaches). For non-NaN
/// values, an f64 compare and the key compare agree except when both sides are zeros
/// (`-0.0 == 0.0` in f64, `-0.0 < 0.0` by key), so the codes agree for every value but
/// ±0.0, and for those the exact codes are precomputed: `zero_fix` when they differ from
/// what the compares give.
#[derive(Clone, Copy, Debug)]
struct FastCount {
    lo: [f64; FAST_WINDOWS],
    hi: [f64; FAST_WINDOWS],
    nw: usize,
    zero_fix: bool,
    code_pos_zero: u64,
    code_neg_zero: u64,
    /// Every window linear or of one bin, none with per-bin min/max (pilot windows): a
    /// bin is then `min(⌊(v − map_lo) · map_inv⌋, last)` (`map_inv = 0`, `last = 0` for a
    /// one-bin window), from these small arrays instead of [`HotWin`].
    simple: bool,
    map_lo: [f64; FAST_WINDOWS],
    map_inv: [f64; FAST_WINDOWS],
    off: [usize; FAST_WINDOWS],
    last: [usize; FAST_WINDOWS],
    /// The column's gap counts of the slice path are `CountData::gaps[gap_first..]`: one
    /// small array for all columns, not a line of the large one per column and slice.
    gap_first: usize,
}

impl FastCount {
    /// `None`: no windows, too many, or a window ending below every non-NaN key (none
    /// does; the per-value path stays exact whatever the bounds).
    fn of(ws: &[Window]) -> Option<FastCount> {
        if ws.is_empty() || ws.len() > FAST_WINDOWS || ws.iter().any(|w| w.hi_k < KEY_NEG_INF) {
            return None;
        }
        let mut f = FastCount {
            lo: [f64::NAN; FAST_WINDOWS],
            hi: [f64::NAN; FAST_WINDOWS],
            nw: ws.len(),
            zero_fix: false,
            code_pos_zero: 0,
            code_neg_zero: 0,
            simple: ws.iter().all(|w| {
                w.minmax.is_none() && (matches!(w.map, Map::Linear { .. }) || w.bins == 1)
            }),
            map_lo: [0.0; FAST_WINDOWS],
            map_inv: [0.0; FAST_WINDOWS],
            off: [0; FAST_WINDOWS],
            last: [0; FAST_WINDOWS],
            gap_first: 0,
        };
        for (j, w) in ws.iter().enumerate() {
            if let Map::Linear { lo, inv } = w.map {
                (f.map_lo[j], f.map_inv[j]) = (lo, inv);
            }
            f.off[j] = w.off;
            f.last[j] = w.bins - 1;
            f.lo[j] = if w.lo_k <= KEY_NEG_INF {
                f64::NEG_INFINITY
            } else if w.lo_k > KEY_POS_INF {
                f64::NAN
            } else {
                from_order_key(w.lo_k)
            };
            f.hi[j] = from_order_key(w.hi_k.min(KEY_POS_INF));
        }
        let by_key = |k: u64| {
            ws.iter()
                .map(|w| (k >= w.lo_k) as u64 + (k > w.hi_k) as u64)
                .sum::<u64>()
        };
        let by_f64 = f.code(0.0);
        f.code_pos_zero = by_key(order_key(0.0));
        f.code_neg_zero = by_key(order_key(-0.0));
        f.zero_fix = f.code_pos_zero != by_f64 || f.code_neg_zero != by_f64;
        Some(f)
    }

    /// The code of `v` by f64 compares (exact but for ±0.0 when `zero_fix`).
    fn code(&self, v: f64) -> u64 {
        (0..self.nw)
            .map(|j| (v >= self.lo[j]) as u64 + (v > self.hi[j]) as u64)
            .sum()
    }
}

/// A collect pass's targets and ES bound of one column as f64 bounds, for the slice
/// path: a value whose key is in a target `a..=z` or below the last ES start `e` passes
/// `v >= a' && v <= z'` or `v <= e'` (the bounds' values, clamped to ±∞): f64 compares
/// differ from the key order only in taking `-0.0 == 0.0`, which can let a zero through
/// that the exact test then drops, never stop one it keeps. Padding targets are NaN.
#[derive(Clone, Copy, Debug)]
struct FastCollect {
    a: [f64; FAST_TARGETS],
    z: [f64; FAST_TARGETS],
    nt: usize,
    below: f64,
}

impl FastCollect {
    fn of(ts: &[(u64, u64)], es: &[u64]) -> Option<FastCollect> {
        if ts.len() > FAST_TARGETS || (ts.is_empty() && es.is_empty()) {
            return None;
        }
        let val = |k: u64| from_order_key(k.clamp(KEY_NEG_INF, KEY_POS_INF));
        let mut f = FastCollect {
            a: [f64::NAN; FAST_TARGETS],
            z: [f64::NAN; FAST_TARGETS],
            nt: ts.len(),
            below: es.last().map_or(f64::NAN, |&e| val(e)),
        };
        for (j, &(a, z)) in ts.iter().enumerate() {
            f.a[j] = val(a);
            f.z[j] = val(z);
        }
        Some(f)
    }
}

/// Whether the count pass's slice path runs its AVX2 build (the CPU has AVX2, and a
/// test has not asked this thread for the portable one).
#[cfg(target_arch = "x86_64")]
#[inline]
fn avx2() -> bool {
    #[cfg(test)]
    if PORTABLE_ONLY.with(|p| p.get()) {
        return false;
    }
    std::is_x86_feature_detected!("avx2")
}

#[cfg(test)]
thread_local! {
    /// Tests: run the portable slice path on this thread even where AVX2 is available.
    static PORTABLE_ONLY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The smallest and largest [`order_key`] of `values` (not empty): f64 min and max
/// (vectorised), exact unless the extreme is a zero, and then the sign is looked up.
fn min_max_keys(values: &[f64]) -> (u64, u64) {
    let mut lo = [f64::INFINITY; 4];
    let mut hi = [f64::NEG_INFINITY; 4];
    let mut quads = values.chunks_exact(4);
    for q in &mut quads {
        for l in 0..4 {
            lo[l] = if q[l] < lo[l] { q[l] } else { lo[l] };
            hi[l] = if q[l] > hi[l] { q[l] } else { hi[l] };
        }
    }
    for &v in quads.remainder() {
        lo[0] = if v < lo[0] { v } else { lo[0] };
        hi[0] = if v > hi[0] { v } else { hi[0] };
    }
    let lo = lo
        .iter()
        .fold(f64::INFINITY, |m, &x| if x < m { x } else { m });
    let hi = hi
        .iter()
        .fold(f64::NEG_INFINITY, |m, &x| if x > m { x } else { m });
    let has = |bits: u64| values.iter().any(|v| v.to_bits() == bits);
    let lo_k = if lo == 0.0 {
        order_key(if has((-0.0f64).to_bits()) { -0.0 } else { 0.0 })
    } else {
        order_key(lo)
    };
    let hi_k = if hi == 0.0 {
        order_key(if has(0.0f64.to_bits()) { 0.0 } else { -0.0 })
    } else {
        order_key(hi)
    };
    (lo_k, hi_k)
}

/// One worker's counts or collected values for one pass. Push every value of the
/// worker's paths, then [`Tally::merge`] the workers' tallies in any order and hand the
/// result to [`Plan::finish`].
pub struct Tally<'p> {
    plan: &'p Plan,
    data: TallyData,
}

/// The data of a [`Tally`], detached from the plan.
// One per worker and pass, moved a handful of times: the size difference is harmless, and
// a box would add an indirection to every push.
#[allow(clippy::large_enum_variant)]
pub enum TallyData {
    Count(CountData),
    Collect(CollectData),
}

/// Count pass: per cell counts (u32 per worker: a worker may push at most `u32::MAX`
/// values of one column per pass — checked at merge), per column min/max keys and counts.
pub struct CountData {
    counts: Vec<u64>,
    local: Vec<u32>,
    /// The slice path's bin counts modulo 256 (a wrap adds 256 to `local`): a quarter of
    /// the cache footprint of `u32` counts, for the random increments of in-window values.
    /// A cell's count is `local + local8`.
    local8: Vec<u8>,
    /// The slice path's gap counts (see [`FastCount::gap_first`]), added at the end.
    gaps: Vec<u32>,
    minmax: Vec<u64>,
    min: Vec<u64>,
    max: Vec<u64>,
    seen: Vec<u64>,
    /// One-pass keeping (first count pass with `keep > 0` only, else empty): per column
    /// the kept values, the keep ranges (one per rank, `a > z` when empty) and the
    /// column's value count at which the ranges are next narrowed.
    kept: Vec<Vec<f64>>,
    /// Other workers' `kept` merged into this one (`TallyData::merge`), per worker.
    others: Vec<Vec<Vec<f64>>>,
    keep: Vec<Vec<(u64, u64)>>,
    next: Vec<u64>,
    /// Per column, how many values were kept after the last pruning (`keep_values`).
    pruned: Vec<usize>,
    budget: Vec<usize>,
    scratch: Vec<f64>,
    /// The current column's keep ranges as f64 bounds (`keep_values`' scratch).
    bounds: Vec<(f64, f64)>,
}

/// Collect pass: per column, per target, the values in it; per ES interval, exact sums.
pub struct CollectData {
    values: Vec<Vec<Vec<f64>>>,
    sums: Vec<Vec<ExactSum>>,
}

impl CollectData {
    /// Keep each value that is in one of the column's located cells; add it to the ES
    /// sum of the interval between ES starts it falls in. Almost no value is in a cell
    /// or below an ES start, so one branch-free test per value decides whether to look.
    #[inline(always)]
    fn push(&mut self, plan: &Plan, h: &Hot, col: usize, values: &[f64]) {
        if h.nt == 0 && h.ne == 0 {
            return;
        }
        let ts = &plan.tk[h.t_first..h.t_first + h.nt];
        let s = &plan.es[h.e_first..h.e_first + h.ne];
        match &plan.fast_collect[col] {
            Some(f) if values.len() >= FAST_MIN => self.collect_fast(f, ts, s, col, values),
            _ => self.push_exact(ts, s, col, values),
        }
    }

    /// The slice path: a prefilter by f64 compares that lets through every value the
    /// exact test would keep (see [`FastCollect`]); only a group of values with a
    /// candidate in it takes the exact test.
    #[inline(never)]
    fn collect_fast(
        &mut self,
        f: &FastCollect,
        ts: &[(u64, u64)],
        s: &[u64],
        col: usize,
        values: &[f64],
    ) {
        match f.nt {
            0 => self.collect_groups::<0>(f, ts, s, col, values),
            1 => self.collect_groups::<1>(f, ts, s, col, values),
            2 => self.collect_groups::<2>(f, ts, s, col, values),
            3 => self.collect_groups::<3>(f, ts, s, col, values),
            4 => self.collect_groups::<4>(f, ts, s, col, values),
            5 => self.collect_groups::<5>(f, ts, s, col, values),
            6 => self.collect_groups::<6>(f, ts, s, col, values),
            7 => self.collect_groups::<7>(f, ts, s, col, values),
            _ => self.collect_groups::<FAST_TARGETS>(f, ts, s, col, values),
        }
    }

    #[inline(always)]
    fn collect_groups<const T: usize>(
        &mut self,
        f: &FastCollect,
        ts: &[(u64, u64)],
        s: &[u64],
        col: usize,
        values: &[f64],
    ) {
        let a: [f64; T] = std::array::from_fn(|j| f.a[j]);
        let z: [f64; T] = std::array::from_fn(|j| f.z[j]);
        let below = f.below;
        for group in values.chunks(COLLECT_GROUP) {
            // Branch-free over the group (a hit is rare): OR of the per-value tests.
            let mut any = 0u64;
            for &v in group {
                let mut hit = (v <= below) as u64;
                for j in 0..T {
                    hit |= ((v >= a[j]) & (v <= z[j])) as u64;
                }
                any |= hit;
            }
            if any != 0 {
                self.push_exact(ts, s, col, group);
            }
        }
    }

    /// The exact per-value test (every value's key against the targets and ES starts).
    #[inline(always)]
    fn push_exact(&mut self, ts: &[(u64, u64)], s: &[u64], col: usize, values: &[f64]) {
        let es_end = s.last().copied().unwrap_or(0);
        for &v in values {
            let k = order_key(v);
            let hit = ts
                .iter()
                .fold(k < es_end, |f, &(a, z)| f | ((a <= k) & (k <= z)));
            if hit {
                self.keep(ts, s, col, v, k);
            }
        }
    }

    #[inline(never)]
    fn keep(&mut self, ts: &[(u64, u64)], s: &[u64], col: usize, v: f64, k: u64) {
        for (t, &(a, z)) in ts.iter().enumerate() {
            if a <= k && k <= z {
                self.values[col][t].push(v);
            }
        }
        if s.last().is_some_and(|&last| k < last) {
            let j = s.partition_point(|&x| x <= k);
            self.sums[col][j].add(v);
        }
    }
}

impl<'p> Tally<'p> {
    fn count(plan: &'p Plan) -> Tally<'p> {
        let nc = plan.cols.len();
        let mut minmax = vec![u64::MAX; plan.minmax];
        for mm in minmax.chunks_mut(2) {
            mm[1] = 0;
        }
        let keeping = plan.opts.keep > 0.0 && plan.count_passes == 0;
        let (kept, keep, next) = if keeping {
            let keep = plan
                .cols
                .iter()
                .map(|c| {
                    if c.windows.is_empty() || !c.es.is_empty() {
                        Vec::new()
                    } else {
                        // Until the first estimate: every value.
                        vec![(0, u64::MAX)]
                    }
                })
                .collect();
            (vec![Vec::new(); nc], keep, vec![KEEP_FIRST; nc])
        } else {
            (Vec::new(), Vec::new(), Vec::new())
        };
        let pruned = vec![0; next.len()];
        let budget = plan
            .cols
            .iter()
            .map(|c| c.keep_budget(&plan.opts))
            .collect();
        Tally {
            plan,
            data: TallyData::Count(CountData {
                counts: Vec::new(),
                local: vec![0; plan.cells],
                local8: vec![0; plan.cells],
                gaps: vec![0; plan.fast_gaps],
                minmax,
                min: vec![u64::MAX; nc],
                max: vec![0; nc],
                seen: vec![0; nc],
                kept,
                others: Vec::new(),
                keep,
                next,
                pruned,
                budget,
                scratch: Vec::new(),
                bounds: Vec::new(),
            }),
        }
    }

    fn collect(plan: &'p Plan) -> Tally<'p> {
        let values = plan
            .cols
            .iter()
            .map(|c| {
                c.targets
                    .iter()
                    .map(|&(a, z)| {
                        // Reserve the merged count of the cell: no allocation per value.
                        let count = c
                            .state
                            .iter()
                            .find_map(|s| match *s {
                                State::Collect {
                                    a: x, z: y, count, ..
                                } if (x, y) == (a, z) => Some(count),
                                _ => None,
                            })
                            .unwrap_or(0);
                        Vec::with_capacity(count as usize)
                    })
                    .collect()
            })
            .collect();
        let sums = plan
            .cols
            .iter()
            .map(|c| vec![ExactSum::default(); c.es_starts.len()])
            .collect();
        Tally {
            plan,
            data: TallyData::Collect(CollectData { values, sums }),
        }
    }

    /// Take one value of column `col`.
    #[inline]
    pub fn push(&mut self, col: usize, v: f64) {
        let plan = self.plan;
        let h = plan.hot[col];
        match &mut self.data {
            TallyData::Count(d) => d.push(plan, &h, col, &[v]),
            TallyData::Collect(d) => d.push(plan, &h, col, &[v]),
        }
    }

    /// Take several values of column `col` (e.g. a block of paths' values of one metric
    /// in one period): the column's layout stays in L1 across them.
    #[inline]
    pub fn push_slice(&mut self, col: usize, values: &[f64]) {
        let plan = self.plan;
        let h = plan.hot[col];
        match &mut self.data {
            TallyData::Count(d) => d.push(plan, &h, col, values),
            TallyData::Collect(d) => d.push(plan, &h, col, values),
        }
    }

    /// Detach the data (to merge and finish).
    pub fn into_data(self) -> TallyData {
        let mut data = self.data;
        if let TallyData::Count(d) = &mut data {
            d.flush(self.plan);
        }
        data
    }
}

impl CountData {
    /// Count the values of one column: the column's bookkeeping (values seen, min, max)
    /// in registers across the slice, each value by [`CountData::cell`].
    #[inline(always)]
    fn push(&mut self, plan: &Plan, h: &Hot, col: usize, values: &[f64]) {
        if h.nw == 0 {
            return;
        }
        if self.keep.is_empty() || self.keep[col].is_empty() {
            self.count_slice(plan, h, col, values);
        } else {
            self.count_and_keep(plan, h, col, values);
        }
    }

    /// One-pass keeping: count and keep in pieces that end where the column's keep
    /// ranges are due to narrow, so a long slice narrows them as often as single pushes.
    #[inline(never)]
    fn count_and_keep(&mut self, plan: &Plan, h: &Hot, col: usize, values: &[f64]) {
        let mut rest = values;
        while !rest.is_empty() {
            if self.keep[col].is_empty() {
                self.count_slice(plan, h, col, rest);
                return;
            }
            let room = self.next[col].saturating_sub(self.seen[col]).max(1) as usize;
            let (now, later) = rest.split_at(room.min(rest.len()));
            self.count_slice(plan, h, col, now);
            self.keep_values(plan, col, now);
            rest = later;
        }
    }

    #[inline(always)]
    fn count_slice(&mut self, plan: &Plan, h: &Hot, col: usize, values: &[f64]) {
        match &plan.fast_count[col] {
            Some(f) if values.len() >= FAST_MIN => self.count_fast(plan, h, f, col, values),
            _ => self.count_each(plan, h, col, values),
        }
    }

    /// The slice path of the count pass (see [`FastCount`]): each value's cell code by
    /// f64 compares against the column's window bounds (vectorised across values), gap
    /// counts from a small per-code tally, and bin and key work only for the values
    /// inside a window. Counts, min and max are exactly those of [`CountData::count_each`].
    #[inline(never)]
    fn count_fast(&mut self, plan: &Plan, h: &Hot, f: &FastCount, col: usize, values: &[f64]) {
        #[cfg(target_arch = "x86_64")]
        if avx2() {
            // SAFETY: the CPU has AVX2 (`avx2` checked it at run time).
            unsafe { self.count_fast_avx2(plan, h, f, values) };
        } else {
            self.count_fast_portable(plan, h, f, values);
        }
        #[cfg(not(target_arch = "x86_64"))]
        self.count_fast_portable(plan, h, f, values);
        let (lo, hi) = min_max_keys(values);
        self.min[col] = self.min[col].min(lo);
        self.max[col] = self.max[col].max(hi);
        self.seen[col] += values.len() as u64;
    }

    /// [`CountData::count_fast_portable`] compiled for AVX2: the same source, so the
    /// same counts (f64 compares and the one product per value are exact IEEE operations
    /// whatever the instructions), with the window compares four values at a time and
    /// three-operand instructions (SSE2's compares overwrite an operand, so each costs a
    /// copy). Measured (BENCHMARKS.md, "Bracket passes per value, after i15-count"):
    /// ~2.3 ns per value against ~2.75 for the SSE2 build, 1M × 360 blocked.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn count_fast_avx2(&mut self, plan: &Plan, h: &Hot, f: &FastCount, values: &[f64]) {
        self.count_fast_portable(plan, h, f, values);
    }

    /// The count pass's slice path in plain Rust (SSE2 on x86-64).
    #[inline(always)]
    fn count_fast_portable(&mut self, plan: &Plan, h: &Hot, f: &FastCount, values: &[f64]) {
        match f.nw {
            1 => self.count_codes::<1>(plan, h, f, values),
            2 => self.count_codes::<2>(plan, h, f, values),
            3 => self.count_codes::<3>(plan, h, f, values),
            4 => self.count_codes::<4>(plan, h, f, values),
            5 => self.count_codes::<5>(plan, h, f, values),
            6 => self.count_codes::<6>(plan, h, f, values),
            7 => self.count_codes::<7>(plan, h, f, values),
            8 => self.count_codes::<8>(plan, h, f, values),
            _ => self.count_codes::<FAST_WINDOWS>(plan, h, f, values),
        }
    }

    #[inline(always)]
    fn count_codes<const W: usize>(&mut self, plan: &Plan, h: &Hot, f: &FastCount, values: &[f64]) {
        let lo: [f64; W] = std::array::from_fn(|j| f.lo[j]);
        let hi: [f64; W] = std::array::from_fn(|j| f.hi[j]);
        let wins = &plan.win[h.first..h.first + h.nw];
        // Values per code (a gap's count is its even code's); 64 > 2·FAST_WINDOWS + 1.
        // Four tallies, value i in tally i % 4: equal codes in a row do not wait on one
        // another's increment.
        let mut per_code = [0u32; 4 * 64];
        let mut gaps = [0u32; FAST_WINDOWS + 1];
        let mut code = [0u64; FAST_CHUNK];
        let mut inside = [0u16; FAST_CHUNK];
        let mut cell = [0usize; FAST_CHUNK];
        for chunk in values.chunks(FAST_CHUNK) {
            for (c, &v) in code.iter_mut().zip(chunk) {
                let mut t = 0u64;
                for j in 0..W {
                    t += (v >= lo[j]) as u64 + (v > hi[j]) as u64;
                }
                *c = t;
            }
            if f.zero_fix {
                for (c, &v) in code.iter_mut().zip(chunk) {
                    if v == 0.0 {
                        *c = if v.is_sign_negative() {
                            f.code_neg_zero
                        } else {
                            f.code_pos_zero
                        };
                    }
                }
            }
            // Tally the codes; list the values inside a window (odd codes), branch-free.
            let mut m = 0;
            // (m ≤ i < FAST_CHUNK: the mask only spares the bounds check.)
            if W < 8 {
                // At most 8 gaps: one byte each of a u64 (a chunk has < 256 values); the
                // increment of code t from a table (0 for a window's odd code).
                const INC: [u64; 32] = {
                    let mut inc = [0u64; 32];
                    let mut t = 0;
                    while t < 16 {
                        inc[t] = if t % 2 == 0 { 1 << (t / 2 * 8) } else { 0 };
                        t += 1;
                    }
                    inc
                };
                let mut packed = 0u64;
                for (i, &t) in code[..chunk.len()].iter().enumerate() {
                    packed += INC[t as usize & 31];
                    inside[m & (FAST_CHUNK - 1)] = i as u16;
                    m += (t & 1) as usize;
                }
                for (g, n) in gaps.iter_mut().enumerate().take(W + 1) {
                    *n += (packed >> (8 * g)) as u32 & 0xff;
                }
            } else {
                for (i, &t) in code[..chunk.len()].iter().enumerate() {
                    per_code[((i & 3) << 6) | (t as usize & 63)] += 1;
                    inside[m & (FAST_CHUNK - 1)] = i as u16;
                    m += (t & 1) as usize;
                }
            }
            // Their cells first, then the increments in a tight loop of their own, so
            // that many (cache-missing) increments are in flight at once.
            if f.simple {
                for (j, &i) in inside[..m].iter().enumerate() {
                    let v = chunk[i as usize];
                    let w = (code[i as usize] >> 1) as usize & (FAST_WINDOWS - 1);
                    // As HotWin::bin: the same expression for a linear window (whose
                    // product is in 0..≈bins, where this cast and the saturating one
                    // agree); a one-bin window has last = 0.
                    let x = (v - f.map_lo[w]) * f.map_inv[w];
                    cell[j] = f.off[w] + (x as i64 as usize).min(f.last[w]);
                }
            } else {
                for (j, &i) in inside[..m].iter().enumerate() {
                    let v = chunk[i as usize];
                    let k = order_key(v);
                    let w = &wins[(code[i as usize] >> 1) as usize];
                    let b = w.bin_inside(v, k);
                    cell[j] = w.off + b;
                    if w.minmax != usize::MAX {
                        let mm = w.minmax + 2 * b;
                        self.minmax[mm] = self.minmax[mm].min(k);
                        self.minmax[mm + 1] = self.minmax[mm + 1].max(k);
                    }
                }
            }
            for &at in &cell[..m] {
                let c = self.local8[at].wrapping_add(1);
                self.local8[at] = c;
                if c == 0 {
                    self.local[at] += 256;
                }
            }
        }
        for g in 0..=h.nw {
            let n: u32 = (0..4).map(|q| per_code[(q << 6) | (2 * g)]).sum();
            self.gaps[f.gap_first + g] += n + gaps[g];
        }
    }

    /// The per-value path of the count pass (single values, short slices, and columns
    /// the slice path does not take).
    #[inline(always)]
    fn count_each(&mut self, plan: &Plan, h: &Hot, col: usize, values: &[f64]) {
        let (mut lo, mut hi) = (self.min[col], self.max[col]);
        let his = &plan.hi[h.first..h.first + h.nw];
        let wins = &plan.win[h.first..=h.first + h.nw];
        for &v in values {
            let k = order_key(v);
            lo = lo.min(k);
            hi = hi.max(k);
            self.cell(his, wins, h.gap_off, v, k);
        }
        self.min[col] = lo;
        self.max[col] = hi;
        self.seen[col] += values.len() as u64;
    }

    /// One-pass keeping: keep the values in the column's keep ranges, and narrow the
    /// ranges when the column has seen `next` values.
    fn keep_values(&mut self, plan: &Plan, col: usize, values: &[f64]) {
        // The ranges as f64 bounds: `lo <= v <= hi` in f64 holds for every key in
        // `a..=z` (the key order is f64's but for -0.0 < 0.0, which f64 calls equal), and
        // for at most a signed zero more. Keeping a value more is harmless: the kept
        // values stay a sub-multiset of the column, and `answer_kept` counts them by key.
        let bounds = &mut self.bounds;
        bounds.clear();
        bounds.extend(self.keep[col].iter().map(|&(a, z)| keep_bounds(a, z)));
        let kept = &mut self.kept[col];
        let scratch = &mut self.scratch;
        scratch.resize(values.len().max(scratch.len()), 0.0);
        #[cfg(target_arch = "x86_64")]
        let j = if avx2() {
            // SAFETY: the CPU has AVX2 (checked at run time just above).
            unsafe { keep_filter_avx2(values, bounds, scratch) }
        } else {
            keep_filter(values, bounds, scratch)
        };
        #[cfg(not(target_arch = "x86_64"))]
        let j = keep_filter(values, bounds, scratch);
        kept.extend_from_slice(&scratch[..j]);
        if kept.len() > self.budget[col] {
            // Memory bound: give up keeping this column (its cells then fail the test).
            self.keep[col] = Vec::new();
            self.kept[col] = Vec::new();
            return;
        }
        let m = self.seen[col];
        if m >= self.next[col] {
            self.next[col] = m + m / 4;
            self.keep[col] = self.keep_ranges(plan, col, m);
        }
        // Drop what the current ranges no longer hold once the kept values have grown by
        // half since the last pruning, so a worker holds at most 1.5 times one set of
        // ranges' worth (~2·keep·√(m p (1 − p)(1 − m/n)) a rank), not the sum of all
        // earlier, wider ranges; each pruning rescans what is kept, about three times the
        // final set in all. Safe for exactness: the kept values stay a sub-multiset of the
        // column, and `answer_kept` trusts only a cell whose kept count equals its merged
        // count.
        let kept = &mut self.kept[col];
        let pruned = self.pruned[col];
        if kept.len() >= pruned + pruned / 2 + KEEP_SLACK {
            let bounds = &mut self.bounds;
            bounds.clear();
            bounds.extend(self.keep[col].iter().map(|&(a, z)| keep_bounds(a, z)));
            kept.retain(|&v| {
                bounds
                    .iter()
                    .fold(false, |f, &(lo, hi)| f | ((v >= lo) & (v <= hi)))
            });
            let len = kept.len();
            self.pruned[col] = len;
            // Exactly the room to grow to the next pruning and one more slice: a doubling
            // `Vec` would hold up to twice that.
            let want = len + len / 2 + 2 * KEEP_SLACK;
            if kept.capacity() > want {
                kept.shrink_to(want);
            } else {
                kept.reserve_exact(want - len);
            }
        }
    }

    /// Keep ranges from this worker's own counts of `m` values: for each rank with
    /// probability `p`, the bins holding the local ranks `p·m ± (keep·√(m p (1 − p)(1 − m/n)) +
    /// KEEP_MARGIN)`, clamped to the windows (a gap or tail only while it is small).
    fn keep_ranges(&self, plan: &Plan, col: usize, m: u64) -> Vec<(u64, u64)> {
        let c = &plan.cols[col];
        let mf = m as f64;
        // (local rank, rank index, is the upper end), sorted by local rank.
        let mut q: Vec<(u64, usize, bool)> = Vec::with_capacity(2 * c.ranks.len());
        for (i, &r) in c.ranks.iter().enumerate() {
            let p = if c.n > 1 {
                r as f64 / (c.n - 1) as f64
            } else {
                0.5
            };
            let centre = p * (mf - 1.0);
            // The worker's first m values are a random m of the column's n (paths are
            // exchangeable), so its count below the final order statistic is
            // hypergeometric: variance m·p(1 − p)·(1 − m/n), which narrows to nothing as
            // m nears n (one worker's local ranks are then the global ones).
            let fpc = (1.0 - mf / c.n as f64).max(0.0);
            let half = plan.opts.keep * (mf * p * (1.0 - p) * fpc).sqrt() + KEEP_MARGIN;
            let lo = (centre - half).floor().clamp(0.0, mf - 1.0) as u64;
            let hi = (centre + half).ceil().clamp(0.0, mf - 1.0) as u64;
            q.push((lo, i, false));
            q.push((hi, i, true));
        }
        q.sort_unstable();
        let mut out = vec![(1u64, 0u64); c.ranks.len()];
        let mut qi = 0;
        let mut before = 0u64;
        let nw = c.windows.len();
        let l = |i: usize| self.local[i] + self.local8[i] as u32;
        let fast = plan.fast_count[col];
        let gap = |g: usize| l(c.gap_off + g) + fast.map_or(0, |f| self.gaps[f.gap_first + g]);
        for g in 0..=nw {
            // Gap g: kept whole if this worker has seen at most KEEP_GAP values in it (the
            // tails beyond the extreme brackets), else a lower end here starts at window
            // g and an upper end ends at window g − 1.
            let in_gap = gap(g) as u64;
            before += in_gap;
            let small = in_gap <= KEEP_GAP;
            let first = if g == 0 { 0 } else { c.windows[g - 1].hi_k + 1 };
            let last = if g == nw {
                u64::MAX
            } else {
                c.windows[g].lo_k.saturating_sub(1)
            };
            while qi < q.len() && q[qi].0 < before {
                let (_, i, upper) = q[qi];
                if upper {
                    out[i].1 = if small {
                        last
                    } else if g == 0 {
                        0
                    } else {
                        c.windows[g - 1].hi_k
                    };
                } else {
                    out[i].0 = if small {
                        first
                    } else if g == nw {
                        u64::MAX
                    } else {
                        c.windows[g].lo_k
                    };
                }
                qi += 1;
            }
            if g == nw {
                break;
            }
            let w = &c.windows[g];
            for b in 0..w.bins {
                before += l(w.off + b) as u64;
                while qi < q.len() && q[qi].0 < before {
                    let (_, i, upper) = q[qi];
                    let (a, z) = w.bin_keys(b);
                    if upper {
                        out[i].1 = z;
                    } else {
                        out[i].0 = a;
                    }
                    qi += 1;
                }
            }
        }
        // A range reaching the worker's min (max) reaches the column's, wherever that
        // lands later: extend it through the small tail gap to the end of the key space.
        for &(lr, i, upper) in &q {
            if !upper && lr == 0 && gap(0) as u64 <= KEEP_GAP {
                out[i].0 = 0;
            }
            if upper && lr + 1 >= m && gap(nw) as u64 <= KEEP_GAP {
                out[i].1 = u64::MAX;
            }
        }
        // One range per run of overlapping ones (the per-value test scans them all).
        out.retain(|&(a, z)| a <= z);
        out.sort_unstable();
        let mut merged: Vec<(u64, u64)> = Vec::with_capacity(out.len());
        for (a, z) in out {
            match merged.last_mut() {
                Some(m) if a <= m.1.saturating_add(1) => m.1 = m.1.max(z),
                _ => merged.push((a, z)),
            }
        }
        // Not the keys of one-key windows (atoms: a cap, a zero payment, a flag): a rank
        // there resolves from the counts alone and is never collected, and keeping a tie
        // run that holds most of the column would exhaust its budget for the other ranks.
        let mut split: Vec<(u64, u64)> = Vec::with_capacity(merged.len());
        for (a, z) in merged {
            let mut from = a;
            for t in c
                .windows
                .iter()
                .filter(|w| w.lo_k == w.hi_k)
                .map(|w| w.lo_k)
            {
                if t < from || t > z {
                    continue;
                }
                if t > from {
                    split.push((from, t - 1));
                }
                // Non-NaN keys are below u64::MAX, so `t + 1` cannot overflow.
                from = t + 1;
            }
            if from <= z {
                split.push((from, z));
            }
        }
        let mut merged = split;
        if merged.is_empty() {
            // Nothing to keep now, but keep narrowing later: a range no key is in.
            merged.push((1, 0));
        }
        merged
    }

    /// Count one value with key `k`: find its window by a branch-free scan of the
    /// column's few windows' last keys, then its bin or gap.
    #[inline(always)]
    fn cell(&mut self, his: &[u64], wins: &[HotWin], gap_off: usize, v: f64, k: u64) {
        let g = his.iter().map(|&hi| (hi < k) as usize).sum::<usize>();
        // Window g if the key is not below its start (the sentinel never is), else gap g.
        let w = &wins[g];
        let inside = w.lo_k <= k;
        let b = w.bin(v, k);
        // Select without a branch: inside or not is data-dependent and mispredicts.
        let gap = gap_off + g;
        let at = gap.wrapping_add((inside as usize).wrapping_neg() & (w.off + b).wrapping_sub(gap));
        self.local[at] += 1;
        // Refinement windows only (the first test is the predictable one).
        if w.minmax != usize::MAX && inside {
            let mm = w.minmax + 2 * b;
            self.minmax[mm] = self.minmax[mm].min(k);
            self.minmax[mm + 1] = self.minmax[mm + 1].max(k);
        }
    }

    /// Move the worker's u32 counts into u64 (checking none overflowed).
    fn flush(&mut self, plan: &Plan) {
        assert!(
            self.seen.iter().all(|&s| s <= u32::MAX as u64),
            "a worker pushed more than u32::MAX values of one column in one tally"
        );
        let local = self.local.iter().zip(&self.local8);
        if self.counts.is_empty() {
            self.counts = local.map(|(&x, &y)| x as u64 + y as u64).collect();
        } else {
            for (c, (&x, &y)) in self.counts.iter_mut().zip(local) {
                *c += x as u64 + y as u64;
            }
        }
        for (c, f) in plan.cols.iter().zip(&plan.fast_count) {
            if let Some(f) = f {
                for g in 0..=f.nw {
                    self.counts[c.gap_off + g] += self.gaps[f.gap_first + g] as u64;
                }
            }
        }
        self.local = Vec::new();
        self.local8 = Vec::new();
        self.gaps = Vec::new();
    }
}

impl TallyData {
    /// Add another worker's data (any order, any chunking: the result is the same).
    pub fn merge(&mut self, other: TallyData) {
        match (self, other) {
            (TallyData::Count(a), TallyData::Count(b)) => {
                for (x, y) in a.counts.iter_mut().zip(&b.counts) {
                    *x += y;
                }
                for (i, (x, y)) in a.minmax.iter_mut().zip(&b.minmax).enumerate() {
                    *x = if i % 2 == 0 {
                        (*x).min(*y)
                    } else {
                        (*x).max(*y)
                    };
                }
                for i in 0..a.min.len() {
                    a.min[i] = a.min[i].min(b.min[i]);
                    a.max[i] = a.max[i].max(b.max[i]);
                    a.seen[i] += b.seen[i];
                }
                // Kept values stay each worker's until `answer_kept` gathers a column:
                // concatenating them here would reallocate every column at once.
                if a.kept.is_empty() {
                    a.kept = b.kept;
                } else if !b.kept.is_empty() {
                    a.others.push(b.kept);
                }
                a.others.extend(b.others);
            }
            (TallyData::Collect(a), TallyData::Collect(b)) => {
                for (x, y) in a.values.iter_mut().zip(b.values) {
                    for (u, w) in x.iter_mut().zip(y) {
                        u.extend(w);
                    }
                }
                for (x, y) in a.sums.iter_mut().zip(&b.sums) {
                    for (u, w) in x.iter_mut().zip(y) {
                        u.merge(w);
                    }
                }
            }
            _ => panic!("tallies of different passes"),
        }
    }
}

/// Number of 32-bit limbs: bit 0 is 2^-1074 (the least subnormal); the largest f64 times
/// a u64 count reaches bit 2^(1024 + 64); two limbs spare for carries.
const LIMBS: usize = (1074 + 1024 + 64) / 32 + 3;

/// An exact sum of f64s: a signed fixed-point integer in units of 2^-1074, in 32-bit
/// limbs held in i64 (so 2^30 additions fit before carrying). Addition is exact, hence
/// associative and commutative: the sum does not depend on order, workers or chunking.
/// Infinities are counted apart (NaN must not be added).
#[derive(Clone, Debug)]
pub struct ExactSum {
    limbs: [i64; LIMBS],
    adds: u32,
    pos_inf: u64,
    neg_inf: u64,
}

impl Default for ExactSum {
    fn default() -> Self {
        ExactSum {
            limbs: [0; LIMBS],
            adds: 0,
            pos_inf: 0,
            neg_inf: 0,
        }
    }
}

impl ExactSum {
    /// Add `v`.
    #[inline]
    pub fn add(&mut self, v: f64) {
        self.add_times(v, 1);
    }

    /// Add `v` `times` times (exactly: `v · times`).
    pub fn add_times(&mut self, v: f64, times: u64) {
        debug_assert!(!v.is_nan());
        if times == 0 {
            return;
        }
        if v.is_infinite() {
            if v > 0.0 {
                self.pos_inf += times;
            } else {
                self.neg_inf += times;
            }
            return;
        }
        let bits = v.to_bits();
        let e = ((bits >> 52) & 0x7ff) as usize;
        let frac = (bits & ((1u64 << 52) - 1)) as i128;
        // v = m · 2^(pos − 1074): subnormals have e = 0 and no hidden bit.
        let (m, pos) = if e == 0 {
            (frac, 0)
        } else {
            (frac | (1 << 52), e - 1)
        };
        let m = if bits >> 63 == 1 { -m } else { m };
        self.add_shifted(m * (times & 0xffff_ffff) as i128, pos);
        if times >> 32 != 0 {
            self.add_shifted(m * (times >> 32) as i128, pos + 32);
        }
    }

    /// Add `x · 2^pos` (|x| < 2^85) in units of 2^-1074.
    #[inline]
    fn add_shifted(&mut self, x: i128, pos: usize) {
        let (i, s) = (pos / 32, pos % 32);
        let mut x = x << s; // < 2^116 in magnitude
        for limb in &mut self.limbs[i..i + 3] {
            *limb += (x & 0xffff_ffff) as i64;
            x >>= 32;
        }
        self.limbs[i + 3] += x as i64;
        self.adds += 1;
        if self.adds >= 1 << 30 {
            self.carry();
        }
    }

    /// Bring every limb but the top into 0..2^32.
    fn carry(&mut self) {
        for i in 0..LIMBS - 1 {
            let c = self.limbs[i] >> 32;
            self.limbs[i] -= c << 32;
            self.limbs[i + 1] += c;
        }
        self.adds = 0;
    }

    /// Add another exact sum.
    pub fn merge(&mut self, o: &ExactSum) {
        self.carry();
        let mut o = o.clone();
        o.carry();
        for (a, b) in self.limbs.iter_mut().zip(&o.limbs) {
            *a += b;
        }
        self.adds = 1;
        self.pos_inf += o.pos_inf;
        self.neg_inf += o.neg_inf;
    }

    /// The sum rounded to the nearest f64 (ties to even; a subnormal sum may round
    /// twice). ∞ − ∞ is NaN.
    pub fn to_f64(&self) -> f64 {
        match (self.pos_inf > 0, self.neg_inf > 0) {
            (true, true) => return f64::NAN,
            (true, false) => return f64::INFINITY,
            (false, true) => return f64::NEG_INFINITY,
            _ => {}
        }
        let mut s = self.clone();
        s.carry();
        let negative = s.limbs[LIMBS - 1] < 0;
        if negative {
            for l in &mut s.limbs {
                *l = -*l;
            }
            s.carry();
        }
        let Some(h) = s.limbs.iter().rposition(|&l| l != 0) else {
            return 0.0;
        };
        // The top 96 bits, and a sticky bit for anything below (so rounding is right).
        let h = h.max(2);
        let top = ((s.limbs[h] as u128) << 64)
            | ((s.limbs[h - 1] as u128) << 32)
            | (s.limbs[h - 2] as u128);
        let sticky = s.limbs[..h - 2].iter().any(|&l| l != 0) as u128;
        let mag = libm::ldexp((top | sticky) as f64, 32 * (h as i32 - 2) - 1074);
        if negative {
            -mag
        } else {
            mag
        }
    }
}

#[cfg(test)]
mod tests;
