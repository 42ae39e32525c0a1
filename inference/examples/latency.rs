//! `cargo run -p atzinums-inference --release --example latency -- [THREADS]`: milliseconds per
//! short query (one text, about 12 tokens) with the e5 embedder.

use atzinums_inference::embed::{E5Q4Embedder, EmbedKind, Embedder};

fn main() {
    let threads: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2);
    // SAFETY: first thing in main, no other thread exists yet.
    unsafe { atzinums_inference::device::set_cpu_threads(threads) };
    let dir = atzinums_inference::setup::models_dir(&atzinums_inference::default_data_dir());
    let e5 = E5Q4Embedder::load(&dir.join("e5-small-q4.bin")).unwrap_or_else(|e| panic!("{e}"));
    let q = ["Kā apstrīdēt invaliditātes lēmumu?"];
    e5.embed(&q, EmbedKind::Query).unwrap();
    let n = 200;
    let t = std::time::Instant::now();
    for _ in 0..n {
        e5.embed(&q, EmbedKind::Query).unwrap();
    }
    let ms = t.elapsed().as_secs_f64() * 1000.0 / n as f64;
    let tokens = e5.content_ids(q[0], EmbedKind::Query).unwrap().len() + 2;
    println!("{ms:.2} ms per query of {tokens} tokens on {threads} threads");
}
