"""Shared fixtures: the real XQuAD-R copy and a tiny, randomly initialised BERT built here."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_XQUAD = REPO.parent / "shared" / "data" / "lareqa" / "xquad-r"


@pytest.fixture(autouse=True)
def _one_torch_thread(request: pytest.FixtureRequest) -> Iterator[None]:
    """One torch thread for the tiny model; the real encoder's tests keep torch's default.

    A 32-wide BERT gains nothing from a second thread, and on a 2-core machine with
    anything else running OpenMP's spin-waiting made a 3-step fine-tune 40x slower
    (5.9 s against 0.14 s). The CLI runs in tests get ``--threads 1`` for the same reason.
    """
    import torch

    before = torch.get_num_threads()
    if request.node.get_closest_marker("default_encoder") is None:
        torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


#: Workers for ``-n auto`` (pyproject addopts): one per core, at most this many. Each holds
#: torch and its own tiny model and study fixtures, and many tests start CLI processes of their own.
MAX_WORKERS = 4


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    return max(1, min(MAX_WORKERS, os.cpu_count() or 1))


def xquad_dir() -> Path:
    env = os.environ.get("SWEEP_DATA_DIR")
    if env:
        candidate = Path(env)
        for path in (candidate, candidate / "xquad-r"):
            if (path / "en.json").is_file():
                return path
    return SHARED_XQUAD


@pytest.fixture(scope="session")
def xquad_path() -> Path:
    path = xquad_dir()
    if not (path / "en.json").is_file():
        pytest.fail(f"XQuAD-R not found at {path}: set SWEEP_DATA_DIR to a folder holding xquad-r/ (see docs/data.md)")
    return path


def build_tiny_model(out: Path, texts: list[str], layers: int = 3, seed: int = 0) -> Path:
    """A real BERT (random weights) with a WordPiece tokenizer trained on ``texts``."""
    import torch
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True, strip_accents=False)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok.train_from_iterator(texts, trainers.WordPieceTrainer(vocab_size=2000, special_tokens=specials))
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    tok.decoder = decoders.WordPiece()
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="[PAD]", unk_token="[UNK]", cls_token="[CLS]",
        sep_token="[SEP]", mask_token="[MASK]", model_max_length=128,
    )
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=tok.get_vocab_size(), hidden_size=32, num_hidden_layers=layers,
        num_attention_heads=2, intermediate_size=64, max_position_embeddings=128, pad_token_id=0,
    )
    BertModel(config, add_pooling_layer=False).save_pretrained(out)
    fast.save_pretrained(out)
    return out


def _sample_texts(root: Path) -> list[str]:
    texts: list[str] = []
    for file in sorted(root.glob("*.json")):
        doc = json.loads(file.read_text(encoding="utf-8"))
        for article in doc["data"][:6]:
            for para in article["paragraphs"]:
                texts.append(para["context"])
                texts.extend(qa["question"] for qa in para["qas"])
    return texts


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory, xquad_path: Path) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny-bert"), _sample_texts(xquad_path))


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    """A folder in which no file can be created: mode 0o555, or, where that binds no one (root), sysfs.

    Root ignores permission bits, so the tests' own user decides which one it gets; sysfs
    refuses a regular file even to root. Either way the command under test meets a real
    refusal from the kernel, not a mocked one.
    """
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    probe = folder / "probe"
    try:
        probe.touch()
    except OSError:
        yield folder
    else:
        probe.unlink()
        yield Path("/sys/kernel")
    finally:
        folder.chmod(0o755)
