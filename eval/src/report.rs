//! The quality report, `report/index.html`: one self-contained page for the quality team with
//! the headline metrics, three SVG plots drawn with plotters (confusion heatmap, reliability
//! diagram, coverage–accuracy curve) and the slice table with its intervals. Flagged slices
//! are marked in words, not by colour alone. It reads only `summary.json`'s values, so another
//! system's predictions get the same report.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use serde_json::Value;

/// The service's blue, and a red with enough contrast on white.
const BLUE: RGBColor = RGBColor(11, 58, 111);
const RED: RGBColor = RGBColor(178, 34, 34);
const FONT: &str = "sans-serif";

/// Writes `out/report/index.html`; returns its path.
pub fn write_report(summary: &Value, out: &Path) -> std::io::Result<PathBuf> {
    let dir = out.join("report");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("index.html");
    std::fs::write(&path, html(summary))?;
    Ok(path)
}

/// Draws into an SVG string of `size`; `None` when the summary lacks the plot's data or
/// plotters refuses it (the report then says the plot is not available).
fn svg(
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend, Shift>) -> Option<()>,
) -> Option<String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        root.fill(&WHITE).ok()?;
        draw(&root)?;
        root.present().ok()?;
    }
    Some(out)
}

/// Short names for the outcome axis labels.
fn short(outcome: &str) -> &str {
    match outcome {
        "group_I" => "I",
        "group_II" => "II",
        "group_III" => "III",
        "child_disability" => "child",
        "predicted_disability" => "predicted",
        other => other,
    }
}

/// The confusion matrix as a heatmap, true outcome by row, predicted by column; only the
/// outcomes that occur on either side.
pub fn confusion_svg(summary: &Value) -> Option<String> {
    let labels: Vec<&str> = summary["confusion"]["labels"]
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let rows: Vec<Vec<u64>> = summary["confusion"]["rows_true_columns_predicted"]
        .as_array()?
        .iter()
        .map(|r| {
            r.as_array()
                .map(|c| c.iter().filter_map(Value::as_u64).collect())
                .unwrap_or_default()
        })
        .collect();
    let count = |t: usize, p: usize| rows.get(t).and_then(|r| r.get(p)).copied().unwrap_or(0);
    let used: Vec<usize> = (0..labels.len())
        .filter(|&i| (0..labels.len()).any(|j| count(i, j) > 0 || count(j, i) > 0))
        .collect();
    if used.is_empty() {
        return None;
    }
    let n = used.len() as i32;
    let max = rows.iter().flatten().copied().max().unwrap_or(1).max(1) as f64;
    let (width, height, left, bottom) = (640u32, 600u32, 110u32, 70u32);
    let cell =
        ((width - left - 20) / used.len() as u32).min((height - bottom - 50) / used.len() as u32);
    svg((width, height), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(
                "Iznākumi: patiesais (rindas) × prognozētais (kolonnas)",
                (FONT, 18),
            )
            .margin(10)
            .x_label_area_size(bottom)
            .y_label_area_size(left)
            .build_cartesian_2d(0..n, n..0)
            .ok()?;
        let label = |v: &i32| {
            usize::try_from(*v)
                .ok()
                .and_then(|i| used.get(i))
                .map_or(String::new(), |&i| short(labels[i]).to_string())
        };
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(used.len() + 1)
            .y_labels(used.len() + 1)
            .x_label_offset(cell as i32 / 2)
            .y_label_offset(cell as i32 / 2)
            .x_label_formatter(&label)
            .y_label_formatter(&label)
            .x_desc("prognozētais / predicted")
            .y_desc("patiesais / true")
            .label_style((FONT, 14))
            .draw()
            .ok()?;
        let shade = |v: u64| {
            let s = v as f64 / max;
            let mix = |light: u8, dark: u8| {
                (f64::from(light) + (f64::from(dark) - f64::from(light)) * s) as u8
            };
            RGBColor(mix(245, BLUE.0), mix(248, BLUE.1), mix(252, BLUE.2))
        };
        let cells: Vec<(i32, i32, u64)> = used
            .iter()
            .enumerate()
            .flat_map(|(r, &t)| {
                used.iter()
                    .enumerate()
                    .map(move |(c, &p)| (c as i32, r as i32, (t, p)))
            })
            .map(|(c, r, (t, p))| (c, r, count(t, p)))
            .collect();
        chart
            .draw_series(
                cells
                    .iter()
                    .map(|&(c, r, v)| Rectangle::new([(c, r), (c + 1, r + 1)], shade(v).filled())),
            )
            .ok()?;
        chart
            .draw_series(cells.iter().map(|&(c, r, v)| {
                // Dark cells get white digits: the count stays readable.
                let colour = if (v as f64) / max > 0.5 { WHITE } else { BLACK };
                EmptyElement::at((c, r))
                    + Text::new(
                        v.to_string(),
                        (cell as i32 / 2 - 8, cell as i32 / 2 - 8),
                        (FONT, 15).into_font().color(&colour),
                    )
            }))
            .ok()?;
        Some(())
    })
}

/// The reliability diagram: per confidence bin, the accuracy (bars, dots at the bin's mean
/// confidence) against the diagonal of perfect calibration.
pub fn reliability_svg(summary: &Value) -> Option<String> {
    let bins: Vec<(f64, f64, f64, f64)> = summary["calibration"]["bins"]
        .as_array()?
        .iter()
        .filter_map(|b| {
            Some((
                b["lower"].as_f64()?,
                b["upper"].as_f64()?,
                b["mean_confidence"].as_f64()?,
                b["accuracy"].as_f64()?,
            ))
        })
        .collect();
    if bins.is_empty() {
        return None;
    }
    svg((640, 480), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption("Kalibrācija / Reliability", (FONT, 18))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(55)
            .build_cartesian_2d(0f64..1f64, 0f64..1f64)
            .ok()?;
        chart
            .configure_mesh()
            .x_desc("norādītā ticamība / stated confidence")
            .y_desc("precizitāte / accuracy")
            .label_style((FONT, 13))
            .draw()
            .ok()?;
        chart
            .draw_series(bins.iter().map(|&(lower, upper, _, accuracy)| {
                Rectangle::new([(lower, 0.0), (upper, accuracy)], BLUE.mix(0.25).filled())
            }))
            .ok()?;
        chart
            .draw_series(LineSeries::new([(0.0, 0.0), (1.0, 1.0)], BLACK.mix(0.6)))
            .ok()?
            .label("ideāla kalibrācija / perfect calibration")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.mix(0.6)));
        chart
            .draw_series(bins.iter().map(|&(_, _, confidence, accuracy)| {
                Circle::new((confidence, accuracy), 5, BLUE.filled())
            }))
            .ok()?
            .label("grupas precizitāte / accuracy of the bin")
            .legend(|(x, y)| Circle::new((x + 10, y), 5, BLUE.filled()));
        legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
        Some(())
    })
}

/// The coverage–accuracy curve: accepting only cases at or above a confidence, the share
/// accepted against the accuracy among them; the line 1 − α for the routing risk level and the
/// standard route's actual operating point.
pub fn coverage_svg(summary: &Value) -> Option<String> {
    let points: Vec<(f64, f64)> = summary["coverage_accuracy"]
        .as_array()?
        .iter()
        .filter_map(|p| Some((p["coverage"].as_f64()?, p["accuracy"].as_f64()?)))
        .collect();
    if points.is_empty() {
        return None;
    }
    let lowest = points.iter().map(|p| p.1).fold(1.0, f64::min);
    let floor = ((lowest - 0.05).max(0.0) * 20.0).floor() / 20.0;
    let risk = summary["risk"].as_f64();
    let standard = (
        summary["routing"]["standard_share"].as_f64(),
        summary["routing"]["standard_accuracy"].as_f64(),
    );
    svg((640, 480), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(
                "Pārklājums un precizitāte / Coverage and accuracy",
                (FONT, 18),
            )
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(55)
            .build_cartesian_2d(0f64..1f64, floor..1.0f64)
            .ok()?;
        chart
            .configure_mesh()
            .x_desc("pieņemto lietu daļa / share of cases accepted")
            .y_desc("precizitāte starp tām / accuracy among them")
            .label_style((FONT, 13))
            .draw()
            .ok()?;
        chart
            .draw_series(LineSeries::new(
                points.iter().copied(),
                BLUE.stroke_width(2),
            ))
            .ok()?
            .label("pēc ticamības / by confidence")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE.stroke_width(2)));
        if let Some(alpha) = risk.filter(|a| 1.0 - a >= floor) {
            chart
                .draw_series(LineSeries::new(
                    [(0.0, 1.0 - alpha), (1.0, 1.0 - alpha)],
                    RED,
                ))
                .ok()?
                .label(format!("1 − α (α = {alpha})"))
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED));
        }
        if let (Some(share), Some(accuracy)) = standard {
            chart
                .draw_series([TriangleMarker::new(
                    (share, accuracy.max(floor)),
                    8,
                    RED.filled(),
                )])
                .ok()?
                .label("standarta maršruts / standard route")
                .legend(|(x, y)| TriangleMarker::new((x + 10, y), 6, RED.filled()));
        }
        legend(&mut chart, SeriesLabelPosition::LowerLeft)?;
        Some(())
    })
}

/// The series' legend, boxed, where it covers no data.
fn legend<'a, X, Y>(
    chart: &mut ChartContext<'a, SVGBackend<'a>, Cartesian2d<X, Y>>,
    position: SeriesLabelPosition,
) -> Option<()>
where
    X: Ranged,
    Y: Ranged,
{
    chart
        .configure_series_labels()
        .position(position)
        .border_style(BLACK)
        .background_style(WHITE.mix(0.9))
        .label_font((FONT, 13))
        .draw()
        .ok()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn pct(v: &Value) -> String {
    v.as_f64()
        .map_or("—".into(), |x| format!("{:.1} %", x * 100.0))
}

fn num(v: &Value, digits: usize) -> String {
    v.as_f64().map_or("—".into(), |x| format!("{x:.digits$}"))
}

fn whole(v: &Value) -> String {
    v.as_u64().map_or("—".into(), |x| x.to_string())
}

fn interval(v: &Value) -> String {
    match (v[0].as_f64(), v[1].as_f64()) {
        (Some(lo), Some(hi)) => format!("{:.1}–{:.1} %", lo * 100.0, hi * 100.0),
        _ => "—".into(),
    }
}

/// The whole page.
pub fn html(summary: &Value) -> String {
    let mut h = String::new();
    let s = summary;
    let _ = write!(
        h,
        r#"<!DOCTYPE html>
<html lang="lv"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kvalitātes novērtējums — Atzinums</title>
<style>
body{{font-family:"DejaVu Sans",Arial,sans-serif;color:#1a1a1a;max-width:70rem;margin:0 auto;padding:1.5rem;line-height:1.45}}
h1,h2{{color:#0b3a6f}} table{{border-collapse:collapse}} th,td{{border-bottom:1px solid #ccc;padding:.3rem .6rem;text-align:left}}
td.n{{text-align:right;font-variant-numeric:tabular-nums}} tr.flagged{{background:#fdecea}} .flag{{color:#8b1a1a;font-weight:bold}}
figure{{margin:1rem 0}} figcaption{{color:#444;max-width:40rem}} .plots{{display:flex;flex-wrap:wrap;gap:1rem}}
</style></head><body><main>
<h1>Kvalitātes novērtējums <span lang="en">(quality evaluation)</span></h1>
<p>{cases} lietas ar parakstītu lēmumu; trūkst prognožu: {missing}; prognozes nezināmām lietām: {unknown}.</p>
"#,
        cases = s["cases"],
        missing = s["missing_predictions"].as_array().map_or(0, Vec::len),
        unknown = s["unknown_cases"].as_array().map_or(0, Vec::len),
    );
    h.push_str(
        "<h2>Galvenie rādītāji <span lang=\"en\">(headline metrics)</span></h2>\n<table><tbody>\n",
    );
    let latency = &s["latency_seconds"]["total"];
    let rows: Vec<(&str, String)> = vec![
        (
            "Iznākuma precizitāte (outcome accuracy), 95 % intervāls",
            format!(
                "{} ({})",
                pct(&s["outcome_accuracy"]),
                interval(&s["outcome_accuracy_95"])
            ),
        ),
        (
            "Kvadrātiski svērtā kappa (quadratic-weighted kappa)",
            num(&s["quadratic_weighted_kappa"], 3),
        ),
        (
            "Darbspēju zaudējuma % vidējā absolūtā kļūda (percentage MAE)",
            num(&s["pct_mae"], 2),
        ),
        (
            "Termiņa precizitāte, ja iznākums pareizs (term accuracy)",
            pct(&s["term_accuracy_when_outcome_right"]),
        ),
        (
            "ECE (expected calibration error)",
            num(&s["calibration"]["ece"], 3),
        ),
        (
            "Standarta maršruta daļa (standard share)",
            pct(&s["routing"]["standard_share"]),
        ),
        (
            "Standarta maršruta precizitāte (accuracy of standard)",
            pct(&s["routing"]["standard_accuracy"]),
        ),
        (
            "Sarežģīto daļa (complex share)",
            pct(&s["routing"]["complex_share"]),
        ),
        (
            "Nepamatoti apgalvojumi (ungrounded items)",
            whole(&s["groundedness"]["ungrounded_items"]),
        ),
        (
            "Nesaskaņoti lauki (inconsistent fields)",
            whole(&s["groundedness"]["inconsistent_fields"]),
        ),
        (
            "Laiks lietai, p50 / p95 s (latency per case)",
            format!("{} / {}", num(&latency["p50"], 2), num(&latency["p95"], 2)),
        ),
    ];
    for (name, value) in rows {
        let _ = writeln!(
            h,
            "<tr><th scope=\"row\">{name}</th><td class=\"n\">{}</td></tr>",
            escape(&value)
        );
    }
    h.push_str("</tbody></table>\n");

    h.push_str("<h2>Attēli <span lang=\"en\">(plots)</span></h2>\n<div class=\"plots\">\n");
    let plots = [
        (
            confusion_svg(s),
            "Kļūdu matrica: katra rinda ir parakstītais iznākums, kolonna — sistēmas prognoze; uz diagonāles sakritības.",
        ),
        (
            reliability_svg(s),
            "Ja sistēma ir labi kalibrēta, punkti atrodas uz diagonāles: norādītā ticamība atbilst precizitātei.",
        ),
        (
            coverage_svg(s),
            "Jo mazāku daļu lietu pieņem kā standarta, jo augstāka precizitāte; sarkanā līnija ir maršrutēšanas riska līmenis, trīsstūris — faktiskais standarta maršruts.",
        ),
    ];
    for (plot, caption) in plots {
        match plot {
            Some(svg) => {
                let _ = writeln!(
                    h,
                    "<figure role=\"group\">{svg}<figcaption>{caption}</figcaption></figure>"
                );
            }
            None => {
                let _ = writeln!(
                    h,
                    "<figure><p>Nav datu.</p><figcaption>{caption}</figcaption></figure>"
                );
            }
        }
    }
    h.push_str("</div>\n");

    h.push_str(&slice_table(s));
    h.push_str("</main></body></html>\n");
    h
}

/// Accuracy per slice with intervals; a flagged slice (more than 5 points below overall, its
/// interval not reaching overall) is listed first and marked in words.
fn slice_table(s: &Value) -> String {
    let mut h = String::from("<h2>Griezumi <span lang=\"en\">(slices)</span></h2>\n");
    let Some(dimensions) = s["slices"].as_object() else {
        h.push_str("<p>Nav datu.</p>\n");
        return h;
    };
    let flagged: Vec<String> = dimensions
        .iter()
        .flat_map(|(d, values)| {
            values
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(_, v)| v["flagged"] == true)
                .map(move |(value, _)| format!("{d} = {value}"))
        })
        .collect();
    if flagged.is_empty() {
        h.push_str("<p>Neviens griezums nav būtiski zemāks par kopējo precizitāti.</p>\n");
    } else {
        let _ = writeln!(
            h,
            "<p class=\"flag\">Būtiski zemāka precizitāte (flagged): {}</p>",
            escape(&flagged.join("; "))
        );
    }
    h.push_str(
        "<table><thead><tr><th scope=\"col\">Dimensija</th><th scope=\"col\">Vērtība</th><th scope=\"col\">Lietas</th>\
         <th scope=\"col\">Precizitāte (95 %)</th><th scope=\"col\">Kappa (95 %)</th><th scope=\"col\">% MAE (95 %)</th>\
         <th scope=\"col\">Termiņš</th><th scope=\"col\">Standarta</th><th scope=\"col\">Atzīme</th></tr></thead><tbody>\n",
    );
    for (dimension, values) in dimensions {
        for (value, v) in values.as_object().into_iter().flatten() {
            let is_flagged = v["flagged"] == true;
            let with_interval = |value: String, bounds: &Value, digits: usize| match (
                bounds[0].as_f64(),
                bounds[1].as_f64(),
            ) {
                (Some(lo), Some(hi)) => format!("{value} ({lo:.digits$}–{hi:.digits$})"),
                _ => value,
            };
            let _ = writeln!(
                h,
                "<tr{}><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{} ({})</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                if is_flagged { " class=\"flagged\"" } else { "" },
                escape(dimension),
                escape(value),
                v["cases"],
                pct(&v["accuracy"]),
                interval(&v["accuracy_95"]),
                with_interval(
                    num(&v["quadratic_weighted_kappa"], 2),
                    &v["quadratic_weighted_kappa_95"],
                    2
                ),
                with_interval(num(&v["pct_mae"], 1), &v["pct_mae_95"], 1),
                pct(&v["term_accuracy_when_outcome_right"]),
                pct(&v["standard_share"]),
                if is_flagged {
                    "<span class=\"flag\">zemāka (flagged)</span>"
                } else {
                    ""
                },
            );
        }
    }
    h.push_str("</tbody></table>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn summary() -> Value {
        json!({
            "cases": 4,
            "outcome_accuracy": 0.75,
            "outcome_accuracy_95": [0.5, 1.0],
            "confusion": {
                "labels": ["none", "group_I", "group_II", "group_III"],
                "rows_true_columns_predicted": [[1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 2, 1], [0, 0, 0, 0]]
            },
            "calibration": { "ece": 0.1, "bins": [
                { "lower": 0.7, "upper": 0.8, "cases": 2, "mean_confidence": 0.75, "accuracy": 0.5 },
                { "lower": 0.9, "upper": 1.0, "cases": 2, "mean_confidence": 0.95, "accuracy": 1.0 }
            ] },
            "coverage_accuracy": [
                { "confidence_at_least": 0.95, "coverage": 0.5, "accuracy": 1.0 },
                { "confidence_at_least": 0.75, "coverage": 1.0, "accuracy": 0.75 }
            ],
            "risk": 0.02,
            "routing": { "standard_share": 0.5, "standard_accuracy": 1.0 },
            "slices": { "region": {
                "Rīga": { "cases": 2, "accuracy": 1.0, "accuracy_95": [1.0, 1.0], "flagged": false,
                           "quadratic_weighted_kappa": 0.8, "quadratic_weighted_kappa_95": [0.6, 0.9] },
                "<Latgale>": { "cases": 2, "accuracy": 0.5, "accuracy_95": [0.0, 0.6], "flagged": true }
            } },
            "missing_predictions": [],
            "unknown_cases": []
        })
    }

    #[test]
    fn the_report_draws_three_plots_and_flags_slices_in_words() {
        let page = html(&summary());
        // For a look at the page: ATZINUMS_REPORT_SAMPLE=DIR writes it there.
        if let Some(dir) = std::env::var_os("ATZINUMS_REPORT_SAMPLE") {
            std::fs::write(std::path::Path::new(&dir).join("sample.html"), &page).unwrap();
        }
        assert_eq!(page.matches("<svg").count(), 3, "three plots");
        assert!(
            page.contains("75.0 % (50.0–100.0 %)"),
            "accuracy with its interval"
        );
        assert!(page.contains("zemāka (flagged)"), "a flagged slice says so");
        assert!(
            page.contains("0.80 (0.60–0.90)"),
            "a slice's kappa with its interval"
        );
        assert!(page.contains("&lt;Latgale&gt;"), "slice values are escaped");
        assert!(!page.contains("<Latgale>"));
        // Only outcomes that occur are drawn: none, II, III (not I).
        let confusion = confusion_svg(&summary()).unwrap();
        assert!(
            confusion.contains("\nII\n") && confusion.contains("\nIII\n"),
            "{confusion}"
        );
        assert!(!confusion.contains("\nI\n"), "group I never occurs");
    }

    #[test]
    fn missing_data_says_so_instead_of_drawing() {
        let page = html(&json!({ "cases": 0 }));
        assert_eq!(page.matches("<svg").count(), 0);
        assert_eq!(
            page.matches("Nav datu.").count(),
            4,
            "three plots and the slices"
        );
    }
}
