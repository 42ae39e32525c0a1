//! One loaded model shared by all requests, with a bound on how many embed at once: the CPU
//! kernels already use every configured thread, so more concurrent batches only add memory.

use std::sync::{Arc, Condvar, Mutex};

use super::{EmbedKind, Embedder};
use crate::error::InferenceError;

#[derive(Clone)]
pub struct SharedEmbedder {
    inner: Arc<dyn Embedder>,
    gate: Arc<(Mutex<usize>, Condvar)>,
    max_concurrent: usize,
}

impl SharedEmbedder {
    /// `max_concurrent` callers run at once (at least 1); others wait their turn.
    pub fn new(inner: Arc<dyn Embedder>, max_concurrent: usize) -> SharedEmbedder {
        SharedEmbedder {
            inner,
            gate: Arc::new((Mutex::new(0), Condvar::new())),
            max_concurrent: max_concurrent.max(1),
        }
    }

    pub fn inner(&self) -> &Arc<dyn Embedder> {
        &self.inner
    }
}

struct Permit<'a>(&'a (Mutex<usize>, Condvar));

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let (lock, cv) = self.0;
        *lock.lock().unwrap_or_else(|p| p.into_inner()) -= 1;
        cv.notify_one();
    }
}

impl Embedder for SharedEmbedder {
    fn dim(&self) -> usize {
        self.inner.dim()
    }

    fn embed(&self, texts: &[&str], kind: EmbedKind) -> Result<Vec<Vec<f32>>, InferenceError> {
        let (lock, cv) = &*self.gate;
        let mut running = lock.lock().unwrap_or_else(|p| p.into_inner());
        while *running >= self.max_concurrent {
            running = cv.wait(running).unwrap_or_else(|p| p.into_inner());
        }
        *running += 1;
        drop(running);
        let _permit = Permit(&self.gate);
        self.inner.embed(texts, kind)
    }

    fn model_id(&self) -> &str {
        self.inner.model_id()
    }

    fn model_sha256(&self) -> &str {
        self.inner.model_sha256()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Probe {
        now: AtomicUsize,
        peak: AtomicUsize,
    }

    impl Embedder for Probe {
        fn dim(&self) -> usize {
            1
        }
        fn embed(&self, texts: &[&str], _: EmbedKind) -> Result<Vec<Vec<f32>>, InferenceError> {
            let n = self.now.fetch_add(1, Ordering::SeqCst) + 1;
            self.peak.fetch_max(n, Ordering::SeqCst);
            std::thread::sleep(std::time::Duration::from_millis(20));
            self.now.fetch_sub(1, Ordering::SeqCst);
            Ok(texts.iter().map(|_| vec![1.0]).collect())
        }
        fn model_id(&self) -> &str {
            "probe"
        }
        fn model_sha256(&self) -> &str {
            ""
        }
    }

    #[test]
    fn concurrency_is_bounded() {
        let probe = Arc::new(Probe {
            now: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
        });
        let shared = SharedEmbedder::new(probe.clone(), 2);
        std::thread::scope(|s| {
            for _ in 0..6 {
                let e = shared.clone();
                s.spawn(move || e.embed(&["x"], EmbedKind::Query).unwrap());
            }
        });
        assert_eq!(probe.peak.load(Ordering::SeqCst), 2);
    }
}
