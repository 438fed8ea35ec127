"""Encoder behaviour on the tiny random BERT from ``tests/conftest.py``."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from objectives.encoder import Encoder, load_encoder, mean_pool, model_fingerprint
from objectives.errors import ConfigError, ModelError
from tests.conftest import _sample_texts, build_tiny_model

TEXTS = [
    "Where is the Eiffel tower?",
    "The Panthers defense gave up just 308 points, ranking sixth in the league, while also leading the NFL.",
    "Berlin",
    "Wie viele Punkte hat die Verteidigung der Panthers zugelassen, und wer war der beste Spieler der Saison?",
    "a",
    "The quick brown fox jumps over the lazy dog near the river bank in the morning.",
    "",
]


@pytest.fixture(scope="module")
def tiny(tiny_model_dir: Path) -> Encoder:
    return load_encoder(str(tiny_model_dir))


def test_encode_returns_unit_float32_rows(tiny: Encoder) -> None:
    vectors = tiny.encode(TEXTS, "passage")
    assert vectors.shape == (len(TEXTS), tiny.dim) == (len(TEXTS), 32)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_length_sorted_batches_come_back_in_input_order(tiny: Encoder) -> None:
    batched = tiny.encode(TEXTS, "query", batch_size=3)
    singles = np.stack([tiny.encode([text], "query")[0] for text in TEXTS])
    np.testing.assert_allclose(batched, singles, atol=1e-5)


def test_prefixes_change_the_embedding(tiny_model_dir: Path, tiny: Encoder) -> None:
    bare = load_encoder(str(tiny_model_dir), query_prefix="", passage_prefix="")
    assert tiny.tokenize(["Berlin"], "query") != bare.tokenize(["Berlin"], "query")
    with_prefix = tiny.encode(TEXTS[:3], "query")
    without = bare.encode(TEXTS[:3], "query")
    assert np.abs(with_prefix - without).max() > 1e-3
    assert np.abs(tiny.encode(TEXTS[:3], "passage") - with_prefix).max() > 1e-3


def test_tokenize_prefixes_and_truncates(tiny_model_dir: Path) -> None:
    short = load_encoder(str(tiny_model_dir), max_length=8)
    ids = short.tokenize(TEXTS, "passage")
    assert max(len(row) for row in ids) == 8
    sep, cls = short.tokenizer.sep_token_id, short.tokenizer.cls_token_id
    assert all(row[0] == cls and row[-1] == sep for row in ids)
    prefix_ids = short.tokenizer("passage:", add_special_tokens=False)["input_ids"]
    assert ids[2][1 : 1 + len(prefix_ids)] == prefix_ids


def test_empty_input_gives_an_empty_matrix(tiny: Encoder) -> None:
    assert tiny.encode([], "query").shape == (0, tiny.dim)


def test_unknown_kind_is_rejected(tiny: Encoder) -> None:
    with pytest.raises(ValueError, match="kind must be"):
        tiny.encode(["x"], "document")  # type: ignore[arg-type]


def test_progress_bar_goes_to_stderr(tiny: Encoder, capsys: pytest.CaptureFixture[str]) -> None:
    tiny.encode(TEXTS, "passage", batch_size=2, progress=True)
    assert "encode passage" in capsys.readouterr().err


def test_mean_pool_ignores_padding() -> None:
    hidden = torch.tensor([[[3.0, 4.0], [100.0, -7.0]], [[1.0, 0.0], [0.0, 1.0]]])
    mask = torch.tensor([[1, 0], [1, 1]])
    pooled = mean_pool(hidden, mask)
    expected = torch.tensor([[0.6, 0.8], [2**-0.5, 2**-0.5]])
    torch.testing.assert_close(pooled, expected)


def test_max_length_defaults_to_the_model_limit_when_smaller(tiny: Encoder) -> None:
    assert tiny.max_length == 128  # tiny BERT: 128 positions, below the 256 default


def test_max_length_beyond_the_model_limit_is_a_config_error(tiny_model_dir: Path) -> None:
    with pytest.raises(ConfigError, match="exceeds the model's limit of 128"):
        load_encoder(str(tiny_model_dir), max_length=1000)


def _one_line(exc: pytest.ExceptionInfo[ModelError]) -> str:
    message = str(exc.value)
    assert "\n" not in message
    return message


def test_missing_directory_is_a_one_line_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as exc:
        load_encoder(str(tmp_path / "no-such-model"))
    message = _one_line(exc)
    assert "not found" in message and "local directory" in message


def test_hub_id_absent_from_the_cache_is_a_one_line_model_error() -> None:
    with pytest.raises(ModelError) as exc:
        load_encoder("nobody-xyz/no-such-encoder")
    assert "'nobody-xyz/no-such-encoder' not found" in _one_line(exc)


def test_directory_without_config_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as exc:
        load_encoder(str(tmp_path))
    assert "config.json" in _one_line(exc)


def test_model_without_tokenizer_is_a_one_line_model_error(tiny_model_dir: Path, tmp_path: Path) -> None:
    bare = tmp_path / "bare"
    bare.mkdir()
    for name in ("config.json", "model.safetensors"):
        shutil.copy(tiny_model_dir / name, bare / name)
    with pytest.raises(ModelError) as exc:
        load_encoder(str(bare))
    assert "no tokenizer files" in _one_line(exc)


def test_checkpoint_pooler_is_not_invented(tiny: Encoder) -> None:
    # The fixture saves no pooler; a random one would make the fingerprint unstable.
    assert tiny.model.pooler is None


def test_fingerprint_is_stable_and_tracks_the_weights(
    tiny_model_dir: Path, tiny: Encoder, tmp_path: Path, xquad_path: Path
) -> None:
    again = load_encoder(str(tiny_model_dir))
    assert again.fingerprint == tiny.fingerprint
    tiny.encode(TEXTS, "query")  # encoding sets tokenizer truncation state; must not matter
    assert model_fingerprint(tiny.model, tiny.tokenizer) == again.fingerprint
    # Same tokenizer as the fixture, different random weights.
    other = build_tiny_model(tmp_path / "other", _sample_texts(xquad_path), seed=1)
    assert load_encoder(str(other)).fingerprint != tiny.fingerprint


def test_threads_argument_sets_torch_threads(tiny_model_dir: Path) -> None:
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(3)
        load_encoder(str(tiny_model_dir), threads=2)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_unloadable_directory_names_the_cause_on_one_line(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{"model_type": "no-such-architecture"}')
    (tmp_path / "tokenizer_config.json").write_text("{}")
    with pytest.raises(ModelError) as exc:
        load_encoder(str(tmp_path))
    assert "could not be loaded" in _one_line(exc)
