"""Tiny, randomly initialised translation models built in the tests: M2M100 and NLLB-200 checkpoints on disk.

Real ``M2M100ForConditionalGeneration`` weights (one layer each side, width 64) and a
real sentencepiece model trained here on the texts the test translates, saved with
``save_pretrained`` so ``--mt-model <folder>`` loads them exactly as a user's checkpoint.
The weights are drawn wide (``init_std`` 1.0): at transformers' 0.02 a random decoder
ignores its input and every text comes out the same, which would make all translated
answers one candidate.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from pathlib import Path


def _train_sentencepiece(texts: Sequence[str], vocab_size: int) -> bytes:
    import sentencepiece as spm

    buf = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(texts), model_writer=buf, vocab_size=vocab_size, model_type="bpe", character_coverage=1.0,
        bos_id=0, pad_id=1, eos_id=2, unk_id=3, hard_vocab_limit=False, minloglevel=2,
    )
    return buf.getvalue()


def build_tiny_translator(out: Path, texts: Sequence[str], family: str = "m2m100", seed: int = 0) -> Path:
    """Save a tiny ``family`` (``m2m100`` or ``nllb``) checkpoint with its tokenizer into ``out``."""
    import sentencepiece as spm
    import torch
    from transformers import M2M100Config, M2M100ForConditionalGeneration, M2M100Tokenizer, NllbTokenizer

    out.mkdir(parents=True, exist_ok=True)
    model_bytes = _train_sentencepiece(texts, vocab_size=300)
    processor = spm.SentencePieceProcessor(model_proto=model_bytes)
    pieces = {processor.id_to_piece(i): i for i in range(processor.get_piece_size())}
    if family == "m2m100":
        (out / "sentencepiece.bpe.model").write_bytes(model_bytes)
        (out / "vocab.json").write_text(json.dumps(pieces), encoding="utf-8")
        tokenizer = M2M100Tokenizer(vocab_file=str(out / "vocab.json"), spm_file=str(out / "sentencepiece.bpe.model"))
        vocab_size = len(tokenizer.encoder) + len(tokenizer.lang_token_to_id) + tokenizer.num_madeup_words
    else:
        # NLLB's tokenizer is a tokenizers BPE; with no merges it splits into the pieces' characters, enough here.
        tokenizer = NllbTokenizer(vocab=pieces, merges=[])
        vocab_size = max(tokenizer.get_vocab().values()) + 1
    config = M2M100Config(
        vocab_size=vocab_size, d_model=64, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
        decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64, max_position_embeddings=256,
        pad_token_id=1, bos_token_id=0, eos_token_id=2, decoder_start_token_id=2, init_std=1.0,
    )
    torch.manual_seed(seed)
    M2M100ForConditionalGeneration(config).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def english_rows(xquad_path: Path, articles: int = 1, max_rows: int = 24) -> list[dict[str, str]]:
    """The first ``max_rows`` English questions of XQuAD-R with their answer sentence and paragraph, as pairs rows."""
    doc = json.loads((xquad_path / "en.json").read_text(encoding="utf-8"))
    rows: list[dict[str, str]] = []
    for a_idx, article in enumerate(doc["data"][:articles]):
        for para in article["paragraphs"]:
            for qa in para["qas"]:
                start = qa["answers"][0]["answer_start"]
                sentence = next((s for s, (b, e) in zip(para["sentences"], para["sentence_breaks"]) if b <= start < e), None)
                if sentence is None:
                    continue
                rows.append({"qid": qa["id"], "lang": "en", "question": qa["question"], "answer": sentence,
                             "article": str(a_idx), "context": para["context"]})
                if len(rows) == max_rows:
                    return rows
    return rows
