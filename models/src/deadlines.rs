//! The legal time limits the service enforces and shows (Administrative Procedure Law).

use chrono::{Months, NaiveDate};

use crate::Term;

/// A decision is due within 1 month of the application being filed…
pub fn decision_due(filed: NaiveDate) -> NaiveDate {
    add_months(filed, 1)
}

/// …and the deadline can be extended to at most 4 months.
pub fn decision_due_extended(filed: NaiveDate) -> NaiveDate {
    add_months(filed, 4)
}

/// The last day a decision can be contested: 1 month after it took effect.
pub fn contest_until(took_effect: NaiveDate) -> NaiveDate {
    add_months(took_effect, 1)
}

impl Term {
    /// The last day a status granted on `from` for this term is valid; `None` when it does not
    /// end (lifelong) or the end is unknown (until 18 without a birth date).
    pub fn valid_until(self, from: NaiveDate, birth_date: Option<NaiveDate>) -> Option<NaiveDate> {
        match self {
            Term::Months(m) => add_months(from, u32::from(m.get())).pred_opt(),
            Term::Lifelong => None,
            Term::UntilEighteen => birth_date
                .and_then(|b| b.checked_add_months(Months::new(18 * 12)))
                .and_then(|d| d.pred_opt()),
        }
    }
}

/// Calendar months later; the end of the month when the day does not exist (31 Jan → 28 Feb).
fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TermMonths;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn month_limits_follow_the_calendar() {
        assert_eq!(decision_due(d("2026-01-31")), d("2026-02-28"));
        assert_eq!(decision_due_extended(d("2026-01-15")), d("2026-05-15"));
        assert_eq!(contest_until(d("2026-03-10")), d("2026-04-10"));
    }

    #[test]
    fn a_term_ends_the_day_before_its_anniversary() {
        let twelve = Term::Months(TermMonths::new(12).unwrap());
        assert_eq!(
            twelve.valid_until(d("2026-03-10"), None),
            Some(d("2027-03-09"))
        );
        assert_eq!(Term::Lifelong.valid_until(d("2026-03-10"), None), None);
        assert_eq!(
            Term::UntilEighteen.valid_until(d("2026-03-10"), Some(d("2015-06-01"))),
            Some(d("2033-05-31"))
        );
        assert_eq!(Term::UntilEighteen.valid_until(d("2026-03-10"), None), None);
    }
}
