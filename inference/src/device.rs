//! Where models run and on how many CPU threads.

use candle_core::Device;

/// CPU unless `cuda` is compiled in and asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeviceChoice {
    #[default]
    Cpu,
    /// GPU ordinal; needs the `cuda` cargo feature.
    Cuda(usize),
}

impl DeviceChoice {
    pub fn device(self) -> Result<Device, candle_core::Error> {
        match self {
            DeviceChoice::Cpu => Ok(Device::Cpu),
            DeviceChoice::Cuda(i) => Device::new_cuda(i),
        }
    }
}

/// Caps candle's CPU worker threads (its matmul pool and rayon, which our kernels share) at `n`.
/// candle reads these variables once, when it first computes, so this must run before any model
/// is used. It also shortens how long candle's idle workers spin before sleeping (unless
/// `CANDLE_BARRIER_POOL_SPIN_LIMIT` is set): on a small machine a spinning idle worker takes a
/// core from the matmul threads (measured on 2 cores: 14 → 18–21 texts/s at batch 1).
///
/// # Safety
/// Changes the process environment: call it at the start of `main`, before any other thread
/// exists (e.g. before starting an async runtime).
pub unsafe fn set_cpu_threads(n: usize) {
    let n = n.max(1).to_string();
    // SAFETY: the caller guarantees no other thread reads or writes the environment now.
    unsafe {
        std::env::set_var("CANDLE_NUM_THREADS", &n);
        std::env::set_var("RAYON_NUM_THREADS", &n);
        if std::env::var_os("CANDLE_BARRIER_POOL_SPIN_LIMIT").is_none() {
            std::env::set_var("CANDLE_BARRIER_POOL_SPIN_LIMIT", "200");
        }
    }
}

/// The number of CPU threads candle will use (from the variables above, else the cores).
pub fn cpu_threads() -> usize {
    candle_core::utils::get_num_threads()
}
