"""Training on a Dask cluster: quality, overhead, the merge rule, and a model of scaling out.

    .venv/bin/python benchmarks/cluster.py                 # everything (about 5 minutes on 2 cores)
    .venv/bin/python benchmarks/cluster.py --parts quality,overhead,scale --repeats 3

Parts (text8_head decompressed to a temporary plain file, since a compressed file is not cut
into shards; 5 epochs, the defaults; every model scored by w2vcli.evaluate: analogies with
restrict_vocab 30000, WordSim353 Spearman):

- ``quality``: ``local:2`` (2 worker processes, 1 thread each) against one process with 2
  threads, seeds 1..repeats, medians. Target: within 0.01 analogy and 0.02 WS353.
- ``overhead``: training words/s of the same runs (training only: the cluster's start, the
  reading and the kernel loading are timed apart). Target: local:2 >= 0.85x one process.
- ``merge``: the merge rules (sum, mean) at 2 and 4 shards (4 shards on the same 2 workers:
  what 4 workers' rounds do to quality), seeds 1..repeats at 2 shards, seed 1 at 4.
- ``scale``: from the rounds measured in ``overhead`` (per-round compute time per worker,
  rows each worker changed, the client's merge time) and a Zipf model of a 1B-token corpus,
  predicted words/s and efficiency at 4, 16 and 64 workers on a 10 Gb/s network. Each
  column's assumption is printed with the table.

Prints the machine's load average before and after (the development machine has 2 cores shared
with other work) and writes ``benchmarks/out/cluster.json``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from kernel import DEFAULT_CORPUS, OUT_DIR, cpu_description, resolve_data_path  # noqa: E402

#: The network of the scale model: 10 Gb/s, in bytes per second.
NETWORK = 10e9 / 8
#: Tokens of the corpus of the scale model.
BIG_CORPUS = 1_000_000_000
WORKERS = (4, 16, 64)


def _score(vocab, w_in) -> tuple[float, float]:
    from w2vcli.evaluate import quality_report
    from w2vcli.keyedvectors import KeyedVectors

    report = quality_report(KeyedVectors(vocab.words, w_in, vocab.counts), 30000)
    return report.analogy.accuracy, report.wordsim353.spearman


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def run_local(path: Path, seeds: list[int]) -> list[dict]:
    """One process, 2 threads: quality and training words/s per seed."""
    from w2vcli.corpus import read_corpus
    from w2vcli.tokenize import make_tokenizer
    from w2vcli.training import TrainConfig, load_kernel, train

    vocab, corpus = read_corpus([path], make_tokenizer("words"), 5)
    kernel, _ = load_kernel(TrainConfig(threads=2))
    rows = []
    for seed in seeds:
        result = train(vocab, corpus, TrainConfig(threads=2, seed=seed), batch_kernel=kernel)
        analogy, ws = _score(vocab, result.w_in)
        rows.append({"seed": seed, "analogy": analogy, "ws353": ws,
                     "seconds": result.seconds, "words_per_sec": result.words_per_sec})
        print(f"  one process, 2 threads, seed {seed}: analogy {analogy:.4f}, WS353 {ws:.4f}, "
              f"{result.words_per_sec:,.0f} words/s (load {_load()})", flush=True)
    corpus.close()
    return rows


def run_cluster(path: Path, seeds: list[int], shards: int = 2, merge: str | None = None,
                keep_rounds: bool = False) -> list[dict]:
    """``local:2`` with 1 thread per worker (``shards`` shards): quality, training words/s and
    the rounds' measurements per seed."""
    from w2vcli.cluster import ClusterRun
    from w2vcli.tokenize import make_tokenizer
    from w2vcli.training import TrainConfig

    began = time.perf_counter()
    rows = []
    with ClusterRun("local:2", threads=1, layout={"shards": shards}, merge=merge) as run:
        started = time.perf_counter() - began
        vocab, corpus = run.read_corpus([path], make_tokenizer("words"), 5)
        read = time.perf_counter() - began - started
        run.load_kernel(TrainConfig(threads=1))
        for seed in seeds:
            run.round_stats = []
            try:
                result = run.train(vocab, corpus, TrainConfig(threads=1, seed=seed))
            except Exception as exc:  # noqa: BLE001 - a diverged rule is a result here
                rows.append({"seed": seed, "error": str(exc).split(";")[0]})
                print(f"  local:2, {shards} shards, {run.merge}, seed {seed}: {rows[-1]['error']}")
                continue
            analogy, ws = _score(vocab, result.w_in)
            row = {"seed": seed, "analogy": analogy, "ws353": ws, "seconds": result.seconds,
                   "words_per_sec": result.words_per_sec, "rounds": len(run.round_stats),
                   "merge": run.merge, "shards": len(corpus.shards),
                   "start_seconds": started, "read_seconds": read,
                   "final_loss": result.epochs[-1].mean_loss}
            if keep_rounds:
                row["round_stats"] = run.round_stats
                row["vocab"] = len(vocab)
                row["tokens"] = len(corpus)
                row["counts"] = vocab.counts.tolist()
            rows.append(row)
            print(f"  local:2, {len(corpus.shards)} shards, merge {run.merge}, seed {seed}: "
                  f"analogy {analogy:.4f}, WS353 {ws:.4f}, {result.words_per_sec:,.0f} words/s, "
                  f"{len(run.round_stats)} rounds, final loss {row['final_loss']:.4f} "
                  f"(load {_load()})", flush=True)
    return rows


def _median(rows: list[dict], key: str) -> float:
    values = [r[key] for r in rows if key in r]
    return statistics.median(values) if values else float("nan")


# -- the scale model ---------------------------------------------------------------------------


def heaps_fit(path: Path, min_count: int = 5) -> tuple[float, float]:
    """``(beta, k)`` of Heaps' law ``V = k * n**beta`` for the vocabulary at ``min_count`` of
    the first ``n`` tokens of ``path`` (whitespace tokens; n from 1/16 of it to all of it)."""
    import numpy as np

    tokens = path.read_text(encoding="utf-8").split()
    _, ids = np.unique(np.asarray(tokens, dtype=object), return_inverse=True)
    sizes, vocab = [], []
    for part in (16, 8, 4, 2, 1):
        n = len(ids) // part
        counts = np.bincount(ids[:n])
        sizes.append(n)
        vocab.append(int((counts >= min_count).sum()))
    beta, log_k = np.polyfit(np.log(sizes), np.log(vocab), 1)
    return float(beta), float(math.exp(log_k))


def _zipf_fit(counts) -> tuple[float, float]:
    """``(s, f1)``: the exponent and the first word's frequency of the Zipf law
    ``f_i = f1 / i**s`` fitted by least squares on log-log over ranks 10 to 10,000."""
    import numpy as np

    c = np.asarray(counts, dtype=np.float64)
    total = c.sum()
    ranks = np.arange(1, len(c) + 1)
    sel = (ranks >= 10) & (ranks <= min(10_000, len(c)))
    slope, intercept = np.polyfit(np.log(ranks[sel]), np.log(c[sel] / total), 1)
    return -slope, math.exp(intercept)


def _touched(freq, w: float, sample: float = 1e-3, negative: int = 5, combine: int = 2):
    """Expected rows of ``w_in`` and ``w_out`` that a slice of ``w`` tokens changes, for words
    of frequencies ``freq``: a word's input row when one of its occurrences is kept by
    subsampling; its output row when it is kept or drawn as a noise word (``negative`` noise
    words per group of ``combine`` kept centre words, drawn from frequency**0.75)."""
    import numpy as np

    f = np.asarray(freq, dtype=np.float64)
    keep = np.minimum(1.0, np.sqrt(sample / f) + sample / f) if sample > 0 else np.ones_like(f)
    kept = w * f * keep
    noise = f**0.75 / (f**0.75).sum()
    draws = kept.sum() * negative / combine
    rows_in = float((1 - np.exp(-kept)).sum())
    rows_out = float((1 - np.exp(-kept - draws * noise)).sum())
    return rows_in, rows_out


def scale_model(rows: list[dict], dim: int = 100) -> dict:
    """Predict words/s and efficiency at :data:`WORKERS` workers for a :data:`BIG_CORPUS`-token
    corpus from the rounds measured on text8_head (see the module docstring)."""
    import numpy as np

    from w2vcli.cluster import ROUND_WORDS, ROUNDS_PER_EPOCH

    stats = [r for row in rows for r in row["round_stats"]]
    tokens = rows[0]["tokens"]
    counts = np.asarray(rows[0]["counts"], dtype=np.float64)
    # Measured per slice: the kernel's words/s, and the rest of the task (copying the model,
    # finding the changed rows) per byte of the model.
    slice_words = [r["words"] / len(r["task_seconds"]) for r in stats]
    model_small = 2 * len(counts) * dim * 4
    rate = statistics.median(w / k for r in stats for w, k in
                             zip([r["words"] / len(r["kernel_seconds"])] * 2,
                                 r["kernel_seconds"]) if k > 0)
    bookkeeping = statistics.median((t - k) / model_small for r in stats
                                    for t, k in zip(r["task_seconds"], r["kernel_seconds"]))
    measured_in = statistics.median(statistics.mean(r["rows_in"]) for r in stats)
    measured_out = statistics.median(statistics.mean(r["rows_out"]) for r in stats)
    w_small = statistics.median(slice_words)
    predicted_in, predicted_out = _touched(counts / counts.sum(), w_small)
    # Merge on the client, seconds per byte merged (measured with 2 workers).
    merge_rate = statistics.median(
        r["merge_seconds"] / ((sum(r["rows_in"]) + sum(r["rows_out"])) * dim * 4) for r in stats)
    overhead = statistics.median(r["seconds"] - max(r["task_seconds"]) - r["merge_seconds"]
                                 for r in stats)
    _, f1 = _zipf_fit(counts)
    # The 1B-token vocabulary from Heaps' law fitted on text8_head's prefixes; the Zipf
    # exponent of its frequencies then such that exactly those words reach min-count 5.
    beta, scale = rows[0]["heaps"]
    vocab_big = int(scale * BIG_CORPUS**beta)
    s = math.log(BIG_CORPUS * f1 / 5) / math.log(vocab_big)
    ranks = np.arange(1, vocab_big + 1, dtype=np.float64)
    freq_big = f1 / ranks**s
    freq_big /= freq_big.sum() / min(1.0, freq_big.sum())
    table = []
    for workers in WORKERS:
        per_worker = BIG_CORPUS / workers
        rounds = max(ROUNDS_PER_EPOCH, math.ceil(per_worker / ROUND_WORDS))
        w = per_worker / rounds
        rows_in, rows_out = _touched(freq_big, w)
        compute = w / rate
        tasks = compute + 2 * vocab_big * dim * 4 * bookkeeping
        gather = (rows_in + rows_out) * dim * 4 * workers  # the merged bytes
        union_in = float(vocab_big * (1 - (1 - rows_in / vocab_big) ** workers))
        union_out = float(vocab_big * (1 - (1 - rows_out / vocab_big) ** workers))
        # The broadcast: the merged rows' new values to every worker, or the whole model
        # when that is smaller.
        broadcast = min(union_in + union_out, 2 * vocab_big) * dim * 4 * workers
        network = (gather + broadcast) / NETWORK
        merge = gather * merge_rate
        round_time = tasks + network + merge + overhead
        tree = 2 * math.ceil(math.log2(workers)) * (rows_in + rows_out) * dim * 4 / NETWORK
        table.append({
            "workers": workers, "rounds_per_epoch": rounds, "slice_words": w,
            "compute_s": compute, "rows_in": rows_in, "rows_out": rows_out,
            "merged_gb": gather / 1e9, "broadcast_gb": broadcast / 1e9, "network_s": network,
            "merge_s": merge, "round_s": round_time,
            "words_per_sec": workers * w / round_time,
            "efficiency": compute / round_time,
            "efficiency_tree": compute / (tasks + tree + overhead)})
    return {"worker_rate": rate, "bookkeeping_s_per_gb": bookkeeping * 1e9,
            "slice_words_measured": w_small,
            "rows_in_measured": measured_in, "rows_out_measured": measured_out,
            "rows_in_predicted": predicted_in, "rows_out_predicted": predicted_out,
            "vocab_measured": len(counts), "tokens_measured": tokens,
            "zipf_s": s, "zipf_f1": f1, "vocab_1b": vocab_big, "heaps_beta": beta, "merge_s_per_gb": merge_rate * 1e9,
            "round_overhead_s": overhead, "dim": dim, "table": table}


def print_scale(model: dict) -> None:
    m = model
    print(f"\nScale model: a {BIG_CORPUS:,}-token corpus, dim {m['dim']}, 10 Gb/s network")
    print(f"- per-round compute: a worker's kernel trains {m['worker_rate']:,.0f} words/s "
          "(measured: 1 thread per worker, median over slices; a model past the caches would "
          f"be slower, which raises efficiency), plus {m['bookkeeping_s_per_gb']:.2f} s per GB "
          "of model to copy it and find the changed rows (measured)")
    print(f"- vocabulary at 1B tokens: {m['vocab_1b']:,} words at min-count 5 (Heaps' law "
          f"V ~ n^{m['heaps_beta']:.2f}, fitted on prefixes of text8_head)")
    print(f"- rows changed per worker per round: expected from Zipf frequencies (the first "
          f"word's as in text8_head, exponent {m['zipf_s']:.3f} so that the vocabulary above "
          "reaches min-count 5), with subsampling and noise draws; the same formula checked on "
          f"text8_head's own counts at "
          f"{m['slice_words_measured']:,.0f} words per slice: predicted "
          f"{m['rows_in_predicted']:,.0f} / {m['rows_out_predicted']:,.0f} rows of w_in / "
          f"w_out of {m['vocab_measured']:,}, measured {m['rows_in_measured']:,.0f} / "
          f"{m['rows_out_measured']:,.0f}")
    print("- rounds: a fifth of an epoch each, slices of at most 10M words (the defaults)")
    print("- merged bytes = rows changed x dim x 4 bytes x 2 matrices x workers, into the client;"
          " broadcast = the merged rows' new values (or the whole model, if smaller) to every "
          "worker, out of the client: both through the client's one 10 Gb/s link")
    print(f"- client merge: {m['merge_s_per_gb']:.2f} s per GB merged (measured); fixed "
          f"per-round cost {m['round_overhead_s'] * 1000:.0f} ms (measured on one machine, "
          "scheduling and localhost transfers)")
    print("- efficiency = kernel time / round time (one worker's share of a perfect speed-up);"
          " words/s = workers x slice words / round time")
    print("- tree: the same with the deltas reduced and the merged rows sent along a binary "
          "tree of workers (2 log2(workers) transfers of one worker's rows): not implemented\n")
    head = ("| workers | rounds/epoch | words per slice | compute s | rows changed (in / out) "
            "| merged GB | broadcast GB | network s | round s | words/s | efficiency | "
            "efficiency, tree |")
    print(head)
    print("|" + " ---: |" * 12)
    for r in m["table"]:
        print(f"| {r['workers']} | {r['rounds_per_epoch']} | {r['slice_words']:,.0f} | "
              f"{r['compute_s']:.1f} | {r['rows_in']:,.0f} / {r['rows_out']:,.0f} | "
              f"{r['merged_gb']:.1f} | {r['broadcast_gb']:.1f} | {r['network_s']:.1f} | "
              f"{r['round_s']:.1f} | {r['words_per_sec']:,.0f} | {100 * r['efficiency']:.0f}% | "
              f"{100 * r['efficiency_tree']:.0f}% |")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Cluster training: quality, overhead, merge, scale.")
    p.add_argument("--corpus", default=DEFAULT_CORPUS)
    p.add_argument("--repeats", type=int, default=3, help="seeds 1..N (default 3)")
    p.add_argument("--parts", default="quality,overhead,merge,scale")
    args = p.parse_args(argv)
    parts = set(args.parts.split(","))
    seeds = list(range(1, args.repeats + 1))
    source = resolve_data_path(args.corpus)
    if not source.exists():
        print(f"{source} is absent; nothing to measure")
        return 1
    print(f"CPU: {cpu_description()['model']}, {os.cpu_count()} cores; load average "
          f"(1, 5, 15 min) at the start: {_load()}")
    out: dict = {"cpu": cpu_description(), "load_start": os.getloadavg()}
    tmp = Path(tempfile.mkdtemp(prefix="w2v-bench-cluster-"))
    try:
        path = tmp / "text8_head.txt"
        opener = gzip.open if source.suffix == ".gz" else open
        with opener(source, "rb") as src, open(path, "wb") as dst:
            shutil.copyfileobj(src, dst)
        if parts & {"quality", "overhead", "scale"}:
            print("Quality and speed (text8_head, 5 epochs, defaults):")
            local = run_local(path, seeds)
            cluster = run_cluster(path, seeds, keep_rounds=True)
            cluster[0]["heaps"] = heaps_fit(path)
            out["local"], out["cluster"] = local, cluster
            la, lw = _median(local, "analogy"), _median(local, "ws353")
            ca, cw = _median(cluster, "analogy"), _median(cluster, "ws353")
            ls, cs = _median(local, "words_per_sec"), _median(cluster, "words_per_sec")
            print("\n| run | analogy | WS353 rho | training words/s |")
            print("| --- | ---: | ---: | ---: |")
            print(f"| one process, 2 threads | {la:.4f} | {lw:.4f} | {ls:,.0f} |")
            print(f"| `--cluster local:2`, 1 thread per worker | {ca:.4f} | {cw:.4f} | "
                  f"{cs:,.0f} |")
            print(f"\nQuality: analogy {ca - la:+.4f} (target within 0.01), WS353 {cw - lw:+.4f} "
                  f"(target within 0.02). Overhead: {cs / ls:.2f}x one process's words/s "
                  f"(target >= 0.85x). Cluster start {_median(cluster, 'start_seconds'):.1f} s, "
                  f"reading on the workers {_median(cluster, 'read_seconds'):.1f} s (not in "
                  "words/s).")
        if "merge" in parts:
            print("\nMerge rules (text8_head, 5 epochs, 2 workers):")
            merges = {}
            for rule in ("sum", "mean"):
                merges[f"2-{rule}"] = run_cluster(path, seeds, 2, rule)
            for rule in ("sum", "mean"):
                merges[f"4-{rule}"] = run_cluster(path, seeds[:1], 4, rule)
            out["merge"] = merges
            print("\n| shards | merge | analogy | WS353 rho | final-epoch loss | runs |")
            print("| ---: | --- | ---: | ---: | ---: | --- |")
            for key, rows in merges.items():
                shards, rule = key.split("-")
                ok = [r for r in rows if "error" not in r]
                failed = [r["error"] for r in rows if "error" in r]
                print(f"| {shards} | {rule} | {_median(ok, 'analogy'):.4f} | "
                      f"{_median(ok, 'ws353'):.4f} | {_median(ok, 'final_loss'):.4g} | "
                      f"{len(ok)} of {len(rows)}"
                      + (f"; {failed[0]}" if failed else "") + " |")
        if "scale" in parts and "cluster" in out:
            model = scale_model(out["cluster"])
            out["scale"] = model
            print_scale(model)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"Load average at the end: {_load()}")
    out["load_end"] = os.getloadavg()
    for row in out.get("cluster", []):
        row.pop("counts", None)
    OUT_DIR.mkdir(exist_ok=True)
    (OUT_DIR / "cluster.json").write_text(json.dumps(out, indent=1, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
