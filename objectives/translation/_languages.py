"""Language codes: the table's names against each engine family's codes.

A pairs table names languages as its ``lang`` column does (XQuAD-R: ``en``, ``de``,
``zh``, ...). M2M100 takes ISO 639-1 codes, the same names; NLLB-200 takes FLORES-200
codes (``deu_Latn``); Apertium names a pair by ISO 639-3 codes (``eng-spa``). A language
given as ``name=code`` is written to the table as ``name`` and translated with ``code``;
a bare ``name`` is looked up in the family's map below, else used as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from objectives.errors import ConfigError

__all__ = ["APERTIUM_CODES", "NLLB_CODES", "Language", "parse_languages"]

#: ISO 639-1 -> FLORES-200 for XQuAD-R's languages and a few common others (NLLB's codes are longer).
NLLB_CODES: dict[str, str] = {
    "ar": "arb_Arab", "de": "deu_Latn", "el": "ell_Grek", "en": "eng_Latn", "es": "spa_Latn", "hi": "hin_Deva",
    "ru": "rus_Cyrl", "th": "tha_Thai", "tr": "tur_Latn", "vi": "vie_Latn", "zh": "zho_Hans", "fr": "fra_Latn",
    "it": "ita_Latn", "pt": "por_Latn", "ja": "jpn_Jpan", "ko": "kor_Hang", "nl": "nld_Latn", "pl": "pol_Latn",
}

#: ISO 639-1 -> ISO 639-3 as Apertium's pair names spell them.
APERTIUM_CODES: dict[str, str] = {
    "en": "eng", "es": "spa", "ca": "cat", "fr": "fra", "pt": "por", "it": "ita", "gl": "glg", "eu": "eus",
    "ro": "ron", "oc": "oci", "eo": "epo", "de": "deu", "nl": "nld", "an": "arg", "ast": "ast",
}


@dataclass(frozen=True)
class Language:
    """A language as the table names it (``name``) and as the engine does (``code``; None: from the family's map)."""

    name: str
    code: str | None = None

    def resolved(self, defaults: dict[str, str]) -> Language:
        """With its code: the one given, else ``defaults[name]``, else the name itself."""
        return Language(self.name, self.code or defaults.get(self.name, self.name))


def parse_languages(text: str, flag: str) -> list[Language]:
    """``"de,es=spa_Latn"`` as languages; a bare name's code is resolved once the engine is known.

    Raises:
        ConfigError: an empty list, an empty name or code, or a name given twice.
    """
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise ConfigError(f"{flag} is empty: name at least one language, e.g. {flag} de,es")
    out: list[Language] = []
    for item in items:
        name, eq, code = (part.strip() for part in item.partition("="))
        if not name or (eq and not code):
            raise ConfigError(f"{flag}: {item!r} is not a language: write a code such as de, or table_name=model_code "
                              "such as de=deu_Latn")
        out.append(Language(name, code or None))
    names = [lang.name for lang in out]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ConfigError(f"{flag} names {', '.join(twice)} more than once: name each language once")
    return out
