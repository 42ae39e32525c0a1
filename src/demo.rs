//! `atzinums demo`: everything a newcomer needs on a fresh machine, on the embedded defaults.
//! Each step is this binary's own subcommand (so the demo exercises what operators run), and
//! each is skipped when its result is already there: models, a synthetic decided archive and
//! its precedent index, a handful of applications, a worker, the service.

use std::path::Path;
use std::process::{Child, Command, Stdio};

use anyhow::{Context, bail};
use atzinums_models::Role;
use atzinums_store::Store;
use atzinums_store::testing::sample_person_code;

use crate::config::{Config, StaffEntry};

/// Decided cases the demo's precedents come from.
const ARCHIVE_CASES: &str = "60";
/// What the demo prepares besides the fixed archive.
#[derive(clap::Args)]
pub struct DemoArgs {
    /// Synthetic applications submitted so the queues have work (0: empty queues, e.g. for a
    /// browser walk-through that files its own).
    #[arg(long, default_value_t = 6)]
    pub applications: usize,
}

/// This binary on the demo's data directory and embedded database, whatever the environment.
fn atzinums(config: &Config) -> anyhow::Result<Command> {
    let exe = std::env::current_exe().context("cannot find this program's path")?;
    let mut command = Command::new(exe);
    command
        .arg("--data-dir")
        .arg(&config.data_dir)
        .env_remove("DATABASE_URL")
        .env("ATZINUMS_DATABASE_URL", config.database_url());
    Ok(command)
}

/// Runs this binary with `args` for the demo; fails with its output.
fn step(config: &Config, what: &str, args: &[&str]) -> anyhow::Result<()> {
    println!("demo: {what}…");
    let output = atzinums(config)?
        .args(args)
        .output()
        .with_context(|| format!("cannot run `atzinums {}`", args.join(" ")))?;
    if !output.status.success() {
        bail!(
            "demo step `atzinums {}` failed:\n{}{}",
            args.join(" "),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

fn path_arg(p: &Path) -> anyhow::Result<&str> {
    p.to_str().context("the data directory's path is not UTF-8")
}

/// The demo's settings: embedded storage, the local identity provider with staff in its
/// directory (synthetic personal codes), plain-HTTP cookies on loopback.
pub fn demo_config(mut config: Config) -> Config {
    // Embedded defaults whatever the environment says (DATABASE_URL often points at a shared
    // database): `serve` is for PostgreSQL and S3.
    config.database_url = None;
    config.blobs = None;
    config.secure_cookies = false;
    config.identity = "local".into();
    if config.staff.is_empty() {
        for (n, role) in [
            (901, Role::Clerk),
            (902, Role::Expert),
            (903, Role::Official),
            (904, Role::Quality),
            // A second expert, for blind second readings of decisions the first one drafted.
            (905, Role::Expert),
        ] {
            config.staff.push(StaffEntry {
                person_code: sample_person_code(n).as_str().to_string(),
                role: role.as_str().to_string(),
            });
        }
    }
    config
}

/// Prepares the demo (idempotently) and starts its worker; the caller serves.
pub async fn prepare(config: &Config, args: &DemoArgs) -> anyhow::Result<Child> {
    let demo = config.data_dir.join("demo");
    let archive = demo.join("archive");
    let applications = demo.join("applications");
    step(
        config,
        "models and catalogues",
        &["setup", "--only", "embed", "--only", "catalogues"],
    )?;
    if !archive.exists() {
        step(
            config,
            "a synthetic decided archive",
            &[
                "synth",
                "--cases",
                ARCHIVE_CASES,
                "--seed",
                "2026",
                "--out",
                path_arg(&archive)?,
            ],
        )?;
    }
    // Idempotent: unchanged cases are skipped.
    step(
        config,
        "the precedent index",
        &["index", path_arg(&archive)?],
    )?;
    if args.applications > 0 {
        submit_applications(config, &applications, args.applications)?;
    }
    let worker = atzinums(config)?
        .arg("worker")
        .stdout(Stdio::null())
        .spawn()
        .context("cannot start the worker")?;
    println!("demo: a worker drafts the applications in the background");
    // Why one queue stays empty: the demo's archive is far too small to calibrate the routing
    // at the service's risk (see the README, "Nothing is routed standard yet").
    println!(
        "demo: the standard queue stays empty until the routing is calibrated (`atzinums calibrate`); \
         drafted cases go to the complex queue, or back to the applicant when documents are missing"
    );
    Ok(worker)
}

/// Prints who can sign in and a status-service token for an institution.
pub async fn print_logins(config: &Config, store: &Store) -> anyhow::Result<()> {
    let issuer = atzinums_store::Actor::system("demo");
    let token = store
        .issue_api_token("Demo institution", &["status:read"], &issuer)
        .await?;
    println!(
        "Sign in at http://{}/ (local identity provider):",
        config.listen
    );
    println!("  applicant  {}", sample_person_code(1).as_str());
    for s in &config.staff {
        println!("  {:<10} {}", s.role, s.person_code);
    }
    println!("Status service token (Authorization: Bearer …): {token}");
    Ok(())
}

/// Generates (once) and submits `count` synthetic applications; submitting is idempotent, a
/// folder submitted before is answered with its case.
fn submit_applications(config: &Config, applications: &Path, count: usize) -> anyhow::Result<()> {
    let folders = |dir: &Path| -> anyhow::Result<Vec<_>> {
        let cases = dir.join("cases");
        if !cases.exists() {
            return Ok(Vec::new());
        }
        let mut found: Vec<_> = std::fs::read_dir(cases)?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()?;
        found.sort();
        Ok(found)
    };
    if folders(applications)?.len() < count {
        if applications.exists() {
            std::fs::remove_dir_all(applications)?;
        }
        step(
            config,
            "applications to examine",
            &[
                "synth",
                "--cases",
                &count.to_string(),
                "--seed",
                "2027",
                "--identified",
                "--out",
                path_arg(applications)?,
            ],
        )?;
    }
    let chosen = folders(applications)?;
    let mut submit = vec!["submit"];
    for f in chosen.iter().take(count) {
        submit.push(path_arg(f)?);
    }
    step(config, "submitting them", &submit)
}
