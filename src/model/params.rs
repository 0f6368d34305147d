//! Per-path parameters (each uncertain input drawn once per path) and the step itself.

use super::{
    compute_share, discount_factor, logistic, product_growth, to_cents, Flows, Model, PathResults,
    PathState, Period, CENTS_PER_BN,
};
use crate::scenario::{Dist, Input, InputId, Scenario};

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

/// Stream key of `stake.rounds[i].probability` (a drawn probability).
pub fn round_probability_key(i: usize) -> u64 {
    stream_key(&format!("stake.rounds[{i}].probability"))
}

/// Stream key of `stake.rounds[i].happens`, the uniform deciding whether the round
/// happens on a path (MODEL.md §6.2).
pub fn round_happens_key(i: usize) -> u64 {
    stream_key(&format!("stake.rounds[{i}].happens"))
}

/// A uniform on [0, 1) through the input-drawing path: `draw_dist` of this is `0 + 1*u`,
/// exactly the stream's next uniform. The per-path events of MODEL.md §6 (renewal, a
/// conditional round, the renegotiation time) use it, each from its own named stream.
pub const UNIFORM: Input = Input::Dist(Dist::Uniform {
    low: 0.0,
    high: 1.0,
});

/// The values one path uses, with the per-step constants derived once.
///
/// `repr(C)`: the scalar fields lie in declaration order, which is `ACCESSORS` order, so
/// the engine can load a run of adjacent varying fields with one copy (`set_words`).
#[derive(Debug, Clone, PartialEq)]
#[repr(C)]
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
    /// MODEL.md §6.1. The licence is renewed on this path iff `renewal_u < renewal_p`;
    /// the uniform itself is kept (not the 0/1 outcome) so that it varies on every path
    /// and is stored compactly. Without `[licence]`: u = 0, p = 1, product value 0.
    renewal_u: f64,
    renewal_p: f64,
    retention: f64,
    product_value0: f64,
    product_growth: f64,
    /// MODEL.md §6.3: the renegotiation time in decimal years (infinite: never) and
    /// `1 - haircut`.
    renegotiation_t: f64,
    renegotiation_keep: f64,
    /// Per-path round amounts, only when some amount is uncertain or some round is
    /// conditional. A round that does not happen on the path has amount 0: it then
    /// multiplies the stake by `pre/pre = 1` exactly and adds nothing to the pre-money of
    /// a later round, which is MODEL.md §6.2's "skipped" to the bit.
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
    ($($i:literal $f:ident: $t:ty),* $(,)?) => {
        /// Every scalar field of `PathParams`, as (get, set) word accessors.
        pub const ACCESSORS: &[Accessor] = &[
            $( (|p| Word::to_word(p.$f), |p, w| p.$f = <$t as Word>::from_word(w)) ),*
        ];

        /// Byte offset of each scalar field, in `ACCESSORS` order.
        const OFFSETS: [usize; ACCESSORS.len()] = [$( std::mem::offset_of!(PathParams, $f) ),*];
        // Every scalar field is an 8-byte `f64` or `i64`, for which every bit pattern is
        // a valid value, and (`repr(C)`, declared in `ACCESSORS` order) field k sits at
        // byte 8k: what makes `set_word`'s store and `set_words`'s copy sound.
        const _: () = {
            $( assert!(std::mem::size_of::<$t>() == 8 && $i < ACCESSORS.len()); )*
            let mut k = 0;
            while k < OFFSETS.len() {
                assert!(OFFSETS[k] == 8 * k);
                k += 1;
            }
        };

        impl PathParams {
            /// Set scalar field `k` (its index in `ACCESSORS`) from a word. The engine
            /// loads each path's varying words once per period. One store at the field's
            /// offset: calling through the `ACCESSORS` function pointers cost a call per
            /// word, and a `match` (a jump table) an unpredictable indirect jump per word,
            /// the largest item of the stress scenario's profile (issue 15).
            #[inline]
            pub fn set_word(&mut self, k: usize, w: u64) {
                let off = OFFSETS[k];
                // SAFETY: `off` is the offset of an 8-byte f64/i64 field of `self` (the
                // const checks above), any 64 bits are a valid value of it, and `&mut self`
                // is exclusive. Same bits as `from_word`, which is `from_bits` / `as i64`.
                unsafe {
                    std::ptr::from_mut(self)
                        .cast::<u8>()
                        .add(off)
                        .cast::<u64>()
                        .write_unaligned(w);
                }
            }

            /// Set the scalar fields `first..first + words.len()` from consecutive words:
            /// one copy for a run of adjacent varying fields (the engine's per-path load;
            /// under the stress scenario every field varies, so a path is one copy).
            #[inline]
            pub fn set_words(&mut self, first: usize, words: &[u64]) {
                assert!(first + words.len() <= OFFSETS.len());
                // SAFETY: fields `first..first + words.len()` exist (the assert) and are
                // the adjacent 8-byte words at bytes 8k (the const checks above); any bits
                // are valid values; `&mut self` is exclusive and cannot overlap `words`.
                unsafe {
                    std::ptr::copy_nonoverlapping(
                        words.as_ptr(),
                        std::ptr::from_mut(self).cast::<u64>().add(first),
                        words.len(),
                    );
                }
            }
        }
    };
}

accessors!(
    0 revenue0: f64,
    1 mu0: f64,
    2 valuation0: f64,
    3 multiple0: f64,
    4 stake0: f64,
    5 rv_drift: f64,
    6 rv_scale: f64,
    7 mu_inf: f64,
    8 phi_g: f64,
    9 sd_g: f64,
    10 ln_m_long: f64,
    11 phi_m: f64,
    12 sd_m: f64,
    13 ceiling_addressable: f64,
    14 ramp: f64,
    15 midpoint: f64,
    16 incremental: f64,
    17 rate: f64,
    18 cap_cents: i64,
    19 model_ratio: f64,
    20 cannibalization: f64,
    21 model_margin: f64,
    22 share_to_company: f64,
    23 spend_ratio: f64,
    24 z0: f64,
    25 z_long: f64,
    26 kappa_z: f64,
    27 compute_margin: f64,
    28 dilution_factor: f64,
    29 lambda_dt: f64,
    30 p_no_round: f64,
    31 round_fraction: f64,
    32 liquidity_discount: f64,
    33 discount_rate: f64,
    34 equity_rate: f64,
    35 renewal_u: f64,
    36 renewal_p: f64,
    37 retention: f64,
    38 product_value0: f64,
    39 product_growth: f64,
    40 renegotiation_t: f64,
    41 renegotiation_keep: f64,
);

impl PathParams {
    /// Draw every input through `draw(input, stream_key)`, in the order of
    /// `Scenario::inputs()` (constants included: `draw` returns them as they are), the
    /// event uniforms at their fixed places (the order is the QMC dimensions' order).
    pub fn new(
        sc: &Scenario,
        model: &Model,
        mut draw: impl FnMut(&Input, u64) -> f64,
    ) -> PathParams {
        // Each input through its row of the table: its value in `sc` and its stream key
        // (computed at compile time from its key path), so drawing needs no strings.
        // `opt!`: `None` when the input is left out, or is a schedule (read per period
        // from the grid, never per path); `d!` then gives the never-used NaN.
        macro_rules! opt {
            ($id:ident) => {{
                const ID: InputId = InputId::$id;
                ID.def()
                    .input(sc)
                    .map(|i| draw(i, const { stream_key(ID.key()) }))
            }};
        }
        macro_rules! d {
            ($id:ident) => {
                opt!($id).unwrap_or(f64::NAN)
            };
        }
        // A per-path event's uniform, from its own named stream (MODEL.md §6).
        macro_rules! event {
            ($key:literal) => {
                draw(&UNIFORM, const { stream_key($key) })
            };
        }
        let dt = model.dt;
        let revenue0 = d!(CompanyRevenue0);
        let growth0 = d!(CompanyGrowth0);
        let growth_long = d!(CompanyGrowthLong);
        let growth_half_life = d!(CompanyGrowthHalfLife);
        let growth_vol = d!(CompanyGrowthVol);
        let revenue_vol = d!(CompanyRevenueVol);
        let valuation0 = d!(CompanyValuation0);
        let multiple_long = d!(CompanyMultipleLong);
        let multiple_half_life = d!(CompanyMultipleHalfLife);
        let multiple_vol = d!(CompanyMultipleVol);
        let stake0 = d!(StakeInitial);
        let dilution = d!(StakeAnnualDilution);
        let liquidity_discount = d!(StakeLiquidityDiscount);
        let rounds_per_year = d!(StakeRandomRoundsPerYear);
        let round_fraction = d!(StakeRandomRoundFraction);
        let s = &sc.stake;
        let per_path_rounds = s
            .rounds
            .iter()
            .any(|r| matches!(r.amount, Input::Dist(_)) || r.probability.is_some());
        let round_amounts = if per_path_rounds {
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
                let r = &s.rounds[j];
                amounts[j] = draw(&r.amount, round_stream_key(index));
                if let Some(p) = &r.probability {
                    let p = draw(p, round_probability_key(index));
                    let happens = draw(&UNIFORM, round_happens_key(index)) < p;
                    if !happens {
                        amounts[j] = 0.0;
                    }
                }
            }
            amounts
        } else {
            Vec::new()
        };
        let rate = d!(RevenueShareRate);
        let cap_cents = opt!(RevenueShareCap).map_or(i64::MAX, to_cents);
        let addressable = d!(ChannelAddressableShare);
        let ceiling = d!(ChannelCeiling);
        let midpoint = d!(ChannelMidpointYear);
        let ramp = d!(ChannelRampSpeed);
        let incremental = d!(ChannelIncremental);
        let cannibalization = d!(ChannelCloudCannibalization);
        let model_revenue0 = d!(CloudModelRevenue0);
        let model_margin = d!(CloudModelMargin);
        let share_to_company = d!(CloudShareToCompany);
        let spend_ratio = d!(CloudComputeSpendRatio);
        let z0 = d!(CloudComputeShare0);
        let z_long = d!(CloudComputeShareLong);
        let z_half_life = d!(CloudComputeShareHalfLife);
        let compute_margin = d!(CloudComputeMargin);
        let discount_rate = d!(DiscountRate);
        let equity_rate = opt!(DiscountEquityRate).unwrap_or(discount_rate);
        let (renewal_u, renewal_p, retention, product_value0, product_growth) = match &sc.licence {
            Some(_) => (
                event!("licence.renewed"),
                d!(LicenceRenewalProbability),
                d!(LicenceRetention),
                d!(LicenceProductValue0),
                d!(LicenceProductGrowth),
            ),
            None => (0.0, 1.0, 1.0, 0.0, 0.0),
        };
        let (renegotiation_t, renegotiation_keep) = match &sc.renegotiation {
            Some(r) => {
                let rate = d!(RenegotiationRate);
                let haircut = d!(RenegotiationHaircut);
                // E ~ Exp(1) by inversion of one uniform u in [0, 1): E = -ln(1 - u).
                let e = -(-event!("renegotiation.time")).ln_1p();
                let from = r
                    .from
                    .map_or(f64::from(model.grid.start_year), |d| d.decimal_year());
                let t = if rate > 0.0 {
                    from + e / rate
                } else {
                    f64::INFINITY
                };
                (t, 1.0 - haircut)
            }
            None => (f64::INFINITY, 1.0),
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
            renewal_u,
            renewal_p,
            retention,
            product_value0,
            product_growth,
            renegotiation_t,
            renegotiation_keep,
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
            cap_cents: self.cap_cents,
            rate_factor: 1.0,
            cap_hit_year: 0,
            renegotiation_year: 0,
            npv_revenue_share: 0.0,
            npv_cloud_models: 0.0,
            pv_reverse_share: 0.0,
            npv_compute: 0.0,
            npv_licence: 0.0,
        }
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

    /// Whether the licence is renewed on this path (MODEL.md §6.1).
    pub fn renewed(&self) -> bool {
        self.renewal_u < self.renewal_p
    }

    /// The renegotiation time of this path in decimal years (infinite: never).
    pub fn renegotiation_time(&self) -> f64 {
        self.renegotiation_t
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
            // rate_factor is 1 (so the product is the rate, bit for bit) until a
            // renegotiation without a cap (MODEL.md §6 clarifications: rate x factor, then x base).
            let due = to_cents(per.rate.unwrap_or(self.rate) * st.rate_factor * base);
            let paid = due.min(st.cap_cents - st.cum_cents);
            st.cum_cents += paid;
            if st.renegotiation_year == 0 && self.renegotiation_t <= per.t {
                self.renegotiate(st, per.year);
            }
            if st.cap_hit_year == 0 && st.cum_cents == st.cap_cents {
                st.cap_hit_year = per.year;
            }
            (due, paid)
        } else {
            (0, 0)
        };
        let paid = paid_cents as f64 / CENTS_PER_BN;
        // 7. Cloud model sales and the reverse share, scaled by the licence's l_k.
        let keep = if self.renewed() { 1.0 } else { self.retention };
        let u = per.licence_weight;
        // l_k = u + (1 - u) keep; written so that keep = 1 gives exactly 1 (u + (1 - u)
        // need not round to 1), and u = 1 (covered, or no licence) gives exactly 1.
        let l = if keep == 1.0 {
            1.0
        } else {
            u + (1.0 - u) * keep
        };
        let a = l * (self.model_ratio * r - self.cannibalization * b).max(0.0);
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
        // The licence's product value L_k (0 without a licence: product_value0 = 0).
        let growth = match &model.product_growth {
            Some(v) => v[i],
            None => product_growth(
                self.product_growth,
                per.t - f64::from(model.grid.start_year),
            ),
        };
        let licence_value = l * self.product_value0 * growth * dt;
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
        st.npv_licence += licence_value * df;
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
            licence_value,
            // L_k last: + 0 without a licence leaves the v1 sum as it was, bit for bit.
            cash_flow: paid + model_margin - reverse_share + compute_margin + licence_value,
            discount_factor: df,
            stake: st.stake,
            valuation,
            stake_value: st.stake * valuation,
            cum: st.cum_cents as f64 / CENTS_PER_BN,
        }
    }

    /// Per-path results after the last of `n` periods.
    pub fn results(&self, model: &Model, st: &PathState) -> PathResults {
        self.results_given(st, self.pv_stake(model, st))
    }

    /// The present value of the stake after the last period: the one result that takes
    /// transcendental functions (`exp` for `V_N`, `pow` for a per-path equity discount),
    /// so the engine computes it once per path rather than once per result column.
    pub fn pv_stake(&self, model: &Model, st: &PathState) -> f64 {
        let n = model.grid.len();
        let dfe = model
            .equity_discount
            .unwrap_or_else(|| discount_factor(self.equity_rate, n, model.dt));
        let valuation = match model.grid.periods.last() {
            Some(last) => self.valuation(model, last, st),
            None => self.valuation0,
        };
        st.stake * valuation * dfe * (1.0 - self.liquidity_discount)
    }

    /// Per-path results, given the path's [`PathParams::pv_stake`].
    pub fn results_given(&self, st: &PathState, pv_stake: f64) -> PathResults {
        let npv_reverse_share = -st.pv_reverse_share;
        let npv_total = st.npv_revenue_share
            + st.npv_cloud_models
            + npv_reverse_share
            + st.npv_compute
            + pv_stake
            + st.npv_licence;
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
            npv_licence: st.npv_licence,
            renewed: self.renewed(),
            renegotiation_year: (st.renegotiation_year != 0).then_some(st.renegotiation_year),
        }
    }

    /// The renegotiation event in a period of calendar `year` where the share runs, after
    /// that period's payment is posted (MODEL.md §6.3). With a cap, what is left of it is
    /// cut on the exact ledger: `(1 - haircut)` in f64 times the headroom in whole cents,
    /// rounded half to even. Without one, every later rate is scaled.
    fn renegotiate(&self, st: &mut PathState, year: i32) {
        st.renegotiation_year = year;
        if st.cap_cents == i64::MAX {
            st.rate_factor = self.renegotiation_keep;
        } else {
            let headroom = st.cap_cents - st.cum_cents;
            let kept = (self.renegotiation_keep * headroom as f64).round_ties_even() as i64;
            st.cap_cents = st.cum_cents + kept;
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
        let sc = crate::scenario::parse_str(&crate::scenario::EXAMPLE, "example.toml").unwrap();
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
        let mut d = b.clone();
        for (k, (get, set)) in ACCESSORS.iter().enumerate() {
            set(&mut c, get(&a));
            d.set_word(k, get(&a));
        }
        d.set_round_amounts(a.round_amounts());
        assert_eq!(format!("{d:?}"), format!("{a:?}"));
        // A run of fields at once is the same as word by word: all of them, and a middle run.
        let words: Vec<u64> = ACCESSORS.iter().map(|(get, _)| get(&a)).collect();
        let mut e = b.clone();
        e.set_words(0, &words);
        e.set_round_amounts(a.round_amounts());
        assert_eq!(format!("{e:?}"), format!("{a:?}"));
        let mut f = b.clone();
        let mut g = b.clone();
        f.set_words(5, &words[5..9]);
        for (k, &w) in words.iter().enumerate().take(9).skip(5) {
            g.set_word(k, w);
        }
        assert_eq!(format!("{f:?}"), format!("{g:?}"));
        assert_ne!(format!("{f:?}"), format!("{b:?}"));
        // The example's round is conditional, so its amount is per path (not a word).
        c.set_round_amounts(a.round_amounts());
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
