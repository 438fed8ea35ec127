"""``python -m sweep.translate``: machine-translate a pairs table into a parallel one for ``sweep.run --train-data``."""

from __future__ import annotations

import argparse
import logging
import sys

from sweep._cli import main_guard, setup_logging

__all__ = ["build_parser", "main"]

_DESCRIPTION = """\
Translate the source-language rows of a pairs table (columns qid, lang, question, answer,
optional article and context) into each target language and write one parallel table:
the input rows plus one translated row per target language with the same qid. Train on
it with: python -m sweep.run --train-data OUT.

Language codes depend on the model family. M2M100 (facebook/m2m100_418M, m2m100_1.2B):
ISO 639-1 codes, en de es zh ... (100 languages), the same names XQuAD-R's tables use.
NLLB-200 (facebook/nllb-200-distilled-600M, ...): FLORES-200 codes such as eng_Latn,
deu_Latn, zho_Hans; the two-letter names ar de el en es hi ru th tr vi zh fr it pt ja ko
nl pl are mapped to them. apertium: the installed pairs (apt-get install apertium
apertium-en-es gives en-es and es-en). Write name=code to keep the table's name and
translate with another code, e.g. --target-langs de=deu_Latn.

Translations are cached per text under the cache folder: a killed run resumes where it
stopped, and a rerun translates nothing."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sweep.translate", description=_DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("table", help="the pairs table to translate (.jsonl, .json, .csv, .parquet, or a save_to_disk folder)")
    parser.add_argument("--out", required=True, help="the parallel table to write, in the same formats as --data (by its suffix; "
                        "no suffix: a save_to_disk folder); written atomically, provenance in OUT.translation.json")
    parser.add_argument("--target-langs", required=True, help="comma-separated languages to translate into, e.g. de,es,zh")
    parser.add_argument("--source-lang", default="en", help="the table's language to translate from (default en)")
    parser.add_argument("--mt-model", default=None, help="an M2M100 or NLLB-200 checkpoint: a local folder, or a Hugging Face "
                        "name in the local cache or downloadable from here (default facebook/m2m100_418M); or apertium")
    parser.add_argument("--num-beams", type=int, default=5, help="beam size (default 5, as fairseq decodes M2M100)")
    parser.add_argument("--max-length", type=int, default=200,
                        help="token limit of a source text and of its translation (default 200, M2M100's)")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="texts per batch; batches are sorted by length (default 16 for M2M100 and NLLB, 512 for apertium)")
    parser.add_argument("--translate-context", action="store_true",
                        help="also translate the context column, sentence by sentence (costly; off: translated rows "
                        "have no context)")
    parser.add_argument("--device", default="auto", help="auto (default: cuda when torch sees a GPU, else cpu), cpu, cuda or cuda:N "
                        "(one device)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    parser.add_argument("--cache-dir", default=None,
                        help="cache folder of the translations (default SWEEP_CACHE_DIR or ~/.cache/xling-sweep)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar or closing line")
    parser.add_argument("--verbose", action="store_true", help="log what happens")
    return parser


@main_guard
def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    setup_logging(args.verbose)
    # A hub download that fails logs each retry; the one error line says what happened.
    logging.getLogger("huggingface_hub").setLevel(logging.INFO if args.verbose else logging.ERROR)
    from objectives.errors import ConfigError
    from objectives.regimes import unsupported_device

    if (reason := unsupported_device(args.device)) is not None:
        raise ConfigError(reason)
    if "," in args.device:
        raise ConfigError(f"--device {args.device}: translation runs in one process on one device; name one, e.g. "
                          f"--device {args.device.split(',')[0].strip()}")
    if args.threads is not None:
        if args.threads < 1:
            raise ConfigError(f"--threads must be at least 1 (got {args.threads})")
        import torch

        torch.set_num_threads(args.threads)
    from objectives.translation import DEFAULT_MT_MODEL, DecodeSettings, translate_table

    settings = DecodeSettings(num_beams=args.num_beams, max_length=args.max_length, batch_size=args.batch_size)
    report = translate_table(args.table, args.out, args.target_langs, source_lang=args.source_lang,
                             mt_model=args.mt_model or DEFAULT_MT_MODEL, settings=settings,
                             translate_context=args.translate_context, device=args.device, cache_dir=args.cache_dir,
                             progress=not args.quiet)
    if not args.quiet:
        print(report.line(), flush=True)
        print(f"train on it: python -m sweep.run --train-data {report.out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
