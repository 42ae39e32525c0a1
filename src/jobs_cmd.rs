//! `atzinums jobs …`: what an admin needs of the queue — counts per state, the dead-lettered
//! jobs with their reasons, and putting one back.

use atzinums_store::Store;
use clap::Subcommand;

#[derive(Subcommand)]
pub enum JobsCommand {
    /// Jobs per state (queued, running, done, dead).
    Counts,
    /// Dead-lettered jobs, oldest first, with the reason of their last failure.
    Dead {
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
    /// Puts a dead-lettered job back in the queue with fresh attempts.
    Requeue { job_id: String },
}

pub async fn run(command: JobsCommand, store: &Store) -> anyhow::Result<()> {
    match command {
        JobsCommand::Counts => {
            for (state, n) in store.job_counts().await? {
                println!(
                    "{:8} {n}",
                    serde_json::to_value(state)?.as_str().unwrap_or("?")
                );
            }
        }
        JobsCommand::Dead { limit } => {
            let dead = store.dead_jobs(limit).await?;
            if dead.is_empty() {
                println!("no dead-lettered jobs");
            }
            for job in dead {
                println!(
                    "{}  {:9} case {}  after {} attempt(s): {}",
                    job.id,
                    job.kind,
                    job.case_id.as_deref().unwrap_or("-"),
                    job.attempts,
                    job.last_error.as_deref().unwrap_or("(no reason recorded)")
                );
            }
        }
        JobsCommand::Requeue { job_id } => {
            store.requeue_dead_job(&job_id).await?;
            println!("requeued {job_id}");
        }
    }
    Ok(())
}
