"""Fidelity records: how far each regime ranks the mono ratio like full fine-tuning (``benchmarks/fidelity.py``)."""

from objectives.fidelity._records import (
    RECORD_FILE,
    FidelityRecord,
    fidelity_note,
    fidelity_of,
    fidelity_records,
    fidelity_sentence,
    fidelity_warning,
    load_records,
)

__all__ = ["RECORD_FILE", "FidelityRecord", "fidelity_note", "fidelity_of", "fidelity_records", "fidelity_sentence", "fidelity_warning",
           "load_records"]
