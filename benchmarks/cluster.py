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
- ``merge``: the merge rules (sum, sqrt, mean) at 2, 4 and 8 shards (4 and 8 shards on the
  same 2 workers: what 4 or 8 workers' rounds do to quality), seeds 1..repeats at 2 shards and
  for sqrt and mean at 4, seed 1 for sum at 4 (it diverges) and at 8.
- ``size``: the overhead against corpus size: text8_head repeated 1, 4 and 16 times (the same
  vocabulary, slices 1, 4 and 16 times longer; 1 epoch), one process against ``local:2``.
- ``delay``: ``local:2`` with each shard training on while the last round merges (``delay=1``)
  against synchronous rounds: quality and words/s.
- ``scale``: a model of a 1B-token corpus (Heaps' and Zipf's laws fitted on text8_head): one
  worker's round timed here with the cluster's own task code on a model of that vocabulary,
  the per-round scheduling cost measured in ``overhead``, and the bytes each worker moves;
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
#: Frequent words synced every round in the scale model's tiered column: as many as cover the
#: share of tokens this many cover in text8_head.
HOT_REFERENCE = 2000


def _score(vocab, w_in) -> tuple[float, float]:
    from w2vcli.evaluate import quality_report
    from w2vcli.keyedvectors import KeyedVectors

    report = quality_report(KeyedVectors(vocab.words, w_in, vocab.counts), 30000)
    return report.analogy.accuracy, report.wordsim353.spearman


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def run_local(path: Path, seeds: list[int], epochs: int = 5, score: bool = True) -> list[dict]:
    """One process, 2 threads: quality and training words/s per seed."""
    from w2vcli.corpus import read_corpus
    from w2vcli.tokenize import make_tokenizer
    from w2vcli.training import TrainConfig, load_kernel, train

    vocab, corpus = read_corpus([path], make_tokenizer("words"), 5)
    kernel, _ = load_kernel(TrainConfig(threads=2))
    rows = []
    for seed in seeds:
        result = train(vocab, corpus, TrainConfig(threads=2, seed=seed, epochs=epochs),
                       batch_kernel=kernel)
        analogy, ws = _score(vocab, result.w_in) if score else (math.nan, math.nan)
        rows.append({"seed": seed, "analogy": analogy, "ws353": ws,
                     "seconds": result.seconds, "words_per_sec": result.words_per_sec})
        print(f"  one process, 2 threads, seed {seed}: analogy {analogy:.4f}, WS353 {ws:.4f}, "
              f"{result.words_per_sec:,.0f} words/s (load {_load()})", flush=True)
    corpus.close()
    return rows


def run_cluster(path: Path, seeds: list[int], shards: int = 2, merge: str | None = None,
                keep_rounds: bool = False, delay: int | None = None, epochs: int = 5,
                score: bool = True, hot_words: int | None = None,
                full_sync_every: int | None = None) -> list[dict]:
    """``local:2`` with 1 thread per worker (``shards`` shards): quality, training words/s and
    the rounds' measurements per seed."""
    from w2vcli.cluster import ClusterRun
    from w2vcli.tokenize import make_tokenizer
    from w2vcli.training import TrainConfig

    began = time.perf_counter()
    rows = []
    with ClusterRun("local:2", threads=1, layout={"shards": shards}, merge=merge,
                    delay=delay, hot_words=hot_words, full_sync_every=full_sync_every) as run:
        started = time.perf_counter() - began
        vocab, corpus = run.read_corpus([path], make_tokenizer("words"), 5)
        read = time.perf_counter() - began - started
        run.load_kernel(TrainConfig(threads=1))
        for seed in seeds:
            run.round_stats = []
            try:
                result = run.train(vocab, corpus, TrainConfig(threads=1, seed=seed,
                                                              epochs=epochs))
            except Exception as exc:  # noqa: BLE001 - a diverged rule is a result here
                rows.append({"seed": seed, "error": str(exc).split(";")[0]})
                print(f"  local:2, {shards} shards, {run.merge}, seed {seed}: {rows[-1]['error']}")
                continue
            analogy, ws = _score(vocab, result.w_in) if score else (math.nan, math.nan)
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
            print(f"  local:2, {len(corpus.shards)} shards, merge {run.merge}, delay {run.delay}, "
                  f"hot words {run.hot_words} every {run.full_sync_every}, seed {seed}: "
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


class _SyntheticSlices:
    """Stands in for an encoded shard in :func:`measure_big_round`: round ``r``'s sentences
    are ``ids[r]``, cut every 1,000 tokens (word2vec.c's sentence length)."""

    def __init__(self, ids: list, sentences: int) -> None:
        self.ids = ids
        self.sentences = sentences

    def read_batch(self, lo: int, hi: int):
        import numpy as np

        ids = self.ids[lo // self.sentences]
        return ids, np.arange(1000, len(ids) + 1, 1000, dtype=np.int64), 0

    def close(self) -> None:
        self.ids = []


def measure_big_round(vocab_size: int, s: float, f1: float, slice_words: int,
                      dim: int = 100, shards: int = 2, hot_words: int | None = None) -> dict:
    """One worker's round of the cluster's own task code, timed in this process (1 thread) on
    a model of ``vocab_size`` words whose frequencies follow the Zipf law ``f_i = f1 /
    i**s``: ``shards`` slices of ``slice_words`` token ids drawn from that law train round 0
    from the initial model (:func:`w2vcli.cluster._train_slice`), their row blocks are merged
    (:func:`w2vcli.cluster._merge_block`), and shard 0 trains round 1 from the merged model.

    Returns:
        ``kernel_rate`` (words/s), ``bookkeeping_s`` (round 1's task outside its kernel:
        adding the merged blocks, copying, finding the changed rows and their deltas),
        ``merge_s_per_gb`` (per GB of bfloat16 deltas into a block), ``apply_s_per_gb`` (the
        client adding merged blocks to its model), ``rows_in`` / ``rows_out`` (rows shard 0's
        round-1 slice changed), ``merge_s_at`` (per worker count W of :data:`WORKERS`, the
        seconds of one block's merge: W parts, the two slices' deltas in turn, cut to one
        block of V/W rows).
    """
    import numpy as np

    from w2vcli import cluster as cl
    from w2vcli._rows import add_rows
    from w2vcli.training import TrainConfig, init_weights, load_kernel, output_tables
    from w2vcli.vocab import Vocab

    p = f1 / np.arange(1, vocab_size + 1, dtype=np.float64) ** s
    p /= p.sum()
    counts = np.maximum(5, np.round(p * BIG_CORPUS)).astype(np.int64)
    vocab = Vocab([f"w{i}" for i in range(vocab_size)], counts)
    config = TrainConfig(threads=1, dim=dim)
    load_kernel(config)
    cl._warm_rows(shards)
    w_in, w_out = init_weights(vocab_size, dim, 1, config.output_rows(vocab_size))
    static = cl._Static(vocab, ("words",), 1000, 1, 2, config, output_tables(vocab, config),
                        vocab.keep_probabilities(config.sample))
    cdf = np.cumsum(p)
    rng = np.random.default_rng(0)
    sentences = slice_words // 1000
    run = f"bench-{os.getpid()}"
    state = cl._run_state(run)
    for k in range(shards):
        ids = [np.minimum(np.searchsorted(cdf, rng.random(sentences * 1000)),
                          vocab_size - 1).astype(np.int32) for _ in range(3 if k == 0 else 2)]
        cuts = np.arange(len(ids) + 1) * sentences
        state.shards[k] = (_SyntheticSlices(ids, sentences),
                           cl._Shard(len(ids) * sentences * 1000, len(ids) * sentences, 0, "",
                                     cuts, cuts * 1000))
    base = cl._Base(1, 0, w_in, w_out)
    blocks_in = cl._block_bounds(len(w_in), shards)
    blocks_out = cl._block_bounds(len(w_out), shards)

    def job(k: int, r: int, hot=None, full=True):
        return cl._Job(run, k, [], 1, r, r, (r * shards + k) * sentences * 1000,
                       10 * shards * sentences * 1000, cl._slice_seed(1, 1, r, k), 0, hot,
                       full, hot is None, blocks_in, blocks_out)

    third = None
    try:
        first = [cl._train_slice(job(k, 0), static, base, None) for k in range(shards)]
        merged = [cl._merge_block("sum", j, *[cl._block(t, j) for t in first])
                  for j in range(shards)]
        second = cl._train_slice(job(0, 1), static, base, None, *merged)
        if hot_words is not None:
            # A round that syncs the frequent words' rows only: round 1's deltas of those
            # rows (shard 0's, twice for 2 shards) merged, then shard 0's next slice.
            hot = (hot_words, hot_words)
            cut = [(p[0][:np.searchsorted(p[0], hot_words)], p[1][:np.searchsorted(
                p[0], hot_words)], p[2][:np.searchsorted(p[2], hot_words)],
                p[3][:np.searchsorted(p[2], hot_words)]) for p in second.parts]
            hot_merged = [cl._merge_block("sum", j, *[(cut[j], None)] * shards)
                          for j in range(shards)]
            third = cl._train_slice(job(0, 2, hot, False), static, base, None, *hot_merged)
    finally:
        cl._forget(run)
    # A block's merge with W workers: W parts (the two slices' deltas in turn) of the rows of
    # one block of V/W rows, so about one worker's changed rows in all.
    merge_at = {}
    rows_all = [(np.concatenate([p[0] for p in t.parts]), np.concatenate([p[1] for p in t.parts]),
                 np.concatenate([p[2] for p in t.parts]), np.concatenate([p[3] for p in t.parts]))
                for t in first]
    for workers in WORKERS:
        lo, hi_in, hi_out = 0, len(w_in) // workers, len(w_out) // workers
        parts = []
        for k in range(workers):
            r_in, d_in, r_out, d_out = rows_all[k % len(rows_all)]
            a, b = np.searchsorted(r_in, [lo, hi_in])
            c, d = np.searchsorted(r_out, [lo, hi_out])
            parts.append(((r_in[a:b], d_in[a:b], r_out[c:d], d_out[c:d]), None))
        cl._warm_rows(workers)
        merge_at[workers] = cl._merge_block("sum", 0, *parts).seconds
    merged_in = sum((len(part[0]) + len(part[2])) * dim * 2 for t in first
                    for part in t.parts)
    union = sum((len(m.rows_in) + len(m.rows_out)) * dim * 2 for m in merged)
    began = time.perf_counter()
    for m in merged:
        add_rows(w_in, m.rows_in, m.delta_in)
        add_rows(w_out, m.rows_out, m.delta_out)
    apply = time.perf_counter() - began
    st = second.stats
    tiered = {}
    if third is not None:
        t3 = third.stats
        tiered = {"hot_words": hot_words, "hot_bookkeeping_s": t3.seconds - t3.kernel_seconds,
                  "hot_rows_in": t3.rows_in, "hot_rows_out": t3.rows_out,
                  "hot_merge_s": max(m.seconds for m in hot_merged)}
    return {**tiered, "kernel_rate": st.words / st.kernel_seconds,
            "bookkeeping_s": st.seconds - st.kernel_seconds,
            "merge_s_per_gb": sum(m.seconds for m in merged) / merged_in * 1e9,
            "apply_s_per_gb": apply / union * 1e9,
            "rows_in": st.rows_in, "rows_out": st.rows_out, "slice_words": st.words,
            "merge_s_at": merge_at}


def scale_model(rows: list[dict], dim: int = 100) -> dict:
    """Predict words/s and efficiency at :data:`WORKERS` workers for a :data:`BIG_CORPUS`-token
    corpus from the rounds measured on text8_head and a kernel timed on the large model (see
    the module docstring and :func:`print_scale`)."""
    import numpy as np

    from w2vcli.cluster import FULL_SYNC_EVERY, ROUND_WORDS, ROUNDS_PER_EPOCH

    def share_of(workers: int) -> float:
        return (workers - 1) / workers

    stats = [r for row in rows for r in row["round_stats"]]
    tokens = rows[0]["tokens"]
    counts = np.asarray(rows[0]["counts"], dtype=np.float64)
    shards = len(stats[0]["task_seconds"])
    slice_words = [r["words"] / shards for r in stats]
    wire = 2  # bytes per value of a delta (bfloat16)
    small_rate = statistics.median(w / k for r in stats for w, k in
                                   zip([r["words"] / shards] * shards, r["kernel_seconds"])
                                   if k > 0)
    # The per-round cost of scheduling and localhost transfers, measured in the cluster run.
    fixed = statistics.median(r["seconds"] - max(r["task_seconds"]) - max(r["merge_seconds"])
                              for r in stats)
    measured_in = statistics.median(statistics.mean(r["rows_in"]) for r in stats)
    measured_out = statistics.median(statistics.mean(r["rows_out"]) for r in stats)
    w_small = statistics.median(slice_words)
    predicted_in, predicted_out = _touched(counts / counts.sum(), w_small)
    _, f1 = _zipf_fit(counts)
    # The 1B-token vocabulary from Heaps' law fitted on text8_head's prefixes; the Zipf
    # exponent of its frequencies then such that exactly those words reach min-count 5.
    beta, scale = rows[0]["heaps"]
    vocab_big = int(scale * BIG_CORPUS**beta)
    s = math.log(BIG_CORPUS * f1 / 5) / math.log(vocab_big)
    ranks = np.arange(1, vocab_big + 1, dtype=np.float64)
    freq_big = f1 / ranks**s
    freq_big /= freq_big.sum() / min(1.0, freq_big.sum())
    # One worker's round timed on the 1B-token model, at the 16-worker slice.
    at = 16
    big_slice = BIG_CORPUS / at / max(ROUNDS_PER_EPOCH, math.ceil(BIG_CORPUS / at / ROUND_WORDS))
    # Frequent words synced every round: as many as cover the share of the tokens that the
    # HOT_REFERENCE most frequent words cover in text8_head (benchmarked there, part "hot").
    share = float(counts[:HOT_REFERENCE].sum() / counts.sum())
    hot_big = int(np.searchsorted(np.cumsum(freq_big) / freq_big.sum(), share)) + 1
    big = measure_big_round(vocab_big, s, f1, int(big_slice), dim, hot_words=hot_big)
    rate, bookkeeping = big["kernel_rate"], big["bookkeeping_s"]
    merge_rate, apply_rate = big["merge_s_per_gb"] / 1e9, big["apply_s_per_gb"] / 1e9
    check_in, check_out = _touched(freq_big, big["slice_words"])
    table = []
    for workers in WORKERS:
        per_worker = BIG_CORPUS / workers
        rounds = max(ROUNDS_PER_EPOCH, math.ceil(per_worker / ROUND_WORDS))
        w = per_worker / rounds
        rows_in, rows_out = _touched(freq_big, w)
        union_in = float(vocab_big * (1 - (1 - rows_in / vocab_big) ** workers))
        union_out = float(vocab_big * (1 - (1 - rows_out / vocab_big) ** workers))
        compute = w / rate
        tasks = compute + bookkeeping
        own = (rows_in + rows_out) * dim * wire      # one worker's deltas
        merged = (union_in + union_out) * dim * wire  # all the merged blocks
        # Reduce-scatter: a worker sends the blocks of its deltas that others merge and
        # receives the parts of its own block; all-gather: it receives the other blocks and
        # sends its block to every other worker and to the client. Each link full duplex.
        others = share_of(workers)
        scatter = own * others / NETWORK
        gather = max(merged * others, merged / workers * workers) / NETWORK
        merge = big["merge_s_at"][workers]  # its block's parts from all W workers (timed)
        round_time = tasks + scatter + merge + gather + fixed
        # Frequent words every round, the others every FULL_SYNC_EVERY rounds and at the
        # epoch's end: the other rounds move and touch the frequent words' rows only.
        own_hot = (big["hot_rows_in"] + big["hot_rows_out"]) * dim * wire
        hot_time = compute + big["hot_bookkeeping_s"] + fixed + big["hot_merge_s"] + (
            own_hot * share_of(workers) + 2 * hot_big * dim * wire) / NETWORK
        fulls = sum((r + 1) % FULL_SYNC_EVERY == 0 or r == rounds - 1 for r in range(rounds))
        cycle = (fulls * round_time + (rounds - fulls) * hot_time) / rounds
        # With a delay of one round (and a second Dask thread per worker for the merging
        # tasks), the traffic and the merge overlap the next round's training.
        overlapped = tasks + fixed + max(0.0, scatter + merge + gather - compute)
        client = merged / NETWORK + merged * apply_rate
        table.append({
            "workers": workers, "rounds_per_epoch": rounds, "slice_words": w,
            "compute_s": compute, "rows_in": rows_in, "rows_out": rows_out,
            "sent_gb": (own * others + merged) / 1e9, "network_s": scatter + gather,
            "merge_s": merge, "round_s": round_time, "client_s": client,
            "words_per_sec": workers * w / round_time, "efficiency": compute / round_time,
            "efficiency_hot": compute / cycle, "full_rounds": fulls,
            "efficiency_delay": compute / overlapped})
    return {"worker_rate": rate, "small_rate": small_rate, "bookkeeping_s": bookkeeping,
            "hot_words": hot_big, "hot_share": share,
            "big": big, "big_workers": at, "big_rows_predicted": (check_in, check_out),
            "slice_words_measured": w_small,
            "rows_in_measured": measured_in, "rows_out_measured": measured_out,
            "rows_in_predicted": predicted_in, "rows_out_predicted": predicted_out,
            "vocab_measured": len(counts), "tokens_measured": tokens,
            "zipf_s": s, "zipf_f1": f1, "vocab_1b": vocab_big, "heaps_beta": beta,
            "merge_s_per_gb": merge_rate * 1e9, "apply_s_per_gb": apply_rate * 1e9,
            "round_overhead_s": fixed, "dim": dim, "table": table}


def print_scale(model: dict) -> None:
    m = model
    print(f"\nScale model: a {BIG_CORPUS:,}-token corpus, dim {m['dim']}, 10 Gb/s network, "
          "1 thread per worker")
    print(f"- vocabulary at 1B tokens: {m['vocab_1b']:,} words at min-count 5 (Heaps' law "
          f"V ~ n^{m['heaps_beta']:.2f}, fitted on prefixes of text8_head); frequencies a Zipf "
          f"law with text8_head's first-word frequency and exponent {m['zipf_s']:.3f}, which "
          "gives that vocabulary")
    big = m["big"]
    print(f"- one worker's round, timed here (1 thread) with the cluster's own task code on a "
          f"model of that vocabulary, {big['slice_words']:,} Zipf-drawn words per slice (the "
          f"{m['big_workers']}-worker slice), 2 shards: the kernel trains "
          f"{m['worker_rate']:,.0f} words/s ({m['small_rate']:,.0f} on text8_head's model in "
          f"the cluster run); the task's work outside the kernel (adding the merged blocks, "
          f"copying, finding the changed rows and their deltas) takes "
          f"{m['bookkeeping_s']:.2f} s a round, counted for every worker count")
    print(f"- rows changed per worker per round: expected from the Zipf frequencies with "
          "subsampling and noise draws; checked at two sizes: on text8_head's own counts at "
          f"{m['slice_words_measured']:,.0f} words per slice it predicts "
          f"{m['rows_in_predicted']:,.0f} / {m['rows_out_predicted']:,.0f} rows of w_in / "
          f"w_out of {m['vocab_measured']:,}, measured {m['rows_in_measured']:,.0f} / "
          f"{m['rows_out_measured']:,.0f}; on the timed round, predicted "
          f"{m['big_rows_predicted'][0]:,.0f} / {m['big_rows_predicted'][1]:,.0f}, measured "
          f"{big['rows_in']:,} / {big['rows_out']:,}")
    print("- rounds: a fifth of an epoch each, slices of at most 10M words (the defaults)")
    print("- network s: per worker, bfloat16 deltas (2 bytes a value): the reduce-scatter "
          "sends the parts of its changed rows that other workers merge ((W-1)/W of them) and "
          "the all-gather receives the merged blocks of the others ((W-1)/W of the union of "
          "all workers' changed rows) and sends its own block to the other workers and the "
          "client; every link full duplex, so a worker's traffic does not grow with W")
    print("- merge s: a block's merging task with W workers' parts, timed on the round's "
          "deltas cut to one block of V/W rows (W parts: about one worker's changed rows in "
          "all); a fixed "
          f"{m['round_overhead_s'] * 1000:.0f} ms per round (measured here: scheduling and "
          "localhost transfers on 2 shared cores)")
    print(f"- client s: the client receiving the merged blocks and adding them to its model "
          f"({m['apply_s_per_gb']:.2f} s per GB, measured on the timed round), while the workers train the next "
          "round: it keeps up while it is below round s")
    print(f"- efficiency, frequent words: the rows of the {m['hot_words']:,} most frequent words "
          f"(the share of the tokens, {100 * m['hot_share']:.1f}%, that text8_head's "
          f"{HOT_REFERENCE:,} most frequent words cover) synced every round, the others every "
          "5 rounds and at the epoch's end (--sync-words): the other rounds cost the kernel, "
          f"{m['big']['hot_bookkeeping_s']:.2f} s of task work and {m['big']['hot_merge_s']:.2f} s "
          "of merge (timed on such a round of the 1B-vocabulary model) and the frequent rows' "
          "traffic; efficiency over an epoch's rounds")
    print("- efficiency = compute s / round s (one worker's share of a perfect speed-up); "
          "words/s = workers x words per slice / round s; efficiency, delay 1: the same with "
          "the traffic and the merge overlapping the training (delay=1, a second Dask thread per "
          "worker for the merging tasks), so that a round costs the task and the fixed cost, "
          "plus whatever of the traffic and the merge the kernel does not cover\n")
    print("| workers | rounds/epoch | words per slice | compute s | rows changed (in / out) "
          "| GB sent per worker | network s | merge s | round s | client s | words/s | "
          "efficiency | efficiency, delay 1 | efficiency, frequent words |")
    print("|" + " ---: |" * 14)
    for r in m["table"]:
        print(f"| {r['workers']} | {r['rounds_per_epoch']} | {r['slice_words']:,.0f} | "
              f"{r['compute_s']:.1f} | {r['rows_in']:,.0f} / {r['rows_out']:,.0f} | "
              f"{r['sent_gb']:.2f} | {r['network_s']:.2f} | {r['merge_s']:.2f} | "
              f"{r['round_s']:.1f} | {r['client_s']:.1f} | {r['words_per_sec']:,.0f} | "
              f"{100 * r['efficiency']:.0f}% | {100 * r['efficiency_delay']:.0f}% | "
              f"{100 * r['efficiency_hot']:.0f}% |")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Cluster training: quality, overhead, merge, scale.")
    p.add_argument("--corpus", default=DEFAULT_CORPUS)
    p.add_argument("--repeats", type=int, default=3, help="seeds 1..N (default 3)")
    p.add_argument("--parts", default="quality,overhead,merge,delay,hot,size,scale")
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
            kernels = statistics.median(
                sum(r["words"] / len(r["kernel_seconds"]) / k for k in r["kernel_seconds"] if k)
                for row in cluster for r in row["round_stats"])
            out["cluster_kernels_words_per_sec"] = kernels
            print(f"\nThe workers' kernels alone (words per kernel second, summed over the "
                  f"workers, median round): {kernels:,.0f} words/s = {kernels / ls:.2f}x one "
                  "process: the bound on local:2's words/s here.")
            print(f"\nQuality: analogy {ca - la:+.4f} (target within 0.01), WS353 {cw - lw:+.4f} "
                  f"(target within 0.02). Overhead: {cs / ls:.2f}x one process's words/s "
                  f"(target >= 0.85x). Cluster start {_median(cluster, 'start_seconds'):.1f} s, "
                  f"reading on the workers {_median(cluster, 'read_seconds'):.1f} s (not in "
                  "words/s).")
        if "merge" in parts:
            print("\nMerge rules (text8_head, 5 epochs, 2 workers):")
            merges = {}
            for rule in ("sum", "sqrt", "mean"):
                merges[f"2-{rule}"] = run_cluster(path, seeds, 2, rule)
            merges["4-sum"] = run_cluster(path, seeds[:1], 4, "sum")
            for rule in ("sqrt", "mean"):
                merges[f"4-{rule}"] = run_cluster(path, seeds, 4, rule)
            for rule in ("sqrt", "mean"):
                merges[f"8-{rule}"] = run_cluster(path, seeds[:1], 8, rule)
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
        if "delay" in parts:
            print("\nDelay (text8_head, 5 epochs, local:2):")
            rows = {d: run_cluster(path, seeds, delay=d) for d in (0, 1)}
            out["delay"] = rows
            print("\n| delay | analogy | WS353 rho | training words/s |")
            print("| ---: | ---: | ---: | ---: |")
            for d, r in rows.items():
                print(f"| {d} | {_median(r, 'analogy'):.4f} | {_median(r, 'ws353'):.4f} | "
                      f"{_median(r, 'words_per_sec'):,.0f} |")
        if "hot" in parts:
            print("\nFrequent words synced every round, the others less often (text8_head, "
                  "5 epochs, local:2, 5 rounds per epoch):")
            configs = [(None, None), (2000, 5), (2000, 3), (2000, 2), (4000, 5)]
            rows = {f"{h}-{k}": run_cluster(path, seeds, hot_words=h, full_sync_every=k)
                    for h, k in configs}
            out["hot"] = rows
            print("\n| rows synced every round | the others synced | analogy | WS353 rho | "
                  "training words/s |")
            print("| --- | --- | ---: | ---: | ---: |")
            for key, r in rows.items():
                h, k = key.split("-")
                every = "every round" if h == "None" else \
                    "at the epoch's end" if int(k) >= 5 else f"every {k} rounds and at the end"
                print(f"| {'all' if h == 'None' else f'the {int(h):,} most frequent words'} | "
                      f"{every} | {_median(r, 'analogy'):.4f} | {_median(r, 'ws353'):.4f} | "
                      f"{_median(r, 'words_per_sec'):,.0f} |")
        if "size" in parts:
            print("\nOverhead against corpus size (text8_head repeated, 1 epoch):")
            out["size"] = []
            text = path.read_bytes()
            for times in (1, 4, 16):
                big = tmp / f"text8_head_x{times}.txt"
                with open(big, "wb") as fh:
                    for _ in range(times):
                        fh.write(text)
                        fh.write(b"\n")
                local = run_local(big, seeds, epochs=1, score=False)
                cluster = run_cluster(big, seeds, epochs=1, score=False, keep_rounds=True)
                row = {"times": times, "local": _median(local, "words_per_sec"),
                       "cluster": _median(cluster, "words_per_sec"),
                       "slice_words": statistics.median(
                           r["words"] / len(r["task_seconds"])
                           for r in cluster[0]["round_stats"])}
                out["size"].append(row)
                big.unlink()
            print("\n| corpus | tokens per slice | one process words/s | local:2 words/s | "
                  "ratio |")
            print("| --- | ---: | ---: | ---: | ---: |")
            for row in out["size"]:
                print(f"| text8_head x{row['times']} | "
                      f"{row['slice_words']:,.0f} | {row['local']:,.0f} | "
                      f"{row['cluster']:,.0f} | {row['cluster'] / row['local']:.2f}x |")
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
