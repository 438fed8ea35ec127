"""The translate stage's parts: NLLB codes through the same engine, language lists, cache keys, sentences, provenance."""

from __future__ import annotations

from pathlib import Path

import pytest

from objectives.data import read_pairs_rows, write_pairs_table
from objectives.errors import ConfigError
from objectives.translation import DecodeSettings, load_engine, read_provenance, split_sentences, translate_table
from objectives.translation._cache import cache_key
from objectives.translation._languages import Language, parse_languages
from tests.translation_models import build_tiny_translator, english_rows

FAST = DecodeSettings(num_beams=1, max_length=16, batch_size=8)


@pytest.fixture(scope="module")
def rows(xquad_path: Path) -> list[dict[str, str]]:
    return english_rows(xquad_path, articles=1, max_rows=6)


@pytest.fixture(scope="module")
def nllb(tmp_path_factory: pytest.TempPathFactory, rows: list[dict[str, str]]) -> Path:
    texts = [t for r in rows for t in (r["question"], r["answer"], r["context"])]
    return build_tiny_translator(tmp_path_factory.mktemp("tiny-nllb"), texts, family="nllb")


def test_nllb_checkpoint_takes_flores_codes_and_maps_two_letter_names(nllb: Path, rows: list[dict[str, str]],
                                                                     tmp_path: Path) -> None:
    engine = load_engine(str(nllb), FAST, "cpu")
    assert engine.family == "nllb" and {"eng_Latn", "deu_Latn", "zho_Hans"} <= set(engine.language_codes())
    assert "de" not in engine.language_codes()
    source = write_pairs_table(rows, tmp_path / "en.csv")
    out = tmp_path / "parallel"  # no suffix: a save_to_disk folder
    report = translate_table(source, out, "de,zh=zho_Hant", mt_model=str(nllb), settings=FAST, device="cpu",
                             cache_dir=tmp_path / "cache", translate_context=True)
    got = read_pairs_rows(out)
    assert report.translated_rows == 2 * len(rows) and len(got) == 3 * len(rows)
    assert {r["lang"] for r in got} == {"en", "de", "zh"}
    assert all(r["context"] for r in got), "--translate-context fills the translated rows' context"
    prov = read_provenance(out)
    assert prov is not None and prov.engine == "nllb" and prov.source_code == "eng_Latn"
    assert prov.targets == {"de": "deu_Latn", "zh": "zho_Hant"} and prov.settings["translate_context"] is True
    with pytest.raises(ConfigError, match=r"de \(as xx_Latn\) unknown to .*\(nllb codes: ace_Arab, .*zul_Latn\)"):
        translate_table(source, tmp_path / "x.jsonl", "de=xx_Latn", mt_model=str(nllb), settings=FAST, device="cpu",
                        cache_dir=tmp_path / "cache")


def test_a_table_edited_after_translation_is_not_called_machine_translated(nllb: Path, rows: list[dict[str, str]],
                                                                           tmp_path: Path) -> None:
    source = write_pairs_table(rows, tmp_path / "en.jsonl")
    out = tmp_path / "parallel.jsonl"
    translate_table(source, out, "de", mt_model=str(nllb), settings=FAST, device="cpu", cache_dir=tmp_path / "cache")
    assert read_provenance(out) is not None
    edited = read_pairs_rows(out)
    edited[-1]["answer"] = "Hand-corrected."
    write_pairs_table(edited, out)
    assert read_provenance(out) is None


def test_rows_already_in_a_target_language_are_kept_not_translated(nllb: Path, rows: list[dict[str, str]],
                                                                   tmp_path: Path) -> None:
    human = {**rows[0], "lang": "de", "question": "Eine menschliche Frage?", "answer": "Eine menschliche Antwort."}
    source = write_pairs_table([*rows, human], tmp_path / "en-some-de.jsonl")
    out = tmp_path / "parallel.jsonl"
    report = translate_table(source, out, "de", mt_model=str(nllb), settings=FAST, device="cpu", cache_dir=tmp_path / "cache")
    got = read_pairs_rows(out)
    assert (report.kept_rows, report.translated_rows, len(got)) == (1, len(rows) - 1, 2 * len(rows))
    assert [r for r in got if r["qid"] == rows[0]["qid"] and r["lang"] == "de"] == [human]
    prov = read_provenance(out)
    assert prov is not None and prov.kept_rows == 1 and "1 more already in the table, kept" in prov.note()


def test_language_lists() -> None:
    assert parse_languages("de, es=spa_Latn ,", "--target-langs") == [Language("de"), Language("es", "spa_Latn")]
    assert Language("de").resolved({"de": "deu_Latn"}) == Language("de", "deu_Latn")
    assert Language("xx").resolved({"de": "deu_Latn"}) == Language("xx", "xx")
    for bad, message in ((",", "is empty"), ("de,de", "names de more than once"), ("de=", "is not a language")):
        with pytest.raises(ConfigError, match=message):
            parse_languages(bad, "--target-langs")


def test_cache_key_covers_model_pair_settings_and_text() -> None:
    base = ("f" * 64, "en", "de", {"num_beams": 5, "max_length": 200}, "Who wrote Hamlet?")
    key = cache_key(*base)
    assert key == cache_key(*base)
    changed = [("0" * 64, *base[1:]), (base[0], "es", *base[2:]), (*base[:2], "fr", *base[3:]),
               (*base[:3], {"num_beams": 4, "max_length": 200}, base[4]), (*base[:4], "Who wrote Hamlet ?")]
    assert len({cache_key(*c) for c in changed} | {key}) == 6


def test_sentences() -> None:
    assert split_sentences("It was built in 1889. Who built it?  Eiffel's firm!") == [
        "It was built in 1889.", "Who built it?", "Eiffel's firm!"]
    assert split_sentences("第一句。第二句！") == ["第一句。", "第二句！"]
    assert split_sentences("No final mark") == ["No final mark"]
