"""Machine translation of pairs tables: English-only (or few-language) QA pairs into a parallel training set.

``translate_table`` is the stage ``python -m sweep.translate`` runs: transformers' M2M100
or NLLB-200 (``M2M100ForConditionalGeneration``), or Debian's Apertium, behind one small
interface (:class:`Engine`); translations are cached on disk per text; the table's
provenance goes in a sidecar that a study's summary quotes (``translation_note``).
Names load on first use, so importing this package loads no torch.
"""

from objectives.lazy import lazy_exports

_LAZY = {
    "APERTIUM": "objectives.translation._engine",
    "DEFAULT_MT_MODEL": "objectives.translation._engine",
    "DecodeSettings": "objectives.translation._settings",
    "Engine": "objectives.translation._engine",
    "load_engine": "objectives.translation._engine",
    "ApertiumEngine": "objectives.translation._apertium",
    "M2M100Engine": "objectives.translation._m2m100",
    "APERTIUM_CODES": "objectives.translation._languages",
    "NLLB_CODES": "objectives.translation._languages",
    "CACHE_FILE": "objectives.translation._stage",
    "TranslateReport": "objectives.translation._stage",
    "split_sentences": "objectives.translation._stage",
    "translate_table": "objectives.translation._stage",
    "Provenance": "objectives.translation._provenance",
    "read_provenance": "objectives.translation._provenance",
    "sidecar_path": "objectives.translation._provenance",
    "translation_note": "objectives.translation._provenance",
}

__all__ = [
    "APERTIUM",
    "APERTIUM_CODES",
    "ApertiumEngine",
    "CACHE_FILE",
    "DEFAULT_MT_MODEL",
    "NLLB_CODES",
    "DecodeSettings",
    "M2M100Engine",
    "Engine",
    "Provenance",
    "TranslateReport",
    "load_engine",
    "read_provenance",
    "sidecar_path",
    "split_sentences",
    "translate_table",
    "translation_note",
]

__getattr__ = lazy_exports(__name__, _LAZY)
