"""Property-based: any document the loader is given either loads or raises DataError, nothing else."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from objectives import DataError
from objectives.data import load_lareqa

json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-5, 500), st.text(max_size=8))
json_any = st.recursive(json_leaf, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                           st.dictionaries(st.text(max_size=6), inner, max_size=3)), max_leaves=12)

sentence = st.text(min_size=1, max_size=12)


@st.composite
def paragraph(draw: st.DrawFn) -> dict:
    sentences = draw(st.lists(sentence, min_size=0, max_size=4))
    breaks = draw(st.one_of(
        st.just([[i * 10, i * 10 + 9] for i in range(len(sentences))]),
        st.lists(st.lists(st.integers(-3, 60), min_size=0, max_size=3), max_size=5),
        json_any,
    ))
    qas = draw(st.lists(st.fixed_dictionaries({
        "id": st.one_of(st.sampled_from(["q1", "q2", "q3"]), json_leaf),
        "question": st.one_of(st.text(max_size=10), json_leaf),
        "answers": st.one_of(st.lists(st.fixed_dictionaries({"answer_start": st.one_of(st.integers(-2, 50), json_leaf),
                                                              "text": st.text(max_size=4)}), max_size=2), json_any),
    }), max_size=3))
    para = {"context": draw(st.text(max_size=20)), "sentences": sentences, "sentence_breaks": breaks, "qas": qas}
    for key in draw(st.lists(st.sampled_from(list(para)), max_size=2)):
        para.pop(key, None)
    return para


documents = st.one_of(
    json_any,
    st.fixed_dictionaries({"data": st.lists(st.fixed_dictionaries({"paragraphs": st.lists(paragraph(), max_size=3)}), max_size=3)}),
    st.fixed_dictionaries({"data": json_any}),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(en=documents, de=documents, raw=st.binary(max_size=30))
def test_loader_loads_or_raises_data_error(tmp_path: Path, en: object, de: object, raw: bytes) -> None:
    (tmp_path / "en.json").write_text(json.dumps(en), encoding="utf-8")
    (tmp_path / "de.json").write_text(json.dumps(de), encoding="utf-8")
    (tmp_path / "zh.json").write_bytes(raw)
    for languages in (["en"], ["en", "de"], None):
        try:
            data = load_lareqa(tmp_path, languages)
        except DataError as e:
            assert "\n" not in str(e)
        else:
            assert len(data.relevance) > 0
            assert set(data.relevance["cid"]) <= set(range(len(data.candidates)))
