//! From a document's blocks to lines: noise, blank lines, word wrapping
//! with optional hyphenation at line ends.

use crate::rng::Rng;
use crate::synth::documents::{Block, Doc};
use crate::synth::noise;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Header,
    Title,
    Heading,
    Body,
    Footer,
}

/// A logical line (a paragraph before wrapping).
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub style: Style,
    pub text: String,
}

fn line(style: Style, text: impl Into<String>) -> Line {
    Line {
        style,
        text: text.into(),
    }
}

/// The document's paragraphs with noise applied; empty lines separate parts.
pub fn logical_lines(doc: &Doc, rng: &mut Rng) -> Vec<Line> {
    let mut out = Vec::new();
    for h in &doc.header {
        out.push(line(Style::Header, h.clone()));
    }
    out.push(line(Style::Body, ""));
    out.push(line(Style::Title, doc.title.clone()));
    out.push(line(Style::Body, ""));
    let heading_style = rng.below(3);
    for b in &doc.blocks {
        match b {
            Block::Heading(h) => {
                if out.last().is_some_and(|l| !l.text.is_empty()) {
                    out.push(line(Style::Body, ""));
                }
                let h = match heading_style {
                    0 => format!("{h}:"),
                    1 => h.to_uppercase(),
                    _ => h.clone(),
                };
                out.push(line(Style::Heading, h));
            }
            Block::Para(p) => out.push(line(Style::Body, noise::apply(p, doc.noise, rng))),
            Block::Field(k, v) => out.push(line(
                Style::Body,
                format!("{k}: {}", noise::apply(v, doc.noise, rng)),
            )),
        }
    }
    out.push(line(Style::Body, ""));
    for f in &doc.footer {
        out.push(line(Style::Footer, f.clone()));
    }
    out
}

/// Wraps lines to `max_width` as measured by `measure`; with `hyphenate`,
/// long words are split at line ends with a hyphen.
pub fn wrap(
    lines: &[Line],
    max_width: f64,
    measure: &dyn Fn(Style, &str) -> f64,
    hyphenate: bool,
) -> Vec<Line> {
    let mut out = Vec::new();
    for l in lines {
        if l.text.is_empty() || measure(l.style, &l.text) <= max_width {
            out.push(l.clone());
            continue;
        }
        let mut current = String::new();
        for word in l.text.split(' ') {
            let candidate = if current.is_empty() {
                word.to_owned()
            } else {
                format!("{current} {word}")
            };
            if current.is_empty() || measure(l.style, &candidate) <= max_width {
                current = candidate;
                continue;
            }
            // The word does not fit: hyphenate it, or move it to the next line.
            let chars: Vec<char> = word.chars().collect();
            let mut placed = false;
            if hyphenate && !current.is_empty() {
                let mut best = None;
                let mut k = chars.len().saturating_sub(3);
                while k >= 3 {
                    if let Some(p) = noise::hyphen_point(&chars, k) {
                        let head: String = chars[..p].iter().collect();
                        if measure(l.style, &format!("{current} {head}-")) <= max_width {
                            best = Some(p);
                            break;
                        }
                        k = p - 1;
                    } else {
                        break;
                    }
                }
                if let Some(p) = best {
                    let head: String = chars[..p].iter().collect();
                    let tail: String = chars[p..].iter().collect();
                    out.push(line(l.style, format!("{current} {head}-")));
                    current = tail;
                    placed = true;
                }
            }
            if !placed {
                if !current.is_empty() {
                    out.push(line(l.style, std::mem::take(&mut current)));
                }
                current = word.to_owned();
            }
        }
        if !current.is_empty() {
            out.push(line(l.style, current));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_and_hyphenates() {
        let text = "Pacientam izteikti funkcionēšanas ierobežojumi pārvietošanās jomā, pārvietojas ratiņkrēslā.";
        let lines = vec![line(Style::Body, text)];
        let m = |_: Style, s: &str| s.chars().count() as f64;
        let plain = wrap(&lines, 30.0, &m, false);
        assert!(plain.len() > 2);
        assert!(plain.iter().all(|l| l.text.chars().count() <= 30));
        let joined: Vec<&str> = plain.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(joined.join(" "), text);
        let hy = wrap(&lines, 30.0, &m, true);
        assert!(hy.iter().all(|l| l.text.chars().count() <= 30));
        let squeezed: String = hy
            .iter()
            .map(|l| l.text.trim_end_matches('-'))
            .collect::<Vec<_>>()
            .join("")
            .replace(' ', "");
        assert_eq!(squeezed, text.replace(' ', ""));
    }
}
