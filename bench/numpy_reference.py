#!/usr/bin/env python3
"""A fully vectorised NumPy implementation of dealsim's model, the peer an analyst would
otherwise write: the benchmark's honest comparison (issue 15).

    bench/numpy_reference.py SCENARIO.toml PATHS [SEED] > out.json

Same model (docs/model.md section 2, and the section 6 terms: licence, conditional
rounds, renegotiation), same grid and the same outputs as `dealsim run`: per period the
mean and exact type-7 percentiles (numpy.percentile, method "linear") of the nine
timeseries metrics and the cashflows.csv means; per path the thirteen results with mean,
standard deviation, standard error, exact percentiles, min and max; the cap-hit years and
the 201-point quantile grid of npv_total. Paths are vectors, periods a Python loop (the
natural way to write it: a loop over paths would be ~100x slower still). The random
streams are NumPy's, not dealsim's, so the numbers agree in distribution only:
bench/run.sh checks the means against dealsim's within a few standard errors.

Supported inputs: constants, uniform, triangular, pert, normal (optionally truncated,
by resampling), lognormal; schedules ({ 2026 = x, ... }) for the schedule keys.
"""
import datetime as dt_
import json
import math
import sys
import time
import tomllib

import numpy as np

PCTS = [5, 25, 50, 75, 95]
SERIES = [
    "company_revenue", "company_valuation", "channel_revenue", "revenue_share",
    "revenue_share_cumulative", "stake_fraction", "stake_value", "investor_cash_flow",
    "licence_value",
]
RESULTS = [
    "npv_total", "npv_revenue_share", "npv_cloud_models", "npv_reverse_share",
    "npv_compute", "pv_stake", "stake_gain", "revenue_share_total", "stake_end",
    "cap_hit", "npv_licence", "renewed", "renegotiated",
]
CENTS = 1e11


def draw(v, n, rng):
    """One value per path of a constant or a distribution table."""
    if not isinstance(v, dict):
        return np.full(n, float(v))
    d = v["dist"]
    if d == "uniform":
        return rng.uniform(v["low"], v["high"], n)
    if d == "triangular":
        lo, mo, hi = v["low"], v["mode"], v["high"]
        if hi <= lo:
            return np.full(n, float(lo))
        return rng.triangular(lo, mo, hi, n) if lo < hi else np.full(n, lo)
    if d == "pert":
        lo, mo, hi = v["low"], v["mode"], v["high"]
        a = 1 + 4 * (mo - lo) / (hi - lo)
        b = 1 + 4 * (hi - mo) / (hi - lo)
        return lo + (hi - lo) * rng.beta(a, b, n)
    if d == "normal":
        x = rng.normal(v["mean"], v["sd"], n)
        lo, hi = v.get("min", -np.inf), v.get("max", np.inf)
        bad = (x < lo) | (x > hi)
        while bad.any():  # truncation by resampling, vectorised
            x[bad] = rng.normal(v["mean"], v["sd"], bad.sum())
            bad = (x < lo) | (x > hi)
        return x
    if d == "lognormal":
        return v["median"] * np.exp(v["sigma"] * rng.standard_normal(n))
    raise SystemExit(f"unsupported distribution {d}")


def is_schedule(v):
    return isinstance(v, dict) and "dist" not in v


def sched_value(v, year):
    steps = sorted((int(k), float(x)) for k, x in v.items())
    out = steps[0][1]
    for y, x in steps:
        if y <= year:
            out = x
    return out


def as_date(v):
    return v if isinstance(v, dt_.date) else dt_.date.fromisoformat(str(v))


def decimal_year(d):
    days = 366 if (d.year % 4 == 0 and (d.year % 100 != 0 or d.year % 400 == 0)) else 365
    return d.year + (d.timetuple().tm_yday - 1) / days


def grid(sc):
    sim = sc["simulation"]
    y0, y1, spy = sim["start_year"], sim["end_year"], sim.get("steps_per_year", 4)
    months = 12 // spy
    out = []
    for k in range(1, (y1 - y0 + 1) * spy + 1):
        idx = k - 1
        year = y0 + idx // spy
        m0 = (idx % spy) * months
        first = dt_.date(year, m0 + 1, 1)
        nxt = dt_.date(year + (m0 + months) // 12, (m0 + months) % 12 + 1, 1)
        last = nxt - dt_.timedelta(days=1)
        out.append(dict(k=k, t=y0 + k / spy, year=year, first=first, last=last))
    return y0, y1, spy, out


def weight(first, last, cut, inclusive):
    days = (last - first).days + 1
    covered = (cut - first).days + (1 if inclusive else 0)
    return min(max(covered, 0), days) / days


def simulate(sc, n, seed):
    rng = np.random.default_rng(seed)
    y0, y1, spy, periods = grid(sc)
    dt = 1.0 / spy
    c, s, rs = sc["company"], sc["stake"], sc["revenue_share"]
    ch, cl, disc = sc["channel"], sc["cloud"], sc["discount"]
    lic, reneg = sc.get("licence"), sc.get("renegotiation")
    D = lambda v: draw(v, n, rng)  # noqa: E731
    # Drawn once per path.
    revenue0, growth0, growth_long = D(c["revenue0"]), D(c["growth0"]), D(c["growth_long"])
    g_hl, g_vol, r_vol = D(c["growth_half_life"]), D(c["growth_vol"]), D(c["revenue_vol"])
    valuation0, m_long = D(c["valuation0"]), D(c["multiple_long"])
    m_hl, m_vol = D(c["multiple_half_life"]), D(c["multiple_vol"])
    stake0 = D(s["initial"])
    dil = s.get("annual_dilution", 0.0)
    dil_path = None if is_schedule(dil) else np.exp(-D(dil) * dt)
    liq = D(s.get("liquidity_discount", 0.0))
    lam = D(s.get("random_rounds_per_year", 0.0)) * dt
    frac = D(s.get("random_round_fraction", 0.0))
    rounds = sorted(s.get("rounds", []), key=lambda r: as_date(r["date"]))
    amounts = []
    for r in rounds:
        a = D(r["amount"])
        if "probability" in r:
            a = np.where(rng.random(n) < D(r["probability"]), a, 0.0)
        amounts.append(a)
    rate = rs["rate"]
    rate_path = None if is_schedule(rate) else D(rate)
    has_cap = "cap" in rs
    cap = np.rint(D(rs["cap"]) * CENTS).astype(np.int64) if has_cap else None
    base_inc = rs.get("base_includes_channel", False)
    addressable, ceiling = D(ch["addressable_share"]), D(ch["ceiling"])
    mid, ramp = D(ch["midpoint_year"]), D(ch["ramp_speed"])
    incr, cann = D(ch["incremental"]), D(ch["cloud_cannibalization"])
    model_rev0 = D(cl["model_revenue0"])
    mm, scr, cm = cl["model_margin"], cl["compute_spend_ratio"], cl["compute_margin"]
    mm_p = None if is_schedule(mm) else D(mm)
    scr_p = None if is_schedule(scr) else D(scr)
    cm_p = None if is_schedule(cm) else D(cm)
    share_to = D(cl["share_to_company"])
    z0, zl, zhl = D(cl["compute_share0"]), D(cl["compute_share_long"]), D(cl["compute_share_half_life"])
    d_rate = D(disc["rate"])
    e_rate = D(disc["equity_rate"]) if "equity_rate" in disc else d_rate
    if lic:
        renewed = rng.random(n) < D(lic["renewal_probability"])
        keep = np.where(renewed, 1.0, D(lic["retention"]))
        pv0, pg = D(lic["product_value0"]), D(lic["product_growth"])
        lic_end = as_date(lic["end"])
    else:
        renewed, keep, pv0, pg, lic_end = np.ones(n, bool), np.ones(n), np.zeros(n), np.zeros(n), None
    if reneg:
        r_rate, r_keep = D(reneg["rate"]), 1.0 - D(reneg["haircut"])
        e = rng.exponential(1.0, n)
        frm = decimal_year(as_date(reneg["from"])) if "from" in reneg else float(y0)
        with np.errstate(divide="ignore"):
            tau = np.where(r_rate > 0, frm + e / r_rate, np.inf)
    else:
        tau, r_keep = np.full(n, np.inf), np.ones(n)
    stop = as_date(cl["stop_paying"]) if "stop_paying" in cl else None
    corr = sc.get("correlation", {})
    C = np.eye(3)
    C[0, 1] = C[1, 0] = corr.get("revenue_growth", 0.0)
    C[0, 2] = C[2, 0] = corr.get("revenue_multiple", 0.0)
    C[1, 2] = C[2, 1] = corr.get("growth_multiple", 0.0)
    L = np.linalg.cholesky(C)

    # Derived per-path constants.
    kg, km = math.log(2) / g_hl, math.log(2) / m_hl
    phi_g, phi_m = np.exp(-kg * dt), np.exp(-km * dt)
    sd_g = g_vol * np.sqrt((1 - phi_g**2) / (2 * kg))
    sd_m = m_vol * np.sqrt((1 - phi_m**2) / (2 * km))
    mu_inf, ln_ml = np.log1p(growth_long), np.log(m_long)
    logistic = lambda t: 1.0 / (1.0 + np.exp(-ramp * (t - mid)))  # noqa: E731
    b0 = ceiling * logistic(float(y0)) * addressable * revenue0
    t0 = revenue0 + incr * b0
    kz = math.log(2) / zhl
    # State.
    ln_r, mu, ln_m = np.log(revenue0), np.log1p(growth0), np.log(valuation0 / t0)
    stake = stake0.copy()
    cum = np.zeros(n, np.int64)
    capc = cap.copy() if has_cap else None
    rate_factor = np.ones(n)
    cap_year = np.zeros(n, np.int32)
    reneg_year = np.zeros(n, np.int32)
    npv = {k: np.zeros(n) for k in ["rs", "cm", "rev", "comp", "lic"]}
    ts_rows, cf_rows = [], []
    ratio = model_rev0 / revenue0
    for p in periods:
        k, t, year = p["k"], p["t"], p["year"]
        eps = L @ rng.standard_normal((3, n))
        ln_r += (mu - 0.5 * r_vol**2) * dt + r_vol * math.sqrt(dt) * eps[0]
        r = np.exp(ln_r)
        mu = mu_inf + (mu - mu_inf) * phi_g + sd_g * eps[1]
        ln_m = ln_ml + (ln_m - ln_ml) * phi_m + sd_m * eps[2]
        m = np.exp(ln_m)
        b = ceiling * addressable * logistic(t) * r
        tot = r + incr * b
        if year <= rs.get("end_year", 10**9):
            base = (tot if base_inc else r) * dt
            rt = sched_value(rate, year) if rate_path is None else rate_path
            due = np.rint(rt * rate_factor * base * CENTS).astype(np.int64)
            paid_c = np.minimum(due, capc - cum) if has_cap else due
            cum += paid_c
            hit = (reneg_year == 0) & (tau <= t)
            reneg_year[hit] = year
            if has_cap:
                kept = np.rint(r_keep * (capc - cum)).astype(np.int64)
                capc = np.where(hit, cum + kept, capc)
                newly = (cap_year == 0) & (cum == capc)
                cap_year[newly] = year
            else:
                rate_factor = np.where(hit, r_keep, rate_factor)
        else:
            paid_c = np.zeros(n, np.int64)
        paid = paid_c / CENTS
        u = weight(p["first"], p["last"], lic_end, True) if lic_end else 1.0
        lk = np.where(keep == 1.0, 1.0, u + (1 - u) * keep)
        a = lk * np.maximum(ratio * r - cann * b, 0.0)
        mmk = (sched_value(mm, year) if mm_p is None else mm_p) * a * dt
        w = weight(p["first"], p["last"], stop, False) if stop else 1.0
        rev = share_to * a * dt * w
        z = zl + (z0 - zl) * np.exp(-kz * (t - y0))
        spend = sched_value(scr, year) if scr_p is None else scr_p
        cmk = (sched_value(cm, year) if cm_p is None else cm_p) * spend * tot * z * dt
        lv = lk * pv0 * (1 + pg) ** (t - y0) * dt
        stake *= math.exp(-sched_value(dil, year) * dt) if dil_path is None else dil_path
        val = m * tot
        pre = val.copy()
        for rd, amt in zip(rounds, amounts):
            if p["first"] <= as_date(rd["date"]) <= p["last"]:
                stake *= pre / (pre + amt)
                pre += amt
        nr = rng.poisson(lam)
        stake /= (1 + frac) ** nr
        df = (1 + d_rate) ** (-k * dt)
        for key, f in [("rs", paid), ("cm", mmk), ("rev", rev), ("comp", cmk), ("lic", lv)]:
            npv[key] += f * df
        cf = paid + mmk - rev + cmk + lv
        series = [tot * dt, val, b * dt, paid, cum / CENTS, stake, stake * val, cf, lv]
        ts_rows.append([[float(x.mean())] + list(np.percentile(x, PCTS)) for x in series])
        cf_rows.append([float(paid.mean()), float(mmk.mean()), float(-rev.mean()),
                        float(cmk.mean()), float(cf.mean()), float(np.mean(df)),
                        float((cf * df).mean())])
    dfe = (1 + e_rate) ** (-len(periods) * dt)
    pv_stake = stake * val * dfe * (1 - liq)
    res = {
        "npv_revenue_share": npv["rs"], "npv_cloud_models": npv["cm"],
        "npv_reverse_share": -npv["rev"], "npv_compute": npv["comp"], "pv_stake": pv_stake,
        "stake_gain": pv_stake - stake0 * valuation0, "revenue_share_total": cum / CENTS,
        "stake_end": stake, "cap_hit": (cap_year != 0).astype(float),
        "npv_licence": npv["lic"], "renewed": renewed.astype(float),
        "renegotiated": (reneg_year != 0).astype(float),
    }
    res["npv_total"] = (res["npv_revenue_share"] + res["npv_cloud_models"]
                        + res["npv_reverse_share"] + res["npv_compute"] + pv_stake
                        + res["npv_licence"])
    summary = {}
    for name in RESULTS:
        x = res[name]
        sd = float(x.std(ddof=1)) if n > 1 else 0.0
        summary[name] = dict(mean=float(x.mean()), std_dev=sd, std_error=sd / math.sqrt(n),
                             pct=[float(v) for v in np.percentile(x, PCTS)],
                             min=float(x.min()), max=float(x.max()))
    grid201 = np.percentile(res["npv_total"], np.linspace(0, 100, 201))
    hits = np.bincount(cap_year[cap_year != 0] - y0, minlength=y1 - y0 + 1) / n
    return dict(paths=n, summary=summary, timeseries=ts_rows, cashflows=cf_rows,
                cap_hits=hits.tolist(), npv_total_quantiles=grid201.tolist())


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    with open(sys.argv[1], "rb") as f:
        sc = tomllib.load(f)
    n = int(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else sc["simulation"].get("seed", 1)
    t0 = time.perf_counter()
    out = simulate(sc, n, seed)
    out["seconds"] = time.perf_counter() - t0
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
