//! Funkcionālo spēju pašnovērtējuma anketa: the adult's 19-question
//! self-assessment. People tend to rate themselves a little worse than
//! their doctors do.

use atzinums_models::{DocumentKind, Domain};
use chrono::Duration;

use super::{Ctx, Doc};
use crate::rng::Rng;
use crate::synth::lang::date_any;
use crate::synth::scenario::idx;

/// The 19 questions, the domain each probes, and how much easier (-1) or
/// harder (+1) than the domain's level the activity is.
pub const QUESTIONS: [(&str, Domain, i8); 19] = [
    (
        "Vai Jūs varat patstāvīgi pārvietoties pa dzīvokli (māju)?",
        Domain::Mobility,
        -1,
    ),
    (
        "Vai Jūs varat noiet 200 metrus pa līdzenu virsmu?",
        Domain::Mobility,
        0,
    ),
    (
        "Vai Jūs varat uzkāpt pa kāpnēm vienu stāvu?",
        Domain::Mobility,
        1,
    ),
    (
        "Vai Jūs varat izmantot sabiedrisko transportu?",
        Domain::Mobility,
        0,
    ),
    (
        "Vai Jūs varat pacelt un pārnest 5 kg smagu priekšmetu?",
        Domain::Mobility,
        1,
    ),
    (
        "Vai Jūs varat patstāvīgi apģērbties un noģērbties?",
        Domain::SelfCare,
        0,
    ),
    ("Vai Jūs varat patstāvīgi nomazgāties?", Domain::SelfCare, 0),
    ("Vai Jūs varat patstāvīgi paēst?", Domain::SelfCare, -1),
    (
        "Vai Jūs varat patstāvīgi apmeklēt tualeti?",
        Domain::SelfCare,
        -1,
    ),
    (
        "Vai Jūs varat pagatavot ēdienu un veikt mājas darbus?",
        Domain::SelfCare,
        1,
    ),
    (
        "Vai Jūs varat saprast, ko Jums saka citi cilvēki?",
        Domain::Communication,
        0,
    ),
    (
        "Vai citi cilvēki saprot, ko Jūs sakāt?",
        Domain::Communication,
        0,
    ),
    ("Vai Jūs varat lasīt un rakstīt?", Domain::Learning, 0),
    (
        "Vai Jūs varat atcerēties svarīgus notikumus un lietot zāles pēc norādījumiem?",
        Domain::Learning,
        0,
    ),
    (
        "Vai Jūs varat koncentrēties kādam darbam vismaz 30 minūtes?",
        Domain::Learning,
        0,
    ),
    ("Vai Jūs orientējaties svešā vietā?", Domain::Orientation, 0),
    (
        "Vai Jūs varat patstāvīgi nokļūt līdz veikalam vai ārstam?",
        Domain::Orientation,
        0,
    ),
    (
        "Vai Jūs varat kontrolēt savas emocijas un uzvedību saskarsmē ar citiem?",
        Domain::Behaviour,
        0,
    ),
    (
        "Vai Jūs varat strādāt savā līdzšinējā vai citā darbā?",
        Domain::Mobility,
        1,
    ),
];

const ANSWERS: [&str; 5] = [
    "Varu bez grūtībām",
    "Varu ar nelielām grūtībām",
    "Varu ar ievērojamām grūtībām",
    "Varu tikai ar citas personas palīdzību",
    "Nevaru vispār",
];

/// First-person remarks people add at the end.
const REMARKS: [&[&str]; 5] = [
    &[],
    &[
        "Ātri nogurstu.",
        "Dažreiz vajag atpūsties.",
        "Grūtāk nekā agrāk.",
    ],
    &[
        "Bez spieķa uz ielu neeju.",
        "Mājas darbus palīdz izdarīt meita.",
        "Bieži aizmirstu, vai esmu iedzēris zāles.",
        "Pa kāpnēm kāpju ar lielām grūtībām, jo trūkst elpas.",
    ],
    &[
        "No mājām izeju tikai ar kāda palīdzību.",
        "Vīrs palīdz man nomazgāties un apģērbties.",
        "Nevaru vairs strādāt, jo sāpes ir katru dienu.",
        "Sieva mani pieskata, viens nepalieku.",
    ],
    &[
        "Esmu pilnībā atkarīgs no tuviniekiem.",
        "Visu dienu pavadu gultā.",
        "Bez palīdzības neko nevaru izdarīt.",
    ],
];

pub fn build(ctx: &Ctx<'_>, rng: &mut Rng) -> Doc {
    let s = ctx.s;
    let issued = s.submitted - Duration::days(rng.range(0, 14));
    let mut doc = Doc::new(DocumentKind::SelfAssessment, "self-assessment", issued, rng);
    doc.header
        .push("Veselības un darbspēju ekspertīzes ārstu valsts komisija".to_owned());
    doc.title = "FUNKCIONĀLO SPĒJU PAŠNOVĒRTĒJUMA ANKETA".to_owned();
    doc.field("Persona", ctx.person_label.clone());
    doc.field("Aizpildīšanas datums", date_any(issued, rng));
    let filled_by = if s.representative.is_some() && rng.chance(0.6) {
        "likumiskais pārstāvis"
    } else {
        "persona pati"
    };
    doc.field("Anketu aizpildīja", filled_by);
    doc.para("Lūdzu, atzīmējiet atbildi, kas vislabāk raksturo Jūsu spējas pēdējo 6 mēnešu laikā.");

    let bias: u8 = if rng.chance(0.35) { 1 } else { 0 };
    let mut stated = [0u8; 6];
    for (i, q) in s.profile.iter().enumerate() {
        stated[i] = (q + bias).min(4);
    }
    for (d, q) in crate::synth::scenario::DOMAINS.iter().zip(stated.iter()) {
        doc.functioning.insert(*d, *q);
    }
    let marks = *rng.pick(&[("[X]", "[ ]"), ("☒", "☐"), ("(x)", "( )")]);
    let inline = rng.chance(0.5);
    for (n, (question, domain, offset)) in QUESTIONS.iter().enumerate() {
        let base = stated[idx(*domain)];
        let level = if base == 0 {
            0
        } else {
            (base as i8 + offset).clamp(0, 4) as u8
        };
        // Individual questions sit at or just below the domain's level.
        let a = if level > 0 && rng.chance(0.25) {
            level - 1
        } else {
            level
        };
        if inline {
            doc.para(format!(
                "{}. {question} - {}",
                n + 1,
                ANSWERS[usize::from(a)]
            ));
        } else {
            doc.para(format!("{}. {question}", n + 1));
            for (i, t) in ANSWERS.iter().enumerate() {
                let mark = if i == usize::from(a) {
                    marks.0
                } else {
                    marks.1
                };
                doc.para(format!("    {mark} {t}"));
            }
        }
    }
    let worst = stated.iter().copied().max().unwrap_or(0);
    let pool = REMARKS[usize::from(worst)];
    if !pool.is_empty() {
        doc.heading("Papildu informācija");
        let text = rng.pick(pool).to_string();
        let text = if ctx.subject.masculine {
            text
        } else {
            text.replace("iedzēris", "iedzērusi")
                .replace("atkarīgs", "atkarīga")
                .replace("Sieva mani pieskata, viens", "Vīrs mani pieskata, viena")
        };
        doc.para(text);
    }
    doc.footer.push(format!(
        "Paraksts: ____________   Datums: {}",
        date_any(issued, rng)
    ));
    doc
}
