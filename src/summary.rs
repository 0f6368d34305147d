//! The results of one run, aggregated across paths: what the engine produces and what
//! every exporter (CSV, charts, HTML) reads. Exporters never go back to the paths.

use crate::date::Date;
use crate::scenario::Meta;

/// Summary percentiles we report everywhere, in this order.
pub const PERCENTILES: [f64; 5] = [0.05, 0.25, 0.50, 0.75, 0.95];

/// Unit of a metric, as written in the CSV `unit` columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    UsdBn,
    Fraction,
    Probability,
}

impl Unit {
    pub fn as_str(&self) -> &'static str {
        match self {
            Unit::UsdBn => "usd_bn",
            Unit::Fraction => "fraction",
            Unit::Probability => "probability",
        }
    }
}

/// Distribution statistics of one quantity across paths.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Stats {
    pub mean: f64,
    /// Sample standard deviation (n - 1; 0 for one path).
    pub std_dev: f64,
    /// `std_dev / sqrt(paths)`.
    pub std_error: f64,
    /// p5, p25, p50, p75, p95: exact, linear interpolation between order statistics (type 7).
    pub pct: [f64; 5],
    pub min: f64,
    pub max: f64,
}

impl Stats {
    pub fn p5(&self) -> f64 {
        self.pct[0]
    }
    pub fn p25(&self) -> f64 {
        self.pct[1]
    }
    pub fn p50(&self) -> f64 {
        self.pct[2]
    }
    pub fn p75(&self) -> f64 {
        self.pct[3]
    }
    pub fn p95(&self) -> f64 {
        self.pct[4]
    }
}

/// Per-path results of MODEL.md §2, in the row order of summary.csv.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultMetric {
    NpvTotal,
    NpvRevenueShare,
    NpvCloudModels,
    NpvReverseShare,
    NpvCompute,
    PvStake,
    StakeGain,
    RevenueShareTotal,
    StakeEnd,
    CapHit,
    NpvLicence,
    Renewed,
    Renegotiated,
}

/// Number of per-path results (summary.csv rows).
pub const N_RESULTS: usize = 13;
/// Number of per-period metrics (timeseries.csv rows per period).
pub const N_SERIES: usize = 9;

impl ResultMetric {
    /// v1's ten, then MODEL.md §6.4's three, appended after `cap_hit`.
    pub const ALL: [ResultMetric; N_RESULTS] = [
        ResultMetric::NpvTotal,
        ResultMetric::NpvRevenueShare,
        ResultMetric::NpvCloudModels,
        ResultMetric::NpvReverseShare,
        ResultMetric::NpvCompute,
        ResultMetric::PvStake,
        ResultMetric::StakeGain,
        ResultMetric::RevenueShareTotal,
        ResultMetric::StakeEnd,
        ResultMetric::CapHit,
        ResultMetric::NpvLicence,
        ResultMetric::Renewed,
        ResultMetric::Renegotiated,
    ];

    pub fn name(&self) -> &'static str {
        match self {
            ResultMetric::NpvTotal => "npv_total",
            ResultMetric::NpvRevenueShare => "npv_revenue_share",
            ResultMetric::NpvCloudModels => "npv_cloud_models",
            ResultMetric::NpvReverseShare => "npv_reverse_share",
            ResultMetric::NpvCompute => "npv_compute",
            ResultMetric::PvStake => "pv_stake",
            ResultMetric::StakeGain => "stake_gain",
            ResultMetric::RevenueShareTotal => "revenue_share_total",
            ResultMetric::StakeEnd => "stake_end",
            ResultMetric::CapHit => "cap_hit",
            ResultMetric::NpvLicence => "npv_licence",
            ResultMetric::Renewed => "renewed",
            ResultMetric::Renegotiated => "renegotiated",
        }
    }

    pub fn unit(&self) -> Unit {
        match self {
            ResultMetric::StakeEnd => Unit::Fraction,
            ResultMetric::CapHit | ResultMetric::Renewed | ResultMetric::Renegotiated => {
                Unit::Probability
            }
            _ => Unit::UsdBn,
        }
    }

    pub fn index(&self) -> usize {
        *self as usize
    }

    /// NPV results: `npv_total` and its parts (the cash-flow NPVs and `pv_stake`). These
    /// get tails (risk.csv) and convergence rows. No wildcard arm: a new result must be
    /// classified here, so a new NPV component joins risk.csv and convergence.csv by
    /// being listed once.
    pub fn is_npv(&self) -> bool {
        match self {
            ResultMetric::NpvTotal
            | ResultMetric::NpvRevenueShare
            | ResultMetric::NpvCloudModels
            | ResultMetric::NpvReverseShare
            | ResultMetric::NpvCompute
            | ResultMetric::PvStake
            | ResultMetric::NpvLicence => true,
            ResultMetric::StakeGain
            | ResultMetric::RevenueShareTotal
            | ResultMetric::StakeEnd
            | ResultMetric::CapHit
            | ResultMetric::Renewed
            | ResultMetric::Renegotiated => false,
        }
    }

    /// The NPV results in summary.csv order (see [`ResultMetric::is_npv`]).
    pub fn npv_metrics() -> impl Iterator<Item = ResultMetric> {
        ResultMetric::ALL.into_iter().filter(|m| m.is_npv())
    }

    /// A 0/1 flag per path (unit `probability`): its mean is a probability and its
    /// percentiles are taken without interpolation, so they are 0 or 1.
    pub fn is_binary(&self) -> bool {
        self.unit() == Unit::Probability
    }

    /// The result named `name` in the CSV files.
    pub fn from_name(name: &str) -> Option<ResultMetric> {
        ResultMetric::ALL.into_iter().find(|m| m.name() == name)
    }
}

/// Per-period metrics of timeseries.csv, in their row order within a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesMetric {
    CompanyRevenue,
    CompanyValuation,
    ChannelRevenue,
    RevenueShare,
    RevenueShareCumulative,
    StakeFraction,
    StakeValue,
    InvestorCashFlow,
    LicenceValue,
}

impl SeriesMetric {
    pub const ALL: [SeriesMetric; N_SERIES] = [
        SeriesMetric::CompanyRevenue,
        SeriesMetric::CompanyValuation,
        SeriesMetric::ChannelRevenue,
        SeriesMetric::RevenueShare,
        SeriesMetric::RevenueShareCumulative,
        SeriesMetric::StakeFraction,
        SeriesMetric::StakeValue,
        SeriesMetric::InvestorCashFlow,
        SeriesMetric::LicenceValue,
    ];

    pub fn name(&self) -> &'static str {
        match self {
            SeriesMetric::CompanyRevenue => "company_revenue",
            SeriesMetric::CompanyValuation => "company_valuation",
            SeriesMetric::ChannelRevenue => "channel_revenue",
            SeriesMetric::RevenueShare => "revenue_share",
            SeriesMetric::RevenueShareCumulative => "revenue_share_cumulative",
            SeriesMetric::StakeFraction => "stake_fraction",
            SeriesMetric::StakeValue => "stake_value",
            SeriesMetric::InvestorCashFlow => "investor_cash_flow",
            SeriesMetric::LicenceValue => "licence_value",
        }
    }

    pub fn unit(&self) -> Unit {
        match self {
            SeriesMetric::StakeFraction => Unit::Fraction,
            _ => Unit::UsdBn,
        }
    }

    pub fn index(&self) -> usize {
        *self as usize
    }
}

/// Mean and percentile band of one metric in one period (no std_dev: fan charts only).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Band {
    pub mean: f64,
    /// p5, p25, p50, p75, p95 (type 7).
    pub pct: [f64; 5],
}

/// One period of the time grid with its bands and expected cash flows.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodSummary {
    /// Last calendar day of the period.
    pub period_end: Date,
    /// Calendar year the period belongs to.
    pub year: i32,
    /// Decimal year at the end of the period (`t_k`).
    pub t: f64,
    /// Indexed by `SeriesMetric::index()`.
    pub bands: [Band; N_SERIES],
    /// Mean cash-flow components (USD bn in the period), cashflows.csv columns.
    pub revenue_share: f64,
    pub cloud_model_margin: f64,
    /// Negative: a cost to the investor.
    pub reverse_share: f64,
    pub compute_margin: f64,
    /// Mean `L_k`, the licence's product value (MODEL.md §6.1; 0 without a licence).
    pub licence_value: f64,
    /// Mean `DF_k` across paths.
    pub discount_factor: f64,
    /// Mean `CF_k * DF_k` across paths.
    pub pv_investor_cash_flow: f64,
}

impl PeriodSummary {
    /// Sum of the five mean components, so the CSV row adds up exactly (the licence last:
    /// without one, + 0 leaves v1's sum as it was).
    pub fn investor_cash_flow(&self) -> f64 {
        self.revenue_share
            + self.cloud_model_margin
            + self.reverse_share
            + self.compute_margin
            + self.licence_value
    }

    pub fn band(&self, m: SeriesMetric) -> &Band {
        &self.bands[m.index()]
    }
}

/// Cap timing for one calendar year.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CapHitYear {
    pub year: i32,
    /// Probability the cap is first hit in this year.
    pub probability: f64,
    /// Probability it has been hit by the end of this year.
    pub cumulative_probability: f64,
}

/// The distribution of npv_total, for histograms and CDF charts.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Distribution {
    /// `(probability, value)` at probabilities 0, 0.005, ..., 1 (type 7).
    pub quantiles: Vec<(f64, f64)>,
    /// Histogram bin edges (len = counts.len() + 1), spanning p0.5..p99.5 of the paths,
    /// so that a few far paths do not squash the picture.
    pub edges: Vec<f64>,
    pub counts: Vec<u64>,
    /// Paths below the first edge and above the last.
    pub below: u64,
    pub above: u64,
}

/// Everything one run produced, aggregated.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSummary {
    pub meta: Meta,
    pub paths: u64,
    pub seed: u64,
    pub start_year: i32,
    pub end_year: i32,
    pub steps_per_year: u32,
    /// Revenue share: last year it runs, and the cap in USD bn (None = no cap, or an
    /// uncertain cap, which charts then do not draw as a line).
    pub revenue_share_end_year: i32,
    pub cap: Option<f64>,
    /// Indexed by `ResultMetric::index()`.
    pub results: [Stats; N_RESULTS],
    pub periods: Vec<PeriodSummary>,
    pub cap_hits: Vec<CapHitYear>,
    /// Per calendar year from `start_year`: the share of paths whose revenue share is
    /// renegotiated in that year (MODEL.md §6.3; all 0 without `[renegotiation]`).
    pub renegotiation_by_year: Vec<f64>,
    /// Median cap-hit year over all paths, "never" counting as later than any year: `None`
    /// when fewer than half the paths hit the cap.
    pub median_cap_hit_year: Option<i32>,
    pub npv_total_dist: Distribution,
}

impl RunSummary {
    pub fn result(&self, m: ResultMetric) -> &Stats {
        &self.results[m.index()]
    }

    /// Whether the run has a licence flow to show: some path has product value from it.
    /// (Charts add the licence only then, so v1 scenarios draw as before.)
    pub fn has_licence_value(&self) -> bool {
        let st = self.result(ResultMetric::NpvLicence);
        st.max != 0.0 || st.min != 0.0
    }
}
