//! `compare --variant 'NAME: EDIT; EDIT'`: an edited copy of the first scenario file as a
//! member of its own. The edits are `--set` edits (same syntax, same validation); this
//! module only splits the argument and makes problems name `--variant` instead of `--set`.

use crate::scenario::{split_top_level, ScenarioError, SET_LABEL};

/// The label problems with a variant's edits carry in place of `--set`.
pub const VARIANT_LABEL: &str = "--variant";

/// One parsed `--variant`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    /// The member's name (made file-system-safe and unique later, like a file stem).
    pub name: String,
    /// `KEY=VALUE` edits, trimmed, in order.
    pub edits: Vec<String>,
}

/// Parses `NAME: KEY=VALUE; KEY=VALUE`. The `;` inside a quoted TOML string or an
/// inline table's braces does not split.
pub fn parse(arg: &str) -> Result<Variant, String> {
    let usage = |why: &str| {
        format!(
            "--variant '{}': {why}; write NAME: KEY=VALUE; KEY=VALUE, e.g. \
             'cap50: revenue_share.cap=50'",
            arg.trim()
        )
    };
    let (name, rest) = arg
        .split_once(':')
        .ok_or_else(|| usage("no ':' after the variant's name"))?;
    let name = name.trim();
    if name.is_empty() {
        return Err(usage("the name before ':' is empty"));
    }
    if name.contains('=') {
        return Err(usage("the name before ':' contains '='"));
    }
    let edits: Vec<String> = split_top_level(rest, ';')
        .into_iter()
        .map(|e| e.trim().to_string())
        .filter(|e| !e.is_empty())
        .collect();
    if edits.is_empty() {
        return Err(usage("no edits after ':'"));
    }
    Ok(Variant {
        name: name.to_string(),
        edits,
    })
}

/// Relabels problems with the variant's own edits: `error: --variant cap50:
/// revenue_share.cap=abc: ...` names the variant and the edit, never a `--set` the user
/// did not write. Problems with the command's shared `--set` edits keep their label.
pub fn relabel(mut e: ScenarioError, v: &Variant) -> ScenarioError {
    for p in &mut e.problems {
        let ours = p.file == SET_LABEL
            && p.set_arg
                .as_deref()
                .is_some_and(|a| v.edits.iter().any(|e| e == a.trim()));
        if ours {
            p.file = VARIANT_LABEL.to_string();
            p.set_arg = p.set_arg.take().map(|a| format!("{}: {a}", v.name));
        }
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_name_and_edits() {
        let v = parse("fast: channel.ramp_speed=2.4; channel.midpoint_year=2027").unwrap();
        assert_eq!(v.name, "fast");
        assert_eq!(
            v.edits,
            ["channel.ramp_speed=2.4", "channel.midpoint_year=2027"]
        );
        let v = parse("q: meta.name=\"a;b\"; x.y={dist=\"uniform\",low=1,high=2}").unwrap();
        assert_eq!(v.edits.len(), 2, "{:?}", v.edits);
        assert_eq!(v.edits[0], "meta.name=\"a;b\"");
        for bad in ["cap50", ": a=1", "cap50:", "cap50: ;", "a=1: b=2"] {
            let e = parse(bad).unwrap_err();
            assert!(e.starts_with("--variant"), "{e}");
        }
    }
}
