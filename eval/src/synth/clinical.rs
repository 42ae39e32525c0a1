//! Specialty-specific clinical wording: complaints, history, objective
//! findings, treatment, investigations and the specialist's title.

use super::diagnoses::Specialty;
use crate::rng::Rng;

/// The specialist and their consultation title.
pub fn specialist(s: Specialty) -> (&'static str, &'static str) {
    match s {
        Specialty::Neurology => ("neirologs", "Neirologa konsultācija"),
        Specialty::Cardiology => ("kardiologs", "Kardiologa konsultācija"),
        Specialty::Pulmonology => ("pneimonologs", "Pneimonologa konsultācija"),
        Specialty::Nephrology => ("nefrologs", "Nefrologa slēdziens"),
        Specialty::Endocrinology => ("endokrinologs", "Endokrinologa konsultācija"),
        Specialty::Oncology => ("onkologs ķīmijterapeits", "Onkologa konsultācija"),
        Specialty::Psychiatry => ("psihiatrs", "Psihiatra atzinums"),
        Specialty::ChildPsychiatry => ("bērnu psihiatrs", "Bērnu psihiatra konsultācija"),
        Specialty::Paediatrics => ("bērnu neirologs", "Bērnu neirologa konsultācija"),
        Specialty::Rheumatology => ("reimatologs", "Reimatologa konsultācija"),
        Specialty::Orthopaedics => (
            "traumatologs ortopēds",
            "Traumatologa ortopēda konsultācija",
        ),
        Specialty::Ophthalmology => ("oftalmologs", "Oftalmologa atzinums"),
        Specialty::Otology => ("otolaringologs", "Otolaringologa (audiologa) konsultācija"),
        Specialty::Gastroenterology => ("gastroenterologs", "Gastroenterologa konsultācija"),
        Specialty::Haematology => ("hematologs", "Hematologa konsultācija"),
        Specialty::Vascular => ("asinsvadu ķirurgs", "Asinsvadu ķirurga konsultācija"),
        Specialty::Occupational => ("arodslimību ārsts", "Arodslimību ārsta slēdziens"),
    }
}

/// The hospital department for a discharge summary.
pub fn department(s: Specialty) -> &'static str {
    match s {
        Specialty::Neurology => "Neiroloģijas nodaļa",
        Specialty::Cardiology | Specialty::Vascular => "Kardioloģijas nodaļa",
        Specialty::Pulmonology | Specialty::Occupational => "Pulmonoloģijas nodaļa",
        Specialty::Nephrology => "Nefroloģijas nodaļa",
        Specialty::Endocrinology => "Endokrinoloģijas nodaļa",
        Specialty::Oncology => "Onkoloģijas ķīmijterapijas nodaļa",
        Specialty::Psychiatry => "Akūtās psihiatrijas nodaļa",
        Specialty::ChildPsychiatry | Specialty::Paediatrics => {
            "Bērnu neiroloģijas un psihiatrijas nodaļa"
        }
        Specialty::Rheumatology => "Reimatoloģijas nodaļa",
        Specialty::Orthopaedics => "Traumatoloģijas un ortopēdijas nodaļa",
        Specialty::Ophthalmology => "Oftalmoloģijas nodaļa",
        Specialty::Otology => "Otolaringoloģijas nodaļa",
        Specialty::Gastroenterology => "Gastroenteroloģijas nodaļa",
        Specialty::Haematology => "Hematoloģijas nodaļa",
    }
}

fn table(s: Specialty) -> &'static Clinical {
    match s {
        Specialty::Neurology | Specialty::Paediatrics => &NEURO,
        Specialty::Cardiology | Specialty::Vascular => &CARDIO,
        Specialty::Pulmonology | Specialty::Occupational => &PULMO,
        Specialty::Nephrology => &RENAL,
        Specialty::Endocrinology => &ENDO,
        Specialty::Oncology | Specialty::Haematology => &ONCO,
        Specialty::Psychiatry | Specialty::ChildPsychiatry => &PSYCH,
        Specialty::Rheumatology | Specialty::Orthopaedics => &MSK,
        Specialty::Ophthalmology | Specialty::Otology => &SENSE,
        Specialty::Gastroenterology => &GASTRO,
    }
}

/// A phrase and the ICD-10 code prefixes it fits (empty: any code of the specialty).
type Item = (&'static str, &'static [&'static str]);

pub struct Clinical {
    pub complaints: &'static [Item],
    pub objective: &'static [Item],
    pub treatment: &'static [Item],
    pub investigations: &'static [Item],
}

const STROKE: &[&str] = &["I69", "I63"];
const MS: &[&str] = &["G35"];
const EPI: &[&str] = &["G40"];
const PARK: &[&str] = &["G20", "G10"];
const DEM: &[&str] = &["G30", "F01", "F06", "F07"];
const SPINE: &[&str] = &["M51", "M54", "M48"];
const CORD: &[&str] = &["G82", "T91", "Q05"];
const NERVE: &[&str] = &["G62", "G61", "G70", "G12", "G71"];
const CP: &[&str] = &["G80", "Q90", "F7", "F8", "F9"];
const TBI: &[&str] = &["T90"];
const HF: &[&str] = &["I50", "I42", "I11", "I25.5", "I35", "Q21"];
const CAD: &[&str] = &["I25", "I21"];
const PAD: &[&str] = &["I70", "Z89", "E10.5", "E11.7"];
const COPD: &[&str] = &["J44", "J96", "J62"];
const ILD: &[&str] = &["J84"];
const ASTHMA: &[&str] = &["J45", "E84"];
const RA: &[&str] = &["M05", "M06", "M08", "M32"];
const AS: &[&str] = &["M45"];
const OA: &[&str] = &["M16", "M17"];
const FRACT: &[&str] = &["T93", "T92"];
const EYE: &[&str] = &["H54", "H40", "H35", "E11.3"];
const GLAUC: &[&str] = &["H40", "H54"];
const MAC: &[&str] = &["H35"];
const EAR: &[&str] = &["H90", "H83"];
const SCHIZO: &[&str] = &["F20", "F25"];
const MOOD: &[&str] = &["F31", "F32", "F33"];
const CHILD_DEV: &[&str] = &["F84", "F83", "F80", "F90", "F70", "F71", "F72", "Q90"];
const BREAST: &[&str] = &["C50"];
const BOWEL: &[&str] = &["C18", "C20"];
const LUNG_CA: &[&str] = &["C34"];
const LEUK: &[&str] = &["C91", "D61", "D66"];
const BRAIN_CA: &[&str] = &["C71"];
const CROHN: &[&str] = &["K50", "K51"];
const LIVER: &[&str] = &["K74"];
const DIAB: &[&str] = &["E10", "E11"];
const VIBR: &[&str] = &["T75"];
const ANY: &[&str] = &[];

const NEURO: Clinical = Clinical {
    complaints: &[
        ("vājums ekstremitātēs, nestabilitāte ejot", STROKE),
        (
            "neveiklība [labajā|kreisajā] rokā[, runas traucējumi|], ātra nogurdināmība",
            STROKE,
        ),
        (
            "nogurums, līdzsvara traucējumi, redzes miglošanās, urinācijas traucējumi",
            MS,
        ),
        (
            "biežas lēkmes ar samaņas zudumu, pēc lēkmēm galvassāpes un miegainība",
            EPI,
        ),
        ("trīce rokās, stīvums, gaitas palēnināšanās, kritieni", PARK),
        (
            "aizmāršība, apjukums, nespēja tikt galā ar ikdienas darbiem",
            DEM,
        ),
        (
            "sāpes jostas rajonā ar izstarošanu [labajā|kreisajā] kājā, nejutīgums pēdā",
            SPINE,
        ),
        ("kāju vājums, nespēja staigāt, urīna nesaturēšana", CORD),
        ("nejutīgums un tirpšana kājās, vājums rokās un kājās", NERVE),
        (
            "kustību traucējumi, nespēja patstāvīgi staigāt, runas aizkavēšanās",
            CP,
        ),
        (
            "galvassāpes, aizkaitināmība, atmiņas traucējumi pēc traumas",
            TBI,
        ),
        ("galvas reiboņi, ātra nogurdināmība", ANY),
    ],
    objective: &[
        (
            "Apziņa skaidra. Galvas nervi: centrāla VII n. parēze pa [labi|kreisi]. Muskuļu spēks [labajās|kreisajās] ekstremitātēs 3/5, spasticitāte. Cīpslu refleksi [D>S|D<S], Babinska simptoms pozitīvs [labajā|kreisajā] pusē.",
            STROKE,
        ),
        (
            "[Labās|Kreisās] puses hemiparēze, roka 2/5, kāja 3/5[, motoriska afāzija|, kreisās puses neglekts].",
            STROKE,
        ),
        (
            "Apziņa skaidra, kontaktējam{s|a}. Horizontāls nistagms. Cīpslu refleksi augsti, Babinska simptoms abpusēji. Rombega pozā nestabil{s|a}, intencijas trīce.",
            MS,
        ),
        (
            "Neiroloģiski bez fokāliem simptomiem. Lēkmju biežums pēdējos 6 mēnešos 3-4 x mēnesī.",
            EPI,
        ),
        (
            "Izteikta rigiditāte, bradikinēzija, miera trīce [labajā|kreisajā] rokā. Gaita sīkiem soļiem, posturālā nestabilitāte.",
            PARK,
        ),
        (
            "Apziņa skaidra, laikā dezorientēt{s|a}. Atmiņa īslaicīgiem notikumiem izteikti pazemināta. Fokālas neiroloģiskas simptomātikas nav.",
            DEM,
        ),
        (
            "Jostas daļā paravertebrālo muskuļu spazmas, Lasega simptoms pozitīvs 40° leņķī. Jušanas traucējumi L5 dermatomā.",
            SPINE,
        ),
        (
            "Apakšējā spastiska paraparēze, muskuļu spēks kājās 2/5, jušanas traucējumi no Th10 līmeņa, iegurņa orgānu funkciju traucējumi.",
            CORD,
        ),
        (
            "Distāla muskuļu atrofija, Ahilleja refleksi neizsaucami, jušana pazemināta \"zeķu\" tipā.",
            NERVE,
        ),
        (
            "Spastiska tetraparēze, izteiktāka kājās, kontraktūras potītēs, patoloģiski refleksi.",
            CP,
        ),
        (
            "Apziņa skaidra. Viegla [labās|kreisās] puses hemiparēze, kognitīvi traucējumi, emocionāla labilitāte.",
            TBI,
        ),
    ],
    treatment: &[
        (
            "Ārstēt{s|a} insulta vienībā, pēc tam stacionārā un ambulatorā rehabilitācija (fizioterapija, ergoterapija, logopēds).",
            STROKE,
        ),
        (
            "Saņem slimību modificējošo terapiju, kortikosteroīdu pulsterapija paasinājumu laikā.",
            MS,
        ),
        (
            "Lieto pretepilepsijas līdzekļus (divi preparāti), devas koriģētas vairākkārt, lēkmes saglabājas.",
            EPI,
        ),
        (
            "Lieto levodopas preparātus, devas palielinātas, izteiktas motorās fluktuācijas.",
            PARK,
        ),
        (
            "Lieto holīnesterāzes inhibitorus, nepieciešama tuvinieku uzraudzība.",
            DEM,
        ),
        (
            "NPL, miorelaksanti, blokādes, fizioterapijas kursi; neiroķirurga konsultācija - operācija veikta {start}.",
            SPINE,
        ),
        (
            "Stāvoklis pēc mugurkaula operācijas, ilgstoša rehabilitācija, urīnpūšļa katetrizācija.",
            CORD,
        ),
        (
            "Intravenozi imūnglobulīni, plazmaferēze, fizioterapija.",
            NERVE,
        ),
        (
            "Regulāras fizioterapijas, ergoterapijas un logopēda nodarbības, botulīna toksīna injekcijas, ortozes.",
            CP,
        ),
        (
            "Ārstēt{s|a} neiroķirurģijas nodaļā, pēc tam rehabilitācija.",
            TBI,
        ),
        (
            "Ārstēt{s|a} stacionārā, turpina ambulatoru ārstēšanu pie neirologa, regulāri fizioterapijas kursi.",
            ANY,
        ),
    ],
    investigations: &[
        (
            "Galvas smadzeņu DT: postišēmiskas izmaiņas [kreisās|labās] a. cerebri media baseinā.",
            STROKE,
        ),
        (
            "Galvas smadzeņu MR: vairāki demielinizācijas perēkļi periventrikulāri un juxtakortikāli, daļa ar kontrasta uzkrāšanu.",
            MS,
        ),
        (
            "EEG: epileptiforma aktivitāte [kreisajā|labajā] temporālajā apvidū.",
            EPI,
        ),
        (
            "Galvas smadzeņu MR: difūza atrofija, vaskulāras izmaiņas baltajā vielā.",
            DEM,
        ),
        (
            "Jostas daļas MR: L4-L5 diska protrūzija ar nervu saknītes kompresiju, spinālā kanāla stenoze.",
            SPINE,
        ),
        (
            "Krūšu daļas MR: muguras smadzeņu bojājums Th9-Th10 līmenī.",
            CORD,
        ),
        ("ENMG: aksonāla sensomotora polineiropātija.", NERVE),
        ("Galvas smadzeņu MR: periventrikulāra leikomalācija.", CP),
        (
            "Galvas DT: posttraumatiskas kontūziju perēkļu sekas frontāli.",
            TBI,
        ),
        (
            "Galvas smadzeņu MR: bez svaigām patoloģiskām izmaiņām.",
            ANY,
        ),
    ],
};

const CARDIO: Clinical = Clinical {
    complaints: &[
        (
            "elpas trūkums pie nelielas slodzes, tūskas kājās, nogurums",
            HF,
        ),
        (
            "spiedošas sāpes aiz krūšu kaula slodzes laikā, sirdsklauves",
            CAD,
        ),
        (
            "sāpes kājās ejot, jāapstājas ik pēc 100-200 m, kājas salst",
            PAD,
        ),
        ("elpas trūkums, nespēks", ANY),
    ],
    objective: &[
        (
            "AS 135/85 mmHg, SF 88 x/min, neritmiska. Plaušās bazāli krepitācija. Kājās tūskas līdz potītēm.",
            HF,
        ),
        (
            "Ādas krāsa bāla, akrocianoze. Aknas +2 cm zem ribu loka. Kājās izteiktas tūskas.",
            HF,
        ),
        (
            "AS 150/90 mmHg, pulss 72 x/min, ritmisks. Sirds toņi klusināti. Perifēro tūsku nav.",
            CAD,
        ),
        (
            "Pulsācija uz a. dorsalis pedis abpusēji nav palpējama, pēdas vēsas, trofiskas ādas izmaiņas.",
            PAD,
        ),
        (
            "Stāvoklis pēc amputācijas, stumbenis sadzijis, protēzi lieto daļēji.",
            &["Z89"],
        ),
    ],
    treatment: &[
        (
            "Lieto beta blokatoru, AKE inhibitoru, diurētiķus, antikoagulantus. Implantēts kardioverteris-defibrilators.",
            HF,
        ),
        (
            "Veikta koronārā angiogrāfija ar stentēšanu, kardiorehabilitācija. Turpina optimālu medikamentozu terapiju.",
            CAD,
        ),
        (
            "Veikta aortokoronārā šuntēšana, pēc tam kardiorehabilitācija.",
            CAD,
        ),
        (
            "Veikta perifēro artēriju rekonstruktīva operācija, lieto antiagregantus un statīnus.",
            PAD,
        ),
        (
            "Veikta kājas amputācija, pēc tam protezēšana un rehabilitācija.",
            &["Z89"],
        ),
    ],
    investigations: &[
        (
            "EhoKG: KK dilatēts, difūza hipokinēzija, mitrāla regurgitācija II pakāpē.",
            HF,
        ),
        (
            "EKG: priekškambaru fibrilācija, kambaru frekvence 90-110 x/min.",
            HF,
        ),
        ("EKG: sinusa ritms, patoloģiski Q zobi V1-V4.", CAD),
        (
            "Holtera monitorēšana: bieži kambaru ekstrasistoles, neilgstoša kambaru tahikardija.",
            CAD,
        ),
        (
            "Kāju artēriju doplerogrāfija: a. femoralis superficialis oklūzija [labajā|kreisajā] pusē, potītes-brahiālais indekss 0,45.",
            PAD,
        ),
    ],
};

const PULMO: Clinical = Clinical {
    complaints: &[
        (
            "elpas trūkums pie minimālas slodzes, klepus ar krēpām",
            COPD,
        ),
        ("pastāvīgs elpas trūkums, sauss klepus, nogurums", ILD),
        ("nosmakšanas lēkmes naktīs, sēkšana", ASTHMA),
        ("elpas trūkums, klepus", ANY),
    ],
    objective: &[
        (
            "Krūškurvis mucveida. Plaušās novājināta elpošana, izklaidus sausi trokšņi. SpO2 miera stāvoklī 89%.",
            COPD,
        ),
        (
            "Elpošanas frekvence 24 x/min, plaušās krepitācija bazāli abpusēji (\"velcro\"). SpO2 91%.",
            ILD,
        ),
        ("Izelpa pagarināta, sēcoši trokšņi. SpO2 95%.", ASTHMA),
        ("Plaušās novājināta elpošana, SpO2 93%.", ANY),
    ],
    treatment: &[
        (
            "Lieto ilgstošas darbības bronhodilatatorus un inhalējamos kortikosteroīdus, ilgstoša skābekļa terapija mājās.",
            COPD,
        ),
        (
            "Atkārtotas hospitalizācijas paasinājumu dēļ, antibakteriālā terapija, pulmonālā rehabilitācija.",
            COPD,
        ),
        ("Antifibrotiskā terapija, skābekļa koncentrators.", ILD),
        (
            "Inhalējamie kortikosteroīdi, bioloģiskā terapija, elpošanas vingrinājumi.",
            ASTHMA,
        ),
    ],
    investigations: &[
        ("Krūškurvja DT: emfizēma, bullas augšdaivās.", COPD),
        (
            "Krūškurvja AIDT: intersticiālas izmaiņas ar \"šūnveida plaušu\" ainu bazāli.",
            ILD,
        ),
        ("6 minūšu iešanas tests: 210 m, desaturācija līdz 84%.", ANY),
    ],
};

const RENAL: Clinical = Clinical {
    complaints: &[
        ("nespēks, nieze, slikta dūša, tūskas", ANY),
        ("nogurums, apetītes trūkums, krampji kājās", ANY),
    ],
    objective: &[
        (
            "Āda bāla, sausa, ar skrāpējumiem. AS 160/95 mmHg. Kājās tūskas. AV fistula kreisajā apakšdelmā funkcionē.",
            &["N18.5"],
        ),
        ("Sejas pietūkums, bāla āda. AS 145/90 mmHg.", ANY),
    ],
    treatment: &[
        (
            "Programmētā hemodialīze 3 reizes nedēļā kopš {start}. Lieto eritropoēzi stimulējošos līdzekļus.",
            &["N18.5"],
        ),
        (
            "Nefroprotektīva terapija, diēta ar olbaltumvielu ierobežojumu, tiek gatavots nieru aizstājterapijai.",
            ANY,
        ),
    ],
    investigations: &[
        (
            "Kreatinīns 612 µmol/l, urīnviela 28 mmol/l, Hb 94 g/l.",
            &["N18.5"],
        ),
        ("Kreatinīns 290 µmol/l, proteinūrija 2,1 g/dnn.", ANY),
    ],
};

const ENDO: Clinical = Clinical {
    complaints: &[
        (
            "slāpes, sāpes un dedzināšana pēdās, redzes pasliktināšanās",
            ANY,
        ),
        ("biežas hipoglikēmijas, nejutīgums pēdās", ANY),
    ],
    objective: &[
        (
            "Pēdās samazināta vibrācijas un taustes jušana, trofiska čūla [labās|kreisās] pēdas I pirkstā.",
            ANY,
        ),
        ("ĶMI 33 kg/m². Pēdas siltas, pulsācija vāja.", &["E11"]),
    ],
    treatment: &[
        (
            "Intensificēta insulīnterapija, pašnovērošana ar glikometru, diabēta apmācība.",
            ANY,
        ),
        (
            "Lieto perorālos antidiabētiskos līdzekļus un bazālo insulīnu, glikēmijas kontrole neapmierinoša.",
            &["E11"],
        ),
    ],
    investigations: &[
        ("HbA1c 9,4%.", ANY),
        ("HbA1c 8,1%, mikroalbuminūrija.", ANY),
    ],
};

const ONCO: Clinical = Clinical {
    complaints: &[
        (
            "vājums, nogurums, svara zudums, sāpes operācijas rajonā",
            ANY,
        ),
        (
            "slikta dūša pēc ķīmijterapijas, nespēks, neiropātiskas sāpes",
            ANY,
        ),
        ("elpas trūkums, klepus, sāpes krūtīs", LUNG_CA),
        ("galvassāpes, lēkmes, vājums labajā pusē", BRAIN_CA),
        ("biežas infekcijas, nespēks, asiņošana no smaganām", LEUK),
    ],
    objective: &[
        (
            "Vispārējais stāvoklis vidēji smags. Pēcoperācijas rēta bez iekaisuma pazīmēm. Perifērie limfmezgli nav palielināti.",
            ANY,
        ),
        (
            "Kahektisk{s|a}, āda bāla. Vēders mīksts, nesāpīgs. Kolostoma funkcionē.",
            BOWEL,
        ),
        (
            "[Labās|Kreisās] rokas limfostāze, apjoms palielināts par 4 cm. Pēcoperācijas rēta [labās|kreisās] krūts rajonā.",
            BREAST,
        ),
        (
            "Āda bāla, izklaidus petehijas, perifērie limfmezgli nav palpējami.",
            LEUK,
        ),
    ],
    treatment: &[
        (
            "Veikta radikāla operācija, pēc tam adjuvanta ķīmijterapija (6 kursi) un staru terapija.",
            ANY,
        ),
        ("Saņem paliatīvo ķīmijterapiju, ārstēšana turpinās.", ANY),
        (
            "Neoadjuvanta ķīmijterapija, mastektomija, turpina hormonterapiju.",
            BREAST,
        ),
        (
            "Indukcijas un konsolidācijas ķīmijterapija saskaņā ar protokolu, uzturošā terapija turpinās.",
            LEUK,
        ),
    ],
    investigations: &[
        ("Histoloģiski: invazīva adenokarcinoma, G3.", ANY),
        (
            "DT: metastāzes aknās un plaušās, progresija salīdzinot ar iepriekšējo izmeklējumu.",
            ANY,
        ),
        ("PET/DT: metaboliski aktīvu perēkļu nav, remisija.", ANY),
        ("Kaulu smadzeņu punktāts: remisija, MRD negatīva.", LEUK),
    ],
};

const PSYCH: Clinical = Clinical {
    complaints: &[
        (
            "bezmiegs, trauksme, domas, ka apkārtējie vēlas kaitēt",
            SCHIZO,
        ),
        ("dzird balsis, bailes iziet no mājas", SCHIZO),
        (
            "nomākts garastāvoklis, intereses zudums, pašnāvības domas pagātnē",
            MOOD,
        ),
        (
            "vecāki sūdzas par nemierīgu uzvedību, runas aizkavēšanos, kontakta trūkumu ar vienaudžiem",
            CHILD_DEV,
        ),
        ("aizmāršība, apjukums, aizkaitināmība", DEM),
        ("aizkaitināmība, konflikti, grūtības koncentrēties", ANY),
    ],
    objective: &[
        (
            "Apziņa skaidra. Kontaktā formāl{s|a}, emocionāli noplac{is|usi}. Domāšana paralogiska, kritika samazināta.",
            SCHIZO,
        ),
        (
            "Garastāvoklis pazemināts, psihomotori kavēt{s|a}, runa lēna. Suicidālas domas šobrīd noliedz.",
            MOOD,
        ),
        (
            "Acu kontaktu neuztur, stereotipas kustības, uz vārdu nereaģē.",
            &["F84"],
        ),
        (
            "Uzmanība nenoturīga, motoriski nemierīg{s|a}, instrukcijas izpilda daļēji.",
            CHILD_DEV,
        ),
        (
            "Orientācija daļēja, atmiņa īslaicīgiem notikumiem pazemināta, kritika samazināta.",
            DEM,
        ),
        ("Apziņa skaidra, emocionāli labil{s|a}.", ANY),
    ],
    treatment: &[
        (
            "Ilgstoši lieto antipsihotiskos līdzekļus, vairākkārtējas hospitalizācijas psihiatriskajā stacionārā.",
            SCHIZO,
        ),
        (
            "Antidepresantu terapija, psihoterapija, stāvoklis uzlabojas nepilnīgi.",
            MOOD,
        ),
        (
            "Regulāras logopēda, psihologa un ergoterapeita nodarbības, agrīnās intervences programma.",
            CHILD_DEV,
        ),
        ("Medikamentoza terapija, psihiatra uzraudzība.", ANY),
    ],
    investigations: &[
        (
            "Klīniskā psihologa izvērtējumā: izteikti kognitīvi traucējumi, pazemināta uzmanības noturība.",
            ANY,
        ),
        (
            "ADOS-2 novērtējums atbilst autisma spektra traucējumiem.",
            &["F84"],
        ),
        ("Galvas smadzeņu MR: bez strukturālām izmaiņām.", ANY),
    ],
};

const MSK: Clinical = Clinical {
    complaints: &[
        (
            "sāpes un stīvums locītavās, rīta stīvums ilgāk par stundu",
            RA,
        ),
        (
            "sāpes mugurā un gūžās naktīs, stīvums, kustību ierobežojums",
            AS,
        ),
        ("sāpes gūžas/ceļa locītavā ejot un naktīs, klibošana", OA),
        (
            "sāpes un kustību ierobežojums pēc lūzuma, pietūkums slodzes laikā",
            FRACT,
        ),
        ("sāpes, kustību ierobežojums", ANY),
    ],
    objective: &[
        (
            "Plaukstu un pēdu sīko locītavu deformācijas, ulnāra deviācija. Satvēriena spēks samazināts.",
            RA,
        ),
        (
            "Mugurkaula kustības visās daļās ierobežotas, Šobera tests 1,5 cm.",
            AS,
        ),
        (
            "Gūžas locītavā kustības ierobežotas un sāpīgas, iekšējā rotācija 0°. Ceļa locītavās krepitācija, fleksija līdz 90°.",
            OA,
        ),
        (
            "Stāvoklis pēc osteosintēzes, kustību amplitūda locītavā samazināta par 50%, muskuļu hipotrofija.",
            FRACT,
        ),
    ],
    treatment: &[
        (
            "Lieto bāzes terapiju (metotreksāts), bioloģisko terapiju kopš {start}. NPL pēc vajadzības.",
            RA,
        ),
        ("Bioloģiskā terapija, ārstnieciskā vingrošana.", AS),
        (
            "Veikta endoprotezēšana, pēc tam rehabilitācija. Gaida otras locītavas endoprotezēšanu.",
            OA,
        ),
        (
            "Veikta operācija (osteosintēze), atkārtota operācija, ilgstoša rehabilitācija.",
            FRACT,
        ),
        (
            "Fizioterapija, masāžas, NPL kursi ar īslaicīgu efektu.",
            ANY,
        ),
    ],
    investigations: &[
        (
            "Rtg: erozijas plaukstu locītavās, periartikulāra osteoporoze. RF un anti-CCP pozitīvi.",
            RA,
        ),
        ("Rtg: \"bambusa mugurkauls\", sakroileīts abpusēji.", AS),
        (
            "Rtg: III-IV st. koksartroze, locītavas sprauga praktiski nav izsekojama.",
            OA,
        ),
        (
            "Rtg: lūzums konsolidējies ar deformāciju, posttraumatiska artroze.",
            FRACT,
        ),
    ],
};

const SENSE: Clinical = Clinical {
    complaints: &[
        ("slikta redze, nevar lasīt, grūti orientēties uz ielas", EYE),
        (
            "redzes lauka sašaurināšanās, bieži aizķeras aiz priekšmetiem",
            GLAUC,
        ),
        ("centrālās redzes zudums, nevar atpazīt sejas", MAC),
        ("slikta dzirde, troksnis ausīs, nesaprot runu", EAR),
    ],
    objective: &[
        (
            "Acu dibenā: redzes nerva disks bāls, ekskavācija 0,9. Redzes lauks koncentriski sašaurināts līdz 10°.",
            GLAUC,
        ),
        ("Makulā drūzas, ģeogrāfiska atrofija abpusēji.", MAC),
        (
            "Acu dibenā: proliferatīva diabētiskā retinopātija, stāvoklis pēc lāzerkoagulācijas.",
            &["E11.3", "H54"],
        ),
        (
            "Otoskopija: bungādiņas bez patoloģijas. Čukstus runu nedzird.",
            EAR,
        ),
    ],
    treatment: &[
        (
            "Lieto acu pilienus, veiktas lāzeroperācijas, stāvoklis progresē.",
            EYE,
        ),
        (
            "Intravitreālas injekcijas (anti-VEGF), efekts nepietiekams.",
            MAC,
        ),
        (
            "Dzirdes aparāti abās ausīs, izvērtēta kohleārās implantācijas iespēja.",
            EAR,
        ),
    ],
    investigations: &[
        (
            "Perimetrija: redzes lauks < 10° no fiksācijas punkta abām acīm.",
            GLAUC,
        ),
        ("OCT: makulas tūska, tīklenes atrofija.", MAC),
        (
            "OCT: tīklenes nervu šķiedru slāņa izteikta retināšanās.",
            EYE,
        ),
        (
            "Tonālā audiometrija: abpusējs sensorineirāls dzirdes zudums.",
            EAR,
        ),
    ],
};

const GASTRO: Clinical = Clinical {
    complaints: &[
        (
            "bieža vēdera izeja ar asinīm, sāpes vēderā, svara zudums",
            CROHN,
        ),
        ("vēdera palielināšanās, nespēks, dzelte", LIVER),
    ],
    objective: &[
        (
            "Vēders mīksts, palpējot sāpīgs labajā gūžas apvidū. Perianālas fistulas.",
            CROHN,
        ),
        (
            "Ascīts, \"zirnekļveida\" zvaigznītes, sklēras subiktēriskas. Aknas palpējamas +3 cm.",
            LIVER,
        ),
    ],
    treatment: &[
        (
            "Bioloģiskā terapija, iepriekš veikta zarnas rezekcija.",
            CROHN,
        ),
        (
            "Diurētiķi, atkārtotas paracentēzes, izvērtēts aknu transplantācijas jautājums.",
            LIVER,
        ),
    ],
    investigations: &[
        ("Kolonoskopija: aktīvs iekaisums terminālajā ileumā.", CROHN),
        ("Child-Pugh C klase, MELD 19.", LIVER),
    ],
};

#[allow(dead_code)]
const OTHER: &[&[&str]] = &[DIAB, VIBR];

/// Items fitting the code: the tagged ones if any match, else the generic ones.
fn choose(items: &'static [Item], code: &str, rng: &mut Rng) -> &'static str {
    let tagged: Vec<&'static str> = items
        .iter()
        .filter(|(_, tags)| tags.iter().any(|t| code.starts_with(t)))
        .map(|(t, _)| *t)
        .collect();
    if !tagged.is_empty() {
        return rng.choose(&tagged);
    }
    let generic: Vec<&'static str> = items
        .iter()
        .filter(|(_, tags)| tags.is_empty())
        .map(|(t, _)| *t)
        .collect();
    if !generic.is_empty() {
        return rng.choose(&generic);
    }
    items.first().map(|(t, _)| *t).unwrap_or("")
}

pub fn complaints(s: Specialty, code: &str, rng: &mut Rng) -> &'static str {
    choose(table(s).complaints, code, rng)
}
pub fn objective(s: Specialty, code: &str, rng: &mut Rng) -> &'static str {
    choose(table(s).objective, code, rng)
}
pub fn treatment(s: Specialty, code: &str, rng: &mut Rng) -> &'static str {
    choose(table(s).treatment, code, rng)
}
pub fn investigation(s: Specialty, code: &str, rng: &mut Rng) -> &'static str {
    choose(table(s).investigations, code, rng)
}
