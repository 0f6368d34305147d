//! The one progress bar of every command: on stderr, hidden with `--quiet` (and by
//! indicatif itself when stderr is not a terminal), one look throughout.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar over `len` units drawn with `template` (indicatif's template syntax; a broken
/// template falls back to the plain default rather than failing the run).
pub fn bar(quiet: bool, len: u64, template: &str) -> ProgressBar {
    let b = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr())
    };
    b.set_style(
        ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    b
}

/// `<what> [=====>    ] 3/10 <unit>  00:00:04 (ETA 00:00:06)`: the usual bar's template.
pub fn counted(what: &str, unit: &str) -> String {
    format!("{what} [{{bar:30}}] {{pos}}/{{len}} {unit}  {{elapsed_precise}} (ETA {{eta}})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_usual_template_names_what_and_unit() {
        assert_eq!(
            counted("sweep", "points"),
            "sweep [{bar:30}] {pos}/{len} points  {elapsed_precise} (ETA {eta})"
        );
        // A template indicatif rejects still gives a (hidden) bar, not a failed run.
        let b = bar(true, 3, "{bar:nonsense");
        b.inc(2);
        assert_eq!(b.position(), 2);
    }
}
