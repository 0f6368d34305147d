//! `[[input_correlation]]` (issue 17): target Spearman rank correlations between pairs of
//! uncertain inputs, checked here; the engine realises them with a Gaussian copula
//! (`model::copula`).
//!
//! Rules: `inputs` names two distinct uncertain inputs of the scenario (distributions of
//! non-zero width), no pair is given twice (in either order), `rank` is in [-1, 1], and
//! the matrix the pairs imply is positive semi-definite. The matrix checked is the one the
//! copula factors: the Pearson correlations of the normal scores,
//! `rho_P = 2 sin(pi rho_S / 6)` (the exact Spearman-to-Pearson relation of the bivariate
//! normal; Pearson 1907, Kruskal 1958), with 0 for pairs not given.

use std::collections::HashSet;

use super::check::{num, Checker};
use super::dist::support;
use super::error::suggest;
use super::raw::{RawNode, RawValue};
use super::types::{Input, InputCorrelation};

/// The keys of one `[[input_correlation]]` table.
pub const KEYS: [&str; 2] = ["inputs", "rank"];

/// Pivots down to `-PIVOT_TOL` count as zero (rounding for |rho| near 1).
const PIVOT_TOL: f64 = 1e-10;
/// After a zero pivot, the entries it would divide must be this close to zero.
const OFF_TOL: f64 = 1e-8;

/// Pearson correlation of the normal scores giving Spearman `rank` under a Gaussian
/// copula: `2 sin(pi rank / 6)` (clamped to [-1, 1] against rounding).
pub fn pearson_of_spearman(rank: f64) -> f64 {
    (2.0 * (std::f64::consts::PI * rank / 6.0).sin()).clamp(-1.0, 1.0)
}

/// The correlated inputs, in order of first mention, and their `n x n` Pearson matrix
/// (row-major, ones on the diagonal, 0 for pairs not given).
pub fn copula_matrix(pairs: &[InputCorrelation]) -> (Vec<String>, Vec<f64>) {
    let mut names: Vec<String> = Vec::new();
    for p in pairs {
        for k in &p.inputs {
            if !names.contains(k) {
                names.push(k.clone());
            }
        }
    }
    let n = names.len();
    let mut c = vec![0.0; n * n];
    for i in 0..n {
        c[i * n + i] = 1.0;
    }
    let at = |k: &String| names.iter().position(|x| x == k).unwrap_or(0);
    for p in pairs {
        let (a, b) = (at(&p.inputs[0]), at(&p.inputs[1]));
        let r = pearson_of_spearman(p.rank);
        c[a * n + b] = r;
        c[b * n + a] = r;
    }
    (names, c)
}

/// Lower-triangular `L` (row-major, `n x n`) with `L L^T = C` for a symmetric `C`,
/// accepting positive *semi*-definite matrices (a zero pivot gives its column zeros below
/// the diagonal, exact when `C` is PSD). `Err(j)`: `C` is not PSD; the leading
/// `(j+1) x (j+1)` block already is not.
pub fn cholesky_psd(c: &[f64], n: usize) -> Result<Vec<f64>, usize> {
    let mut l: Vec<f64> = vec![0.0; n * n];
    for j in 0..n {
        let d = c[j * n + j] - (0..j).map(|k| l[j * n + k].powi(2)).sum::<f64>();
        if d < -PIVOT_TOL || !d.is_finite() {
            return Err(j);
        }
        let pivot = d.max(0.0).sqrt();
        l[j * n + j] = pivot;
        for i in j + 1..n {
            let off = c[i * n + j] - (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum::<f64>();
            if d <= PIVOT_TOL {
                if off.abs() > OFF_TOL {
                    // Not PSD: the block of the first i+1 inputs already fails.
                    return Err(i);
                }
            } else {
                l[i * n + j] = off / pivot;
            }
        }
    }
    Ok(l)
}

/// One checked table with where its values came from.
struct Entry<'a> {
    index: usize,
    node: &'a RawNode,
    pair: InputCorrelation,
}

/// Reads and checks `[[input_correlation]]` (`node`: the top-level value, if any) against
/// the scenario's scalar inputs. `bad` holds key paths that already have a problem (their
/// placeholder values say nothing about whether they are uncertain).
pub fn input_correlation(
    ck: &mut Checker,
    node: Option<&RawNode>,
    inputs: &[(String, Input)],
    bad: &HashSet<String>,
) -> Vec<InputCorrelation> {
    let Some(node) = node else {
        return Vec::new();
    };
    let RawValue::Array(items) = &node.value else {
        let msg = format!(
            "expected an array of tables (write each pair as [[input_correlation]]), found {}",
            node.type_name()
        );
        ck.bad(node, "input_correlation", msg);
        return Vec::new();
    };
    let names: Vec<&str> = inputs.iter().map(|(k, _)| k.as_str()).collect();
    let mut entries: Vec<Entry<'_>> = Vec::new();
    let mut ok = true;
    for (index, item) in items.iter().enumerate() {
        let path = format!("input_correlation[{index}]");
        match read_entry(ck, item, &path, inputs, &names, bad) {
            Some(pair) => entries.push(Entry {
                index,
                node: item,
                pair,
            }),
            None => ok = false,
        }
    }
    // No pair twice, in either order.
    let mut unique: Vec<&Entry<'_>> = Vec::new();
    for e in &entries {
        let [a, b] = &e.pair.inputs;
        let same = |f: &&&Entry<'_>| {
            let [c, d] = &f.pair.inputs;
            (a == c && b == d) || (a == d && b == c)
        };
        if let Some(first) = unique.iter().find(same) {
            let msg = format!(
                "the pair ({a}, {b}) is already correlated by input_correlation[{}]; give each pair once",
                first.index
            );
            let path = format!("input_correlation[{}].inputs", e.index);
            ck.bad(e.node, &path, msg);
            ok = false;
        } else {
            unique.push(e);
        }
    }
    let pairs: Vec<InputCorrelation> = entries.iter().map(|e| e.pair.clone()).collect();
    if ok && !pairs.is_empty() {
        check_psd(ck, &entries, &pairs);
    }
    pairs
}

/// One `{ inputs = [a, b], rank = r }` table, or `None` after recording its problems.
fn read_entry(
    ck: &mut Checker,
    item: &RawNode,
    path: &str,
    inputs: &[(String, Input)],
    names: &[&str],
    bad: &HashSet<String>,
) -> Option<InputCorrelation> {
    let entries = ck.table(item, path)?;
    ck.unknown_keys(entries, path, &KEYS);
    let inputs_path = format!("{path}.inputs");
    let rank_path = format!("{path}.rank");
    let keys = match item.get("inputs") {
        None => {
            ck.bad(item, &inputs_path, "missing required key");
            None
        }
        Some(n) => read_inputs(ck, n, &inputs_path, inputs, names, bad),
    };
    let rank = match item.get("rank") {
        None => {
            ck.bad(item, &rank_path, "missing required key");
            None
        }
        Some(n) => ck.number(n, &rank_path).filter(|r| {
            let in_range = (-1.0..=1.0).contains(r);
            if !in_range {
                ck.bad(
                    n,
                    &rank_path,
                    format!("{} is out of range: must be in [-1, 1]", num(*r)),
                );
            }
            in_range
        }),
    };
    Some(InputCorrelation {
        inputs: keys?,
        rank: rank?,
    })
}

/// `inputs = ["company.revenue0", "channel.ceiling"]`: two distinct uncertain inputs.
fn read_inputs(
    ck: &mut Checker,
    n: &RawNode,
    path: &str,
    inputs: &[(String, Input)],
    names: &[&str],
    bad: &HashSet<String>,
) -> Option<[String; 2]> {
    let RawValue::Array(items) = &n.value else {
        let msg = format!(
            "expected an array of two input key paths, found {}",
            n.type_name()
        );
        ck.bad(n, path, msg);
        return None;
    };
    if items.len() != 2 {
        let msg = format!(
            "expected two input key paths, like [\"company.revenue0\", \"channel.ceiling\"], found {}",
            items.len()
        );
        ck.bad(n, path, msg);
        return None;
    }
    let mut keys = Vec::with_capacity(2);
    for (j, item) in items.iter().enumerate() {
        let sub = format!("{path}[{j}]");
        let key = ck.string(item, &sub)?;
        let Some((_, input)) = inputs.iter().find(|(k, _)| *k == key) else {
            let msg = match suggest(&key, names) {
                Some(s) => format!("{key} is not an input of this scenario; did you mean {s}?"),
                None => format!("{key} is not an input of this scenario"),
            };
            ck.bad(item, &sub, msg);
            return None;
        };
        if bad.contains(&key) {
            // Its own problem is reported; whether it is uncertain is unknown.
            return None;
        }
        match input {
            Input::Const(v) => {
                let msg = format!(
                    "{key} is the constant {}, not a distribution: only uncertain inputs can be correlated",
                    num(*v)
                );
                ck.bad(item, &sub, msg);
                return None;
            }
            Input::Dist(d) => {
                let (lo, _, hi) = support(d);
                if hi <= lo {
                    let msg = format!(
                        "{key} is a distribution of zero width (always {}): it cannot be correlated",
                        num(lo)
                    );
                    ck.bad(item, &sub, msg);
                    return None;
                }
            }
        }
        keys.push(key);
    }
    if keys[0] == keys[1] {
        ck.bad(
            n,
            path,
            format!(
                "{} twice: an input cannot be correlated with itself",
                keys[0]
            ),
        );
        return None;
    }
    let b = keys.pop()?;
    let a = keys.pop()?;
    Some([a, b])
}

/// The implied matrix must be positive semi-definite; else name the pairs of the first
/// block of inputs (in order of first mention) that is already inconsistent.
fn check_psd(ck: &mut Checker, entries: &[Entry<'_>], pairs: &[InputCorrelation]) {
    let (names, c) = copula_matrix(pairs);
    let Err(j) = cholesky_psd(&c, names.len()) else {
        return;
    };
    let block = &names[..=j];
    let involved: Vec<&Entry<'_>> = entries
        .iter()
        .filter(|e| e.pair.inputs.iter().all(|k| block.contains(k)))
        .collect();
    let listed: Vec<String> = involved
        .iter()
        .map(|e| {
            format!(
                "({}, {}) rank {} (input_correlation[{}])",
                e.pair.inputs[0], e.pair.inputs[1], e.pair.rank, e.index
            )
        })
        .collect();
    let msg = format!(
        "these rank correlations cannot hold together: {}; the matrix they imply (Pearson 2 sin(pi rank/6) of the normal scores) is not positive semi-definite",
        listed.join(", ")
    );
    let paths: Vec<String> = involved
        .iter()
        .map(|e| format!("input_correlation[{}].rank", e.index))
        .collect();
    let keys: Vec<(&super::raw::Origin, &str)> = involved
        .iter()
        .zip(&paths)
        .map(|(e, p)| (&e.node.origin, p.as_str()))
        .collect();
    ck.across(&keys, msg);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spearman_to_pearson_fixed_points() {
        // 2 sin(pi/6) = 1, 2 sin(0) = 0, odd.
        assert!((pearson_of_spearman(1.0) - 1.0).abs() < 1e-15);
        assert_eq!(pearson_of_spearman(0.0), 0.0);
        assert_eq!(pearson_of_spearman(-0.5), -pearson_of_spearman(0.5));
        // 2 sin(pi 0.5/6) = 2 sin(pi/12) = 0.5176380902050415.
        assert!((pearson_of_spearman(0.5) - 0.517_638_090_205_041_5).abs() < 1e-15);
    }

    #[test]
    fn cholesky_reproduces_definite_and_singular_matrices() {
        for c in [
            vec![1.0, 0.5, 0.2, 0.5, 1.0, 0.3, 0.2, 0.3, 1.0],
            vec![1.0, 1.0, 0.4, 1.0, 1.0, 0.4, 0.4, 0.4, 1.0],
        ] {
            let l = cholesky_psd(&c, 3).unwrap();
            for i in 0..3 {
                for j in 0..3 {
                    let x: f64 = (0..3).map(|k| l[i * 3 + k] * l[j * 3 + k]).sum();
                    assert!((x - c[i * 3 + j]).abs() < 1e-12);
                }
            }
        }
        // 0.9, 0.9, -0.9 is not PSD; the third input breaks it.
        let bad = [1.0, 0.9, 0.9, 0.9, 1.0, -0.9, 0.9, -0.9, 1.0];
        assert_eq!(cholesky_psd(&bad, 3), Err(2));
    }
}
