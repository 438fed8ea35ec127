#!/usr/bin/env bash
# Wheels the GPU image lacks (its Python is 3.12; it has torch, numpy, pandas, pyarrow, tokenizers,
# huggingface-hub, safetensors, tqdm, pyyaml, matplotlib, pytest), pinned to what this project runs
# with here, into the git-ignored .whl/ that travels with `carry`. faiss-cpu stays behind: the
# metrics never import it.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .whl
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 --platform manylinux1_x86_64 -d .whl \
    optuna==5.0.0 sqlalchemy==2.1.9 alembic==1.20.1 mako==1.4.3 colorlog==6.12.0 \
    pydantic==2.13.4 pydantic-core==2.46.4 annotated-types==0.7.0 typing-inspection==0.4.2 \
    datasets==5.2.0 dill==0.4.1 multiprocess==0.70.19 transformers==5.24.0
du -sh .whl
