//! The analyst's workflow (issue 18), end to end on the binary: `compare --variant`,
//! labelled `--set` runs that never replace the plain run's results.

mod common;

use common::{dealsim, noisy, ok, snapshot};

#[test]
fn a_variant_is_the_first_file_plus_its_edits_under_its_own_name() {
    let dir = common::folder_with("a.toml", &noisy(400));
    let d = dir.path();
    let o = dealsim(
        &[
            "compare",
            "a.toml",
            "--variant",
            "cap20: revenue_share.cap=20",
            "--variant",
            "fast: channel.ramp_speed=3.0; channel.midpoint_year=2027",
            "--out",
            "c",
            "-q",
            "--charts",
            "svg",
        ],
        d,
    );
    let stdout = ok(&o);
    let c = d.join("c");
    for member in ["a", "cap20", "fast"] {
        assert!(c.join(member).join("summary.csv").is_file(), "{member}");
        assert!(c.join(member).join("report.html").is_file(), "{member}");
    }
    // The same edit through `run --set` on the same seed and paths: the variant's member
    // results are byte-identical (it runs like any member, common random numbers).
    let r = dealsim(
        &[
            "run",
            "a.toml",
            "--set",
            "revenue_share.cap=20",
            "--out",
            "r",
            "-q",
            "--charts",
            "none",
            "--no-report",
        ],
        d,
    );
    ok(&r);
    for f in ["summary.csv", "timeseries.csv", "cap_hits.csv"] {
        assert_eq!(
            std::fs::read(c.join("cap20").join(f)).unwrap(),
            std::fs::read(d.join("r").join(f)).unwrap(),
            "{f}"
        );
    }
    // what_changed names each variant and exactly its edits, against DET's values.
    let wc = common::csv_rows(&c.join("what_changed.csv"));
    assert_eq!(wc[0], ["scenario", "key", "baseline", "value"]);
    let mut body: Vec<Vec<String>> = wc[1..].to_vec();
    body.sort();
    assert_eq!(
        body,
        [
            ["cap20", "revenue_share.cap", "12.5", "20"],
            ["fast", "channel.midpoint_year", "2027.5", "2027"],
            ["fast", "channel.ramp_speed", "1.5", "3.0"],
        ]
        .map(|r| r.map(String::from).to_vec())
    );
    // Paired deltas: a higher cap moves only the revenue share, and never down.
    let deltas = common::csv_rows(&c.join("compare_deltas.csv"));
    let col = |name: &str| deltas[0].iter().position(|h| h == name).unwrap();
    let (sc, met, mean) = (col("scenario"), col("metric"), col("mean_delta"));
    let delta = |s: &str, m: &str| -> f64 {
        deltas
            .iter()
            .find(|r| r[sc] == s && r[met] == m)
            .unwrap_or_else(|| panic!("{s} {m}"))[mean]
            .parse()
            .unwrap()
    };
    assert!(delta("cap20", "npv_revenue_share") > 0.0);
    assert_eq!(delta("cap20", "pv_stake"), 0.0);
    assert_ne!(delta("fast", "npv_cloud_models"), 0.0);
    // Every output names the variant: the summary, the overlay legends, the report, and
    // the member's own chart subtitles carry its edits.
    let summary = std::fs::read_to_string(c.join("compare_summary.csv")).unwrap();
    assert!(
        summary.lines().any(|l| l.starts_with("cap20,")),
        "{summary}"
    );
    let report = std::fs::read_to_string(c.join("report.html")).unwrap();
    assert!(report.contains("cap20") && report.contains("fast"));
    let overlay = std::fs::read_to_string(c.join("charts/compare_npv_total_cdf.svg")).unwrap();
    assert!(overlay.contains("[cap20]") && overlay.contains("[fast]"));
    let own = std::fs::read_to_string(c.join("cap20/charts/npv_components.svg")).unwrap();
    assert!(own.contains("with revenue_share.cap=20"));
    assert!(stdout.contains("cap20") && stdout.contains("revenue_share.cap: 12.5 -> 20"));
}

#[test]
fn variant_errors_name_the_variant_and_the_edit_and_write_nothing() {
    let dir = common::folder_with("a.toml", &noisy(400));
    let d = dir.path();
    let o = dealsim(
        &[
            "compare",
            "a.toml",
            "--variant",
            "bad: revenue_share.cap=abc; channel.ceiling=7",
            "--out",
            "c",
            "-q",
        ],
        d,
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("error: --variant bad: revenue_share.cap=abc: "),
        "{err}"
    );
    assert!(
        err.contains("error: --variant bad: channel.ceiling=7: "),
        "{err}"
    );
    assert!(!err.contains("--set"), "{err}");
    assert!(!d.join("c").exists());
    for (arg, why) in [("nocolon", "no ':'"), ("x:", "no edits"), (": a=1", "name")] {
        let o = dealsim(&["compare", "a.toml", "--variant", arg, "-q"], d);
        assert_eq!(o.status.code(), Some(2), "{arg}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("--variant") && err.contains(why),
            "{arg}: {err}"
        );
    }
    // One file and no variant is not a comparison.
    let o = dealsim(&["compare", "a.toml", "-q"], d);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn set_on_compare_says_it_applies_to_every_member() {
    let dir = common::folder_with("a.toml", &noisy(400));
    let d = dir.path();
    let o = dealsim(
        &[
            "compare",
            "a.toml",
            "--variant",
            "v: channel.ramp_speed=3.0",
            "--set",
            "revenue_share.cap=20",
            "--out",
            "c",
            "-q",
            "--charts",
            "none",
            "--no-report",
        ],
        d,
    );
    let stdout = ok(&o);
    assert!(
        stdout.contains("--set applies to every member (revenue_share.cap=20)"),
        "{stdout}"
    );
    // Both members carry the shared edit: it is not a difference between them.
    let wc = std::fs::read_to_string(d.join("c/what_changed.csv")).unwrap();
    assert!(!wc.contains("revenue_share.cap"), "{wc}");
}

#[test]
fn a_run_with_set_is_labelled_and_never_replaces_the_plain_run() {
    let dir = common::folder_with("a.toml", &noisy(400));
    let d = dir.path();
    let plain = ["run", "a.toml", "-q", "--charts", "svg"];
    let stdout = ok(&dealsim(&plain, d));
    assert!(!stdout.contains(" with "), "{stdout}");
    let before = snapshot(&d.join("output/a"));
    let o = dealsim(
        &[
            "run",
            "a.toml",
            "-q",
            "--charts",
            "svg",
            "--set",
            "revenue_share.cap=20",
            "--set",
            "channel.ramp_speed = 3",
        ],
        d,
    );
    let stdout = ok(&o);
    // The terminal header names the edits.
    let first = stdout.lines().next().unwrap();
    assert!(
        first.contains("with revenue_share.cap=20; channel.ramp_speed = 3"),
        "{first}"
    );
    // Its own folder; the plain run's is untouched.
    let edited = d.join("output/a-revenue_share.cap=20+channel.ramp_speed=3");
    assert!(edited.join("summary.csv").is_file(), "{stdout}");
    assert!(stdout.contains("a-revenue_share.cap=20+channel.ramp_speed=3"));
    assert_eq!(snapshot(&d.join("output/a")), before);
    // Chart subtitles and the report's title area name the edits.
    for chart in [
        "npv_components",
        "npv_total_cdf",
        "fan_company_revenue",
        "cap_timing",
    ] {
        let svg = std::fs::read_to_string(edited.join(format!("charts/{chart}.svg"))).unwrap();
        assert!(svg.contains("with revenue_share.cap=20"), "{chart}");
    }
    let html = std::fs::read_to_string(edited.join("report.html")).unwrap();
    let h1 = html.find("<h1>").unwrap();
    let note = html
        .find("<p class=\"overrides\">with revenue_share.cap=20; channel.ramp_speed = 3</p>")
        .expect("overrides under the title");
    assert!(note > h1 && note < html.find("</header>").unwrap());
    // The plain run's report has no such line.
    let plain_html = std::fs::read_to_string(d.join("output/a/report.html")).unwrap();
    assert!(!plain_html.contains("class=\"overrides\""));
}
