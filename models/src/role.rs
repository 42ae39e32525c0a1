//! Who is acting in the service; access rules are written against these.

use crate::macros::string_enum;

string_enum! {
    /// A user's role.
    pub enum Role ("role") {
        /// The person the case is about.
        Applicant = "applicant",
        /// A legal representative acting for the applicant.
        Representative = "representative",
        /// Client-service specialist: intake and completeness.
        Clerk = "clerk",
        /// ārsts eksperts: examines and drafts.
        Expert = "expert",
        /// amatpersona: decides and signs.
        Official = "official",
        /// Quality team: consistency of decisions and of model output.
        Quality = "quality",
        /// Another institution reading status (VSAA, SIVA, municipalities).
        Institution = "institution",
        /// System administration.
        Admin = "admin",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(Role::ALL.len(), 8);
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(*r));
        }
        assert_eq!(
            serde_json::to_string(&Role::Official).unwrap(),
            "\"official\""
        );
        let e = "root".parse::<Role>().unwrap_err();
        assert_eq!(e.field, "role");
    }
}
