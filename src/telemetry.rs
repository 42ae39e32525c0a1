//! Logging. Spans carry case and job ids only; personal data is never logged (the domain types
//! that hold it redact themselves in `Debug`).

use tracing_subscriber::EnvFilter;

pub fn init(format: &str) {
    let filter = EnvFilter::try_from_env("ATZINUMS_LOG")
        // qdrant-edge narrates its storage engine at info and warns about its own feature flags
        // on every search: only its errors are ours to see.
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,qdrant_edge=error"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let result = if format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    // A second init (tests) is harmless.
    let _ = result;
}
