//! Plain-text rendering: lines wrapped at a width typical of exported
//! medical records.

use super::layout::{Line, Style, wrap};

/// The file content; it is also the source text the ground truth records.
pub fn render(lines: &[Line], width_chars: usize, hyphenate: bool) -> String {
    let measure = |_: Style, s: &str| s.chars().count() as f64;
    let wrapped = wrap(lines, width_chars as f64, &measure, hyphenate);
    let mut out = String::new();
    for l in wrapped {
        let t = match l.style {
            Style::Title => {
                let pad = width_chars.saturating_sub(l.text.chars().count()) / 2;
                format!("{}{}", " ".repeat(pad), l.text)
            }
            _ => l.text,
        };
        out.push_str(t.trim_end());
        out.push('\n');
    }
    out
}
