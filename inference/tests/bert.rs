//! all-MiniLM-L6-v2 (safetensors BERT) through the same `Embedder` trait as e5.

mod common;

use atzinums_inference::embed::{BertSafetensorsEmbedder, EmbedKind, Embedder, cosine};

#[test]
fn minilm_embeds_through_the_trait() {
    let m = BertSafetensorsEmbedder::load(&common::model_path("all-MiniLM-L6-v2")).unwrap();
    let e: &dyn Embedder = &m;
    assert_eq!(e.dim(), 384);
    assert_eq!(e.model_sha256().len(), 64);
    let texts = [
        "A man is eating food.",
        "A man is eating a piece of bread.",
        "The new movie is awesome.",
        "",
        &"Walking is difficult after the knee operation. ".repeat(80),
    ];
    let v = e.embed(&texts, EmbedKind::Passage).unwrap();
    assert_eq!(v.len(), texts.len());
    for i in [0, 1, 2, 4] {
        let norm: f32 = v[i].iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "text {i} norm {norm}");
    }
    assert!(v[3].iter().all(|&x| x == 0.0));
    let (near, far) = (cosine(&v[0], &v[1]), cosine(&v[0], &v[2]));
    eprintln!("MiniLM: similar {near:.3}, unrelated {far:.3}");
    assert!(near > 0.6 && far < 0.3, "similar {near}, unrelated {far}");
    // Symmetric model: the kind does not change the vector.
    let q = e.embed(&texts[..1], EmbedKind::Query).unwrap();
    assert!(cosine(&q[0], &v[0]) > 0.9999);
    // The long text (> 512 tokens) is windowed and still about walking.
    let walk = e
        .embed(
            &["Difficulty walking after knee surgery."],
            EmbedKind::Query,
        )
        .unwrap();
    assert!(cosine(&walk[0], &v[4]) > cosine(&walk[0], &v[2]));
}
