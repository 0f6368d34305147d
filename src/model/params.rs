//! Per-path parameters (each uncertain input drawn once per path) and the step itself.

use super::{
    compute_share, discount_factor, logistic, to_cents, Flows, Model, PathResults, PathState,
    Period, CENTS_PER_BN,
};
use crate::scenario::{Input, Scenario, Scheduled};

/// A stable 64-bit id of an input's key path (FNV-1a), used to key its random stream.
/// Computed at compile time for the fixed keys, so drawing needs no strings.
pub const fn stream_key(key: &str) -> u64 {
    let bytes = key.as_bytes();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        h ^= bytes[i] as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    h
}

/// Stream key of `stake.rounds[i].amount`.
pub fn round_stream_key(i: usize) -> u64 {
    stream_key(&format!("stake.rounds[{i}].amount"))
}

/// The values one path uses, with the per-step constants derived once.
#[derive(Debug, Clone, PartialEq)]
pub struct PathParams {
    pub revenue0: f64,
    pub mu0: f64,
    pub valuation0: f64,
    /// `M_0 = valuation0 / T_0`.
    pub multiple0: f64,
    pub stake0: f64,
    /// `revenue_vol^2/2` (per year) and `revenue_vol * sqrt(dt)`.
    rv_drift: f64,
    rv_scale: f64,
    mu_inf: f64,
    phi_g: f64,
    sd_g: f64,
    ln_m_long: f64,
    phi_m: f64,
    sd_m: f64,
    ceiling_addressable: f64,
    ramp: f64,
    midpoint: f64,
    incremental: f64,
    rate: f64,
    /// `i64::MAX` when there is no cap.
    cap_cents: i64,
    model_ratio: f64,
    cannibalization: f64,
    model_margin: f64,
    share_to_company: f64,
    spend_ratio: f64,
    z0: f64,
    z_long: f64,
    kappa_z: f64,
    compute_margin: f64,
    /// `exp(-annual_dilution dt)`, when the dilution is not a schedule.
    dilution_factor: f64,
    /// `lambda dt` and `exp(-lambda dt)` (the probability of no random round in a step).
    lambda_dt: f64,
    p_no_round: f64,
    round_fraction: f64,
    liquidity_discount: f64,
    discount_rate: f64,
    equity_rate: f64,
    /// Per-path round amounts, only when some amount is uncertain.
    round_amounts: Vec<f64>,
}

/// An 8-byte scalar field stored as a word, so the engine can keep per path only the
/// fields that differ between paths (see `engine::compact`).
pub trait Word: Copy {
    fn to_word(self) -> u64;
    fn from_word(w: u64) -> Self;
}
impl Word for f64 {
    fn to_word(self) -> u64 {
        self.to_bits()
    }
    fn from_word(w: u64) -> f64 {
        f64::from_bits(w)
    }
}
impl Word for i64 {
    fn to_word(self) -> u64 {
        self as u64
    }
    fn from_word(w: u64) -> i64 {
        w as i64
    }
}

/// Reads one scalar field as a word, and writes it back.
pub type Accessor = (fn(&PathParams) -> u64, fn(&mut PathParams, u64));

macro_rules! accessors {
    ($($f:ident: $t:ty),* $(,)?) => {
        /// Every scalar field of `PathParams`, as (get, set) word accessors.
        pub const ACCESSORS: &[Accessor] = &[
            $( (|p| Word::to_word(p.$f), |p, w| p.$f = <$t as Word>::from_word(w)) ),*
        ];
    };
}

accessors!(
    revenue0: f64, mu0: f64, valuation0: f64, multiple0: f64, stake0: f64, rv_drift: f64,
    rv_scale: f64, mu_inf: f64, phi_g: f64, sd_g: f64, ln_m_long: f64, phi_m: f64, sd_m: f64,
    ceiling_addressable: f64, ramp: f64, midpoint: f64, incremental: f64, rate: f64,
    cap_cents: i64, model_ratio: f64, cannibalization: f64, model_margin: f64,
    share_to_company: f64, spend_ratio: f64, z0: f64, z_long: f64, kappa_z: f64,
    compute_margin: f64, dilution_factor: f64, lambda_dt: f64, p_no_round: f64,
    round_fraction: f64, liquidity_discount: f64, discount_rate: f64, equity_rate: f64,
);

impl PathParams {
    /// Draw every input through `draw(input, stream_key)`, in the order of
    /// `Scenario::inputs()` (constants included: `draw` returns them as they are).
    pub fn new(
        sc: &Scenario,
        model: &Model,
        mut draw: impl FnMut(&Input, u64) -> f64,
    ) -> PathParams {
        macro_rules! d {
            ($input:expr, $key:literal) => {
                draw(&$input, const { stream_key($key) })
            };
        }
        macro_rules! ds {
            ($sched:expr, $key:literal) => {
                match &$sched {
                    Scheduled::Input(i) => draw(i, const { stream_key($key) }),
                    // Read per period from the grid; never used per path.
                    Scheduled::Schedule(_) => f64::NAN,
                }
            };
        }
        let dt = model.dt;
        let c = &sc.company;
        let revenue0 = d!(c.revenue0, "company.revenue0");
        let growth0 = d!(c.growth0, "company.growth0");
        let growth_long = d!(c.growth_long, "company.growth_long");
        let growth_half_life = d!(c.growth_half_life, "company.growth_half_life");
        let growth_vol = d!(c.growth_vol, "company.growth_vol");
        let revenue_vol = d!(c.revenue_vol, "company.revenue_vol");
        let valuation0 = d!(c.valuation0, "company.valuation0");
        let multiple_long = d!(c.multiple_long, "company.multiple_long");
        let multiple_half_life = d!(c.multiple_half_life, "company.multiple_half_life");
        let multiple_vol = d!(c.multiple_vol, "company.multiple_vol");
        let s = &sc.stake;
        let stake0 = d!(s.initial, "stake.initial");
        let dilution = ds!(s.annual_dilution, "stake.annual_dilution");
        let liquidity_discount = d!(s.liquidity_discount, "stake.liquidity_discount");
        let rounds_per_year = d!(s.random_rounds_per_year, "stake.random_rounds_per_year");
        let round_fraction = d!(s.random_round_fraction, "stake.random_round_fraction");
        let uncertain_rounds = s.rounds.iter().any(|r| matches!(r.amount, Input::Dist(_)));
        let round_amounts = if uncertain_rounds {
            // Drawn in file order (the order of `Scenario::inputs()`), stored in date order.
            let mut by_file: Vec<(usize, usize)> = s
                .rounds
                .iter()
                .enumerate()
                .map(|(j, r)| (r.index, j))
                .collect();
            by_file.sort_unstable();
            let mut amounts = vec![0.0; s.rounds.len()];
            for (index, j) in by_file {
                amounts[j] = draw(&s.rounds[j].amount, round_stream_key(index));
            }
            amounts
        } else {
            Vec::new()
        };
        let rs = &sc.revenue_share;
        let rate = ds!(rs.rate, "revenue_share.rate");
        let cap_cents = match &rs.cap {
            Some(cap) => to_cents(d!(*cap, "revenue_share.cap")),
            None => i64::MAX,
        };
        let ch = &sc.channel;
        let addressable = d!(ch.addressable_share, "channel.addressable_share");
        let ceiling = d!(ch.ceiling, "channel.ceiling");
        let midpoint = d!(ch.midpoint_year, "channel.midpoint_year");
        let ramp = d!(ch.ramp_speed, "channel.ramp_speed");
        let incremental = d!(ch.incremental, "channel.incremental");
        let cannibalization = d!(ch.cloud_cannibalization, "channel.cloud_cannibalization");
        let cl = &sc.cloud;
        let model_revenue0 = d!(cl.model_revenue0, "cloud.model_revenue0");
        let model_margin = ds!(cl.model_margin, "cloud.model_margin");
        let share_to_company = d!(cl.share_to_company, "cloud.share_to_company");
        let spend_ratio = ds!(cl.compute_spend_ratio, "cloud.compute_spend_ratio");
        let z0 = d!(cl.compute_share0, "cloud.compute_share0");
        let z_long = d!(cl.compute_share_long, "cloud.compute_share_long");
        let z_half_life = d!(cl.compute_share_half_life, "cloud.compute_share_half_life");
        let compute_margin = ds!(cl.compute_margin, "cloud.compute_margin");
        let discount_rate = d!(sc.discount.rate, "discount.rate");
        let equity_rate = match &sc.discount.equity_rate {
            Some(e) => d!(*e, "discount.equity_rate"),
            None => discount_rate,
        };

        // Exact OU steps: phi = exp(-kappa dt), sd = vol*sqrt((1-phi^2)/(2 kappa)).
        let ou = |half_life: f64, vol: f64| {
            let kappa = std::f64::consts::LN_2 / half_life;
            let phi = (-kappa * dt).exp();
            (phi, vol * ((1.0 - phi * phi) / (2.0 * kappa)).sqrt())
        };
        let (phi_g, sd_g) = ou(growth_half_life, growth_vol);
        let (phi_m, sd_m) = ou(multiple_half_life, multiple_vol);
        let start = f64::from(model.grid.start_year);
        // T_0 with B_0 taken at t = start_year.
        let b0 = ceiling * logistic(ramp, midpoint, start) * addressable * revenue0;
        let t0 = revenue0 + incremental * b0;
        PathParams {
            revenue0,
            mu0: growth0.ln_1p(),
            valuation0,
            multiple0: valuation0 / t0,
            stake0,
            rv_drift: 0.5 * revenue_vol * revenue_vol,
            rv_scale: revenue_vol * model.sqrt_dt,
            mu_inf: growth_long.ln_1p(),
            phi_g,
            sd_g,
            ln_m_long: multiple_long.ln(),
            phi_m,
            sd_m,
            ceiling_addressable: ceiling * addressable,
            ramp,
            midpoint,
            incremental,
            rate,
            cap_cents,
            model_ratio: model_revenue0 / revenue0,
            cannibalization,
            model_margin,
            share_to_company,
            spend_ratio,
            z0,
            z_long,
            kappa_z: std::f64::consts::LN_2 / z_half_life,
            compute_margin,
            dilution_factor: (-dilution * dt).exp(),
            lambda_dt: rounds_per_year * dt,
            p_no_round: (-rounds_per_year * dt).exp(),
            round_fraction,
            liquidity_discount,
            discount_rate,
            equity_rate,
            round_amounts,
        }
    }

    /// The state at k = 0.
    pub fn initial_state(&self) -> PathState {
        PathState {
            ln_r: self.revenue0.ln(),
            mu: self.mu0,
            ln_m: self.multiple0.ln(),
            stake: self.stake0,
            cum_cents: 0,
            cap_hit_year: 0,
            npv_revenue_share: 0.0,
            npv_cloud_models: 0.0,
            pv_reverse_share: 0.0,
            npv_compute: 0.0,
        }
    }

    /// The per-step constants of the revenue, growth and multiple updates, for the
    /// performance floor: (drift, scale, mu_inf, phi_g, sd_g, ln_m_long, phi_m, sd_m).
    #[allow(clippy::type_complexity)]
    pub fn floor_constants(&self) -> (f64, f64, f64, f64, f64, f64, f64, f64) {
        (
            self.rv_drift,
            self.rv_scale,
            self.mu_inf,
            self.phi_g,
            self.sd_g,
            self.ln_m_long,
            self.phi_m,
            self.sd_m,
        )
    }

    /// Per-path scheduled round amounts (empty unless some amount is uncertain).
    pub fn round_amounts(&self) -> &[f64] {
        &self.round_amounts
    }

    /// Overwrite the per-path round amounts (same length as `round_amounts()`).
    pub fn set_round_amounts(&mut self, amounts: &[f64]) {
        self.round_amounts.copy_from_slice(amounts);
    }

    /// The cap in whole cents (`i64::MAX` when there is none).
    pub fn cap_cents(&self) -> i64 {
        self.cap_cents
    }

    /// Whether this path can have random rounds at all.
    pub fn has_random_rounds(&self) -> bool {
        self.p_no_round < 1.0
    }

    /// Poisson count by inversion of one uniform `u` (mean `lambda dt`). Above a mean of
    /// 500 rounds per step (where `exp(-lambda dt)` nears underflow; no real scenario gets
    /// there) the count is the normal approximation at the same uniform, which is then
    /// accurate to well under one round.
    #[inline]
    pub fn random_round_count(&self, u: f64) -> u32 {
        let lambda_dt = self.lambda_dt;
        if lambda_dt > 500.0 {
            let z = super::dist::norm_inv(u.clamp(1e-300, 1.0 - 1e-16));
            return (lambda_dt + lambda_dt.sqrt() * z + 0.5)
                .floor()
                .clamp(0.0, f64::from(u32::MAX)) as u32;
        }
        let mut p = self.p_no_round;
        let mut cdf = p;
        let mut n = 0u32;
        // Bounded: with a mean of at most 500, more than 2000 rounds has probability ~0.
        while u > cdf && n < 2000 {
            n += 1;
            p *= lambda_dt / f64::from(n);
            cdf += p;
        }
        n
    }

    /// Steps 4 and 5: the channel run-rate `B_k` and total revenue `T_k` given `R_k`.
    #[inline]
    fn channel_and_total(&self, model: &Model, per: &Period, r: f64) -> (f64, f64) {
        let ramp = match &model.logistic {
            Some(v) => v[per.k - 1],
            None => logistic(self.ramp, self.midpoint, per.t),
        };
        let b = self.ceiling_addressable * ramp * r;
        (b, r + self.incremental * b)
    }

    /// `V_k = M_k T_k` from a state after period `per`, computed exactly as `step` does
    /// (so the state need not carry it).
    pub fn valuation(&self, model: &Model, per: &Period, st: &PathState) -> f64 {
        let (_, t) = self.channel_and_total(model, per, st.ln_r.exp());
        st.ln_m.exp() * t
    }

    /// Advance `st` by one period (MODEL.md §2 steps 1–10), given correlated shocks `eps`
    /// (revenue, growth, multiple) and the number of random rounds in the period.
    #[inline]
    pub fn step(
        &self,
        model: &Model,
        per: &Period,
        st: &mut PathState,
        eps: [f64; 3],
        random_rounds: u32,
    ) -> Flows {
        let dt = model.dt;
        let i = per.k - 1;
        // 1. Revenue, with the previous period's growth.
        st.ln_r += (st.mu - self.rv_drift) * dt + self.rv_scale * eps[0];
        let r = st.ln_r.exp();
        // 2. Growth (exact OU).
        st.mu = self.mu_inf + (st.mu - self.mu_inf) * self.phi_g + self.sd_g * eps[1];
        // 3. Multiple (exact OU on its log).
        st.ln_m = self.ln_m_long + (st.ln_m - self.ln_m_long) * self.phi_m + self.sd_m * eps[2];
        let m = st.ln_m.exp();
        // 4.-5. Channel and total revenue run-rates.
        let (b, t) = self.channel_and_total(model, per, r);
        // 6. Revenue share ledger, in whole cents.
        let (due_cents, paid_cents) = if per.share_active {
            let base = if model.base_includes_channel { t } else { r } * dt;
            let due = to_cents(per.rate.unwrap_or(self.rate) * base);
            let paid = due.min(self.cap_cents - st.cum_cents);
            st.cum_cents += paid;
            if st.cap_hit_year == 0 && st.cum_cents == self.cap_cents {
                st.cap_hit_year = per.year;
            }
            (due, paid)
        } else {
            (0, 0)
        };
        let paid = paid_cents as f64 / CENTS_PER_BN;
        // 7. Cloud model sales and the reverse share.
        let a = (self.model_ratio * r - self.cannibalization * b).max(0.0);
        let model_margin = per.model_margin.unwrap_or(self.model_margin) * a * dt;
        let reverse_share = self.share_to_company * a * dt * per.reverse_weight;
        // 8. Compute.
        let z = match &model.compute_share {
            Some(v) => v[i],
            None => compute_share(
                self.z0,
                self.z_long,
                self.kappa_z,
                per.t - f64::from(model.grid.start_year),
            ),
        };
        let spend = per.compute_spend_ratio.unwrap_or(self.spend_ratio);
        let compute_margin = per.compute_margin.unwrap_or(self.compute_margin) * spend * t * z * dt;
        // 9. Stake: continuous dilution, scheduled rounds in date order, random rounds.
        st.stake *= per.dilution_factor.unwrap_or(self.dilution_factor);
        let valuation = m * t;
        let mut pre = valuation;
        for j in per.rounds.clone() {
            let amount = if self.round_amounts.is_empty() {
                model.round_amounts[j]
            } else {
                self.round_amounts[j]
            };
            st.stake *= pre / (pre + amount);
            pre += amount;
        }
        if random_rounds <= 64 {
            // One division per round, as MODEL.md writes it.
            for _ in 0..random_rounds {
                st.stake /= 1.0 + self.round_fraction;
            }
        } else {
            st.stake /= (1.0 + self.round_fraction).powf(f64::from(random_rounds));
        }
        // 10. Discounting.
        let df = match &model.discount {
            Some(v) => v[i],
            None => discount_factor(self.discount_rate, per.k, dt),
        };
        st.npv_revenue_share += paid * df;
        st.npv_cloud_models += model_margin * df;
        st.pv_reverse_share += reverse_share * df;
        st.npv_compute += compute_margin * df;
        Flows {
            r,
            b,
            t,
            m,
            due_cents,
            paid_cents,
            paid,
            model_margin,
            reverse_share,
            compute_margin,
            cash_flow: paid + model_margin - reverse_share + compute_margin,
            discount_factor: df,
            stake: st.stake,
            valuation,
            stake_value: st.stake * valuation,
            cum: st.cum_cents as f64 / CENTS_PER_BN,
        }
    }

    /// Per-path results after the last of `n` periods.
    pub fn results(&self, model: &Model, st: &PathState) -> PathResults {
        let n = model.grid.len();
        let dfe = model
            .equity_discount
            .unwrap_or_else(|| discount_factor(self.equity_rate, n, model.dt));
        let valuation = match model.grid.periods.last() {
            Some(last) => self.valuation(model, last, st),
            None => self.valuation0,
        };
        let pv_stake = st.stake * valuation * dfe * (1.0 - self.liquidity_discount);
        let npv_reverse_share = -st.pv_reverse_share;
        let npv_total = st.npv_revenue_share
            + st.npv_cloud_models
            + npv_reverse_share
            + st.npv_compute
            + pv_stake;
        PathResults {
            npv_total,
            npv_revenue_share: st.npv_revenue_share,
            npv_cloud_models: st.npv_cloud_models,
            npv_reverse_share,
            npv_compute: st.npv_compute,
            pv_stake,
            stake_gain: pv_stake - self.stake0 * self.valuation0,
            revenue_share_total_cents: st.cum_cents,
            stake_end: st.stake,
            cap_hit_year: (st.cap_hit_year != 0).then_some(st.cap_hit_year),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The accessor table covers every scalar field: a PathParams rebuilt word by word
    /// from another equals it (the struct's only other field is `round_amounts`).
    #[test]
    fn accessors_cover_every_scalar_field() {
        let sc = crate::scenario::parse_str(crate::scenario::EXAMPLE, "example.toml").unwrap();
        let model = Model::new(&sc);
        let a = PathParams::new(&sc, &model, |i, _| match i {
            Input::Const(v) => *v,
            Input::Dist(_) => 0.2,
        });
        let b = PathParams::new(&sc, &model, |i, _| match i {
            Input::Const(v) => *v + 0.01,
            Input::Dist(_) => 0.25,
        });
        let mut c = b.clone();
        for (get, set) in ACCESSORS {
            set(&mut c, get(&a));
        }
        // Debug text, because a schedule's per-path placeholder is NaN (NaN != NaN).
        assert_eq!(format!("{c:?}"), format!("{a:?}"));
        assert_ne!(format!("{b:?}"), format!("{a:?}"));
        // Random rounds: inversion for modest means, normal approximation for huge ones
        // (where exp(-lambda dt) would underflow and inversion could not start).
        let mut big = a.clone();
        big.lambda_dt = 2500.0;
        big.p_no_round = (-2500.0f64).exp();
        assert_eq!(big.random_round_count(0.5), 2500);
        let hi = big.random_round_count(0.975);
        assert!((hi as f64 - (2500.0 + 1.96 * 50.0)).abs() <= 1.0, "{hi}");
        let mut small = a.clone();
        small.lambda_dt = 0.5;
        small.p_no_round = (-0.5f64).exp();
        // P(N = 0) = e^-0.5 = 0.6065: below it zero rounds, just above one.
        assert_eq!(small.random_round_count(0.6), 0);
        assert_eq!(small.random_round_count(0.62), 1);
        // Size check: 35 words plus the Vec.
        assert_eq!(
            std::mem::size_of::<PathParams>(),
            ACCESSORS.len() * 8 + std::mem::size_of::<Vec<f64>>()
        );
    }
}
