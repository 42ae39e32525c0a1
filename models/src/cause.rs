//! The cause of disability (invaliditātes cēlonis).

use crate::macros::string_enum;

string_enum! {
    /// Why the person is disabled; decides which benefits apply.
    pub enum Cause ("cause") {
        /// vispārēja saslimšana.
        GeneralIllness = "general_illness",
        /// arodslimība.
        OccupationalDisease = "occupational_disease",
        /// nelaimes gadījums darbā.
        WorkplaceAccident = "workplace_accident",
        /// Disabled since childhood.
        Childhood = "childhood",
        Other = "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for c in Cause::ALL {
            assert_eq!(c.as_str().parse::<Cause>(), Ok(*c));
            let json = serde_json::to_value(c).unwrap();
            assert_eq!(serde_json::from_value::<Cause>(json).unwrap(), *c);
        }
        assert_eq!(
            serde_json::to_string(&Cause::WorkplaceAccident).unwrap(),
            "\"workplace_accident\""
        );
        assert!("illness".parse::<Cause>().is_err());
    }
}
