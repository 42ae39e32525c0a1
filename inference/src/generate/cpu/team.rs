//! A fixed team of CPU threads for the decoder's parallel regions.
//!
//! Why not candle's pool or rayon: one decode step is about 150 short regions (a few to a
//! hundred microseconds each). candle synchronises every tensor op through its pool, and a
//! profile of decoding spent half its samples in that pool's barrier; rayon's workers fall
//! asleep between regions and waking them costs about as much as a region. Here the helpers
//! spin for a moment between regions (a decode step follows the last within microseconds),
//! then park, so an idle model costs no CPU.

use std::cell::UnsafeCell;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long an idle helper spins before it parks.
const SPIN: Duration = Duration::from_micros(500);

/// A job with its borrow's lifetime erased; `Team::run` keeps the borrow alive until every
/// helper has finished with it.
type Job = *const (dyn Fn(usize) + Sync);

struct Shared {
    /// Counts jobs posted; a helper runs a job when it sees the count move.
    epoch: AtomicUsize,
    job: UnsafeCell<Option<Job>>,
    /// Helpers that have not finished the current job.
    pending: AtomicUsize,
    /// Per helper: parked (or about to park) and needing an unpark to see the next job.
    sleeping: Vec<AtomicBool>,
    panicked: AtomicBool,
    shutdown: AtomicBool,
}

// SAFETY: `job` is written only by `Team::run` while no helper reads it (before the epoch is
// published, after every helper reported done) and read by helpers only between the two.
unsafe impl Sync for Shared {}
unsafe impl Send for Shared {}

pub(crate) struct Team {
    shared: Arc<Shared>,
    helpers: Vec<JoinHandle<()>>,
}

impl Team {
    /// A team of `threads` (this thread and `threads − 1` helpers).
    pub fn new(threads: usize) -> Team {
        let n_helpers = threads.max(1) - 1;
        let shared = Arc::new(Shared {
            epoch: AtomicUsize::new(0),
            job: UnsafeCell::new(None),
            pending: AtomicUsize::new(0),
            sleeping: (0..n_helpers).map(|_| AtomicBool::new(false)).collect(),
            panicked: AtomicBool::new(false),
            shutdown: AtomicBool::new(false),
        });
        let helpers = (0..n_helpers)
            .map(|i| {
                let shared = shared.clone();
                std::thread::Builder::new()
                    .name(format!("decoder-{}", i + 1))
                    .spawn(move || helper(&shared, i))
                    .expect("cannot start a decoder thread")
            })
            .collect();
        Team { shared, helpers }
    }

    /// Threads that run each job (this one included).
    pub fn size(&self) -> usize {
        self.helpers.len() + 1
    }

    /// Runs `f(worker)` for every worker `0..size()` at once (worker 0 on this thread) and
    /// returns when all have finished. A panic in a helper is raised here.
    pub fn run(&self, f: &(dyn Fn(usize) + Sync)) {
        let s = &*self.shared;
        if self.helpers.is_empty() {
            f(0);
            return;
        }
        // SAFETY: the lifetime is erased only for the duration of this call: we wait below until
        // no helper runs `f` any more, then clear the slot.
        let job: Job = unsafe { std::mem::transmute::<&(dyn Fn(usize) + Sync), Job>(f) };
        // SAFETY: no helper reads the slot now (the previous job has been fully waited for).
        unsafe { *s.job.get() = Some(job) };
        s.pending.store(self.helpers.len(), Ordering::SeqCst);
        s.epoch.fetch_add(1, Ordering::SeqCst);
        for (i, h) in self.helpers.iter().enumerate() {
            if s.sleeping[i].load(Ordering::SeqCst) {
                h.thread().unpark();
            }
        }
        let mine = std::panic::catch_unwind(AssertUnwindSafe(|| f(0)));
        let mut spins = 0u32;
        while s.pending.load(Ordering::Acquire) != 0 {
            spins += 1;
            if spins < 1 << 16 {
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
        // SAFETY: every helper has finished the job.
        unsafe { *s.job.get() = None };
        if let Err(p) = mine {
            std::panic::resume_unwind(p);
        }
        if s.panicked.swap(false, Ordering::SeqCst) {
            panic!("a decoder thread panicked");
        }
    }
}

fn helper(s: &Shared, i: usize) {
    let mut seen = 0usize;
    loop {
        let start = Instant::now();
        let mut spins = 0u32;
        loop {
            let epoch = s.epoch.load(Ordering::SeqCst);
            if epoch != seen {
                seen = epoch;
                break;
            }
            if s.shutdown.load(Ordering::SeqCst) {
                return;
            }
            spins = spins.wrapping_add(1);
            if !spins.is_multiple_of(64) || start.elapsed() < SPIN {
                std::hint::spin_loop();
                continue;
            }
            // Announce, then look once more: `run` either sees the flag and unparks us, or we
            // see its new epoch here (both sides use SeqCst).
            s.sleeping[i].store(true, Ordering::SeqCst);
            if s.epoch.load(Ordering::SeqCst) == seen && !s.shutdown.load(Ordering::SeqCst) {
                std::thread::park();
            }
            s.sleeping[i].store(false, Ordering::SeqCst);
        }
        // SAFETY: `run` published the job before moving the epoch and keeps it until we report.
        let job = unsafe { (*s.job.get()).expect("a job is posted with each epoch") };
        // SAFETY: the job's borrow outlives this call (see `Team::run`).
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| unsafe { (*job)(i + 1) }));
        if result.is_err() {
            s.panicked.store(true, Ordering::SeqCst);
        }
        s.pending.fetch_sub(1, Ordering::Release);
    }
}

impl Drop for Team {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        for h in &self.helpers {
            h.thread().unpark();
        }
        for h in self.helpers.drain(..) {
            let _ = h.join();
        }
    }
}

/// The share `worker` of `n` takes of `units` items: contiguous and balanced.
pub(crate) fn share(units: usize, worker: usize, n: usize) -> std::ops::Range<usize> {
    units * worker / n..units * (worker + 1) / n
}

/// A pointer to output that workers write at disjoint places; the caller's split guarantees
/// no two workers touch one element.
#[derive(Clone, Copy)]
pub(crate) struct SharedOut(*mut f32);

// SAFETY: see the type's contract: disjoint writes only, and `Team::run` joins before the
// buffer is read.
unsafe impl Send for SharedOut {}
unsafe impl Sync for SharedOut {}

impl SharedOut {
    pub fn new(buf: &mut [f32]) -> SharedOut {
        SharedOut(buf.as_mut_ptr())
    }

    /// # Safety
    /// `i` is inside the buffer and no other worker writes it during this region.
    pub unsafe fn write(self, i: usize, v: f32) {
        // SAFETY: per the contract.
        unsafe { *self.0.add(i) = v };
    }

    /// # Safety
    /// `start..start + len` is inside the buffer and written by this worker only.
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn slice(&self, start: usize, len: usize) -> &mut [f32] {
        // SAFETY: per the contract.
        unsafe { std::slice::from_raw_parts_mut(self.0.add(start), len) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_worker_runs_each_job_once() {
        let team = Team::new(3);
        for round in 0..200 {
            let hits: Vec<AtomicUsize> = (0..team.size()).map(|_| AtomicUsize::new(0)).collect();
            team.run(&|w| {
                hits[w].fetch_add(round + 1, Ordering::SeqCst);
            });
            assert!(hits.iter().all(|h| h.load(Ordering::SeqCst) == round + 1));
            if round == 100 {
                // Long enough for the helpers to park: they must wake for the next job.
                std::thread::sleep(SPIN * 4);
            }
        }
    }

    #[test]
    fn a_helper_panic_reaches_the_caller_and_the_team_goes_on() {
        let team = Team::new(2);
        let r = std::panic::catch_unwind(AssertUnwindSafe(|| {
            team.run(&|w| assert_ne!(w, 1, "worker 1 fails"));
        }));
        assert!(r.is_err());
        let ran = AtomicUsize::new(0);
        team.run(&|_| {
            ran.fetch_add(1, Ordering::SeqCst);
        });
        assert_eq!(ran.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn shares_cover_the_units_once() {
        for units in [0, 1, 5, 12, 49152] {
            for n in 1..4 {
                let covered: usize = (0..n).map(|w| share(units, w, n).len()).sum();
                assert_eq!(covered, units);
            }
        }
    }
}
