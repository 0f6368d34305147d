//! The scenario's assumptions as table rows: every key with its value as written in the
//! typed scenario (constants, distributions like `triangular(0.03, 0.12, 0.3)`, step
//! schedules) and its unit (MODEL.md §4). Keys, units and order come from the table of
//! inputs (`scenario::table`).

use super::markup::{Cell, Row};
use crate::report::csv::num;
use crate::scenario::table::{InputDef, Need, Slot, INPUTS};
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

/// The row of one table key: its value and how it varies; `None` when its section is
/// absent.
fn table_row(d: &InputDef, sc: &Scenario) -> Option<(String, &'static str)> {
    match &d.slot {
        Slot::Input(a) => (a.get)(sc).map(input),
        Slot::Scheduled(a) => (a.get)(sc).map(scheduled),
        Slot::Optional(a) => (a.get)(sc).map(|v| match (v, d.need) {
            (Some(i), _) => input(i),
            (None, Need::Absent(text)) => (text.to_string(), CONSTANT),
            (None, _) => (String::new(), CONSTANT),
        }),
        Slot::Other { text, .. } => text(sc).map(|t| (t, CONSTANT)),
    }
}

/// `(key, value, how it varies, unit)` for every assumption, in file order: the table's
/// keys (units from the table), the scheduled rounds after `[stake]`, the shock
/// correlations last.
pub fn assumptions(sc: &Scenario) -> Vec<(String, String, &'static str, &'static str)> {
    let mut v = Vec::new();
    let mut push = |key: &str, (val, kind): (String, &'static str), unit: &'static str| {
        v.push((key.to_string(), val, kind, unit))
    };
    for (k, d) in INPUTS.iter().enumerate() {
        if let Some(row) = table_row(d, sc) {
            push(d.key, row, d.unit);
        }
        let last_of_stake =
            d.section() == "stake" && INPUTS.get(k + 1).is_none_or(|n| n.section() != "stake");
        if !last_of_stake {
            continue;
        }
        // Named by position in the file (as in `--set` and paths.csv), listed in date order.
        for r in &sc.stake.rounds {
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
        let sc = crate::scenario::parse_str(&crate::scenario::EXAMPLE, "example.toml")
            .expect("example validates");
        let listed: Vec<String> = assumptions(&sc).into_iter().map(|a| a.0).collect();
        for (key, _) in sc.inputs() {
            assert!(listed.contains(&key), "{key} missing from the report");
        }
    }
}
