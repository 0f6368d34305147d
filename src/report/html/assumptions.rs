//! The scenario's assumptions as table rows: every key with its value as written in the
//! typed scenario (constants, distributions like `triangular(0.03, 0.12, 0.3)`, step
//! schedules) and its unit (MODEL.md §4).

use super::markup::{Cell, Row};
use crate::report::csv::num;
use crate::scenario::{Dist, Input, Scenario, Scheduled};

/// How a value varies across paths and time.
const CONSTANT: &str = "constant";
const UNCERTAIN: &str = "drawn per path";
const SCHEDULE: &str = "schedule by year";

/// A distribution in one line: `triangular(low, mode, high)` and so on.
pub fn dist_text(d: &Dist) -> String {
    match *d {
        Dist::Uniform { low, high } => format!("uniform({}, {})", num(low), num(high)),
        Dist::Triangular { low, mode, high } => {
            format!("triangular({}, {}, {})", num(low), num(mode), num(high))
        }
        Dist::Pert { low, mode, high } => {
            format!("pert({}, {}, {})", num(low), num(mode), num(high))
        }
        Dist::Normal { mean, sd, min, max } => {
            let base = format!("normal({}, {})", num(mean), num(sd));
            match (min, max) {
                (None, None) => base,
                (lo, hi) => format!(
                    "{base} in [{}, {}]",
                    lo.map(num).unwrap_or_else(|| "-inf".into()),
                    hi.map(num).unwrap_or_else(|| "inf".into())
                ),
            }
        }
        Dist::Lognormal { median, sigma } => {
            format!("lognormal({}, {})", num(median), num(sigma))
        }
    }
}

fn input(i: &Input) -> (String, &'static str) {
    match i {
        Input::Const(v) => (num(*v), CONSTANT),
        Input::Dist(d) => (dist_text(d), UNCERTAIN),
    }
}

fn scheduled(s: &Scheduled) -> (String, &'static str) {
    match s {
        Scheduled::Input(i) => input(i),
        Scheduled::Schedule(steps) => {
            let parts: Vec<String> = steps
                .iter()
                .map(|(y, v)| format!("{} from {y}", num(*v)))
                .collect();
            (parts.join("; "), SCHEDULE)
        }
    }
}

/// `(key, value, how it varies, unit)` for every assumption, in file order.
pub fn assumptions(sc: &Scenario) -> Vec<(String, String, &'static str, &'static str)> {
    let mut v = Vec::new();
    let mut push = |key: &str, (val, kind): (String, &'static str), unit: &'static str| {
        v.push((key.to_string(), val, kind, unit))
    };
    let c = &sc.company;
    push("company.revenue0", input(&c.revenue0), "USD bn / year");
    push("company.growth0", input(&c.growth0), "fraction / year");
    push(
        "company.growth_long",
        input(&c.growth_long),
        "fraction / year",
    );
    push(
        "company.growth_half_life",
        input(&c.growth_half_life),
        "years",
    );
    push("company.growth_vol", input(&c.growth_vol), "per √year");
    push("company.revenue_vol", input(&c.revenue_vol), "per √year");
    push("company.valuation0", input(&c.valuation0), "USD bn");
    push(
        "company.multiple_long",
        input(&c.multiple_long),
        "× revenue",
    );
    push(
        "company.multiple_half_life",
        input(&c.multiple_half_life),
        "years",
    );
    push("company.multiple_vol", input(&c.multiple_vol), "per √year");
    let s = &sc.stake;
    push("stake.initial", input(&s.initial), "fraction");
    push(
        "stake.annual_dilution",
        scheduled(&s.annual_dilution),
        "fraction / year",
    );
    push(
        "stake.liquidity_discount",
        input(&s.liquidity_discount),
        "fraction",
    );
    push(
        "stake.random_rounds_per_year",
        input(&s.random_rounds_per_year),
        "rounds / year",
    );
    push(
        "stake.random_round_fraction",
        input(&s.random_round_fraction),
        "fraction",
    );
    // Named by position in the file (as in `--set` and paths.csv), listed in date order.
    for r in &s.rounds {
        let i = r.index;
        push(
            &format!("stake.rounds[{i}].date"),
            (r.date.to_string(), CONSTANT),
            "date",
        );
        push(
            &format!("stake.rounds[{i}].amount"),
            input(&r.amount),
            "USD bn",
        );
        if let Some(p) = &r.probability {
            push(
                &format!("stake.rounds[{i}].probability"),
                input(p),
                "probability",
            );
        }
    }
    let r = &sc.revenue_share;
    push("revenue_share.rate", scheduled(&r.rate), "fraction");
    push(
        "revenue_share.end_year",
        (r.end_year.to_string(), CONSTANT),
        "year",
    );
    let cap = r
        .cap
        .as_ref()
        .map(input)
        .unwrap_or(("none".into(), CONSTANT));
    push("revenue_share.cap", cap, "USD bn, cumulative");
    let yes_no = if r.base_includes_channel { "yes" } else { "no" };
    push(
        "revenue_share.base_includes_channel",
        (yes_no.into(), CONSTANT),
        "yes / no",
    );
    let ch = &sc.channel;
    push(
        "channel.addressable_share",
        input(&ch.addressable_share),
        "fraction",
    );
    push("channel.ceiling", input(&ch.ceiling), "fraction");
    push(
        "channel.midpoint_year",
        input(&ch.midpoint_year),
        "decimal year",
    );
    push("channel.ramp_speed", input(&ch.ramp_speed), "per year");
    push("channel.incremental", input(&ch.incremental), "fraction");
    push(
        "channel.cloud_cannibalization",
        input(&ch.cloud_cannibalization),
        "fraction",
    );
    let cl = &sc.cloud;
    push(
        "cloud.model_revenue0",
        input(&cl.model_revenue0),
        "USD bn / year",
    );
    push(
        "cloud.model_margin",
        scheduled(&cl.model_margin),
        "fraction",
    );
    push(
        "cloud.share_to_company",
        input(&cl.share_to_company),
        "fraction",
    );
    let stop = cl
        .stop_paying
        .map(|d| d.to_string())
        .unwrap_or("never".into());
    push("cloud.stop_paying", (stop, CONSTANT), "date");
    push(
        "cloud.compute_spend_ratio",
        scheduled(&cl.compute_spend_ratio),
        "× revenue",
    );
    push(
        "cloud.compute_share0",
        input(&cl.compute_share0),
        "fraction",
    );
    push(
        "cloud.compute_share_long",
        input(&cl.compute_share_long),
        "fraction",
    );
    push(
        "cloud.compute_share_half_life",
        input(&cl.compute_share_half_life),
        "years",
    );
    push(
        "cloud.compute_margin",
        scheduled(&cl.compute_margin),
        "fraction",
    );
    push("discount.rate", input(&sc.discount.rate), "fraction / year");
    let eq = sc.discount.equity_rate.as_ref().map(input);
    push(
        "discount.equity_rate",
        eq.unwrap_or(("= discount.rate".into(), CONSTANT)),
        "fraction / year",
    );
    if let Some(l) = &sc.licence {
        push("licence.end", (l.end.to_string(), CONSTANT), "date");
        push(
            "licence.renewal_probability",
            input(&l.renewal_probability),
            "probability",
        );
        push("licence.retention", input(&l.retention), "fraction");
        push(
            "licence.product_value0",
            input(&l.product_value0),
            "USD bn / year",
        );
        push(
            "licence.product_growth",
            input(&l.product_growth),
            "fraction / year",
        );
    }
    if let Some(r) = &sc.renegotiation {
        push("renegotiation.rate", input(&r.rate), "events / year");
        let from = r.from.map_or_else(
            || format!("{}-01-01 (start)", sc.simulation.start_year),
            |d| d.to_string(),
        );
        push("renegotiation.from", (from, CONSTANT), "date");
        push("renegotiation.haircut", input(&r.haircut), "fraction");
    }
    let k = &sc.correlation;
    push(
        "correlation.revenue_growth",
        (num(k.revenue_growth), CONSTANT),
        "correlation",
    );
    push(
        "correlation.revenue_multiple",
        (num(k.revenue_multiple), CONSTANT),
        "correlation",
    );
    push(
        "correlation.growth_multiple",
        (num(k.growth_multiple), CONSTANT),
        "correlation",
    );
    v
}

/// The assumptions as table rows: key | value | varies | unit; uncertain ones marked.
pub fn rows(sc: &Scenario) -> Vec<Row> {
    assumptions(sc)
        .into_iter()
        .map(|(key, val, kind, unit)| {
            let kind = if kind == UNCERTAIN {
                Cell::Strong(kind.into())
            } else {
                Cell::text(kind)
            };
            Row::key(&key, vec![Cell::Code(val), kind, Cell::text(unit)])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distributions_read_like_calls() {
        let d = Dist::Triangular {
            low: 0.03,
            mode: 0.12,
            high: 0.3,
        };
        assert_eq!(dist_text(&d), "triangular(0.03, 0.12, 0.3)");
        let n = Dist::Normal {
            mean: 1.0,
            sd: 0.5,
            min: Some(0.0),
            max: None,
        };
        assert_eq!(dist_text(&n), "normal(1, 0.5) in [0, inf]");
    }

    #[test]
    fn every_scalar_input_is_listed() {
        let sc = crate::scenario::parse_str(crate::scenario::EXAMPLE, "example.toml")
            .expect("example validates");
        let listed: Vec<String> = assumptions(&sc).into_iter().map(|a| a.0).collect();
        for (key, _) in sc.inputs() {
            assert!(listed.contains(&key), "{key} missing from the report");
        }
    }
}
