"""Scaling: metric time and memory as the pool grows over 1, 3, 6, 11 languages; cache size (and build time).

Real embeddings, no re-encode per subset: the full 11-language workspace (its
activation cache must exist or is built once) is loaded, the dev questions and the
whole candidate pool are embedded once with the zero-shot top-K encoder (the cached
path every trial uses), and ``evaluate_embeddings`` then runs on language subsets
(rows of the chosen languages; relevance restricted to the subset's candidates).

Per subset, in a fresh process (so RSS is that subset's own): wall time of the
metrics (best of ``--repeats``), peak traced Python/numpy allocation
(tracemalloc, a separate call) and peak RSS; the RSS after loading the arrays is
printed too. The activation cache's size on disk is measured with ``du``; the
cache's share per subset is computed from its token counts (fp16 x hidden size).
``--synthetic N`` uses random embeddings instead (smoke test). ``--measure-build LANGS`` also times building a fresh cache for that language
subset in a temporary directory (about 15 ms a text on 2 cores). Usage::

    python benchmarks/scaling.py [--subsets en/en,de,zh/en,de,zh,ar,es,ru/all] [--measure-build en]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np

DEFAULT_SUBSETS = "en/en,de,zh/en,de,zh,ar,es,ru/all"


def subset_arrays(data: dict[str, Any], langs: list[str]) -> dict[str, Any]:
    """The evaluate_embeddings arguments restricted to ``langs`` (queries, candidates, relevance)."""
    all_langs = list(data["languages"])
    keep = np.array([all_langs.index(x) for x in langs])
    new_id = np.full(len(all_langs), -1)
    new_id[keep] = np.arange(len(keep))
    q_sel = np.isin(data["q_lang"], keep)
    c_sel = np.isin(data["c_lang"], keep)
    c_new = np.full(len(c_sel), -1)
    c_new[c_sel] = np.arange(int(c_sel.sum()))
    r_sel = c_sel[data["rel_cand"]]
    return dict(
        q_emb=np.ascontiguousarray(data["q_emb"][q_sel]), q_lang=new_id[data["q_lang"][q_sel]],
        q_group=data["q_group"][q_sel], c_emb=np.ascontiguousarray(data["c_emb"][c_sel]),
        c_lang=new_id[data["c_lang"][c_sel]], rel_group=data["rel_group"][r_sel],
        rel_cand=c_new[data["rel_cand"][r_sel]], languages=tuple(langs),
    )


def _peak_rss_mib() -> float:
    """VmHWM of this process (its own address space; ru_maxrss would carry the parent's peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(npz: Path, langs: list[str], repeats: int) -> dict[str, Any]:
    """Time and measure evaluate_embeddings on one language subset (run in its own process)."""
    from objectives.retrieval import evaluate_embeddings

    raw = np.load(npz)
    data = {k: raw[k] for k in raw.files}
    data["languages"] = [str(x) for x in raw["languages"]]
    args = subset_arrays(data, langs if langs != ["all"] else data["languages"])
    rss_loaded = _peak_rss_mib()
    result = evaluate_embeddings(**args)  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = evaluate_embeddings(**args)
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    evaluate_embeddings(**args)
    _, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "languages": len(args["languages"]), "queries": int(len(args["q_emb"])), "candidates": int(len(args["c_emb"])),
        "relevance_pairs": int(len(args["rel_cand"])), "best_s": min(times), "all_s": times,
        "traced_peak_mib": traced / 2**20, "rss_after_load_mib": rss_loaded,
        "peak_rss_mib": _peak_rss_mib(),
        "same_lang_p@1": float(result.same_lang_p_at_k), "xling_map": float(result.xling_map),
    }


def embed_once(out: Path, threads: int) -> dict[str, Any]:
    """Load the full workspace, embed dev questions and the pool with the zero-shot top-K encoder, save arrays."""
    import torch

    from objectives.trial import TrialConfig, prepare_workspace

    torch.set_num_threads(threads)
    cfg = TrialConfig(regime="proxy", device="cpu")
    start = time.perf_counter()
    ws = prepare_workspace(cfg, progress=False)
    loaded = time.perf_counter()
    top = ws.new_encoder()
    index = ws.eval_index("dev")
    q = top.embed(index.query_rows, cfg.eval_batch_size)
    c = top.embed(index.candidate_rows, cfg.eval_batch_size)
    embedded = time.perf_counter()
    np.savez(out, q_emb=q, q_lang=index.q_lang, q_group=index.q_group, c_emb=c, c_lang=index.c_lang,
             rel_group=index.rel_group, rel_cand=index.rel_cand, languages=np.array(ws.languages))
    lengths = ws.cache.lengths
    q_tokens = lengths[:ws.candidate_offset]
    c_tokens = lengths[ws.candidate_offset:]
    langs = list(ws.languages)
    q_lang_all = np.array([langs.index(x) for x in ws.data.questions["lang"]])
    tokens_per_lang = {
        lang: int(q_tokens[q_lang_all == i].sum() + c_tokens[index.c_lang == i].sum()) for i, lang in enumerate(langs)
    }
    hidden = int(ws.cache.states.shape[1])
    cache_dir = ws.cache.path
    du = subprocess.run(["du", "-sb", str(cache_dir)], capture_output=True, text=True, check=True).stdout.split()[0]
    return {
        "workspace_s": loaded - start, "cache_s": ws.cache_seconds, "embed_s": embedded - loaded,
        "texts": len(ws.cache), "tokens": int(lengths.sum()), "hidden": hidden, "cache_path": str(cache_dir),
        "cache_bytes_du": int(du), "tokens_per_lang": tokens_per_lang, "cut_layer": ws.encoder.layer_count - ws.train_layers,
        "states_dtype": str(ws.cache.states.dtype),
    }


def measure_build(langs: list[str], threads: int) -> dict[str, Any]:
    """Build a fresh activation cache for ``langs`` in a temporary directory; time and size it."""
    import torch

    from objectives.trial import TrialConfig, prepare_workspace

    torch.set_num_threads(threads)
    with tempfile.TemporaryDirectory() as tmp:
        cfg = TrialConfig(languages=langs, cache_dir=tmp)
        start = time.perf_counter()
        ws = prepare_workspace(cfg, progress=False)
        total = time.perf_counter() - start
        du = subprocess.run(["du", "-sb", str(ws.cache.path)], capture_output=True, text=True, check=True).stdout.split()[0]
        return {"languages": langs, "texts": len(ws.cache), "cache_s": ws.cache_seconds, "workspace_s": total,
                "texts_per_s": len(ws.cache) / ws.cache_seconds, "cache_bytes_du": int(du)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subsets", default=DEFAULT_SUBSETS, help="'/'-separated language lists; 'all' = every language")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--measure-build", default=None, help="comma-separated languages: time a fresh cache build")
    parser.add_argument("--embeddings", default=None, help="reuse an .npz written by an earlier run (skips embedding)")
    parser.add_argument("--synthetic", type=int, default=None, metavar="N_QUESTIONS",
                        help="random embeddings (metrics_time.make_data) instead of the real workspace: a smoke test")
    parser.add_argument("--worker", nargs=2, metavar=("NPZ", "LANGS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(Path(args.worker[0]), args.worker[1].split(","), args.repeats)), flush=True)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        if args.synthetic:
            sys.path.insert(0, str(Path(__file__).resolve().parent))
            from metrics_time import make_data

            npz, info = Path(tmp) / "synthetic.npz", None
            d = make_data(n_questions=args.synthetic, n_candidates=11 * args.synthetic)
            np.savez(npz, **{k: v for k, v in d.items() if k != "languages"}, languages=np.array(d["languages"]))
        elif args.embeddings:
            npz, info = Path(args.embeddings), None
        else:
            npz = Path(tmp) / "embeddings.npz"
            info = embed_once(npz, args.threads)
            print(json.dumps({"event": "embed", **info}), flush=True)
        rows = []
        for subset in args.subsets.split("/"):
            cmd = [sys.executable, __file__, "--repeats", str(args.repeats), "--worker", str(npz), subset]
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                sys.stderr.write(proc.stderr[-3000:])
                return proc.returncode
            row = json.loads([ln for ln in proc.stdout.splitlines() if ln.startswith("{")][-1])
            row["subset"] = subset
            rows.append(row)
            print(json.dumps({"event": "subset", **row}), flush=True)
    build = measure_build(args.measure_build.split(","), args.threads) if args.measure_build else None
    if build:
        print(json.dumps({"event": "build", **build}), flush=True)
    print(f"\n<!-- {os.cpu_count()} cores, load average {', '.join(f'{x:.1f}' for x in os.getloadavg())} -->")
    print("| languages | subset | dev queries | candidates | metrics time (s), best of "
          f"{args.repeats} | peak traced alloc (MiB) | RSS after loading arrays (MiB) | peak RSS (MiB) "
          "| cache share (MiB, fp16 states) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        share = "n/a"
        if info is not None:
            per = info["tokens_per_lang"]
            chosen = list(per) if r["subset"] == "all" else r["subset"].split(",")
            share = f"{sum(per[x] for x in chosen) * info['hidden'] * 2 / 2**20:.0f}"
        print(f"| {r['languages']} | {r['subset']} | {r['queries']} | {r['candidates']} | {r['best_s']:.2f} | "
              f"{r['traced_peak_mib']:.0f} | {r['rss_after_load_mib']:.0f} | {r['peak_rss_mib']:.0f} | {share} |")
    if info is not None:
        print(f"\nActivation cache (11 languages, cut layer {info['cut_layer']}, {info['states_dtype']}): "
              f"{info['texts']} texts, {info['tokens']} tokens, {info['cache_bytes_du'] / 2**20:.0f} MiB on disk "
              f"(du -sb {info['cache_path']}); loading it (existing cache): {info['cache_s']:.1f} s; "
              f"zero-shot embedding of dev questions + pool on the cached path: {info['embed_s']:.1f} s.")
    if build:
        print(f"Fresh cache build for {','.join(build['languages'])}: {build['texts']} texts in {build['cache_s']:.1f} s "
              f"({build['texts_per_s']:.0f} texts/s), {build['cache_bytes_du'] / 2**20:.0f} MiB on disk.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
