//! Evaluation support for Atzinums: reading and writing the
//! `atzinums-dataset/1` bulk format, and `atzinums synth`, a generator of
//! realistic synthetic case archives with ground truth.

pub mod dataset;
pub mod expert_agreement;
pub mod functioning_training;
pub mod ingest_quality;
pub mod live;
pub mod metrics;
pub mod render;
pub mod report;
pub mod rng;
pub mod scoring;
pub mod synth;

pub use synth::{SynthError, SynthOptions, SynthSummary, generate};
