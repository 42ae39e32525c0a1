#!/usr/bin/env bash
# Compile check of the `cuda` feature on a machine without a CUDA toolkit or GPU: fetches
# NVIDIA's compiler, headers and libNVVM from the Python package registry (by name, pinned
# version and sha256), lays them out as a toolkit under ~/.cache/atzinums/cuda, and runs
# `cargo check --features cuda` on the inference crate. The build scripts compile candle's
# CUDA kernels with that nvcc, so this checks our code and candle's kernels, not a run.
# About 40 minutes on 2 cores (most of it the kernels); nothing is linked against libcuda.
set -euo pipefail
cd "$(dirname "$0")/../.."

ROOT="$HOME/.cache/atzinums/cuda"
WHEELS="$ROOT/wheels"
TOOLKIT="$ROOT/toolkit"
mkdir -p "$WHEELS"

# nvcc 13.5's wheel is the first with the nvcc driver itself (earlier ones ship only ptxas).
cat > "$WHEELS/requirements.txt" <<'EOF'
nvidia-cuda-nvcc==13.5.37 --hash=sha256:f5c4f7ead5d964fb4af42bbf1e6d3ec3c1e6e9d83b53749f691d387e7fcaa3a7
nvidia-cuda-runtime==13.5.37 --hash=sha256:df2b79a8852f10d1fef8c848489c49eebb5754051bf870202a862831412b179d
nvidia-cuda-crt==13.5.37 --hash=sha256:e898b7f73d3035fa89915a3f7bf3b54a73e90249746111aed295822c4729bb29
nvidia-nvvm==13.5.37 --hash=sha256:c41bfa362e407405163f103c2229f0765f8cc2ed7d148b754dc77f228bf7e070
nvidia-cuda-cccl==13.3.5.0.6 --hash=sha256:d5230098fa2df5021e1a00c0c4eee41797671a91119d31e892463e5ccf3ee326
EOF
python3 -m pip download --quiet --no-deps --require-hashes --dest "$WHEELS" -r "$WHEELS/requirements.txt"

if [ ! -x "$TOOLKIT/nvidia/cu13/bin/nvcc" ]; then
    rm -rf "$TOOLKIT"
    for wheel in "$WHEELS"/*.whl; do
        python3 -m zipfile -e "$wheel" "$TOOLKIT"
    done
    # Wheels do not keep the executable bit.
    chmod +x "$TOOLKIT"/nvidia/cu13/bin/* "$TOOLKIT"/nvidia/cu13/nvvm/bin/*
fi
CUDA="$TOOLKIT/nvidia/cu13"
"$CUDA/bin/nvcc" --version | tail -n 2

# cudarc 0.19 knows CUDA up to 13.4, whose driver API 13.5 keeps; compute capability 9.0 (H100,
# H200) for the kernels' architecture switches.
export PATH="$CUDA/bin:$PATH" CUDA_HOME="$CUDA" CUDA_PATH="$CUDA" CUDA_ROOT="$CUDA"
export CUDARC_CUDA_VERSION=13040 CUDA_COMPUTE_CAP="${CUDA_COMPUTE_CAP:-90}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/atzinums/target-cuda}"
cargo check --locked -p atzinums-inference --features cuda
