//! results.xlsx, end to end: LibreOffice opens the workbook dealsim wrote and reads back
//! the CSVs' numbers; the native chart parts are in the file; `--no-xlsx` skips it.
//!
//! LibreOffice (`soffice`) is installed by .ci/run; without it the read-back test prints
//! SKIP and its reason (the zip-level checks still run).

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{dealsim, noisy, ok};

/// The names and contents of a zip archive's entries.
fn unzip(path: &Path) -> Vec<(String, String)> {
    let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut z = zip::ZipArchive::new(f).expect("a zip archive");
    (0..z.len())
        .map(|i| {
            let mut e = z.by_index(i).unwrap();
            let mut s = String::new();
            let _ = e.read_to_string(&mut s);
            (e.name().expect("entry name").to_string(), s)
        })
        .collect()
}

/// `soffice`, if it is installed.
fn soffice() -> Option<PathBuf> {
    ["soffice", "libreoffice"].iter().find_map(|b| {
        Command::new(b)
            .arg("--version")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|_| PathBuf::from(b))
    })
}

/// Every sheet of `xlsx` as CSV through LibreOffice: sheet name -> rows of fields. Cells
/// are exported with full precision (not as displayed), comma-separated, UTF-8.
fn libreoffice_sheets(lo: &Path, xlsx: &Path, out: &Path) -> Vec<(String, Vec<Vec<String>>)> {
    let profile = out.join("profile");
    let o = Command::new(lo)
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args([
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
            "--outdir",
        ])
        .arg(out)
        .arg(xlsx)
        .output()
        .expect("soffice runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stem = xlsx.file_stem().unwrap().to_string_lossy().into_owned();
    let mut sheets = Vec::new();
    for e in std::fs::read_dir(out).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(sheet) = name
            .strip_prefix(&format!("{stem}-"))
            .and_then(|s| s.strip_suffix(".csv"))
        {
            sheets.push((sheet.to_string(), common::csv_rows(&e.path())));
        }
    }
    sheets.sort();
    sheets
}

/// Equal as numbers to LibreOffice's 15 significant digits, or equal as text.
fn same_cell(csv: &str, lo: &str) -> bool {
    match (csv.parse::<f64>(), lo.parse::<f64>()) {
        (Ok(a), Ok(b)) => a == b || (a - b).abs() <= 1e-13 * a.abs().max(b.abs()),
        _ => csv == lo,
    }
}

#[test]
fn the_workbook_holds_every_csv_and_libreoffice_reads_the_same_numbers() {
    let dir = common::folder_with("a.toml", &noisy(500));
    let d = dir.path();
    ok(&dealsim(
        &["run", "a.toml", "--out", "r", "-q", "--charts", "none"],
        d,
    ));
    let run = d.join("r");
    let xlsx = run.join("results.xlsx");
    let parts = unzip(&xlsx);
    let names: Vec<&str> = parts.iter().map(|(n, _)| n.as_str()).collect();
    // Four native charts: fan, NPV CDF, components, cap timing.
    for i in 1..=4 {
        assert!(
            names.contains(&format!("xl/charts/chart{i}.xml").as_str()),
            "{names:?}"
        );
    }
    let charts: String = parts
        .iter()
        .filter(|(n, _)| n.starts_with("xl/charts/chart"))
        .map(|(_, t)| t.as_str())
        .collect();
    for want in [
        "Investor cash flow per period",
        "P(NPV ≤ x)",
        "whiskers p5–p95",
        "revenue-share cap is hit",
    ] {
        assert!(charts.contains(want), "no chart titled {want}");
    }
    // Sheets named after the CSVs, in the workbook.
    let wb = &parts
        .iter()
        .find(|(n, _)| n == "xl/workbook.xml")
        .unwrap()
        .1;
    let csvs: Vec<String> = common::entries(&run)
        .into_iter()
        .filter(|n| n.ends_with(".csv"))
        .collect();
    assert!(csvs.len() >= 6, "{csvs:?}");
    for c in &csvs {
        let sheet = c.trim_end_matches(".csv");
        assert!(wb.contains(&format!("name=\"{sheet}\"")), "{sheet}");
    }
    // Dates are dates: cashflows' first period end is the serial number of 2026-03-31
    // (days since 1899-12-30), not a text cell.
    let sheet_of = |name: &str| {
        let pos = wb.find(&format!("name=\"{name}\"")).unwrap();
        let id = wb[..pos].matches("<sheet ").count();
        &parts
            .iter()
            .find(|(n, _)| *n == format!("xl/worksheets/sheet{id}.xml"))
            .unwrap()
            .1
    };
    let cf = sheet_of("cashflows");
    let a2 = &cf[cf.find("<c r=\"A2\"").unwrap()..];
    let a2 = &a2[..a2.find("</c>").unwrap()];
    assert!(
        !a2.contains("t=\"s\"") && a2.contains("<v>46112</v>"),
        "{a2}"
    );
    // The header is frozen.
    assert!(cf.contains("ySplit=\"1\""), "no frozen header");

    let Some(lo) = soffice() else {
        println!("SKIP LibreOffice read-back: soffice is not installed (.ci/run installs it)");
        return;
    };
    let out = d.join("lo");
    std::fs::create_dir_all(&out).unwrap();
    let sheets = libreoffice_sheets(&lo, &xlsx, &out);
    for c in &csvs {
        let name = c.trim_end_matches(".csv");
        let (_, got) = sheets
            .iter()
            .find(|(s, _)| s == name)
            .unwrap_or_else(|| panic!("LibreOffice found no sheet {name}"));
        let want = common::csv_rows(&run.join(c));
        assert_eq!(got.len(), want.len(), "{name}: rows");
        for (r, (w, g)) in want.iter().zip(got).enumerate() {
            assert_eq!(w.len(), g.len(), "{name} row {r}: {w:?} vs {g:?}");
            for (a, b) in w.iter().zip(g) {
                assert!(same_cell(a, b), "{name} row {r}: CSV {a} vs workbook {b}");
            }
        }
    }
    // The fan's points on chart_data are investor_cash_flow's percentiles.
    let (_, data) = sheets.iter().find(|(s, _)| s == "chart_data").unwrap();
    let ts = common::csv_rows(&run.join("timeseries.csv"));
    let col = |rows: &[Vec<String>], h: &str| rows[0].iter().position(|x| x == h).unwrap();
    let (m, p50) = (col(&ts, "metric"), col(&ts, "p50"));
    let want: Vec<&String> = ts
        .iter()
        .filter(|r| r[m] == "investor_cash_flow")
        .map(|r| &r[p50])
        .collect();
    let c = col(data, "investor_cash_flow p50");
    let got: Vec<&String> = data[1..=want.len()].iter().map(|r| &r[c]).collect();
    assert!(want.len() > 10);
    for (a, b) in want.iter().zip(&got) {
        assert!(same_cell(a, b), "fan p50: {a} vs {b}");
    }
}

#[test]
fn compare_writes_a_workbook_per_member_and_one_of_deltas_and_no_xlsx_skips_them() {
    let dir = common::folder_with("a.toml", &noisy(500));
    let d = dir.path();
    let args = [
        "compare",
        "a.toml",
        "--variant",
        "cap20: revenue_share.cap=20",
        "-q",
        "--charts",
        "none",
        "--no-report",
    ];
    ok(&dealsim(&[&args[..], &["--out", "c"]].concat(), d));
    let top = unzip(&d.join("c/results.xlsx"));
    let wb = &top.iter().find(|(n, _)| n == "xl/workbook.xml").unwrap().1;
    for sheet in [
        "compare_summary",
        "compare_deltas",
        "compare_timeseries",
        "what_changed",
        "a summary",
        "cap20 summary",
    ] {
        assert!(wb.contains(&format!("name=\"{sheet}\"")), "{sheet}: {wb}");
    }
    assert!(top.iter().any(|(n, _)| n == "xl/charts/chart1.xml"));
    for m in ["a", "cap20"] {
        assert!(d.join("c").join(m).join("results.xlsx").is_file(), "{m}");
    }
    ok(&dealsim(
        &[&args[..], &["--out", "n", "--no-xlsx"]].concat(),
        d,
    ));
    let all = common::snapshot(&d.join("n"));
    assert!(
        !all.keys().any(|p| p.ends_with("results.xlsx")),
        "{:?}",
        all.keys()
    );
    ok(&dealsim(
        &[
            "run",
            "a.toml",
            "--out",
            "r",
            "-q",
            "--charts",
            "none",
            "--no-xlsx",
        ],
        d,
    ));
    assert!(!d.join("r/results.xlsx").exists());
    assert!(d.join("r/summary.csv").is_file());
}
