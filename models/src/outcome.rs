//! The outcome of an examination and the loss of working capacity that must
//! agree with it.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};
use thiserror::Error;

use crate::macros::string_enum;

string_enum! {
    /// What the examination concluded.
    pub enum Outcome ("outcome") {
        /// No disability.
        None = "none",
        /// Very severe limitation (ļoti smaga), 80–100 %.
        GroupI = "group_I",
        /// Severe limitation (smaga), 60–79 %.
        GroupII = "group_II",
        /// Moderate limitation (mēreni izteikta), 25–59 %.
        GroupIII = "group_III",
        /// bērns ar invaliditāti: under 18, no group and no percentage.
        ChildDisability = "child_disability",
        /// prognozējama invaliditāte.
        PredictedDisability = "predicted_disability",
        /// The documents do not yet meet the 6-month treatment precondition.
        Premature = "premature",
        /// Documents are missing; no judgement made.
        Incomplete = "incomplete",
    }
}

impl Outcome {
    /// Severity order of adult groups: none 0 < III 1 < II 2 < I 3.
    /// Other outcomes are not on this scale.
    pub fn ordinal(self) -> Option<u8> {
        match self {
            Outcome::None => Some(0),
            Outcome::GroupIII => Some(1),
            Outcome::GroupII => Some(2),
            Outcome::GroupI => Some(3),
            _ => None,
        }
    }

    /// Whether the outcome grants a disability status (predicted disability
    /// included: it carries a term and benefits).
    pub fn is_disability(self) -> bool {
        matches!(
            self,
            Outcome::GroupI
                | Outcome::GroupII
                | Outcome::GroupIII
                | Outcome::ChildDisability
                | Outcome::PredictedDisability
        )
    }

    /// The loss-of-working-capacity band an adult of working age must have.
    fn band(self) -> Option<(u8, u8)> {
        match self {
            Outcome::GroupI => Some((80, 100)),
            Outcome::GroupII => Some((60, 79)),
            Outcome::GroupIII => Some((25, 59)),
            _ => None,
        }
    }
}

/// Loss of working capacity (darbspēju zaudējums) in percent, 0..=100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct WorkCapacityLoss(u8);

/// Why a percentage does not fit. Clerk-facing: names outcome, band and value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WorkCapacityError {
    #[error("loss of working capacity: {0} % is out of range (0–100)")]
    OutOfRange(i64),
    #[error(
        "loss of working capacity: outcome {outcome} requires {min}–{max} %, but {value} % is given"
    )]
    OutsideBand {
        outcome: Outcome,
        min: u8,
        max: u8,
        value: u8,
    },
    #[error(
        "loss of working capacity: outcome {outcome} requires {min}–{max} %, but none is given"
    )]
    Missing { outcome: Outcome, min: u8, max: u8 },
    #[error(
        "loss of working capacity: outcome none requires below 25 % or none, but {value} % is given"
    )]
    TooHighForNone { value: u8 },
    #[error("loss of working capacity: must be empty for {why}, but {value} % is given")]
    MustBeEmpty { why: &'static str, value: u8 },
}

string_enum! {
    /// Why a person's percentage must be empty regardless of outcome.
    pub enum PctExemption ("pct_exemption") {
        /// An adult of working age: the group bands apply.
        None = "none",
        /// Under 18.
        Child = "child",
        /// At or above state pension age: a group, but no percentage.
        PensionAge = "pension_age",
    }
}

impl WorkCapacityLoss {
    pub fn new(pct: u8) -> Result<Self, WorkCapacityError> {
        if pct <= 100 {
            Ok(WorkCapacityLoss(pct))
        } else {
            Err(WorkCapacityError::OutOfRange(i64::from(pct)))
        }
    }

    pub fn value(self) -> u8 {
        self.0
    }

    /// Checks that `pct` agrees with `outcome` for a person with `exemption`.
    pub fn check_against(
        outcome: Outcome,
        pct: Option<WorkCapacityLoss>,
        exemption: PctExemption,
    ) -> Result<(), WorkCapacityError> {
        let must_be_empty = |why| match pct {
            Some(p) => Err(WorkCapacityError::MustBeEmpty { why, value: p.0 }),
            None => Ok(()),
        };
        match exemption {
            PctExemption::Child => return must_be_empty("a child"),
            PctExemption::PensionAge => return must_be_empty("a person of state pension age"),
            PctExemption::None => {}
        }
        match outcome {
            Outcome::GroupI | Outcome::GroupII | Outcome::GroupIII => {
                let (min, max) = outcome.band().unwrap_or((0, 100));
                match pct {
                    None => Err(WorkCapacityError::Missing { outcome, min, max }),
                    Some(p) if p.0 < min || p.0 > max => Err(WorkCapacityError::OutsideBand {
                        outcome,
                        min,
                        max,
                        value: p.0,
                    }),
                    Some(_) => Ok(()),
                }
            }
            Outcome::None => match pct {
                Some(p) if p.0 >= 25 => Err(WorkCapacityError::TooHighForNone { value: p.0 }),
                _ => Ok(()),
            },
            Outcome::ChildDisability => must_be_empty("outcome child_disability"),
            Outcome::Premature => must_be_empty("outcome premature"),
            Outcome::Incomplete => must_be_empty("outcome incomplete"),
            Outcome::PredictedDisability => Ok(()),
        }
    }
}

impl TryFrom<u8> for WorkCapacityLoss {
    type Error = WorkCapacityError;
    fn try_from(v: u8) -> Result<Self, Self::Error> {
        WorkCapacityLoss::new(v)
    }
}

impl fmt::Display for WorkCapacityLoss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} %", self.0)
    }
}

impl<'de> Deserialize<'de> for WorkCapacityLoss {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = i64::deserialize(d)?;
        u8::try_from(v)
            .ok()
            .and_then(|v| WorkCapacityLoss::new(v).ok())
            .ok_or_else(|| serde::de::Error::custom(WorkCapacityError::OutOfRange(v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PctExemption as E;

    fn pct(v: u8) -> Option<WorkCapacityLoss> {
        Some(WorkCapacityLoss::new(v).unwrap())
    }

    #[test]
    fn outcome_names_exact() {
        let names: Vec<_> = Outcome::ALL.iter().map(|o| o.as_str()).collect();
        assert_eq!(
            names,
            [
                "none",
                "group_I",
                "group_II",
                "group_III",
                "child_disability",
                "predicted_disability",
                "premature",
                "incomplete"
            ]
        );
        for o in Outcome::ALL {
            let json = serde_json::to_string(o).unwrap();
            assert_eq!(serde_json::from_str::<Outcome>(&json).unwrap(), *o);
        }
        assert!("group_i".parse::<Outcome>().is_err());
    }

    #[test]
    fn ordinal_and_disability() {
        assert!(Outcome::None.ordinal() < Outcome::GroupIII.ordinal());
        assert!(Outcome::GroupIII.ordinal() < Outcome::GroupII.ordinal());
        assert!(Outcome::GroupII.ordinal() < Outcome::GroupI.ordinal());
        assert_eq!(Outcome::GroupI.ordinal(), Some(3));
        assert_eq!(Outcome::Premature.ordinal(), None);
        assert!(Outcome::ChildDisability.is_disability());
        assert!(!Outcome::None.is_disability());
        assert!(!Outcome::Incomplete.is_disability());
    }

    #[test]
    fn percentage_range() {
        assert!(WorkCapacityLoss::new(100).is_ok());
        assert_eq!(
            WorkCapacityLoss::new(101),
            Err(WorkCapacityError::OutOfRange(101))
        );
        assert_eq!(serde_json::to_string(&pct(65)).unwrap(), "65");
        for bad in ["101", "-1", "1000", "65.5"] {
            assert!(
                serde_json::from_str::<WorkCapacityLoss>(bad).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn bands_for_working_age_adults() {
        let ok = |o, p| WorkCapacityLoss::check_against(o, p, E::None).is_ok();
        assert!(ok(Outcome::GroupI, pct(80)));
        assert!(ok(Outcome::GroupI, pct(100)));
        assert!(!ok(Outcome::GroupI, pct(79)));
        assert!(ok(Outcome::GroupII, pct(60)));
        assert!(ok(Outcome::GroupII, pct(79)));
        assert!(!ok(Outcome::GroupII, pct(80)));
        assert!(ok(Outcome::GroupIII, pct(25)));
        assert!(ok(Outcome::GroupIII, pct(59)));
        assert!(!ok(Outcome::GroupIII, pct(24)));
        assert!(!ok(Outcome::GroupIII, None));
        assert!(ok(Outcome::None, None));
        assert!(ok(Outcome::None, pct(24)));
        assert!(!ok(Outcome::None, pct(25)));
        assert!(!ok(Outcome::ChildDisability, pct(0)));
        assert!(ok(Outcome::ChildDisability, None));
        assert!(!ok(Outcome::Premature, pct(10)));
        assert!(!ok(Outcome::Incomplete, pct(10)));
        assert!(ok(Outcome::PredictedDisability, pct(0)));
        assert!(ok(Outcome::PredictedDisability, pct(100)));
        assert!(ok(Outcome::PredictedDisability, None));
    }

    #[test]
    fn exempt_persons_have_no_percentage() {
        for o in Outcome::ALL {
            for e in [E::Child, E::PensionAge] {
                assert!(WorkCapacityLoss::check_against(*o, None, e).is_ok());
                assert!(WorkCapacityLoss::check_against(*o, pct(50), e).is_err());
            }
        }
    }

    #[test]
    fn messages_name_outcome_band_and_value() {
        let e = WorkCapacityLoss::check_against(Outcome::GroupII, pct(85), E::None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "loss of working capacity: outcome group_II requires 60–79 %, but 85 % is given"
        );
        let e = WorkCapacityLoss::check_against(Outcome::GroupI, None, E::None).unwrap_err();
        assert!(
            e.to_string()
                .contains("group_I requires 80–100 %, but none")
        );
        let e = WorkCapacityLoss::check_against(Outcome::GroupI, pct(90), E::Child).unwrap_err();
        assert!(e.to_string().contains("a child"));
    }
}
