//! The domain vocabulary of Atzinums: the types every other crate speaks in.
//!
//! This crate owns what a valid value *is*, for the personal code, ICD-10
//! codes, application kinds, outcomes and their work-capacity bands, terms,
//! functioning profiles, routing, the case status state machine and the
//! `atzinums-dataset/1` bulk format. Constructors, `FromStr` and serde reject
//! invalid input with a typed error that names the field and the rule, so a
//! value that exists is valid ("parse, don't validate").
//!
//! No I/O happens here. Personal data (personal codes, names) never appears
//! in `Debug` output or in error messages.

mod macros;

pub mod application;
pub mod cause;
pub mod dataset;
pub mod deadlines;
pub mod document;
pub mod error;
pub mod functioning;
pub mod icd10;
mod labels;
pub mod outcome;
pub mod person;
pub mod person_code;
pub mod role;
pub mod route;
pub mod status;
pub mod term;

pub use application::{ApplicationKind, Channel, OpinionKind};
pub use cause::Cause;
pub use dataset::{
    CaseId, CaseJson, DATASET_FORMAT, DatasetFieldError, DatasetPerson, DecisionJson, DecisionRef,
    DocumentEntry, FileName, Manifest, PreviousDecision,
};
pub use document::{DocumentKind, MediaType};
pub use error::UnknownValue;
pub use functioning::{Domain, FunctioningProfile, Qualifier};
pub use icd10::{Icd10, Icd10Error, IcdChapter};
pub use outcome::{Outcome, PctExemption, WorkCapacityError, WorkCapacityLoss};
pub use person::{
    PersonRef, Pseudonym, REGIONS, Representative, RepresentativeRole, Sex, age_on,
    state_pension_age_reached,
};
pub use person_code::{PersonCode, PersonCodeError};
pub use role::Role;
pub use route::{MissingItem, ReasonCode, Route, RouteError, RouteKind};
pub use status::{CaseEvent, CaseStatus, IllegalTransition};
pub use term::{Term, TermMonths};
