//! Word stems of Latvian clinical usage for functioning: which domain a text speaks of, how
//! strongly it grades it, and the words that deny, hedge or contrast.

use atzinums_models::Domain;

/// Domain cues. Stems of five letters or more also match inside a word, so prefixed verbs
/// count ("nomazgāties", "apģērbties"); shorter ones only at a word start.
pub const DOMAIN_STEMS: [(Domain, &[&str]); 6] = [
    (
        Domain::Mobility,
        &[
            "staigā",
            "staigāt",
            "pārvietoj",
            "pārvietoš",
            "kustīb",
            "kustēš",
            "gait",
            "noiet",
            "ratiņkrēsl",
            "ratiņ",
            "spieķ",
            "kruķ",
            "staigul",
            "rolator",
            "kāpnē",
            "kāpņ",
            "mobilitāt",
            "iešan",
            "pakustēt",
            "pārsēš",
            "sabiedrisko transport",
            "gulta",
            "gultas",
            "piecelt",
            "pārvieto",
        ],
    ),
    (
        Domain::SelfCare,
        &[
            "pašaprūp",
            "ģērbj",
            "ģērbt",
            "ģērbš",
            "mazgāj",
            "mazgāt",
            "mazgāš",
            "higiēn",
            "tualet",
            "ēšan",
            "paēst",
            "ēdien",
            "barošan",
            "kopšan",
            "sevi apkop",
            "apkalpo sevi",
            "sevis aprūp",
            "ikdienas aktivitāt",
            "mājas darb",
            "iepirk",
            "nesaturēš",
            "autiņbiks",
        ],
    ),
    (
        Domain::Communication,
        &[
            "runa",
            "runā",
            "runas",
            "sazinā",
            "sazināš",
            "komunik",
            "afāzij",
            "dizartrij",
            "dzird",
            "kurlum",
            "valod",
            "saziņ",
            "izteikties",
            "saprot, ko",
            "saprast, ko",
        ],
    ),
    (
        Domain::Learning,
        &[
            "mācīš",
            "mācīt",
            "mācās",
            "atmiņ",
            "uzmanīb",
            "koncentr",
            "kognitīv",
            "domāšan",
            "intelekt",
            "apgūt",
            "apgūš",
            "apgūst",
            "izziņ",
            "garīgā attīst",
            "garīgās attīst",
            "iegaumē",
            "lasīt",
            "rēķin",
        ],
    ),
    (
        Domain::Orientation,
        &[
            "orientēj",
            "orientācij",
            "orientēt",
            "orientēš",
            "apjuk",
            "dezorient",
            "redz",
            "neredz",
            "aklum",
            "vājredz",
            "laikā un vietā",
            "apmaldā",
        ],
    ),
    (
        Domain::Behaviour,
        &[
            "uzvedīb",
            "agresij",
            "agresīv",
            "impulsīv",
            "emocij",
            "emocionāl",
            "garastāvok",
            "pašnāvīb",
            "paškontrol",
            "konfliktē",
            "trauksm",
            "psihotisk",
            "pašsavald",
            "halucinācij",
            "uzbudinā",
        ],
    ),
];

/// A label at the start of a line names the domain of what follows, and only that domain
/// ("Pašaprūpe: …", "Uzvedības kontrole: …").
pub const DOMAIN_LABELS: [(Domain, &[&str]); 6] = [
    (
        Domain::Mobility,
        &[
            "pārvietošan",
            "mobilitāt",
            "kustīb",
            "staigāšan",
            "pārvietošanās spēj",
        ],
    ),
    (
        Domain::SelfCare,
        &["pašaprūp", "aprūpe", "ikdienas aktivitāt", "sevis aprūp"],
    ),
    (
        Domain::Communication,
        &["komunikācij", "saziņ", "runa", "valod"],
    ),
    (
        Domain::Learning,
        &["mācīšan", "izziņ", "kognitīv", "uzmanīb", "atmiņ"],
    ),
    (Domain::Orientation, &["orientēšan", "orientācij", "redz"]),
    (
        Domain::Behaviour,
        &["uzvedīb", "emocij", "psihiskais stāvokl"],
    ),
];

/// Degree cues. The cue that comes FIRST in the text decides: in "viegli izteikti
/// traucējumi" the adverb grades "izteikti", and "pārsvarā patstāvīgs" precedes "patstāvīgs".
pub const DEGREE_STEMS: [(u8, &[&str]); 5] = [
    (
        4,
        &[
            "pilnībā atkarīg",
            "pilnīgi atkarīg",
            "nespēj",
            "nav spējīg",
            "ļoti smag",
            "guļoš",
            "gulošs",
            "dziļ",
            "totāl",
            "neiespējam",
            "pastāvīga palīdzīb",
            "pastāvīgi nepieciešam",
            "nepārvietojas",
            "nestaigā",
            "pilnīga aprūp",
            "ļoti izteikt",
            "nevaru vispār",
            "vispār nevar",
            "nemaz",
            "nav iespējam",
            "24 stund",
            "visu diennakt",
            "diennakts aprūp",
            "caur zondi",
        ],
    ),
    (
        3,
        &[
            "smag",
            "izteikt",
            "ievērojam",
            "būtisk",
            "nozīmīg",
            "lielā mērā",
            "ar citas personas palīdzīb",
            "tikai ar palīdzīb",
            "ar svešu palīdzīb",
            "ratiņkrēsl",
            "stipri",
            "dzīvokļa robež",
            "mājas robež",
            "dzīvokli neatstāj",
            "māju neatstāj",
            "citas personas palīdzīb",
            "ar pavadon",
            "atkarīg",
        ],
    ),
    (
        2,
        &[
            "mēren",
            "vidēj",
            "daļēj",
            "ar palīglīdzekļ",
            "ar spieķ",
            "ar kruķ",
            "ar staigul",
            "ar rolator",
            "periodiski nepieciešam",
            "mērenā",
            "ar grūtībām",
            "zināmas grūtības",
            "ierobežot",
            "apgrūtināt",
        ],
    ),
    (
        1,
        &[
            "viegl",
            "nedaudz",
            "neliel",
            "minimāl",
            "nenozīmīg",
            "niecīg",
            "nelielā",
            "pārsvarā patstāvīg",
            "lielākoties patstāvīg",
            "galvenokārt patstāvīg",
            "gandrīz patstāvīg",
            "lēnāk",
            "nedaudz pazemināt",
        ],
    ),
    (
        0,
        &[
            "bez ierobežojum",
            "nav ierobežot",
            "neierobežot",
            "patstāvīg",
            "saglabāt",
            "normā",
            "bez traucējum",
            "netraucēt",
            "bez grūtīb",
            "adekvāt",
            "neatkarīg",
            "nav traucēt",
            "līdzsvarot",
            "pilnībā patstāvīg",
        ],
    ),
];

// Not "pilnīg" alone: "orientācija pilnīga" is full orientation (none), "pilnīga aprūpe" full care.

/// Stems that look like degree words but are not ("smagākus mājas darbus": heavier chores).
pub const NOT_DEGREE: &[&str] = &["smagāk", "smagum", "smagus priekšmet", "izteikties"];

/// Limitation nouns a negation can deny without a degree ("nav traucējumu", "grūtību nav").
pub const LIMITATION_STEMS: &[&str] = &[
    "ierobežojum",
    "traucējum",
    "grūtīb",
    "problēm",
    "deficīt",
    "dezorient",
    "afāzij",
    "agresij",
    "apjukum",
];

/// Whole words only: a "ne-" prefix is no negation sign ("nepieciešama", "neirologs").
pub const NEGATIONS: &[&str] = &[
    "nav",
    "ne",
    "bez",
    "netiek",
    "nekonstatē",
    "nekonstatēti",
    "neatzīmē",
];

pub const HEDGES: &[&str] = &[
    "iespējam",
    "varētu",
    "šķiet",
    "domājam",
    "nevar izslēgt",
    "aizdom",
    "apšaubām",
];

/// "saglabāta, bet lēnāka": what follows a contrast qualifies what came before.
pub const CONTRASTS: &[&str] = &["bet", "taču", "tomēr", "savukārt", "izņemot"];
