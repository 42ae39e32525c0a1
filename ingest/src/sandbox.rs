//! Extraction in a child process with hard limits.
//!
//! Why a process and not a thread with `catch_unwind`: a parser can loop forever (a thread cannot
//! be killed), allocate without bound (an allocation failure aborts the whole process), or
//! overflow its stack (not a panic). A child with `RLIMIT_AS` and `RLIMIT_CPU`, killed on a wall
//! clock, contains all of these; the worker only sees a typed [`Failure`].
//!
//! Protocol: the parent writes one JSON line of [`ExtractOptions`] and then the file's bytes to
//! the child's stdin; the child prints [`RESULT_MARKER`] and a JSON `Result` on stdout (the marker
//! guards against libraries that print to stdout themselves).

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::extract::{ExtractOptions, extract_in_process};
use crate::types::{ExtractedDocument, Failure, FailureKind};

const RESULT_MARKER: &str = "\n@@atzinums-extract-result@@\n";
/// Larger results than this are not text a doctor wrote.
const MAX_OUTPUT_BYTES: usize = 256 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxLimits {
    pub wall_time: Duration,
    pub cpu_time: Duration,
    /// Address-space limit of the child (and of Tesseract under it).
    pub memory_bytes: u64,
    /// Larger files are refused before any parsing.
    pub max_input_bytes: u64,
}

impl Default for SandboxLimits {
    fn default() -> Self {
        SandboxLimits {
            wall_time: Duration::from_secs(120),
            cpu_time: Duration::from_secs(110),
            memory_bytes: 2 * 1024 * 1024 * 1024,
            max_input_bytes: 50 * 1024 * 1024,
        }
    }
}

/// How to start the child: a program and its arguments, e.g. `atzinums-extract`, or the main
/// binary with its hidden extraction subcommand.
#[derive(Debug, Clone)]
pub struct Sandbox {
    program: PathBuf,
    args: Vec<String>,
    limits: SandboxLimits,
}

impl Sandbox {
    pub fn new(program: impl Into<PathBuf>, args: Vec<String>, limits: SandboxLimits) -> Self {
        Sandbox {
            program: program.into(),
            args,
            limits,
        }
    }

    /// Extracts `bytes` in a fresh child process. Never panics, never hangs past the wall limit.
    pub fn extract(
        &self,
        bytes: &[u8],
        options: &ExtractOptions,
    ) -> Result<ExtractedDocument, Failure> {
        if bytes.len() as u64 > self.limits.max_input_bytes {
            return Err(Failure::new(
                FailureKind::TooLarge,
                format!(
                    "the file is larger than {} MB",
                    self.limits.max_input_bytes / (1024 * 1024)
                ),
            ));
        }
        let mut command = Command::new(&self.program);
        command
            .args(&self.args)
            .env("OMP_THREAD_LIMIT", "1") // Tesseract: one thread, predictable memory
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().map_err(|e| {
            Failure::new(
                FailureKind::Corrupt,
                format!("cannot start the extraction process: {e}"),
            )
        })?;
        // The child reads nothing untrusted before its stdin gets the document, which is
        // written only once its limits hold.
        if let Err(e) = limit_child(child.id(), &self.limits) {
            let _ = child.kill();
            let _ = child.wait();
            return Err(Failure::new(
                FailureKind::Corrupt,
                format!("cannot limit the extraction process: {e}"),
            ));
        }

        let mut stdin = child.stdin.take().expect("piped stdin");
        let header = serde_json::to_string(options).expect("options serialise");
        let input = bytes.to_vec();
        let writer = std::thread::spawn(move || {
            // A child that dies early closes its stdin: the write error is expected then.
            let _ = stdin.write_all(header.as_bytes());
            let _ = stdin.write_all(b"\n");
            let _ = stdin.write_all(&input);
        });
        let mut stdout = child.stdout.take().expect("piped stdout");
        let (output_closed, closed) = std::sync::mpsc::channel::<()>();
        let reader = std::thread::spawn(move || {
            let mut out = Vec::new();
            let _ = (&mut stdout)
                .take(MAX_OUTPUT_BYTES as u64 + 1)
                .read_to_end(&mut out);
            let _ = output_closed.send(());
            out
        });
        let mut stderr = child.stderr.take().expect("piped stderr");
        let err_reader = std::thread::spawn(move || {
            let mut err = Vec::new();
            let _ = (&mut stderr).take(64 * 1024).read_to_end(&mut err);
            err
        });

        let started = Instant::now();
        // The child closes its stdout when it exits: wait for that rather than polling, then
        // poll briefly for the exit status (a child that closed stdout and kept running is
        // still killed at the wall limit). A fixed 5 ms poll idled the thread for 2.5 ms a
        // document on average.
        let _ = closed.recv_timeout(self.limits.wall_time);
        let mut pause = Duration::from_micros(50);
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if started.elapsed() > self.limits.wall_time => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let _ = writer.join();
                    return Err(Failure::new(
                        FailureKind::Timeout,
                        format!(
                            "reading took longer than {} s",
                            self.limits.wall_time.as_secs()
                        ),
                    ));
                }
                Ok(None) => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(5));
                }
                Err(e) => {
                    return Err(Failure::new(
                        FailureKind::Corrupt,
                        format!("lost the extraction process: {e}"),
                    ));
                }
            }
        };
        let _ = writer.join();
        let out = reader.join().unwrap_or_default();
        let err = err_reader.join().unwrap_or_default();
        interpret(status, &out, &err)
    }
}

fn interpret(
    status: std::process::ExitStatus,
    out: &[u8],
    err: &[u8],
) -> Result<ExtractedDocument, Failure> {
    if out.len() > MAX_OUTPUT_BYTES {
        return Err(Failure::new(
            FailureKind::TooLarge,
            "the extracted text is larger than 256 MB",
        ));
    }
    if status.success() {
        let out = String::from_utf8_lossy(out);
        let Some((_, json)) = out.rsplit_once(RESULT_MARKER) else {
            return Err(Failure::new(
                FailureKind::Corrupt,
                "the extraction process gave no result",
            ));
        };
        return serde_json::from_str::<Result<ExtractedDocument, Failure>>(json).map_err(|e| {
            Failure::new(
                FailureKind::Corrupt,
                format!("unreadable extraction result: {e}"),
            )
        })?;
    }
    use std::os::unix::process::ExitStatusExt;
    let err = String::from_utf8_lossy(err);
    match status.signal() {
        Some(libc::SIGXCPU) | Some(libc::SIGKILL) => Err(Failure::new(
            FailureKind::Timeout,
            "reading used more processor time than allowed",
        )),
        _ if err.contains("memory allocation") || err.contains("out of memory") => {
            Err(Failure::new(
                FailureKind::TooLarge,
                "reading needed more memory than allowed",
            ))
        }
        Some(signal) => Err(Failure::new(
            FailureKind::Corrupt,
            format!("the reader crashed (signal {signal})"),
        )),
        None => Err(Failure::new(
            FailureKind::Corrupt,
            format!("the reader failed (exit {:?})", status.code()),
        )),
    }
}

/// Sets the child's memory, CPU and core-dump limits from outside (`prlimit`). Setting them
/// between fork and exec instead (`pre_exec`) forces a real `fork`, which copies the page
/// tables of this whole process for every document: a quarter of the CPU of bulk indexing went
/// there. Without `pre_exec` the standard library spawns with `posix_spawn` (no copy).
fn limit_child(pid: u32, limits: &SandboxLimits) -> std::io::Result<()> {
    let memory = limits.memory_bytes as libc::rlim_t;
    let cpu = limits.cpu_time.as_secs().max(1) as libc::rlim_t;
    let set = |resource, soft: libc::rlim_t, hard: libc::rlim_t| {
        let limit = libc::rlimit {
            rlim_cur: soft,
            rlim_max: hard,
        };
        // SAFETY: `limit` is a valid rlimit and the old-limit pointer may be null.
        if unsafe { libc::prlimit(pid as libc::pid_t, resource, &limit, std::ptr::null_mut()) } != 0
        {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    };
    set(libc::RLIMIT_AS, memory, memory)?;
    // SIGXCPU at the soft limit, SIGKILL one second later.
    set(libc::RLIMIT_CPU, cpu, cpu + 1)?;
    set(libc::RLIMIT_CORE, 0, 0)
}

/// The child's side: read options and bytes from stdin, extract, print the result. Panics are
/// caught and reported as `Corrupt`, without their message (it may quote document content).
pub fn child_main() -> ! {
    std::panic::set_hook(Box::new(|_| {}));
    let mut input = Vec::new();
    let result = match std::io::stdin().lock().read_to_end(&mut input) {
        Err(e) => Err(Failure::new(
            FailureKind::Corrupt,
            format!("cannot read the input: {e}"),
        )),
        Ok(_) => match input.iter().position(|&b| b == b'\n') {
            None => Err(Failure::new(
                FailureKind::Corrupt,
                "malformed extraction request",
            )),
            Some(split) => match serde_json::from_slice::<ExtractOptions>(&input[..split]) {
                Err(e) => Err(Failure::new(
                    FailureKind::Corrupt,
                    format!("malformed extraction options: {e}"),
                )),
                Ok(options) => {
                    let bytes = &input[split + 1..];
                    std::panic::catch_unwind(|| extract_in_process(bytes, &options)).unwrap_or_else(
                        |_| {
                            Err(Failure::new(
                                FailureKind::Corrupt,
                                "the file made the reader fail",
                            ))
                        },
                    )
                }
            },
        },
    };
    let json = serde_json::to_string(&result).expect("results serialise");
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(RESULT_MARKER.as_bytes());
    let _ = stdout.write_all(json.as_bytes());
    let _ = stdout.flush();
    std::process::exit(0)
}
