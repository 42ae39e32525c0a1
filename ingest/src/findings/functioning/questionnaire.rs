//! Questionnaires with ticked answers, as in the 19-question functional self-assessment:
//! a numbered question, then answer lines with a box ticked ("[X]", "(x)", "☒"), or the answer
//! written after the question. The ticked answer's position on its scale grades the domain the
//! question asks about.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

// `(?s)`: a question wrapped onto the next line holds a newline (see `logical_lines`).
static QUESTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?s)^\s*\d{1,2}[.)]\s+(.{6,}\?)\s*$").expect("valid question pattern")
});
static NUMBERED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*\d{1,2}[.)]\s+\S").expect("valid numbered pattern"));
static OPTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:\[\s*([xX✓✔•])?\s*\]|\(\s*([xX✓✔•])?\s*\)|([☐☒☑]))\s*(.+?)\s*$")
        .expect("valid option pattern")
});
/// "12. Vai Jūs varat …? – Varu ar nelielām grūtībām": the answer written after the question.
static INLINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?s)^\s*\d{1,2}[.)]\s+(.{6,}?\?)\s*[-–—:]\s*(\S.*?)\s*$")
        .expect("valid inline pattern")
});

/// The self-assessment form's answer scale, in its order (none … complete).
const SCALE: [(&str, u8); 5] = [
    ("bez grūtībām", 0),
    ("ar nelielām grūtībām", 1),
    ("ar ievērojamām grūtībām", 2),
    ("tikai ar citas personas palīdzību", 3),
    ("nevaru vispār", 4),
];

/// One answered question: the byte ranges of the question and of the ticked answer, and the
/// answer's level on a 0..=4 scale (first option 0, last option 4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub question: Range<usize>,
    pub answer: Range<usize>,
    pub level: u8,
    /// The whole block, question to last option, so sentence grading can skip it.
    pub block: Range<usize>,
}

/// The step of the scale an answer's words name ("Varu ar nelielām grūtībām": 1).
fn scale_level(answer: &str) -> Option<u8> {
    let words = answer
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    SCALE
        .iter()
        .find(|(scale, _)| words.contains(scale))
        .map(|(_, level)| *level)
}

/// A numbered item that a fixed-width text export cut short: its question has no '?' yet, or
/// the answer after it does not yet name a step of the scale.
fn cut_short(line: &str) -> bool {
    if !NUMBERED.is_match(line) {
        return false;
    }
    match line.find('?') {
        None => true,
        Some(q) => {
            let after =
                line[q + 1..].trim_start_matches(|c: char| c.is_whitespace() || "-–—:".contains(c));
            !after.is_empty() && scale_level(after).is_none()
        }
    }
}

/// The lines of `text` with their byte offsets; a numbered item wrapped onto following lines
/// (at most two) is one line again, its slice of `text` keeping the line breaks.
fn logical_lines(text: &str) -> Vec<(usize, &str)> {
    let mut lines: Vec<(usize, &str, usize)> = Vec::new();
    let mut offset = 0;
    for physical in text.split_inclusive('\n') {
        let line = physical.trim_end_matches('\n');
        let continues = !line.trim().is_empty()
            && !NUMBERED.is_match(line)
            && !OPTION.is_match(line)
            && lines
                .last()
                .is_some_and(|(_, last, joined)| *joined < 2 && cut_short(last));
        match lines.last_mut() {
            Some((start, last, joined)) if continues => {
                *last = &text[*start..offset + line.len()];
                *joined += 1;
            }
            _ => lines.push((offset, line, 0)),
        }
        offset += physical.len();
    }
    lines
        .into_iter()
        .map(|(start, line, _)| (start, line))
        .collect()
}

pub fn find(text: &str) -> Vec<Answer> {
    let lines = logical_lines(text);
    let mut answers = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let (start, line) = lines[i];
        if let Some(c) = INLINE.captures(line) {
            let (q, a) = (c.get(1).expect("question"), c.get(2).expect("answer"));
            if let Some(level) = scale_level(a.as_str()) {
                answers.push(Answer {
                    question: start + q.start()..start + q.end(),
                    answer: start + a.start()..start + a.end(),
                    level,
                    block: start..start + line.len(),
                });
            }
            i += 1;
            continue;
        }
        let Some(q) = QUESTION.captures(line).and_then(|c| c.get(1)) else {
            i += 1;
            continue;
        };
        let mut options = Vec::new();
        let mut j = i + 1;
        while j < lines.len() {
            let (ostart, oline) = lines[j];
            let Some(c) = OPTION.captures(oline) else {
                break;
            };
            let ticked = c.get(1).is_some()
                || c.get(2).is_some()
                || c.get(3).is_some_and(|m| m.as_str() != "☐");
            let words = c.get(4).expect("option text");
            options.push((ticked, ostart + words.start()..ostart + words.end()));
            j += 1;
        }
        let ticked: Vec<usize> = options
            .iter()
            .enumerate()
            .filter(|(_, (t, _))| *t)
            .map(|(k, _)| k)
            .collect();
        // Exactly one tick on a scale of at least three: anything else is unreadable as a grade.
        if options.len() >= 3 && ticked.len() == 1 {
            let k = ticked[0];
            let level = ((k * 4) as f64 / (options.len() - 1) as f64).round() as u8;
            let block_end = lines[j - 1].0 + lines[j - 1].1.len();
            answers.push(Answer {
                question: start + q.start()..start + q.end(),
                answer: options[k].1.clone(),
                level,
                block: start..block_end,
            });
        }
        i = j.max(i + 1);
    }
    answers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticked_answers_grade_on_their_scale() {
        let text = "Anketa\n1. Vai Jūs varat patstāvīgi nomazgāties?\n    [ ] Varu bez grūtībām\n    [ ] Varu ar nelielām grūtībām\n    \
                    [X] Varu ar ievērojamām grūtībām\n    [ ] Varu tikai ar citas personas palīdzību\n    [ ] Nevaru vispār\n\
                    2. Vai Jūs varat noiet 200 metrus?\n☐ jā\n☐ ar grūtībām\n☒ nē\n3. Vai neatbildēts?\n[ ] a\n[ ] b\n[ ] c\n";
        let answers = find(text);
        assert_eq!(answers.len(), 2, "an unanswered question grades nothing");
        assert_eq!(answers[0].level, 2);
        assert_eq!(
            &text[answers[0].answer.clone()],
            "Varu ar ievērojamām grūtībām"
        );
        assert_eq!(
            &text[answers[0].question.clone()],
            "Vai Jūs varat patstāvīgi nomazgāties?"
        );
        assert_eq!(answers[1].level, 4);
    }

    #[test]
    fn parenthesised_boxes_and_answers_on_the_question_line() {
        let text = "5. Vai Jūs varat kontrolēt savas emocijas?\n( ) Varu bez grūtībām\n(x) Varu ar nelielām grūtībām\n( ) Nevaru vispār\n\
                    6. Vai Jūs orientējaties svešā vietā? - Varu tikai ar citas personas palīdzību\n";
        let answers = find(text);
        assert_eq!(answers.iter().map(|a| a.level).collect::<Vec<_>>(), [2, 3]);
    }

    #[test]
    fn questions_and_answers_wrapped_by_a_text_export_are_joined() {
        let text = "18. Vai Jūs varat kontrolēt savas emocijas un uzvedību saskarsmē ar\ncitiem?\n    \
                    [ ] Varu bez grūtībām\n    [X] Varu ar nelielām grūtībām\n    [ ] Nevaru vispār\n\
                    19. Vai Jūs varat strādāt savā līdzšinējā vai citā darbā? - Varu tikai ar citas personas\n\
                    palīdzību\n\nPapildu informācija:\nĀtri nogurstu.\n";
        let answers = find(text);
        // The second of three options is the middle of the scale.
        assert_eq!(answers.iter().map(|a| a.level).collect::<Vec<_>>(), [2, 3]);
        assert_eq!(
            &text[answers[0].question.clone()],
            "Vai Jūs varat kontrolēt savas emocijas un uzvedību saskarsmē ar\ncitiem?"
        );
        assert_eq!(
            &text[answers[1].answer.clone()],
            "Varu tikai ar citas personas\npalīdzību"
        );
        assert!(!text[answers[1].block.clone()].contains("Papildu"));
    }
}
