"""The translate stage (issue 26): throughput on this machine, and whether machine-translated train data moves the answer.

``throughput``: texts per second of ``translate_table`` (generation only, cache empty) for
the tiny random M2M100 of the tests and, where installed, Apertium en->es, on English
XQuAD-R questions and answer sentences; then the same run again, all from the cache.
``full-size``: the generation cost of a model shaped like M2M100-418M (random weights).
``quality``: how far Apertium's Spanish is from XQuAD-R's human Spanish (chrF, BLEU).

``research``: two small studies on XQuAD-R en+es that differ only in ``--train-data``: the
train split's English rows with their human Spanish translations, or the same English
rows with Spanish machine-translated by Apertium. Both evaluate on the same dev split.
Prints each study's smoothed answer (alpha and its 90 % interval) and the trial knee.

    python benchmarks/translate.py throughput --texts 400
    python benchmarks/translate.py full-size --texts 16 --max-length 48
    python benchmarks/translate.py quality                      # needs sacrebleu (the bench extra)
    python benchmarks/translate.py research --trials 6 --work /tmp/translate-research
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.conftest import xquad_dir  # noqa: E402
from tests.translation_models import build_tiny_translator  # noqa: E402


def _english(texts: int) -> list[dict[str, str]]:
    """Pairs rows of English XQuAD-R (question + answer sentence), until ``texts`` distinct texts."""
    doc = json.loads((xquad_dir() / "en.json").read_text(encoding="utf-8"))
    rows: list[dict[str, str]] = []
    seen: set[str] = set()
    for article in doc["data"]:
        for para in article["paragraphs"]:
            for qa in para["qas"]:
                start = qa["answers"][0]["answer_start"]
                sentence = next((s for s, (b, e) in zip(para["sentences"], para["sentence_breaks"]) if b <= start < e), None)
                if sentence is None:
                    continue
                rows.append({"qid": qa["id"], "lang": "en", "question": qa["question"], "answer": sentence})
                seen.update((qa["question"], sentence))
                if len(seen) >= texts:
                    return rows
    return rows


def _apertium_ready() -> bool:
    if shutil.which("apertium") is None:
        return False
    listed = subprocess.run(["apertium", "-l"], capture_output=True, text=True, check=False)
    return "eng-spa" in (listed.stdout + listed.stderr).split()


def throughput(args: argparse.Namespace) -> None:
    import torch

    from objectives.data import write_pairs_table
    from objectives.translation import DecodeSettings, translate_table

    torch.set_num_threads(args.threads)
    rows = _english(args.texts)
    work = Path(tempfile.mkdtemp(prefix="translate-bench-"))
    source = write_pairs_table(rows, work / "en.jsonl")
    cases = []
    if not args.apertium_only:
        model = build_tiny_translator(work / "tiny-m2m100", [t for r in rows for t in (r["question"], r["answer"])])
        cases += [("tiny M2M100 (random, d_model 64)", str(model), "de", DecodeSettings(5, 200)),
                  ("tiny M2M100 (random, d_model 64)", str(model), "de", DecodeSettings(1, 48))]
    if _apertium_ready():
        cases += [("Apertium en-es", "apertium", "es", DecodeSettings(batch_size=b)) for b in (16, 64, 512)]
    else:
        print("apertium with eng-spa not installed: its rows are skipped")
    print(f"{len(rows)} English rows, {args.texts} distinct texts; torch threads {args.threads}\n")
    print("| engine | beam | max length | batch | texts | translate (s) | texts/s | rerun, all cached (s) |")
    print("|---|---|---|---|---|---|---|---|")
    for i, (label, name, target, settings) in enumerate(cases):
        cache = work / f"cache-{i}"
        first = translate_table(source, work / f"out-{i}.jsonl", target, mt_model=name, settings=settings, device="cpu",
                                cache_dir=cache)
        start = time.perf_counter()
        again = translate_table(source, work / f"again-{i}.jsonl", target, mt_model=name, settings=settings, device="cpu",
                                cache_dir=cache)
        rerun = time.perf_counter() - start
        assert again.new == 0 and again.from_cache == first.new
        neural = name != "apertium"
        batch = settings.batch_for("m2m100" if neural else "apertium")
        print(f"| {label} | {settings.num_beams if neural else '-'} | {settings.max_length if neural else '-'} | "
              f"{batch} | {first.new} | {first.translate_seconds:.1f} | {first.new / first.translate_seconds:.1f} "
              f"| {rerun:.2f} |", flush=True)
    shutil.rmtree(work, ignore_errors=True)


def full_size(args: argparse.Namespace) -> None:
    """Generation cost of an M2M100-418M-shaped model (random weights: no checkpoint can be downloaded here).

    Random weights never emit the end token, so every text runs to ``--max-length`` new
    tokens: this is the cost of translations that long, with 418M's layers, width and
    128k vocabulary (whose output projection dominates each step).
    """
    import torch
    from transformers import M2M100Config, M2M100ForConditionalGeneration, M2M100Tokenizer

    from objectives.translation import DecodeSettings, M2M100Engine

    torch.set_num_threads(args.threads)
    rows = _english(args.texts)
    texts = [t for r in rows for t in (r["question"], r["answer"])][:args.texts]
    work = Path(tempfile.mkdtemp(prefix="translate-full-"))
    tiny = build_tiny_translator(work / "tok", texts)
    tokenizer = M2M100Tokenizer.from_pretrained(tiny)
    config = M2M100Config(vocab_size=128112, d_model=1024, encoder_layers=12, decoder_layers=12, encoder_attention_heads=16,
                          decoder_attention_heads=16, encoder_ffn_dim=4096, decoder_ffn_dim=4096, max_position_embeddings=1024,
                          pad_token_id=1, bos_token_id=0, eos_token_id=2, decoder_start_token_id=2)
    torch.manual_seed(0)
    model = M2M100ForConditionalGeneration(config).eval()
    params = sum(p.numel() for p in model.parameters()) / 1e6
    print(f"M2M100-418M-shaped random model: {params:.0f} M parameters; {len(texts)} texts; torch threads {args.threads}\n")
    print("| beam | new tokens per text | batch | texts | seconds | texts/s |")
    print("|---|---|---|---|---|---|")
    for beams in (5, 1):
        settings = DecodeSettings(num_beams=beams, max_length=args.max_length, batch_size=16)
        engine = M2M100Engine("m2m100-418M-shaped", model, tokenizer, "m2m100", settings, "cpu")
        start = time.perf_counter()
        for i in range(0, len(texts), 16):
            engine.translate(texts[i:i + 16], "en", "de")
        seconds = time.perf_counter() - start
        print(f"| {beams} | {args.max_length} | 16 | {len(texts)} | {seconds:.1f} | {len(texts) / seconds:.2f} |", flush=True)
    shutil.rmtree(work, ignore_errors=True)


def _split_tables(work: Path, seed: int) -> tuple[Path, Path]:
    """The train split's en+es rows with human Spanish, and its English rows alone."""
    from objectives.data import SPLITS, assign_splits, load_lareqa, split_qids, write_pairs_table

    data = load_lareqa(xquad_dir(), ["en", "es"])
    train = split_qids(assign_splits(data, seed, (0.5, 0.25, 0.25)), "train")
    assert SPLITS[0] == "train"
    texts = data.candidates["text"]
    answer = {(q, lang): cid for q, lang, cid in zip(data.relevance["qid"], data.relevance["lang"], data.relevance["cid"])}
    rows = [{"qid": q, "lang": lang, "question": text, "answer": texts[answer[(q, lang)]], "article": str(article)}
            for q, lang, text, article in zip(data.questions["qid"], data.questions["lang"], data.questions["text"],
                                              data.questions["article"])
            if q in train and (q, lang) in answer]
    human = write_pairs_table(rows, work / "train-human-en-es.jsonl")
    english = write_pairs_table([r for r in rows if r["lang"] == "en"], work / "train-en.jsonl")
    return human, english


def _study(work: Path, name: str, train: Path, args: argparse.Namespace) -> dict[str, object]:
    import yaml

    db = f"sqlite:///{work / 'research.db'}"
    cmd = [sys.executable, "-m", "sweep.run", "--data", str(xquad_dir()), "--languages", "en,es", "--train-data", str(train),
           "--trials", str(args.trials), "--storage", db, "--study-name", name, "--seed", str(args.seed),
           "--threads", str(args.threads), "--quiet"]
    start = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=REPO)
    seconds = time.perf_counter() - start
    out = work / f"{name}.yaml"
    subprocess.run([sys.executable, "-m", "sweep.export", "--study-name", name, "--storage", db, "--out", str(out)],
                   check=True, cwd=REPO)
    answer = yaml.safe_load(out.read_text(encoding="utf-8"))
    return {"study": name, "seconds": round(seconds), "mono_ratio": answer.get("mono_ratio"),
            "interval": answer.get("interval"), "trial_answer": answer.get("trial_answer"), "metrics": answer.get("metrics")}


def quality(args: argparse.Namespace) -> None:
    """chrF and BLEU (sacrebleu) of Apertium's Spanish against XQuAD-R's human Spanish, train split, per column."""
    import sacrebleu

    from objectives.data import read_pairs_rows
    from objectives.translation import translate_table

    if not _apertium_ready():
        print("apertium with eng-spa is not installed")
        return
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    human, english = _split_tables(work, args.seed)
    start = time.perf_counter()
    report = translate_table(english, work / "train-mt-en-es.jsonl", "es", mt_model="apertium", cache_dir=work / "cache")
    print(f"{report.line()} ({time.perf_counter() - start:.0f} s)\n")
    reference = {r["qid"]: r for r in read_pairs_rows(human) if r["lang"] == "es"}
    machine = {r["qid"]: r for r in read_pairs_rows(report.out) if r["lang"] == "es"}
    qids = sorted(set(reference) & set(machine))
    print(f"{len(qids)} train questions with both Spanish versions\n")
    print("| column | chrF | BLEU |")
    print("|---|---|---|")
    for column in ("question", "answer"):
        hyp = [machine[q][column] for q in qids]
        ref = [[reference[q][column] for q in qids]]
        print(f"| {column} | {sacrebleu.corpus_chrf(hyp, ref).score:.1f} | {sacrebleu.corpus_bleu(hyp, ref).score:.1f} |")


def research(args: argparse.Namespace) -> None:
    from objectives.translation import translate_table

    if not _apertium_ready():
        print("apertium with eng-spa is not installed: the research check needs a real engine")
        return
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    human, english = _split_tables(work, args.seed)
    start = time.perf_counter()
    report = translate_table(english, work / "train-mt-en-es.jsonl", "es", mt_model="apertium", cache_dir=work / "cache")
    print(f"apertium: {report.line()} ({time.perf_counter() - start:.0f} s)", flush=True)
    results = [_study(work, "human-es", human, args), _study(work, "apertium-es", report.out, args)]
    (work / "research.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    for r in results:
        print(json.dumps(r), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    t = sub.add_parser("throughput")
    t.add_argument("--texts", type=int, default=400)
    t.add_argument("--threads", type=int, default=2)
    t.add_argument("--apertium-only", action="store_true", help="skip the tiny model's rows")
    f = sub.add_parser("full-size")
    f.add_argument("--texts", type=int, default=16)
    f.add_argument("--max-length", type=int, default=48)
    f.add_argument("--threads", type=int, default=2)
    q = sub.add_parser("quality")
    q.add_argument("--seed", type=int, default=0)
    q.add_argument("--work", default="/tmp/translate-quality")
    r = sub.add_parser("research")
    r.add_argument("--trials", type=int, default=6)
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--threads", type=int, default=2)
    r.add_argument("--work", default="/tmp/translate-research")
    args = parser.parse_args()
    {"throughput": throughput, "full-size": full_size, "quality": quality, "research": research}[args.what](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
