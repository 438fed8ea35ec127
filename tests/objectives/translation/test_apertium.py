"""The Apertium backend with Debian's English-Spanish pair: real translations through the same stage.

Skipped only where ``apertium`` or its ``eng-spa`` mode is not installed; ``.ci/run``
installs both (apt-get install apertium apertium-en-es), so CI runs these.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from objectives.data import read_pairs_rows, write_pairs_table
from objectives.errors import ConfigError
from objectives.translation import DecodeSettings, load_engine, read_provenance, translate_table


def _has_eng_spa() -> bool:
    if shutil.which("apertium") is None:
        return False
    listed = subprocess.run(["apertium", "-l"], capture_output=True, text=True, check=False)
    return "eng-spa" in (listed.stdout + listed.stderr).split()


pytestmark = pytest.mark.skipif(not _has_eng_spa(), reason="apertium with the eng-spa pair is not installed "
                                "(apt-get install apertium apertium-en-es)")

ROWS = [
    {"qid": "q1", "lang": "en", "question": "Where is the library?", "answer": "The library is next to the station."},
    {"qid": "q2", "lang": "en", "question": "Who wrote the book?", "answer": "The book was written by a teacher."},
    {"qid": "q3", "lang": "en", "question": "What colour is the house?", "answer": "The house is white."},
]


def test_english_to_spanish_end_to_end(tmp_path: Path) -> None:
    source = write_pairs_table(ROWS, tmp_path / "en.jsonl")
    out = tmp_path / "en-es.csv"
    report = translate_table(source, out, "es", mt_model="apertium", cache_dir=tmp_path / "cache")
    es = [r for r in read_pairs_rows(out) if r["lang"] == "es"]
    assert [r["qid"] for r in es] == ["q1", "q2", "q3"]
    text = " ".join(f"{r['question']} {r['answer']}" for r in es).lower()
    for word in ("dónde", "biblioteca", "libro", "profesor", "casa", "blanca"):
        assert word in text, text
    assert "library" not in text and "*" not in text
    prov = read_provenance(out)
    assert prov is not None and prov.engine == "apertium" and prov.targets == {"es": "spa"} and prov.source_code == "eng"
    assert report.new == 6 and report.from_cache == 0
    again = translate_table(source, tmp_path / "again.csv", "es", mt_model="apertium", cache_dir=tmp_path / "cache")
    assert (again.new, again.from_cache) == (0, 6)


def test_a_text_translates_the_same_alone_and_in_any_batch() -> None:
    engine = load_engine("apertium", DecodeSettings())
    # Neighbours changed these two when texts were only separated by blank lines (the tagger's context crossed them).
    texts = ["Before Rollo's arrival, its populations did not differ from Picardy or the Ile-de-France.",
             "Who was the leader when the Franks entered the Euphrates valley?",
             "Two\n\nparagraphs in one text.", "Price: $5 [approx] a/b <tag> {x} ^c @d \\ e.", "A dog?"]
    batch = engine.translate(texts, "eng", "spa")
    assert batch == [engine.translate([t], "eng", "spa")[0] for t in texts]
    assert engine.translate(texts[::-1], "eng", "spa") == batch[::-1]
    assert "$5 [approx]" in batch[3] and "<" in batch[3] and "\\" in batch[3] and "perro" in batch[4].lower()
    assert load_engine("apertium", DecodeSettings()).fingerprint == engine.fingerprint


def test_a_language_without_an_installed_pair_is_refused(tmp_path: Path) -> None:
    source = write_pairs_table(ROWS, tmp_path / "en.jsonl")
    with pytest.raises(ConfigError, match=r"fr \(as fra\) unknown to apertium \(apertium codes: .*eng, .*spa"):
        translate_table(source, tmp_path / "out.jsonl", "fr", mt_model="apertium", cache_dir=tmp_path / "cache")
    assert not (tmp_path / "out.jsonl").exists()
