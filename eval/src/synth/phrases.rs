//! Free-text descriptions of functioning: many phrasings per domain and
//! level (0 none … 4 complete), with negations and hedges, as treating
//! doctors write them. Templates use the forms of [`super::lang::Subject`].

use atzinums_models::Domain;

use super::lang::{Condition, Subject, lower_first};
use crate::rng::Rng;

/// Who a phrasing fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Any,
    Child,
    Adult,
    /// Adults short of breath (heart and lung disease).
    Breath,
    /// Neurological conditions (pareses, dysarthria, aphasia).
    Neuro,
    Eye,
    Ear,
    /// Adults with a psychotic illness.
    Psych,
}

use Who::*;

type Table = [&'static [(&'static str, Who)]; 5];

const LEARNING: Table = [
    &[
        ("Jaunu informāciju uztver un iegaumē bez grūtībām.", Any),
        ("Mācīšanās traucējumu nav.", Any),
        ("Kognitīvās funkcijas saglabātas.", Any),
        ("Atmiņas un uzmanības traucējumus noliedz.", Adult),
        (
            "Skolā mācās vispārizglītojošā programmā, sekmes apmierinošas.",
            Child,
        ),
        ("Intelekts atbilst vecumam, kognitīvu traucējumu nav.", Any),
    ],
    &[
        (
            "Jaunas prasmes apgūst lēnāk, nepieciešami atkārtojumi.",
            Any,
        ),
        ("Atmiņa īslaicīgiem notikumiem nedaudz pazemināta.", Adult),
        (
            "Sūdzas par vieglu atmiņas pasliktināšanos, ātri nogurst, koncentrējoties.",
            Adult,
        ),
        (
            "Viegli izteikti mācīšanās traucējumi, uzmanības noturība nedaudz pazemināta.",
            Any,
        ),
        (
            "Mācās vispārizglītojošā programmā ar atbalsta pasākumiem.",
            Child,
        ),
        (
            "Nelieli kognitīvi traucējumi: grūtāk plānot un sekot vairākiem uzdevumiem vienlaikus.",
            Adult,
        ),
    ],
    &[
        (
            "Mēreni izteikti mācīšanās traucējumi, jaunu informāciju iegaumē daļēji.",
            Any,
        ),
        (
            "Apgūst speciālās izglītības programmu mācīšanās traucējumu gadījumā.",
            Child,
        ),
        (
            "Uzmanība nenoturīga, bez atgādinājumiem neatceras lietot medikamentus.",
            Adult,
        ),
        (
            "Ikdienas uzdevumu apguvei nepieciešami vairākkārtēji skaidrojumi un uzraudzība.",
            Any,
        ),
        (
            "Kognitīvās funkcijas mēreni pazeminātas, abstraktā domāšana vāja.",
            Adult,
        ),
    ],
    &[
        (
            "Smagi mācīšanās traucējumi, apgūst tikai vienkāršas ikdienas iemaņas.",
            Any,
        ),
        (
            "Mācās speciālās izglītības programmā izglītojamajiem ar smagiem garīgās attīstības traucējumiem.",
            Child,
        ),
        (
            "Jaunu informāciju praktiski neiegaumē, instrukcijām neseko.",
            Any,
        ),
        (
            "Izteikts kognitīvs deficīts, nespēj apgūt jaunas prasmes bez pastāvīgas palīdzības.",
            Adult,
        ),
    ],
    &[
        ("Mācīšanās spējas praktiski nav, apmācāms netiek.", Any),
        ("Dziļš intelekta deficīts, apmācībai nav pieejams.", Any),
        (
            "Nav spējīg{s|a} apgūt pat elementāras pašaprūpes iemaņas.",
            Any,
        ),
    ],
];

const COMMUNICATION: Table = [
    &[
        ("Kontaktējam{s|a}, runa skaidra, saprot uzdoto.", Any),
        ("Runa un saziņa bez traucējumiem.", Any),
        ("Saziņā grūtību nav.", Any),
        (
            "Valodas traucējumu nav, adekvāti atbild uz jautājumiem.",
            Any,
        ),
        ("Runas attīstība atbilst vecumam.", Child),
        ("Saziņā ierobežojumu nav.", Any),
    ],
    &[
        ("Runa nedaudz lēnāka, saprotama.", Any),
        ("Viegla dizartrija, saziņu būtiski neierobežo.", Neuro),
        ("Saziņā reizēm grūtības atrast vārdus.", Adult),
        (
            "Runā teikumos, izruna nedaudz neskaidra, logopēda nodarbības.",
            Child,
        ),
        ("Dzirde pazemināta, sarunu saprot, ja runā skaļāk.", Ear),
    ],
    &[
        (
            "Mēreni izteikta dizartrija, svešiem cilvēkiem runa grūti saprotama.",
            Neuro,
        ),
        (
            "Saziņa apgrūtināta, nepieciešams laiks un atkārtoti jautājumi.",
            Any,
        ),
        ("Runā vienkāršos teikumos, vārdu krājums ierobežots.", Child),
        (
            "Sarunu saprot daļēji, izmanto dzirdes aparātu ar daļēju efektu.",
            Ear,
        ),
        ("Sarunā atbildes īsas, iniciatīvu neizrāda.", Adult),
    ],
    &[
        (
            "Runa grūti saprotama pat tuviniekiem, sazinās ar žestiem.",
            Any,
        ),
        ("Izteikta afāzija, saprot tikai vienkāršus lūgumus.", Neuro),
        (
            "Verbālā komunikācija ļoti ierobežota, lieto atsevišķus vārdus.",
            Child,
        ),
        (
            "Produktīvs kontakts apgrūtināts, uz jautājumiem atbild neadekvāti.",
            Any,
        ),
        ("Sazinās tikai zīmju valodā, runāto valodu neuztver.", Ear),
    ],
    &[
        ("Verbālam kontaktam nav pieejam{s|a}.", Any),
        ("Nerunā, uzrunu neuztver.", Any),
        (
            "Komunikācija nav iespējama, reaģē tikai uz pieskārienu.",
            Any,
        ),
    ],
];

const ORIENTATION: Table = [
    &[
        ("Orientēt{s|a} laikā, vietā un personībā.", Any),
        ("Orientācija pilnīga, apkārtnē orientējas labi.", Any),
        ("Dezorientācijas nav.", Any),
        (
            "Orientēšanās traucējumus noliedz, patstāvīgi pārvietojas pa pilsētu.",
            Adult,
        ),
        ("Apkārtnē orientējas atbilstoši vecumam.", Child),
    ],
    &[
        ("Svešā vidē orientējas ar nelielām grūtībām.", Any),
        ("Reizēm apjūk laikā, pazīstamā vidē orientējas labi.", Adult),
        ("Krēslas redze vāja, tumsā orientējas sliktāk.", Eye),
        ("Orientācija saglabāta, bet lēnāka.", Any),
    ],
    &[
        (
            "Svešā vidē bez pavadoņa nedodas, pazīstamā vidē orientējas.",
            Any,
        ),
        ("Laikā orientēt{s|a} daļēji, datumu nenosauc.", Adult),
        (
            "Redzes traucējumu dēļ uz ielas orientējas ar grūtībām.",
            Eye,
        ),
        ("Mēreni orientēšanās traucējumi, maršrutus neatceras.", Any),
    ],
    &[
        (
            "Laikā un vietā dezorientēt{s|a}, mājās var apmaldīties.",
            Adult,
        ),
        (
            "Patstāvīgi ārpus mājas nepārvietojas, jo nespēj orientēties.",
            Any,
        ),
        (
            "Praktiski neredz, orientējas tikai pazīstamā telpā ar taustes palīdzību.",
            Eye,
        ),
        ("Bīstamību neapzinās, bez uzraudzības atstāt nevar.", Child),
    ],
    &[
        ("Pilnīgi dezorientēt{s|a}, apkārtējos nepazīst.", Any),
        (
            "Orientācijas nav, pastāvīga uzraudzība visu diennakti.",
            Any,
        ),
        (
            "Neredz, gaismas uztvere negatīva, orientēties patstāvīgi nespēj.",
            Eye,
        ),
    ],
];

const MOBILITY: Table = [
    &[
        ("Pārvietojas patstāvīgi, bez palīglīdzekļiem.", Any),
        ("Staigā brīvi, palīglīdzekļus nelieto.", Any),
        ("Pārvietošanās: bez ierobežojumiem.", Any),
        ("Gaita bez īpatnībām, staigā neierobežoti.", Any),
        ("Pārvietošanās spējas nav ierobežotas.", Any),
        ("Kustību ierobežojumu nav, pa kāpnēm kāpj patstāvīgi.", Any),
        ("Staigāšanas traucējumus noliedz.", Adult),
    ],
    &[
        ("Ilgāka iešana sagādā grūtības, jāatpūšas.", Any),
        (
            "Gaita nedaudz lēnāka, pa kāpnēm kāpj, turoties pie margām.",
            Any,
        ),
        (
            "Garākus attālumus noiet ar atpūtas pauzēm, palīglīdzekļus nelieto.",
            Adult,
        ),
        (
            "Pēc ilgākas iešanas parādās sāpes un nogurums, jāapsēžas.",
            Any,
        ),
        (
            "Pārvietojas patstāvīgi, garākos attālumos izmanto spieķi.",
            Adult,
        ),
        ("Viegli pārvietošanās traucējumi, klibo.", Any),
        (
            "Slodzes tolerance pazemināta, elpas trūkums, ejot kalnā.",
            Breath,
        ),
    ],
    &[
        ("Pārvietojas ar spieķi, pa kāpnēm kāpj ar grūtībām.", Any),
        (
            "Ārpus mājas iziet reti, tikai ar pavadoni vai spieķi.",
            Adult,
        ),
        (
            "Pa kāpnēm kāpj pa vienam pakāpienam, turoties ar abām rokām.",
            Any,
        ),
        (
            "Mēreni izteikti pārvietošanās traucējumi, ārpus mājas nepieciešams atbalsts.",
            Any,
        ),
        (
            "Sabiedrisko transportu izmanto ar grūtībām, iekāpt autobusā palīdz citi.",
            Adult,
        ),
        (
            "Elpas trūkums pie nelielas slodzes, ejot jāapstājas ik pēc pāris minūtēm.",
            Breath,
        ),
        (
            "Gaita paretiska, pārvietojas lēni, ar papildu atbalstu.",
            Neuro,
        ),
    ],
    &[
        ("Pārvietojas ar staiguli tikai dzīvokļa robežās.", Any),
        (
            "Dzīvokli neatstāj, ārpus mājas tikai ratiņkrēslā ar pavadoni.",
            Any,
        ),
        (
            "Spēj pārvietoties tikai pa istabu, pieturoties pie mēbelēm.",
            Any,
        ),
        (
            "Ārpus mājas bez citas personas palīdzības nepārvietojas.",
            Any,
        ),
        (
            "Pārvietojas ar diviem elkoņa kruķiem, nelielos attālumos.",
            Any,
        ),
        (
            "Pārvietojas galvenokārt ratiņkrēslā, pārsēšanās ar palīdzību.",
            Any,
        ),
        (
            "Elpas trūkums jau miera stāvoklī un pie minimālas slodzes, mājokli gandrīz neatstāj.",
            Breath,
        ),
    ],
    &[
        ("Guļoš{s|a}, patstāvīga pārvietošanās nav iespējama.", Any),
        (
            "Pilnībā atkarīg{s|a} no ratiņkrēsla, pārsēšanās tikai ar citas personas palīdzību.",
            Any,
        ),
        (
            "Patstāvīgi nepārvietojas, nespēj nostāvēt bez atbalsta.",
            Any,
        ),
        (
            "Pārvietošanās iespējama tikai ratiņkrēslā, ko stumj cita persona.",
            Any,
        ),
        (
            "Piesaistīt{s|a} gultai, pozīciju maina tikai ar palīdzību.",
            Any,
        ),
    ],
];

const SELF_CARE: Table = [
    &[
        ("Pašaprūpē neatkarīg{s|a}.", Any),
        ("Pašaprūpē palīdzība nav nepieciešama.", Any),
        ("Ģērbjas, mazgājas un ēd patstāvīgi.", Any),
        ("Pašaprūpes ierobežojumu nav.", Any),
        ("Ikdienas aprūpi veic bez palīdzības.", Any),
        ("Pašaprūpes iemaņas atbilst vecumam.", Child),
        (
            "Ikdienas aktivitātes veic patstāvīgi, ierobežojumus noliedz.",
            Adult,
        ),
    ],
    &[
        ("Pašaprūpē neatkarīg{s|a}, bet darbības veic lēnāk.", Any),
        ("Nepieciešama neliela palīdzība, mazgājoties vannā.", Any),
        (
            "Apavus uzvilkt palīdz tuvinieki, pārējo veic pat{s|i}.",
            Adult,
        ),
        (
            "Pašaprūpē neliela palīdzība nepieciešama tikai sliktākās dienās.",
            Any,
        ),
        (
            "Smalkās motorikas traucējumu dēļ grūtības aizpogāt pogas.",
            Neuro,
        ),
        (
            "Pašaprūpē pārsvarā patstāvīg{s|a}, smagākus mājas darbus neveic.",
            Adult,
        ),
    ],
    &[
        (
            "Pašaprūpē daļēji atkarīg{s|a}: palīdzība nepieciešama ģērbjoties un mazgājoties.",
            Any,
        ),
        (
            "Ēd patstāvīgi, taču ģērbšanās un higiēnas procedūrās nepieciešams atbalsts.",
            Any,
        ),
        ("Ēdienu pagatavot un iepirkties patstāvīgi nespēj.", Adult),
        (
            "Mājas soļus un iepirkšanos veic tuvinieki, personīgo higiēnu daļēji pat{s|i}.",
            Adult,
        ),
        (
            "Ģērbjoties un mazgājoties nepieciešama citas personas palīdzība.",
            Any,
        ),
        (
            "Pašaprūpes iemaņas nepilnīgas, nepieciešami atgādinājumi un pieskatīšana.",
            Child,
        ),
    ],
    &[
        (
            "Pašaprūpē lielākoties atkarīg{s|a} no citu palīdzības.",
            Any,
        ),
        (
            "Nepieciešama palīdzība ģērbjoties, mazgājoties un tualetes apmeklējumā.",
            Any,
        ),
        (
            "Aprūpi nodrošina tuvinieki vai aprūpētājs vairākas reizes dienā.",
            Any,
        ),
        ("Patstāvīgi spēj tikai paēst, ja ēdiens sagatavots.", Any),
        ("Daļēja urīna nesaturēšana, lieto autiņbiksītes.", Any),
    ],
    &[
        ("Pašaprūpē pilnībā atkarīg{s|a} no citu palīdzības.", Any),
        (
            "Pilnīga aprūpe visās ikdienas darbībās, tiek barot{s|a}.",
            Any,
        ),
        ("Pašaprūpi neveic, nepieciešama pastāvīga kopšana.", Any),
        ("Aprūpe 24 stundas diennaktī, barošana caur zondi.", Any),
    ],
];

const BEHAVIOUR: Table = [
    &[
        ("Uzvedība adekvāta, emocionāli līdzsvarot{s|a}.", Any),
        ("Psihiskais stāvoklis bez īpatnībām.", Any),
        ("Emocionālā sfēra bez īpatnībām.", Any),
        ("Uzvedības traucējumu nav, garastāvoklis līdzsvarots.", Any),
        ("Suicidālas domas noliedz, uzvedība atbilstoša.", Adult),
    ],
    &[
        ("Emocionāli labil{s|a}, ātri aizkaitinām{s|a}.", Any),
        (
            "Garastāvoklis pazemināts, trauksmain{s|a}, uzvedību kontrolē.",
            Adult,
        ),
        ("Reizēm impulsīv{s|a}, pēc aizrādījuma nomierinās.", Child),
        ("Viegli izteikta emocionāla nestabilitāte.", Any),
    ],
    &[
        ("Periodiski uzbudinām{s|a}, konflikti ar apkārtējiem.", Any),
        (
            "Garastāvokļa svārstības, periodiski agresīvi izteikumi, bez fiziskas agresijas.",
            Any,
        ),
        (
            "Mēreni izteikti uzvedības traucējumi, nepieciešama uzraudzība kolektīvā.",
            Child,
        ),
        (
            "Depresīv{s|a}, apātisk{s|a}, intereses zudušas, ilgstoši neiziet no mājām.",
            Adult,
        ),
        (
            "Uzvedību daļēji kontrolē, stresa situācijās afektīvi uzliesmojumi.",
            Any,
        ),
    ],
    &[
        (
            "Izteikti uzvedības traucējumi: agresija pret apkārtējiem, nepieciešama pastāvīga uzraudzība.",
            Any,
        ),
        (
            "Psihotiski simptomi saglabājas, kritika pret slimību nav.",
            Psych,
        ),
        (
            "Autoagresija, nemierīg{s|a}, uzvedību koriģēt neizdodas.",
            Child,
        ),
        (
            "Atkārtotas hospitalizācijas psihozes dēļ, ārstēšanās režīmu neievēro.",
            Psych,
        ),
    ],
    &[
        (
            "Uzvedība nekontrolējama, apdraud sevi un citus, nepieciešama diennakts uzraudzība.",
            Any,
        ),
        (
            "Pastāvīgs psihomotors uzbudinājums, pašnāvnieciskas tieksmes.",
            Adult,
        ),
        (
            "Bīstama uzvedība, bez 24 stundu uzraudzības atstāt nedrīkst.",
            Any,
        ),
    ],
];

fn table(domain: Domain) -> &'static Table {
    match domain {
        Domain::Learning => &LEARNING,
        Domain::Communication => &COMMUNICATION,
        Domain::Orientation => &ORIENTATION,
        Domain::Mobility => &MOBILITY,
        Domain::SelfCare => &SELF_CARE,
        Domain::Behaviour => &BEHAVIOUR,
    }
}

/// How a document sounds when it reports, not observes.
const HEDGES: &[(&str, Who)] = &[
    ("Pēc {G} teiktā, ", Any),
    ("Tuvinieki norāda, ka ", Adult),
    ("Pēc mātes sniegtās informācijas, ", Child),
    ("Iespējams, ", Any),
    ("Pēc anamnēzes datiem ", Any),
    ("Vecāki norāda, ka ", Child),
    ("Subjektīvi ", Adult),
];

/// A phrasing of `level` in `domain` for this subject; with a hedge now and then.
pub fn describe(domain: Domain, level: u8, subject: &Subject, rng: &mut Rng) -> String {
    let options: Vec<&str> = table(domain)[usize::from(level.min(4))]
        .iter()
        .filter(|(_, w)| fits(*w, subject))
        .map(|(t, _)| *t)
        .collect();
    let text = subject.fill(rng.choose(&options));
    if rng.chance(0.15) {
        let hedges: Vec<&str> = HEDGES
            .iter()
            .filter(|(_, w)| fits(*w, subject))
            .map(|(t, _)| *t)
            .collect();
        let h = subject.fill(rng.choose(&hedges));
        format!("{h}{}", lower_first(&text))
    } else {
        text
    }
}

fn fits(w: Who, s: &Subject) -> bool {
    match w {
        Any => true,
        Child => s.child,
        Adult => !s.child,
        Breath => !s.child && s.condition == Condition::Breath,
        Neuro => s.condition == Condition::Neuro,
        Eye => s.condition == Condition::Eye,
        Ear => s.condition == Condition::Ear,
        Psych => !s.child && s.condition == Condition::Psych,
    }
}

/// The Latvian name of a domain, as a heading or in the conclusion.
pub fn domain_lv(domain: Domain) -> &'static str {
    match domain {
        Domain::Learning => "mācīšanās",
        Domain::Communication => "komunikācijas",
        Domain::Orientation => "orientēšanās",
        Domain::Mobility => "pārvietošanās",
        Domain::SelfCare => "pašaprūpes",
        Domain::Behaviour => "uzvedības kontroles",
    }
}

/// "viegli", "mēreni", "smagi", "ļoti smagi" (adverb) for levels 1..4.
pub fn level_adverb(level: u8) -> &'static str {
    match level {
        0 => "nav",
        1 => "viegli",
        2 => "mēreni",
        3 => "smagi",
        _ => "ļoti smagi",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cell_has_child_and_adult_phrasings() {
        for domain in Domain::ALL {
            for level in 0..=4 {
                let cell = table(*domain)[level];
                assert!(
                    cell.iter().any(|(_, w)| *w == Any || *w == Adult),
                    "{domain} {level}"
                );
                assert!(
                    cell.iter().any(|(_, w)| *w == Any || *w == Child),
                    "{domain} {level}"
                );
                assert!(cell.len() >= 3, "{domain} {level}");
            }
        }
    }
}
