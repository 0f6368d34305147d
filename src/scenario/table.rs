//! The one table of scenario inputs (issue 14): every key of `[company]`, `[stake]`,
//! `[revenue_share]`, `[channel]`, `[cloud]`, `[discount]`, `[licence]` and
//! `[renegotiation]` is defined once here — key path, unit, range rule, default, meaning,
//! whether it may be a schedule, where it lives in the typed [`Scenario`] and its line in
//! `dealsim example`.
//!
//! Everything else reads this table: validation (the section readers walk it), the list
//! of scalar inputs (`Scenario::inputs`, hence paths.csv columns, random-stream keys and
//! the inputs sensitivity swings), `dealsim example`, the HTML assumptions table, the
//! typed swings of `dealsim sensitivity` and the key tables of docs/scenario-format.md
//! (checked by a test). Adding an input is one entry here, one field of its section's
//! struct and its equation in `model::params`.
//!
//! Every number input may be written as a distribution; `Slot::Scheduled` ones may also
//! be a step schedule. The few keys that are not numbers (years, dates, a flag) are
//! listed too, for the docs, the example and the assumptions, but read by their
//! section's code, which holds their cross-key checks.

use super::inputs::{Range, Rule};
use super::types::{Input, Scenario, Scheduled};

use Range::{AboveMinusOne as GtM1, Any, NonNegative as NonNeg, Positive as Pos, Unit};

/// Where a number input lives in the typed scenario: read and write access (`None`
/// when its section is absent). Used at setup only, never per step.
pub struct Access<T: 'static> {
    /// The field it reaches, as written (`company.revenue0`): a test checks it is the
    /// row's key, so two rows cannot swap fields unnoticed.
    pub field: &'static str,
    pub get: for<'a> fn(&'a Scenario) -> Option<&'a T>,
    pub get_mut: for<'a> fn(&'a mut Scenario) -> Option<&'a mut T>,
}

/// The kind of value a key holds, with its place in the typed scenario.
pub enum Slot {
    /// A number or a distribution.
    Input(Access<Input>),
    /// A number, a distribution or a step schedule over years (MODEL.md §4).
    Scheduled(Access<Scheduled>),
    /// A number or a distribution that may be left out (`Need::Absent`).
    Optional(Access<Option<Input>>),
    /// Not a number (a year, a date, a flag): read by its section's code; `text` is its
    /// value as the assumptions table shows it (`None` when its section is absent).
    Other {
        kind: &'static str,
        text: fn(&Scenario) -> Option<String>,
    },
}

/// Whether a key must be written, and what holds when it is not.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Need {
    Required,
    /// Optional; left out, it is this constant.
    Default(f64),
    /// Optional; left out, there is no value, and this holds (docs and assumptions).
    Absent(&'static str),
}

/// One scenario input.
pub struct InputDef {
    pub id: InputId,
    /// Key path, `section.key` (`company.revenue0`): the name in `--set`, paths.csv,
    /// sensitivity and the input's random stream.
    pub key: &'static str,
    pub unit: &'static str,
    /// Range and bounds of a number input (ignored for `Slot::Other`).
    pub rule: Rule,
    pub need: Need,
    /// One line: what the input means (docs).
    pub meaning: &'static str,
    pub slot: Slot,
    /// Its line in `dealsim example`: the value as written and the comment (a `\n` starts
    /// a continuation comment line).
    pub example: (&'static str, &'static str),
}

/// Read and write access to `section.field` (`opt` for a field of an optional section).
macro_rules! at {
    ($sec:ident . $f:ident) => {
        Access {
            field: concat!(stringify!($sec), ".", stringify!($f)),
            get: |s| Some(&s.$sec.$f),
            get_mut: |s| Some(&mut s.$sec.$f),
        }
    };
    (opt $sec:ident . $f:ident) => {
        Access {
            field: concat!(stringify!($sec), ".", stringify!($f)),
            get: |s| s.$sec.as_ref().map(|x| &x.$f),
            get_mut: |s| s.$sec.as_mut().map(|x| &mut x.$f),
        }
    };
}

/// The table and the `InputId` enum naming its rows, from one list.
macro_rules! inputs {
    ($($id:ident $key:literal { $($field:ident : $val:expr),* $(,)? })*) => {
        /// A row of [`INPUTS`] (its index), for code that reads one input by name
        /// without a string (the model's equations).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum InputId { $($id),* }

        /// Every input, in file order (MODEL.md §4): the order of paths.csv's columns and
        /// of the draws.
        pub const INPUTS: &[InputDef] = &[
            $( InputDef { id: InputId::$id, key: $key, $($field: $val),* } ),*
        ];
    };
}

const fn rule(range: Range) -> Rule {
    Rule::new(range)
}
const fn money(range: Range) -> Rule {
    Rule::money(range)
}
const VOL: Rule = Rule::vol();
const REQ: Need = Need::Required;
const ZERO: Need = Need::Default(0.0);
/// The rule of a non-number key (unused).
const NONE: Rule = Rule::new(Any);

inputs! {
    CompanyRevenue0 "company.revenue0" { unit: "USD bn / year", rule: money(Pos), need: REQ,
        meaning: "core revenue run-rate on 1 January of `start_year`",
        slot: Slot::Input(at!(company.revenue0)),
        example: ("20.0", "core revenue run-rate at start, USD bn/yr; > 0") }
    CompanyGrowth0 "company.growth0" { unit: "fraction / year", rule: rule(GtM1), need: REQ,
        meaning: "annual growth at the start (`1.3` = +130 % a year)",
        slot: Slot::Input(at!(company.growth0)),
        example: ("1.0", "annual growth at start; > -1") }
    CompanyGrowthLong "company.growth_long" { unit: "fraction / year", rule: rule(GtM1), need: REQ,
        meaning: "long-run annual growth the growth rate reverts to",
        slot: Slot::Input(at!(company.growth_long)),
        example: ("0.08", "long-run annual growth; > -1") }
    CompanyGrowthHalfLife "company.growth_half_life" { unit: "years", rule: rule(Pos), need: REQ,
        meaning: "years for the growth premium over `growth_long` to halve",
        slot: Slot::Input(at!(company.growth_half_life)),
        example: ("2.0", "years for the growth premium to halve; > 0") }
    CompanyGrowthVol "company.growth_vol" { unit: "per √year", rule: VOL, need: REQ,
        meaning: "volatility of the (log) growth rate",
        slot: Slot::Input(at!(company.growth_vol)),
        example: ("0.15", "vol of the log growth rate; >= 0") }
    CompanyRevenueVol "company.revenue_vol" { unit: "per √year", rule: VOL, need: REQ,
        meaning: "volatility of log revenue",
        slot: Slot::Input(at!(company.revenue_vol)),
        example: ("0.20", "vol of log revenue, per sqrt(year); >= 0") }
    CompanyValuation0 "company.valuation0" { unit: "USD bn", rule: money(Pos), need: REQ,
        meaning: "company equity value at the start",
        slot: Slot::Input(at!(company.valuation0)),
        example: ("852.0", "equity value at start, USD bn; > 0") }
    CompanyMultipleLong "company.multiple_long" { unit: "× revenue", rule: rule(Pos), need: REQ,
        meaning: "long-run equity value / total revenue run-rate",
        slot: Slot::Input(at!(company.multiple_long)),
        example: ("12.0", "long-run equity value / revenue; > 0") }
    CompanyMultipleHalfLife "company.multiple_half_life" { unit: "years", rule: rule(Pos), need: REQ,
        meaning: "years for the log multiple's gap to `multiple_long` to halve",
        slot: Slot::Input(at!(company.multiple_half_life)),
        example: ("4.0", "years; > 0") }
    CompanyMultipleVol "company.multiple_vol" { unit: "per √year", rule: VOL, need: REQ,
        meaning: "volatility of the log multiple",
        slot: Slot::Input(at!(company.multiple_vol)),
        example: ("0.30", ">= 0") }

    StakeInitial "stake.initial" { unit: "fraction", rule: rule(Unit), need: REQ,
        meaning: "investor's share of the company's equity at the start",
        slot: Slot::Input(at!(stake.initial)),
        example: ("0.26", "required; investor's share of the equity; [0, 1]") }
    StakeAnnualDilution "stake.annual_dilution" { unit: "fraction / year", rule: rule(NonNeg), need: ZERO,
        meaning: "continuous dilution: stake × exp(−d·dt) each period",
        slot: Slot::Scheduled(at!(stake.annual_dilution)),
        example: ("0.02", "default 0; per year, >= 0 (or a schedule)") }
    StakeLiquidityDiscount "stake.liquidity_discount" { unit: "fraction", rule: rule(Unit), need: ZERO,
        meaning: "haircut on the stake's terminal value",
        slot: Slot::Input(at!(stake.liquidity_discount)),
        example: ("0.0", "default 0; haircut on the stake's value; [0, 1]") }
    StakeRandomRoundsPerYear "stake.random_rounds_per_year" { unit: "rounds / year", rule: rule(NonNeg), need: ZERO,
        meaning: "Poisson rate of unplanned financing rounds",
        slot: Slot::Input(at!(stake.random_rounds_per_year)),
        example: ("0.0", "default 0; Poisson rate of unplanned rounds; >= 0") }
    StakeRandomRoundFraction "stake.random_round_fraction" { unit: "fraction", rule: rule(NonNeg), need: ZERO,
        meaning: "each unplanned round divides the stake by (1 + f)",
        slot: Slot::Input(at!(stake.random_round_fraction)),
        example: ("0.10", "default 0; each random round: stake / (1 + f); >= 0") }

    RevenueShareRate "revenue_share.rate" { unit: "fraction", rule: rule(Unit), need: REQ,
        meaning: "share of the base paid to the investor",
        slot: Slot::Scheduled(at!(revenue_share.rate)),
        example: ("{ 2026 = 0.20, 2029 = 0.15 }", "required; [0, 1]; a schedule: 20 % to 2028, then 15 %") }
    RevenueShareEndYear "revenue_share.end_year" { unit: "year", rule: NONE, need: REQ,
        meaning: "last calendar year in which the share is paid (need not lie in the horizon)",
        slot: Slot::Other { kind: "integer year",
            text: |s| Some(s.revenue_share.end_year.to_string()) },
        example: ("2030", "required; last calendar year the share is paid") }
    RevenueShareCap "revenue_share.cap" { unit: "USD bn, cumulative", rule: money(NonNeg), need: Need::Absent("none"),
        meaning: "total the company ever pays; omit for no limit",
        slot: Slot::Optional(at!(revenue_share.cap)),
        example: ("38.0", "USD bn cumulative, >= 0; default: no cap") }
    RevenueShareBaseIncludesChannel "revenue_share.base_includes_channel" { unit: "yes / no", rule: NONE, need: REQ,
        meaning: "`true`: the base is total revenue, including what the channel adds; `false`: core revenue only",
        slot: Slot::Other { kind: "`true`/`false`",
            text: |s| Some(String::from(if s.revenue_share.base_includes_channel { "yes" } else { "no" })) },
        example: ("true", "required; share also on revenue sold through the channel") }

    ChannelAddressableShare "channel.addressable_share" { unit: "fraction", rule: rule(Unit), need: REQ,
        meaning: "share of core revenue the channel can reach (e.g. enterprise/API)",
        slot: Slot::Input(at!(channel.addressable_share)),
        example: ("0.35", "share of core revenue the channel can reach; [0, 1]") }
    ChannelCeiling "channel.ceiling" { unit: "fraction", rule: rule(Unit), need: REQ,
        meaning: "the channel's long-run share of the addressable revenue",
        slot: Slot::Input(at!(channel.ceiling)),
        example: ("{ dist = \"triangular\", low = 0.05, mode = 0.15, high = 0.35 }", "[0, 1]") }
    ChannelMidpointYear "channel.midpoint_year" { unit: "decimal year", rule: rule(Any), need: REQ,
        meaning: "when the channel reaches half its ceiling (`2027.5` = mid-2027)",
        slot: Slot::Input(at!(channel.midpoint_year)),
        example: ("2028.5", "decimal year of half the ceiling; any number") }
    ChannelRampSpeed "channel.ramp_speed" { unit: "per year", rule: rule(NonNeg), need: REQ,
        meaning: "steepness of the logistic ramp (0 = flat at half the ceiling)",
        slot: Slot::Input(at!(channel.ramp_speed)),
        example: ("1.2", "logistic speed, per year; >= 0") }
    ChannelIncremental "channel.incremental" { unit: "fraction", rule: rule(Unit), need: REQ,
        meaning: "part of channel sales that is new revenue for the company",
        slot: Slot::Input(at!(channel.incremental)),
        example: ("0.4", "fraction of channel revenue that is new revenue; [0, 1]") }
    ChannelCloudCannibalization "channel.cloud_cannibalization" { unit: "fraction", rule: rule(Unit), need: REQ,
        meaning: "part of channel sales taken from the investor's cloud model sales",
        slot: Slot::Input(at!(channel.cloud_cannibalization)),
        example: ("0.3", "fraction taken from the investor's cloud; [0, 1]\nincremental + cloud_cannibalization <= 1 (largest values)") }

    CloudModelRevenue0 "cloud.model_revenue0" { unit: "USD bn / year", rule: money(NonNeg), need: REQ,
        meaning: "the investor's sales of the company's models, run-rate at the start; it then scales with core revenue",
        slot: Slot::Input(at!(cloud.model_revenue0)),
        example: ("6.0", "investor's sales of the company's models, USD bn/yr; >= 0") }
    CloudModelMargin "cloud.model_margin" { unit: "fraction", rule: rule(Unit), need: REQ,
        meaning: "investor's margin on those sales",
        slot: Slot::Scheduled(at!(cloud.model_margin)),
        example: ("0.45", "[0, 1] (or a schedule)") }
    CloudShareToCompany "cloud.share_to_company" { unit: "fraction", rule: rule(Unit), need: REQ,
        meaning: "reverse share: fraction of those sales the investor pays the company",
        slot: Slot::Input(at!(cloud.share_to_company)),
        example: ("0.20", "reverse share paid to the company; [0, 1]") }
    CloudStopPaying "cloud.stop_paying" { unit: "date", rule: NONE, need: Need::Absent("never"),
        meaning: "the investor stops paying the reverse share on this date (in the horizon)",
        slot: Slot::Other { kind: "date",
            text: |s| Some(s.cloud.stop_paying.map_or_else(|| "never".into(), |d| d.to_string())) },
        example: ("2026-04-27", "reverse share stops on this date; default: never") }
    CloudComputeSpendRatio "cloud.compute_spend_ratio" { unit: "× revenue", rule: rule(NonNeg), need: REQ,
        meaning: "company compute spend / total revenue",
        slot: Slot::Scheduled(at!(cloud.compute_spend_ratio)),
        example: ("0.50", "company compute spend / revenue; >= 0 (or a schedule)") }
    CloudComputeShare0 "cloud.compute_share0" { unit: "fraction", rule: rule(Unit), need: REQ,
        meaning: "investor cloud's share of that spend at the start",
        slot: Slot::Input(at!(cloud.compute_share0)),
        example: ("0.80", "investor cloud's share of that spend at start; [0, 1]") }
    CloudComputeShareLong "cloud.compute_share_long" { unit: "fraction", rule: rule(Unit), need: REQ,
        meaning: "its long-run share",
        slot: Slot::Input(at!(cloud.compute_share_long)),
        example: ("0.45", "long-run share; [0, 1]") }
    CloudComputeShareHalfLife "cloud.compute_share_half_life" { unit: "years", rule: rule(Pos), need: REQ,
        meaning: "years for the gap to halve",
        slot: Slot::Input(at!(cloud.compute_share_half_life)),
        example: ("3.0", "years; > 0") }
    CloudComputeMargin "cloud.compute_margin" { unit: "fraction", rule: rule(Unit), need: REQ,
        meaning: "investor's margin on the company's compute spend",
        slot: Slot::Scheduled(at!(cloud.compute_margin)),
        example: ("0.35", "[0, 1] (or a schedule)") }

    DiscountRate "discount.rate" { unit: "fraction / year", rule: rule(GtM1), need: REQ,
        meaning: "annual rate for the investor's cash flows (e.g. its WACC)",
        slot: Slot::Input(at!(discount.rate)),
        example: ("0.09", "required; investor's cash flows; > -1") }
    DiscountEquityRate "discount.equity_rate" { unit: "fraction / year", rule: rule(GtM1), need: Need::Absent("= discount.rate"),
        meaning: "annual rate for the stake's terminal value",
        slot: Slot::Optional(at!(discount.equity_rate)),
        example: ("0.13", "the stake's terminal value; > -1; default: rate") }

    LicenceEnd "licence.end" { unit: "date", rule: NONE, need: REQ,
        meaning: "last day the licence covers: on or after 1 January of `start_year` (may be after the horizon)",
        slot: Slot::Other { kind: "date", text: |s| s.licence.as_ref().map(|l| l.end.to_string()) },
        example: ("2032-12-31", "last day of the investor's licence to the company's models") }
    LicenceRenewalProbability "licence.renewal_probability" { unit: "probability", rule: rule(Unit), need: REQ,
        meaning: "chance it is renewed on the same terms (drawn per path)",
        slot: Slot::Input(at!(opt licence.renewal_probability)),
        example: ("0.5", "chance it is renewed on the same terms, per path; [0, 1]") }
    LicenceRetention "licence.retention" { unit: "fraction", rule: rule(Unit), need: REQ,
        meaning: "share of licence-dependent value kept if it is not renewed",
        slot: Slot::Input(at!(opt licence.retention)),
        example: ("0.3", "share of licence-dependent value kept if not; [0, 1]") }
    LicenceProductValue0 "licence.product_value0" { unit: "USD bn / year", rule: money(NonNeg), need: REQ,
        meaning: "investor's own-product gross profit from the models at the start",
        slot: Slot::Input(at!(opt licence.product_value0)),
        example: ("8.0", "investor's own-product gross profit from the models, USD bn/yr; >= 0") }
    LicenceProductGrowth "licence.product_growth" { unit: "fraction / year", rule: rule(GtM1), need: REQ,
        meaning: "its annual growth",
        slot: Slot::Input(at!(opt licence.product_growth)),
        example: ("0.25", "its annual growth; > -1") }

    RenegotiationRate "renegotiation.rate" { unit: "events / year", rule: rule(NonNeg), need: REQ,
        meaning: "Poisson rate; the first event counts",
        slot: Slot::Input(at!(opt renegotiation.rate)),
        example: ("0.15", "events per year; the first one cuts the share; >= 0") }
    RenegotiationFrom "renegotiation.from" { unit: "date", rule: NONE, need: Need::Absent("start of the horizon"),
        meaning: "no event before this date (in the horizon)",
        slot: Slot::Other { kind: "date", text: |s| s.renegotiation.as_ref().map(|r| r.from.map_or_else(
            || format!("{}-01-01 (start)", s.simulation.start_year), |d| d.to_string())) },
        example: ("2026-07-01", "none before this date (in the horizon); default: start") }
    RenegotiationHaircut "renegotiation.haircut" { unit: "fraction", rule: rule(Unit), need: REQ,
        meaning: "share of the cap's remaining headroom removed (1: the share ends); without a cap, later rates × (1 − haircut)",
        slot: Slot::Input(at!(opt renegotiation.haircut)),
        example: ("0.5", "share of the cap's remaining headroom removed; [0, 1]") }
}

impl InputId {
    /// Its row of the table.
    pub const fn def(self) -> &'static InputDef {
        &INPUTS[self as usize]
    }

    /// Its key path.
    pub const fn key(self) -> &'static str {
        self.def().key
    }
}

impl InputDef {
    /// The section (`company`) and the key within it (`revenue0`).
    pub fn split(&self) -> (&'static str, &'static str) {
        self.key.split_once('.').unwrap_or(("", self.key))
    }

    pub fn section(&self) -> &'static str {
        self.split().0
    }

    /// Whether it is a number (a constant, a distribution, perhaps a schedule).
    pub fn is_number(&self) -> bool {
        !matches!(self.slot, Slot::Other { .. })
    }

    /// Every number input may be a distribution drawn once per path.
    pub fn may_be_distribution(&self) -> bool {
        self.is_number()
    }

    /// Whether it holds a calendar year (unit `year` or `decimal year`), not an amount:
    /// sensitivity swings it by years, not by a percentage of itself.
    pub fn is_calendar_year(&self) -> bool {
        matches!(self.unit, "year" | "decimal year")
    }

    pub fn may_be_schedule(&self) -> bool {
        matches!(self.slot, Slot::Scheduled(_))
    }

    /// Its scalar value in `sc` (constant or distribution); `None` when it is left out,
    /// its section is absent, it is a schedule or not a number.
    pub fn input<'a>(&self, sc: &'a Scenario) -> Option<&'a Input> {
        match &self.slot {
            Slot::Input(a) => (a.get)(sc),
            Slot::Scheduled(a) => match (a.get)(sc)? {
                Scheduled::Input(i) => Some(i),
                Scheduled::Schedule(_) => None,
            },
            Slot::Optional(a) => (a.get)(sc)?.as_ref(),
            Slot::Other { .. } => None,
        }
    }

    /// Mutable [`InputDef::input`].
    pub fn input_mut<'a>(&self, sc: &'a mut Scenario) -> Option<&'a mut Input> {
        match &self.slot {
            Slot::Input(a) => (a.get_mut)(sc),
            Slot::Scheduled(a) => match (a.get_mut)(sc)? {
                Scheduled::Input(i) => Some(i),
                Scheduled::Schedule(_) => None,
            },
            Slot::Optional(a) => (a.get_mut)(sc)?.as_mut(),
            Slot::Other { .. } => None,
        }
    }
}

/// The row of `key` (a key path), if the table has it.
pub fn find(key: &str) -> Option<&'static InputDef> {
    INPUTS.iter().find(|d| d.key == key)
}

/// The rows of one section, in file order.
pub fn section(name: &str) -> impl Iterator<Item = &'static InputDef> + '_ {
    INPUTS.iter().filter(move |d| d.section() == name)
}

/// The keys of a section (`revenue0`, ...), for unknown-key checks and hints.
pub fn section_keys(name: &str) -> Vec<&'static str> {
    section(name).map(|d| d.split().1).collect()
}

/// The required keys of a section.
pub fn required_keys(name: &str) -> Vec<&'static str> {
    section(name)
        .filter(|d| d.need == Need::Required)
        .map(|d| d.split().1)
        .collect()
}

impl Rule {
    /// The range and bounds in the docs' words.
    fn doc_text(self) -> String {
        let range = match self.range {
            _ if self.vol => "[0, 5]",
            Unit => "[0, 1]",
            Pos => "> 0",
            NonNeg => "≥ 0",
            GtM1 => "> −1",
            Any => "any finite",
        };
        if self.money {
            format!("{range} (money)")
        } else {
            range.to_string()
        }
    }
}

/// The key table of `section` in docs/scenario-format.md (Markdown), generated from the
/// rows: a test checks the document holds exactly this between its markers.
pub fn doc_table(section_name: &str) -> String {
    let mut out = String::from(
        "| key | required | unit | range | default | Dist/Sched | meaning |\n|---|---|---|---|---|---|---|\n",
    );
    for d in section(section_name) {
        let (range, dist) = match &d.slot {
            Slot::Other { kind, .. } => (kind.to_string(), ""),
            _ if d.may_be_schedule() => (d.rule.doc_text(), "Dist or Sched"),
            _ => (d.rule.doc_text(), "Dist"),
        };
        let (required, default) = match d.need {
            Need::Required => ("yes", String::new()),
            Need::Default(x) => ("no", format!("{x}")),
            Need::Absent(text) => ("no", text.to_string()),
        };
        out.push_str(&format!(
            "| `{}` | {required} | {} | {range} | {default} | {dist} | {} |\n",
            d.split().1,
            d.unit,
            d.meaning
        ));
    }
    out
}

/// The sections that hold inputs, in file order.
pub fn sections() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for d in INPUTS {
        if out.last() != Some(&d.section()) {
            out.push(d.section());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `InputId` names rows by index, and every key is `section.key`, listed once.
    #[test]
    fn ids_index_rows_and_keys_are_unique() {
        for (i, d) in INPUTS.iter().enumerate() {
            assert_eq!(d.id as usize, i, "{}", d.key);
            assert_eq!(d.id.key(), d.key);
            let (s, k) = d.split();
            assert!(
                !s.is_empty() && !k.is_empty() && !k.contains('.'),
                "{}",
                d.key
            );
            assert_eq!(INPUTS.iter().filter(|e| e.key == d.key).count(), 1);
        }
        assert_eq!(
            find("channel.ceiling").map(|d| d.id),
            Some(InputId::ChannelCeiling)
        );
        assert!(find("channel.nope").is_none());
    }

    /// Each number row's accessor names the field of its own key (`company.revenue0`
    /// reaches `sc.company.revenue0`), so a swapped pair of rows fails here.
    #[test]
    fn accessors_name_their_keys() {
        for d in INPUTS {
            let field = match &d.slot {
                Slot::Input(a) => a.field,
                Slot::Scheduled(a) => a.field,
                Slot::Optional(a) => a.field,
                Slot::Other { .. } => continue,
            };
            assert_eq!(field, d.key);
        }
    }

    /// Each accessor reads and writes its own field: writing a distinct constant through
    /// every number input's accessor and reading all back finds each value where it was
    /// written (a swapped pair of accessors would read the other's value).
    #[test]
    fn accessors_reach_distinct_fields() {
        let mut sc = crate::scenario::parse_str(&crate::scenario::EXAMPLE, "example.toml").unwrap();
        sc.revenue_share.rate = Scheduled::Input(Input::Const(0.0));
        let numbers: Vec<&InputDef> = INPUTS.iter().filter(|d| d.is_number()).collect();
        for (i, d) in numbers.iter().enumerate() {
            *d.input_mut(&mut sc).unwrap_or_else(|| panic!("{}", d.key)) =
                Input::Const(i as f64 + 0.5);
        }
        for (i, d) in numbers.iter().enumerate() {
            assert_eq!(
                d.input(&sc),
                Some(&Input::Const(i as f64 + 0.5)),
                "{}",
                d.key
            );
        }
        // The typed fields themselves, spot-checked by name.
        assert_eq!(sc.company.revenue0, Input::Const(0.5));
        assert_eq!(
            sc.renegotiation.as_ref().unwrap().haircut.as_const(),
            Some(numbers.len() as f64 - 0.5)
        );
        assert_eq!(
            sc.discount.equity_rate,
            Some(Input::Const(
                numbers
                    .iter()
                    .position(|d| d.key == "discount.equity_rate")
                    .unwrap() as f64
                    + 0.5
            ))
        );
    }

    /// The schedule keys are exactly the five of MODEL.md §4, and the error message's
    /// list (`SCHEDULED_KEYS`, in its own order) names the same ones.
    #[test]
    fn schedule_keys_are_models() {
        let sched: Vec<&str> = INPUTS
            .iter()
            .filter(|d| d.may_be_schedule())
            .map(|d| d.key)
            .collect();
        assert_eq!(
            sched,
            [
                "stake.annual_dilution",
                "revenue_share.rate",
                "cloud.model_margin",
                "cloud.compute_spend_ratio",
                "cloud.compute_margin"
            ]
        );
        let mut listed = super::super::inputs::SCHEDULED_KEYS.to_vec();
        listed.sort_unstable();
        let mut sched = sched;
        sched.sort_unstable();
        assert_eq!(listed, sched);
    }

    /// `dealsim example` shows every key of the table with its example value, and each
    /// written number reads back as that value.
    #[test]
    fn example_lists_every_key() {
        let text: &str = &crate::scenario::EXAMPLE;
        let sc = crate::scenario::parse_str(text, "example.toml").unwrap();
        for d in INPUTS {
            let line = format!("\n{} = {}", d.split().1, d.example.0);
            assert!(text.contains(&line), "{} missing from the example", d.key);
            if let (Some(Input::Const(v)), Ok(x)) = (d.input(&sc), d.example.0.parse::<f64>()) {
                assert_eq!(*v, x, "{}", d.key);
            }
        }
    }

    /// docs/scenario-format.md holds each generated key table between its markers, so
    /// the document cannot drift from the table. `DEALSIM_BLESS_DOCS=1 cargo test
    /// --lib docs_key_tables` rewrites the blocks after a change to the table.
    #[test]
    fn docs_key_tables_match_the_table() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/scenario-format.md");
        let mut doc = std::fs::read_to_string(path).unwrap();
        let bless = std::env::var_os("DEALSIM_BLESS_DOCS").is_some();
        for name in sections() {
            let begin = format!("<!-- BEGIN generated key table: {name} -->\n");
            let end = format!("<!-- END generated key table: {name} -->");
            let a = doc
                .find(&begin)
                .unwrap_or_else(|| panic!("no marker {begin}"))
                + begin.len();
            let b = a + doc[a..]
                .find(&end)
                .unwrap_or_else(|| panic!("no marker {end}"));
            let want = doc_table(name);
            if bless {
                doc.replace_range(a..b, &want);
            } else {
                assert_eq!(
                    doc[a..b],
                    want,
                    "docs/scenario-format.md [{name}] differs from the table"
                );
            }
        }
        if bless {
            std::fs::write(path, doc).unwrap();
        }
    }
}
