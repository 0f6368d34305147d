//! The public test vector (tests/fixtures/vectors, a copy of the published vector): a deterministic scenario whose recursion an
//! independent implementation worked out period by period. Ledger to the cent, the rest to
//! 1e-9 relative (MODEL.md §2: "ledger to the cent, the rest to 1e-9 relative").

mod common;

use std::collections::HashMap;
use std::path::Path;

use dealsim::model::{Model, PathParams};
use dealsim::scenario::{self, Input};

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/vectors");

/// The rows of the vector file `name`, each keyed by its column names.
fn read_csv(name: &str) -> Vec<HashMap<String, String>> {
    let (head, rows) = common::csv_table(&Path::new(VECTORS).join(name));
    rows.into_iter()
        .map(|row| head.iter().cloned().zip(row).collect())
        .collect()
}

fn close(what: &str, k: usize, got: f64, want: f64) {
    let tol = 1e-9 * want.abs().max(1e-12);
    assert!(
        (got - want).abs() <= tol,
        "period {k} {what}: got {got}, want {want}"
    );
}

#[test]
fn det_semiannual_matches_the_independent_recursion() {
    let loaded = scenario::load(&Path::new(VECTORS).join("det_semiannual.toml"), &[])
        .expect("vector validates");
    let sc = loaded.scenario;
    let model = Model::new(&sc);
    let p = PathParams::new(&sc, &model, |input, _| match input {
        Input::Const(v) => *v,
        Input::Dist(_) => panic!("the vector has no uncertain input"),
    });
    let mut st = p.initial_state();
    let rows = read_csv("det_semiannual.expected.csv");
    assert_eq!(rows.len(), model.grid.len());
    for (per, row) in model.grid.periods.iter().zip(&rows) {
        let f = |k: &str| row[k].parse::<f64>().unwrap();
        let c = |k: &str| row[k].parse::<i64>().unwrap();
        let k = per.k;
        assert_eq!(per.period_end.to_string(), row["period_end"]);
        assert_eq!(per.year.to_string(), row["year"]);
        close("t", k, per.t, f("t"));
        close("w", k, per.reverse_weight, f("w"));
        let fl = p.step(&model, per, &mut st, [0.0; 3], 0);
        assert_eq!(fl.due_cents, c("due_cents"), "period {k} due");
        assert_eq!(fl.paid_cents, c("P_cents"), "period {k} paid");
        assert_eq!(st.cum_cents, c("Cum_cents"), "period {k} cumulative");
        close("R", k, fl.r, f("R"));
        close("mu", k, st.mu, f("mu"));
        close("M", k, fl.m, f("M"));
        close("B", k, fl.b, f("B"));
        close("T", k, fl.t, f("T"));
        close("model_margin", k, fl.model_margin, f("model_margin"));
        close("reverse_share", k, fl.reverse_share, f("reverse_share"));
        close("compute_margin", k, fl.compute_margin, f("compute_margin"));
        close("s", k, fl.stake, f("s"));
        close("V", k, fl.valuation, f("V"));
        close("E", k, fl.stake_value, f("E"));
        close("DF", k, fl.discount_factor, f("DF"));
        close("CF", k, fl.cash_flow, f("CF"));
    }
    let res = p.results(&model, &st);
    let want: HashMap<String, String> = read_csv("det_semiannual.results.csv")
        .into_iter()
        .map(|r| (r["result"].clone(), r["value"].clone()))
        .collect();
    let w = |k: &str| want[k].parse::<f64>().unwrap();
    close(
        "npv_revenue_share",
        0,
        res.npv_revenue_share,
        w("npv_revenue_share"),
    );
    close(
        "npv_cloud_models",
        0,
        res.npv_cloud_models,
        w("npv_cloud_models"),
    );
    close(
        "npv_reverse_share",
        0,
        res.npv_reverse_share,
        w("npv_reverse_share"),
    );
    close("npv_compute", 0, res.npv_compute, w("npv_compute"));
    close("pv_stake", 0, res.pv_stake, w("pv_stake"));
    close("npv_total", 0, res.npv_total, w("npv_total"));
    close("stake_gain", 0, res.stake_gain, w("stake_gain"));
    close("stake_end", 0, res.stake_end, w("stake_end"));
    assert_eq!(
        res.revenue_share_total_cents,
        want["revenue_share_total_cents"].parse::<i64>().unwrap()
    );
    assert_eq!(res.cap_hit_year, Some(2029));
}
