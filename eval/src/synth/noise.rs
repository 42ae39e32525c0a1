//! Realistic noise in typed medical text: abbreviations, typos, lost
//! diacritics, doubled spaces.

use crate::rng::Rng;

/// Words doctors shorten, with their usual abbreviations.
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("pacients", "pac."),
    ("pacientei", "pac."),
    ("pacientam", "pac."),
    ("gadā", "g."),
    ("gada", "g."),
    ("stāvoklis pēc", "st.p."),
    ("diagnoze", "dg."),
    ("labajā", "lab."),
    ("kreisajā", "kr."),
    ("apmēram", "apm."),
    ("ārstēšana", "ārst."),
    ("izmeklējumi", "izmekl."),
    ("mēnešiem", "mēn."),
    ("nedēļā", "ned."),
    ("reizes", "x"),
    ("sirdsdarbības frekvence", "SF"),
    ("arteriālais spiediens", "AS"),
    ("magnētiskā rezonanse", "MR"),
    ("datortomogrāfija", "DT"),
    ("elektrokardiogramma", "EKG"),
    ("ehokardiogrāfija", "EhoKG"),
];

const DIACRITICS: &[(char, char)] = &[
    ('ā', 'a'),
    ('č', 'c'),
    ('ē', 'e'),
    ('ģ', 'g'),
    ('ī', 'i'),
    ('ķ', 'k'),
    ('ļ', 'l'),
    ('ņ', 'n'),
    ('š', 's'),
    ('ū', 'u'),
    ('ž', 'z'),
];

/// Applies noise of `level` (0 none, 1 light, 2 heavy) to one paragraph.
pub fn apply(text: &str, level: u8, rng: &mut Rng) -> String {
    if level == 0 {
        return text.to_owned();
    }
    let p_abbrev = if level == 1 { 0.25 } else { 0.6 };
    let p_typo = if level == 1 { 0.01 } else { 0.035 };
    let mut s = text.to_owned();
    for (long, short) in ABBREVIATIONS {
        if s.contains(long) && rng.chance(p_abbrev) {
            s = s.replacen(long, short, 1);
        }
    }
    let words: Vec<&str> = s.split(' ').collect();
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    for w in words {
        let chars: Vec<char> = w.chars().collect();
        let alpha = chars.len() >= 5 && chars.iter().all(|c| c.is_alphabetic());
        if alpha && rng.chance(p_typo) {
            out.push(typo(&chars, rng));
        } else {
            out.push(w.to_owned());
        }
    }
    let mut s = out.join(" ");
    if level == 2
        && rng.chance(0.2)
        && let Some(pos) = s.find(", ")
    {
        s.replace_range(pos..pos + 2, ",  ");
    }
    s
}

fn typo(chars: &[char], rng: &mut Rng) -> String {
    let mut c = chars.to_vec();
    match rng.below(4) {
        0 => {
            // Swap two neighbours.
            let i = rng.range(1, c.len() as i64 - 2) as usize;
            c.swap(i, i + 1);
        }
        1 => {
            // Drop a letter.
            let i = rng.range(1, c.len() as i64 - 1) as usize;
            c.remove(i);
        }
        2 => {
            // Double a letter.
            let i = rng.range(1, c.len() as i64 - 1) as usize;
            let x = c[i];
            c.insert(i, x);
        }
        _ => {
            // Typed without diacritics.
            for x in c.iter_mut() {
                if let Some((_, plain)) = DIACRITICS.iter().find(|(d, _)| d == x) {
                    *x = *plain;
                }
            }
        }
    }
    c.into_iter().collect()
}

/// A split point for hyphenating `word` (in chars), after a vowel, leaving
/// at least three letters each side; None if the word should not be split.
pub fn hyphen_point(word: &[char], max_prefix: usize) -> Option<usize> {
    if word.len() < 8 || !word.iter().all(|c| c.is_alphabetic()) {
        return None;
    }
    let vowels = "aāeēiīouūAĀEĒIĪOUŪ";
    let hi = max_prefix.min(word.len() - 3);
    (3..=hi)
        .rev()
        .find(|&i| vowels.contains(word[i - 1]) && !vowels.contains(word[i]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noise_changes_some_text_and_level_zero_none() {
        let mut r = Rng::new(5);
        let t = "Pacients ārstēšana kreisajā pusē, apmēram gadā veikta datortomogrāfija.";
        assert_eq!(apply(t, 0, &mut r), t);
        let changed = (0..50).filter(|_| apply(t, 2, &mut r) != t).count();
        assert!(changed > 20, "{changed}");
        let w: Vec<char> = "funkcionēšanas".chars().collect();
        let p = hyphen_point(&w, 10).unwrap();
        assert!((3..=10).contains(&p));
    }
}
