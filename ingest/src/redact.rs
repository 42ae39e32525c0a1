//! Removes what identifies people from a document's text before it leaves in a de-identified
//! export: personal codes, e-mail addresses, Latvian phone numbers, the values of identity
//! fields (`Pacients: …`, `Adrese: …`, `Ārsts: …`) and doctors' names after `Dr.`.
//!
//! Pattern-based: a name written in running prose ("Jānis sūdzas par …") is not found. The
//! export is therefore pseudonymised, not anonymous, and is handled as personal data.

use std::sync::LazyLock;

use regex::Regex;

/// Old (`DDMMYY-NNNNN`) and new (`32NNNN-NNNNN`) personal codes, with or without the hyphen.
static PERSON_CODE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b\d{6}-?\d{5}\b").expect("valid"));
static EMAIL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+").expect("valid"));
/// Eight-digit Latvian numbers (mobile 2…, landline 6…), optionally with +371.
static PHONE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:\+371[\s-]?)?\b[26]\d(?:[\s-]?\d){6}\b").expect("valid"));
/// A line that names a person in a labelled field: the label is kept, the value goes.
static IDENTITY_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?im)^(\s*(?:pacients|paciente|persona|iesniedzējs|iesniedzēja|vārds,?\s*uzvārds|vārds|uzvārds|personas kods|dzimšanas datums|adrese|deklarētā dzīvesvieta|dzīvesvieta|tālrunis|tālr\.|e-pasts|ārsts|ārste|ārstējošais ārsts|nosūtītājs|pārstāvis|anketu aizpildīja)\s*:)[^\n]*",
    )
    .expect("valid")
});
static DOCTOR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\bDr\.\s*\p{Lu}\.\s*\p{Lu}[\p{Ll}-]+").expect("valid"));

pub const REMOVED: &str = "[dzēsts]";

/// The text with identifying parts replaced, and how many were replaced.
pub fn redact(text: &str) -> (String, usize) {
    let mut count = 0;
    let mut out = IDENTITY_FIELD
        .replace_all(text, |c: &regex::Captures| {
            count += 1;
            format!("{} {REMOVED}", &c[1])
        })
        .into_owned();
    for (pattern, with) in [
        (&*PERSON_CODE, "[personas kods]"),
        (&*EMAIL, "[e-pasts]"),
        (&*PHONE, "[tālrunis]"),
        (&*DOCTOR, "Dr. [dzēsts]"),
    ] {
        count += pattern.find_iter(&out).count();
        out = pattern.replace_all(&out, with).into_owned();
    }
    (out, count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_fields_codes_contacts_and_doctors_go_and_the_medicine_stays() {
        let text = "Izraksts no stacionāra\n\
                    Pacients: Jānis Bērziņš, personas kods 010171-10017\n\
                    Adrese: Rīga, Brīvības iela 1\n\
                    Diagnoze: G35 Multiplā skleroze\n\
                    Sazināties: 29123456, janis@example.lv, +371 67 123 456\n\
                    Ārstēja Dr. I. Kalniņa; kods 32011210017.\n\
                    Ārsts: Inese Kalniņa, neirologs";
        let (out, n) = redact(text);
        for gone in [
            "Jānis",
            "Bērziņš",
            "010171",
            "Brīvības",
            "29123456",
            "janis@",
            "67 123",
            "Kalniņa",
            "32011210017",
        ] {
            assert!(!out.contains(gone), "{gone} left in:\n{out}");
        }
        for kept in [
            "Izraksts no stacionāra",
            "Pacients: [dzēsts]",
            "Adrese: [dzēsts]",
            "Diagnoze: G35 Multiplā skleroze",
            "Ārstēja Dr. [dzēsts]",
            "Ārsts: [dzēsts]",
        ] {
            assert!(out.contains(kept), "{kept} missing from:\n{out}");
        }
        assert_eq!(
            n,
            3 + 1 + 3 + 1,
            "fields, the code in prose, contacts, the doctor"
        );
        // Dates, measurements and ICD-10 codes are not personal codes.
        let (same, none) = redact("EDSS 6.5 no 14.03.2019.; MoCA 24/30; G35.");
        assert_eq!(
            (same.as_str(), none),
            ("EDSS 6.5 no 14.03.2019.; MoCA 24/30; G35.", 0)
        );
    }
}
