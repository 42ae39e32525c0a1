//! What an application asks for and how it arrived.

use crate::macros::string_enum;

string_enum! {
    /// The kinds of application the unified e-service merges.
    pub enum ApplicationKind ("application_kind") {
        /// pirmreizējā ekspertīze: first disability examination.
        DisabilityFirst = "disability_first",
        /// atkārtotā ekspertīze: repeat examination before the term ends.
        DisabilityRepeat = "disability_repeat",
        /// prognozējama invaliditāte: after 26 weeks of incapacity for work.
        PredictedDisability = "predicted_disability",
        /// apstrīdēšana: contest of a decision.
        Contest = "contest",
        /// Duplicate disability certificate (lost, damaged, data changed).
        CertificateDuplicate = "certificate_duplicate",
        /// An opinion only (special care, transport, escort, technical aids).
        OpinionOnly = "opinion_only",
        /// "Mani dati VDEĀVK": the person's own records.
        MyData = "my_data",
    }
}

impl ApplicationKind {
    /// Whether a medical expert must examine the case; duplicates and data
    /// requests are clerical.
    pub fn is_examination(self) -> bool {
        match self {
            ApplicationKind::DisabilityFirst
            | ApplicationKind::DisabilityRepeat
            | ApplicationKind::PredictedDisability
            | ApplicationKind::Contest
            | ApplicationKind::OpinionOnly => true,
            ApplicationKind::CertificateDuplicate | ApplicationKind::MyData => false,
        }
    }
}

string_enum! {
    /// How the application reached the commission.
    pub enum Channel ("channel") {
        /// The unified e-service, by the applicant.
        Eservice = "eservice",
        /// Entered at a branch by a client-service specialist for the applicant.
        Assisted = "assisted",
        /// Paper application, registered by a clerk.
        Paper = "paper",
    }
}

string_enum! {
    /// Opinions (atzinumi) that can be requested alongside or instead of an examination.
    pub enum OpinionKind ("opinion_kind") {
        /// īpašas kopšanas nepieciešamība.
        SpecialCare = "special_care",
        /// Vehicle adaptation / transport allowance (Annex 9).
        Transport = "transport",
        /// Escort for children aged 5–18.
        Escort = "escort",
        /// tehniskie palīglīdzekļi.
        TechnicalAids = "technical_aids",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in ApplicationKind::ALL {
            assert_eq!(k.as_str().parse::<ApplicationKind>(), Ok(*k));
            let json = serde_json::to_string(k).unwrap();
            assert_eq!(serde_json::from_str::<ApplicationKind>(&json).unwrap(), *k);
        }
        for c in Channel::ALL {
            assert_eq!(c.as_str().parse::<Channel>(), Ok(*c));
        }
        for o in OpinionKind::ALL {
            assert_eq!(o.as_str().parse::<OpinionKind>(), Ok(*o));
        }
        assert_eq!(ApplicationKind::MyData.as_str(), "my_data");
        assert_eq!(OpinionKind::TechnicalAids.to_string(), "technical_aids");
    }

    #[test]
    fn unknown_names_list_the_choices() {
        let e = "foo".parse::<ApplicationKind>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown application kind \"foo\"; expected one of: disability_first, \
             disability_repeat, predicted_disability, contest, certificate_duplicate, \
             opinion_only, my_data"
        );
        assert!("Eservice".parse::<Channel>().is_err());
        assert!(serde_json::from_str::<OpinionKind>("\"care\"").is_err());
        assert!(serde_json::from_str::<OpinionKind>("3").is_err());
    }

    #[test]
    fn examination_kinds() {
        let clerical: Vec<_> = ApplicationKind::ALL
            .iter()
            .filter(|k| !k.is_examination())
            .collect();
        assert_eq!(
            clerical,
            [
                &ApplicationKind::CertificateDuplicate,
                &ApplicationKind::MyData
            ]
        );
    }
}
