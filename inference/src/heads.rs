//! Small trained heads on top of embeddings: a softmax classifier (multinomial logistic
//! regression) trained with candle-nn, saved as safetensors beside a JSON card that records what
//! it was trained on (the SHA-256 of its training examples), and loaded like any model file.
//!
//! Training is full-batch and seeded, so the same examples give the same weights bit for bit on
//! one machine: a head is reproducible from its recorded training-data hash.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor, Var};
use candle_nn::Optimizer;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{InferenceError, ModelError};

const CARD_FORMAT: &str = "atzinums-head/1";

/// What a head was trained on and how; stored as `<name>.json` beside `<name>.safetensors`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeadCard {
    pub format: String,
    /// What the head predicts, e.g. "functioning-level".
    pub task: String,
    /// The class names, in output order.
    pub labels: Vec<String>,
    /// The embedder whose vectors the head reads (a head is meaningless on another's).
    pub embedder: String,
    pub input_dim: usize,
    /// SHA-256 over the training examples (label as u32 LE, then the vector as f32 LE).
    pub training_data_sha256: String,
    /// Where the examples came from (e.g. the archive folder's manifest hash); free text.
    pub training_source: String,
    pub examples: usize,
    pub epochs: usize,
    pub train_accuracy: f64,
    /// SHA-256 of the safetensors file, checked at load.
    pub weights_sha256: String,
}

/// How to train.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    pub epochs: usize,
    pub learning_rate: f64,
    /// L2 penalty on the weights (not the bias).
    pub weight_decay: f64,
    /// Examples of each class weigh inversely to the class's frequency, so a rare level is not
    /// drowned by a common one.
    pub balance_classes: bool,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            epochs: 300,
            learning_rate: 0.05,
            weight_decay: 1e-4,
            balance_classes: true,
        }
    }
}

/// A trained softmax classifier over embeddings.
#[derive(Debug, Clone)]
pub struct LinearHead {
    /// `[classes, dim]`.
    weight: Tensor,
    /// `[classes]`.
    bias: Tensor,
    card: HeadCard,
}

/// A class and its probability.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prediction {
    pub class: usize,
    pub probability: f32,
}

impl LinearHead {
    /// Trains on `inputs[i]` labelled `targets[i]` (indices into `labels`).
    pub fn train(
        task: &str,
        embedder: &str,
        labels: &[&str],
        inputs: &[Vec<f32>],
        targets: &[usize],
        training_source: &str,
        options: &TrainOptions,
    ) -> Result<Self, InferenceError> {
        let dim = inputs.first().map_or(0, Vec::len);
        let classes = labels.len();
        let bad = |reason: String| InferenceError::Training(reason);
        if inputs.is_empty() || inputs.len() != targets.len() {
            return Err(bad(format!(
                "{} inputs and {} targets: need the same, non-zero number",
                inputs.len(),
                targets.len()
            )));
        }
        if dim == 0 || inputs.iter().any(|x| x.len() != dim) {
            return Err(bad(
                "inputs must all have the same non-zero dimension".into()
            ));
        }
        if let Some(t) = targets.iter().find(|&&t| t >= classes) {
            return Err(bad(format!("target {t} is not one of {classes} classes")));
        }
        let device = Device::Cpu;
        let n = inputs.len();
        let flat: Vec<f32> = inputs.iter().flatten().copied().collect();
        let x = Tensor::from_vec(flat, (n, dim), &device)?;
        let y: Vec<u32> = targets.iter().map(|&t| t as u32).collect();
        let y = Tensor::from_vec(y, n, &device)?;
        let mut counts = vec![0usize; classes];
        for &t in targets {
            counts[t] += 1;
        }
        let example_weight: Vec<f32> = targets
            .iter()
            .map(|&t| {
                if options.balance_classes {
                    n as f32 / (classes as f32 * counts[t] as f32)
                } else {
                    1.0
                }
            })
            .collect();
        let example_weight = Tensor::from_vec(example_weight, n, &device)?;
        let w = Var::from_tensor(&Tensor::zeros((classes, dim), DType::F32, &device)?)?;
        let b = Var::from_tensor(&Tensor::zeros(classes, DType::F32, &device)?)?;
        let mut optimizer = candle_nn::AdamW::new(
            vec![w.clone(), b.clone()],
            candle_nn::ParamsAdamW {
                lr: options.learning_rate,
                weight_decay: 0.0,
                ..Default::default()
            },
        )?;
        for _ in 0..options.epochs {
            let logits = x
                .matmul(&w.as_tensor().t()?)?
                .broadcast_add(b.as_tensor())?;
            let log_p = candle_nn::ops::log_softmax(&logits, 1)?;
            let picked = log_p.gather(&y.unsqueeze(1)?, 1)?.squeeze(1)?;
            let nll = (picked * &example_weight)?.neg()?.mean_all()?;
            let l2 = (w.as_tensor().sqr()?.sum_all()? * options.weight_decay)?;
            optimizer.backward_step(&(nll + l2)?)?;
        }
        let (weight, bias) = (w.as_tensor().clone(), b.as_tensor().clone());
        let predicted = x
            .matmul(&weight.t()?)?
            .broadcast_add(&bias)?
            .argmax(1)?
            .to_vec1::<u32>()?;
        let right = predicted
            .iter()
            .zip(targets)
            .filter(|(p, t)| **p as usize == **t)
            .count();
        let card = HeadCard {
            format: CARD_FORMAT.into(),
            task: task.into(),
            labels: labels.iter().map(|l| l.to_string()).collect(),
            embedder: embedder.into(),
            input_dim: dim,
            training_data_sha256: training_data_sha256(inputs, targets),
            training_source: training_source.into(),
            examples: n,
            epochs: options.epochs,
            train_accuracy: right as f64 / n as f64,
            weights_sha256: String::new(),
        };
        Ok(Self { weight, bias, card })
    }

    pub fn card(&self) -> &HeadCard {
        &self.card
    }

    /// Class probabilities for each input, in label order.
    pub fn probabilities(&self, inputs: &[Vec<f32>]) -> Result<Vec<Vec<f32>>, InferenceError> {
        if inputs.is_empty() {
            return Ok(Vec::new());
        }
        let dim = self.card.input_dim;
        if let Some(x) = inputs.iter().find(|x| x.len() != dim) {
            return Err(InferenceError::Training(format!(
                "input of dimension {} given to a head trained on {dim}",
                x.len()
            )));
        }
        let flat: Vec<f32> = inputs.iter().flatten().copied().collect();
        let x = Tensor::from_vec(flat, (inputs.len(), dim), &Device::Cpu)?;
        let logits = x.matmul(&self.weight.t()?)?.broadcast_add(&self.bias)?;
        Ok(candle_nn::ops::softmax(&logits, 1)?.to_vec2::<f32>()?)
    }

    /// The most probable class of each input.
    pub fn predict(&self, inputs: &[Vec<f32>]) -> Result<Vec<Prediction>, InferenceError> {
        Ok(self
            .probabilities(inputs)?
            .into_iter()
            .map(|p| {
                let (class, probability) =
                    p.iter()
                        .copied()
                        .enumerate()
                        .fold(
                            (0, f32::MIN),
                            |best, (i, v)| if v > best.1 { (i, v) } else { best },
                        );
                Prediction { class, probability }
            })
            .collect())
    }

    /// Writes `<dir>/<name>.safetensors` and `<dir>/<name>.json`.
    pub fn save(&mut self, dir: &Path, name: &str) -> Result<PathBuf, InferenceError> {
        let (weights_path, card_path) = paths(dir, name);
        let io = |path: &Path, source| ModelError::Io {
            path: path.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        let tensors = HashMap::from([
            ("weight".to_string(), self.weight.clone()),
            ("bias".to_string(), self.bias.clone()),
        ]);
        candle_core::safetensors::save(&tensors, &weights_path)?;
        let bytes = std::fs::read(&weights_path).map_err(|e| io(&weights_path, e))?;
        self.card.weights_sha256 = hex::encode(Sha256::digest(&bytes));
        let card = serde_json::to_vec_pretty(&self.card).expect("a card serialises");
        std::fs::write(&card_path, card).map_err(|e| io(&card_path, e))?;
        Ok(weights_path)
    }

    /// Loads a head saved by [`LinearHead::save`], checking its weights against its card.
    pub fn load(dir: &Path, name: &str) -> Result<Self, InferenceError> {
        let (weights_path, card_path) = paths(dir, name);
        let read = |path: &Path| {
            std::fs::read(path).map_err(|source| match source.kind() {
                std::io::ErrorKind::NotFound => ModelError::Missing {
                    path: path.to_path_buf(),
                },
                _ => ModelError::Io {
                    path: path.to_path_buf(),
                    source,
                },
            })
        };
        Self::from_bytes(&read(&card_path)?, &read(&weights_path)?, &weights_path)
    }

    /// A head from its card and safetensors bytes (`origin` names them in errors).
    pub fn from_bytes(card: &[u8], weights: &[u8], origin: &Path) -> Result<Self, InferenceError> {
        let malformed = |reason: String| ModelError::Malformed {
            path: origin.to_path_buf(),
            reason,
        };
        let card: HeadCard =
            serde_json::from_slice(card).map_err(|e| malformed(format!("card: {e}")))?;
        if card.format != CARD_FORMAT {
            return Err(malformed(format!("card format {:?}", card.format)).into());
        }
        if hex::encode(Sha256::digest(weights)) != card.weights_sha256 {
            return Err(ModelError::Tampered {
                path: origin.to_path_buf(),
            }
            .into());
        }
        let mut tensors = candle_core::safetensors::load_buffer(weights, &Device::Cpu)
            .map_err(|e| malformed(e.to_string()))?;
        let mut take = |key: &str, shape: &[usize]| {
            tensors
                .remove(key)
                .filter(|t| t.dims() == shape)
                .ok_or_else(|| malformed(format!("{key} missing or misshapen")))
        };
        let weight = take("weight", &[card.labels.len(), card.input_dim])?;
        let bias = take("bias", &[card.labels.len()])?;
        Ok(Self { weight, bias, card })
    }
}

fn paths(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    (
        dir.join(format!("{name}.safetensors")),
        dir.join(format!("{name}.json")),
    )
}

/// SHA-256 over the examples: label (u32 LE) then the vector (f32 LE), example by example.
pub fn training_data_sha256(inputs: &[Vec<f32>], targets: &[usize]) -> String {
    let mut h = Sha256::new();
    for (x, &t) in inputs.iter().zip(targets) {
        h.update((t as u32).to_le_bytes());
        for v in x {
            h.update(v.to_le_bytes());
        }
    }
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two Gaussian-ish clusters per class in 8 dimensions, from a fixed generator.
    fn toy(n: usize) -> (Vec<Vec<f32>>, Vec<usize>) {
        let mut s = 0x9e37_79b9_u64;
        let mut noise = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s % 1000) as f32 / 1000.0 - 0.5
        };
        let mut xs = Vec::new();
        let mut ys = Vec::new();
        for i in 0..n {
            let class = i % 3;
            let x: Vec<f32> = (0..8)
                .map(|d| if d == class * 2 { 1.0 } else { 0.0 } + 0.6 * noise())
                .collect();
            xs.push(x);
            ys.push(class);
        }
        (xs, ys)
    }

    /// A head over the toy classes "a", "b", "c".
    fn train_toy(xs: &[Vec<f32>], ys: &[usize], options: &TrainOptions) -> LinearHead {
        LinearHead::train(
            "toy",
            "none",
            &["a", "b", "c"],
            xs,
            ys,
            "unit test",
            options,
        )
        .unwrap()
    }

    #[test]
    fn learns_separable_classes_and_round_trips_with_its_card() {
        let (xs, ys) = toy(300);
        let mut head = train_toy(&xs, &ys, &TrainOptions::default());
        assert!(head.card().train_accuracy > 0.95, "{:?}", head.card());
        let dir = tempfile::tempdir().unwrap();
        head.save(dir.path(), "toy").unwrap();
        let loaded = LinearHead::load(dir.path(), "toy").unwrap();
        assert_eq!(loaded.card(), head.card());
        let (test_x, test_y) = toy(30);
        let right = loaded
            .predict(&test_x)
            .unwrap()
            .iter()
            .zip(&test_y)
            .filter(|(p, y)| p.class == **y)
            .count();
        assert!(right >= 27, "{right}/30");
        assert_eq!(
            loaded.card().training_data_sha256,
            training_data_sha256(&xs, &ys)
        );
        // Same examples, same weights.
        let again = train_toy(&xs, &ys, &TrainOptions::default());
        assert_eq!(
            again.weight.to_vec2::<f32>().unwrap(),
            head.weight.to_vec2::<f32>().unwrap()
        );
    }

    #[test]
    fn tampered_or_missing_weights_are_refused_by_name() {
        let (xs, ys) = toy(30);
        let mut head = train_toy(
            &xs,
            &ys,
            &TrainOptions {
                epochs: 5,
                ..TrainOptions::default()
            },
        );
        let dir = tempfile::tempdir().unwrap();
        let path = head.save(dir.path(), "toy").unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&path, bytes).unwrap();
        let err = LinearHead::load(dir.path(), "toy").unwrap_err().to_string();
        assert!(
            err.contains("toy.safetensors") && err.contains("atzinums setup"),
            "{err}"
        );
        let err = LinearHead::load(dir.path(), "absent")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("absent.json") && err.contains("missing"),
            "{err}"
        );
    }

    #[test]
    fn bad_training_input_is_an_error() {
        let err = LinearHead::train(
            "toy",
            "none",
            &["a"],
            &[vec![1.0]],
            &[3],
            "",
            &TrainOptions::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("target 3"), "{err}");
    }
}
