//! The pages' words: Latvian by default, English on request (`?lang=en`, remembered in a
//! cookie). One table, so a missing translation is a compile-time match arm, not a blank.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Lv,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Lv => "lv",
            Lang::En => "en",
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Lv => Lang::En,
            Lang::En => Lang::Lv,
        }
    }
}

/// A text of the pages.
#[derive(Debug, Clone, Copy)]
pub enum T {
    Service,
    SkipToContent,
    SignIn,
    SignOut,
    PersonCode,
    Role,
    MyCases,
    Apply,
    Kind,
    Documents,
    DocumentHint,
    Submit,
    Case,
    Status,
    Deadline,
    DeadlineMax,
    ExtendDeadline,
    Branch,
    DocumentKind,
    Document,
    Original,
    HighlightNotice,
    Region,
    AllBranches,
    Show,
    NewDeadline,
    DeadlineExtended,
    Timeline,
    Decision,
    DownloadDecision,
    Contest,
    ContestUntil,
    Duplicate,
    Certificates,
    NoCases,
    Queues,
    TakeNext,
    Empty,
    Draft,
    Evidence,
    Precedents,
    Checks,
    Outcome,
    Percent,
    Term,
    Cause,
    OpinionText,
    Save,
    Approve,
    Reason,
    Return,
    Escalate,
    RequestDocuments,
    SignatureQueue,
    Sign,
    SendBack,
    Error,
    Back,
    Language,
    ModelDraftNotice,
    MyData,
    DownloadMyData,
    PersonalData,
    BirthDate,
    Sex,
    Registered,
    Decisions,
    NoDecisions,
    DecidedOn,
    Opinions,
    NoOpinions,
    NoCertificates,
    DuplicateCopy,
    WhoRead,
    WhoReadHint,
    NoAccesses,
    When,
    Who,
    What,
    CaseRead,
    DocumentRead,
    StatusRead,
    FiledCases,
    ChooseRegion,
}

pub fn t(lang: Lang, text: T) -> &'static str {
    use T::*;
    let (lv, en) = match text {
        Service => ("VDEĀVK e-pakalpojums", "VDEĀVK e-service"),
        SkipToContent => ("Pāriet uz saturu", "Skip to content"),
        SignIn => ("Pieslēgties", "Sign in"),
        SignOut => ("Atslēgties", "Sign out"),
        PersonCode => ("Personas kods", "Personal code"),
        Role => ("Loma", "Role"),
        MyCases => ("Manas lietas", "My cases"),
        Apply => ("Pieteikties ekspertīzei", "Apply for an examination"),
        Kind => ("Pieteikuma veids", "Kind of application"),
        Documents => ("Medicīniskie dokumenti", "Medical documents"),
        DocumentHint => (
            "PDF, DOCX, teksts, PNG vai JPEG; katrs līdz 50 MB.",
            "PDF, DOCX, text, PNG or JPEG; each up to 50 MB.",
        ),
        Submit => ("Iesniegt", "Submit"),
        Case => ("Lieta", "Case"),
        Status => ("Statuss", "Status"),
        Deadline => ("Lēmums jāpieņem līdz", "Decision due by"),
        DeadlineMax => (
            "Termiņu var pagarināt ne ilgāk kā līdz",
            "The deadline can be extended to at most",
        ),
        ExtendDeadline => ("Pagarināt termiņu", "Extend the deadline"),
        Branch => ("Filiāle", "Branch"),
        DocumentKind => ("Dokumenta veids", "Type of document"),
        Document => ("Dokuments", "Document"),
        Original => ("Oriģināls", "Original"),
        HighlightNotice => (
            "Dokumenta teksts, kā to nolasīja sistēma; iezīmēts tas, no kā nolasītas atziņas. Pārbaudiet pret oriģinālu.",
            "The document's text as the system read it; what findings were read from is highlighted. Check it against the original.",
        ),
        Region => (
            "Deklarētās dzīvesvietas reģions (lietu izskata tā filiāle)",
            "Region of declared residence (its branch examines the case)",
        ),
        AllBranches => ("Visas filiāles", "All branches"),
        Show => ("Rādīt", "Show"),
        NewDeadline => ("Jaunais termiņš", "New deadline"),
        DeadlineExtended => (
            "Lēmuma pieņemšanas termiņš pagarināts",
            "Decision deadline extended",
        ),
        Timeline => ("Lietas gaita", "History"),
        Decision => ("Lēmums", "Decision"),
        DownloadDecision => ("Lejupielādēt lēmumu (PDF)", "Download the decision (PDF)"),
        Contest => ("Apstrīdēt lēmumu", "Contest the decision"),
        ContestUntil => (
            "Lēmumu var apstrīdēt līdz",
            "The decision can be contested until",
        ),
        Duplicate => (
            "Pieprasīt apliecības dublikātu",
            "Request a duplicate certificate",
        ),
        Certificates => ("Apliecības", "Certificates"),
        NoCases => ("Jums vēl nav lietu.", "You have no cases yet."),
        Queues => ("Rindas", "Queues"),
        TakeNext => ("Ņemt nākamo", "Take the next"),
        Empty => ("Tukša", "Empty"),
        Draft => ("Atzinuma projekts", "Draft opinion"),
        Evidence => ("Pierādījumi dokumentos", "Evidence in the documents"),
        Precedents => ("Līdzīgas lietas", "Similar cases"),
        Checks => ("Pārbaudes", "Checks"),
        Outcome => ("Iznākums", "Outcome"),
        Percent => ("Darbspēju zaudējums, %", "Loss of working capacity, %"),
        Term => ("Termiņš", "Term"),
        Cause => ("Cēlonis", "Cause"),
        OpinionText => ("Ekspertīzes slēdziens", "Examination conclusion"),
        Save => ("Saglabāt", "Save"),
        Approve => (
            "Apstiprināt un nodot parakstīšanai",
            "Approve for signature",
        ),
        Reason => ("Pamatojums", "Reason"),
        Return => ("Atgriezt rindā", "Return to the queue"),
        Escalate => ("Nodot sarežģīto lietu rindā", "Escalate to complex"),
        RequestDocuments => ("Pieprasīt dokumentus", "Request documents"),
        SignatureQueue => ("Parakstīšanai", "Awaiting signature"),
        Sign => ("Parakstīt lēmumu", "Sign the decision"),
        SendBack => ("Atgriezt ekspertam", "Send back to the expert"),
        Error => ("Kļūda", "Error"),
        Back => ("Atpakaļ", "Back"),
        Language => ("English", "Latviski"),
        ModelDraftNotice => (
            "Projektu sagatavoja sistēma; lēmumu pieņem cilvēks. Katrs apgalvojums norāda uz dokumentu un lapu.",
            "The system prepared this draft; a person decides. Every statement points at a document and page.",
        ),
        MyData => ("Mani dati", "My data"),
        DownloadMyData => (
            "Lejupielādēt visus savus datus (JSON)",
            "Download all your data (JSON)",
        ),
        PersonalData => ("Personas dati", "Personal data"),
        BirthDate => ("Dzimšanas datums", "Date of birth"),
        Sex => ("Dzimums", "Sex"),
        Registered => ("Reģistrēts", "Registered"),
        Decisions => ("Lēmumi", "Decisions"),
        NoDecisions => ("Lēmumu vēl nav.", "No decisions yet."),
        DecidedOn => ("Pieņemts", "Decided on"),
        Opinions => ("Atzinumi", "Opinions"),
        NoOpinions => ("Atzinumu nav.", "No opinions."),
        NoCertificates => ("Apliecību nav.", "No certificates."),
        DuplicateCopy => ("dublikāts", "duplicate"),
        WhoRead => ("Kas skatīja jūsu datus", "Who has read your data"),
        WhoReadHint => (
            "Katra darbinieka vai iestādes piekļuve jūsu lietām un statusam tiek reģistrēta. Darbinieki norādīti pēc amata.",
            "Every read of your cases and status by staff or an institution is recorded. Staff are shown by their role.",
        ),
        NoAccesses => (
            "Neviens cits jūsu datus vēl nav skatījis.",
            "No one else has read your data yet.",
        ),
        When => ("Kad", "When"),
        Who => ("Kas", "Who"),
        What => ("Ko", "What"),
        CaseRead => ("skatīja lietu", "read case"),
        DocumentRead => ("skatīja dokumentu lietā", "read a document of case"),
        StatusRead => (
            "pārbaudīja invaliditātes statusu",
            "checked the disability status",
        ),
        FiledCases => ("Iesniegtie pieteikumi", "Applications filed"),
        ChooseRegion => ("— izvēlieties —", "— choose —"),
    };
    match lang {
        Lang::Lv => lv,
        Lang::En => en,
    }
}

/// Roles in plain words (who read one's data).
pub fn role_name(lang: Lang, role: &str) -> &'static str {
    let (lv, en) = match role {
        "applicant" => ("iesniedzējs", "applicant"),
        "representative" => ("pārstāvis", "representative"),
        "clerk" => ("klientu apkalpošanas speciālists", "branch clerk"),
        "expert" => ("ārsts eksperts", "medical expert"),
        "official" => ("lēmuma pieņēmējs", "deciding official"),
        "quality" => ("kvalitātes speciālists", "quality specialist"),
        "admin" => ("administrators", "administrator"),
        "institution" => ("iestāde", "institution"),
        _ => ("sistēma", "system"),
    };
    if lang == Lang::Lv { lv } else { en }
}

/// Case statuses in plain words.
pub fn status(lang: Lang, s: &str) -> &'static str {
    let (lv, en) = match s {
        "submitted" => ("Iesniegts", "Submitted"),
        "processing" => ("Tiek apstrādāts", "Being processed"),
        "awaiting_documents" => ("Gaida dokumentus", "Waiting for documents"),
        "ready_for_review" => ("Gaida ārsta ekspertu", "Waiting for a medical expert"),
        "in_review" => ("Izskata ārsts eksperts", "A medical expert is reviewing it"),
        "awaiting_signature" => (
            "Gaida lēmuma parakstīšanu",
            "Waiting for the decision to be signed",
        ),
        "decided" => ("Lēmums pieņemts", "Decided"),
        "withdrawn" => ("Atsaukts", "Withdrawn"),
        _ => ("—", "—"),
    };
    if lang == Lang::Lv { lv } else { en }
}
