"""Roofline benchmark: w2v's training kernels against the machine's own GEMM peak.

    .venv/bin/python benchmarks/kernel.py                      # make bench-kernel: 1 and 2 threads
    .venv/bin/python benchmarks/kernel.py --threads all --modes sg-ns --no-breakdown
                                                               # make bench-threads: 1..all cores
    .venv/bin/python benchmarks/kernel.py --modes sg-ns --repeats 1 --no-compile   # a quick try

Reads the corpus once (text8_head by default, whitespace tokens, 1,000-word sentences as in
``compare.py``), then, interleaved over ``--repeats``:

1. **Kernels.** For each mode (``sg-ns`` with each update rule, ``sg-hs``, ``cbow-ns``,
   ``cbow-hs``) and thread count, trains ``--epochs`` epochs with ``w2vcli.training.train`` and the
   default hyper-parameters, and reports training-only words/s (in-vocabulary words / training
   seconds, without reading the corpus or loading the kernel), the floating-point operations the
   kernel performed per trained word (``TrainResult.flops``: counted by the kernel from the work
   it did, an FMA being two), the GFLOP/s that makes, and its **fraction of peak**: GFLOP/s
   over the float32 GEMM GFLOP/s of the same machine at the same thread count, measured in this
   run (numpy ``a @ b``, 2048 x 2048, in a fresh process whose BLAS thread variables are set to
   that count and whose other BLAS variables are unset). Also **words/s per GEMM GFLOP/s**, a
   machine-normalised speed (1 thread).
2. **Breakdown** (1 thread, the default rule): the same walk with the updates switched off
   (scores only), without touching a row (walk only), with noise words drawn once per thread
   (no draws), at dim 8 and 300, with every row in cache (ids folded onto 512 words) and with
   rows spread over 1,000,000-row matrices; nanoseconds of CPU time per word each, so that
   every optimisation aims at a measured cost.
3. **Compile time**: per mode, a fresh process trains a tiny corpus with an empty
   ``NUMBA_CACHE_DIR`` (cold: a full compile, as on a first install) and with the normal cache
   (warm).

Prints the CPU model and its SIMD flags with the figures; writes ``benchmarks/out/kernel.txt``
and ``benchmarks/out/kernel.json``. Compare figures within one run only.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
OUT_DIR = BENCH_DIR / "out"
DEFAULT_CORPUS = "../shared/data/corpora/text8_head.txt.gz"
#: label -> TrainConfig fields
MODES = {
    "sg-ns context-combining": dict(model="sg", loss="ns", kernel="context-combining"),
    "sg-ns hogbatch": dict(model="sg", loss="ns", kernel="hogbatch"),
    "sg-ns pair": dict(model="sg", loss="ns", kernel="pair"),
    "sg-hs": dict(model="sg", loss="hs"),
    "cbow-ns": dict(model="cbow", loss="ns"),
    "cbow-hs": dict(model="cbow", loss="hs"),
}
SIMD_FLAGS = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni",
              "avx512_bf16", "amx_tile", "sve", "asimd")
BLAS_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
             "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")
GEMM_N = 2048
PROBE_WORDS = 20_000

GEMM_CODE = f"""
import time, numpy as np
n = {GEMM_N}
rng = np.random.default_rng(0)
a = rng.random((n, n), dtype=np.float32); b = rng.random((n, n), dtype=np.float32)
a @ b
best = 0.0
for _ in range(5):
    t = time.perf_counter(); a @ b; dt = time.perf_counter() - t
    best = max(best, 2 * n ** 3 / dt / 1e9)
print(best)
"""


def resolve_data_path(value: str) -> Path:
    """As given if absolute or present from the current directory, else from the project root."""
    path = Path(value).expanduser()
    if path.is_absolute() or path.exists():
        return path.resolve()
    return (ROOT / path).resolve()


def cpu_description() -> dict:
    """CPU model, core count and SIMD flags (from /proc/cpuinfo where there is one)."""
    model, flags = platform.processor() or platform.machine(), set()
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                key = key.strip()
                if key in ("model name", "Model") and model in ("", platform.machine(),
                                                                 platform.processor()):
                    model = value.strip()
                elif key in ("flags", "Features") and not flags:
                    flags = set(value.split())
    except OSError:
        pass
    return {"model": model, "cores": os.cpu_count(),
            "simd": [f for f in SIMD_FLAGS if f in flags]}


def gemm_gflops(threads: int) -> float | None:
    """Best float32 GEMM GFLOP/s of 5, in a fresh process with BLAS threads set to ``threads``."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OPENBLAS_", "GOTO", "MKL_", "OMP_", "BLIS_"))}
    env.update({var: str(threads) for var in BLAS_VARS})
    done = subprocess.run([sys.executable, "-c", GEMM_CODE], capture_output=True, text=True,
                          env=env, stdin=subprocess.DEVNULL, timeout=600)
    if done.returncode != 0:
        return None
    return float(done.stdout.strip().splitlines()[-1])


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="w2v kernels against the machine's GEMM peak.")
    p.add_argument("--corpus", default=DEFAULT_CORPUS,
                   help=f"corpus file (default: {DEFAULT_CORPUS}, from the project root)")
    p.add_argument("--threads", default="1,2",
                   help="comma-separated thread counts, or 'all' for 1, 2, 4, ... up to all "
                        "cores (default 1,2)")
    p.add_argument("--modes", default=",".join(MODES),
                   help="comma-separated modes; sg-ns alone means its three rules (default: all)")
    p.add_argument("--epochs", type=int, default=1, help="epochs per run (default 1)")
    p.add_argument("--repeats", type=int, default=3, help="runs of each (default 3)")
    p.add_argument("--no-breakdown", action="store_true", help="skip the ablation breakdown")
    p.add_argument("--no-compile", action="store_true", help="skip the compile-time probes")
    p.add_argument("--probe", help=argparse.SUPPRESS)  # internal: compile probe of one mode
    p.add_argument("--probe-corpus", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    cores = os.cpu_count() or 1
    if args.threads == "all":
        counts, t = [], 1
        while t < cores:
            counts.append(t)
            t *= 2
        args.thread_counts = counts + [cores]
    else:
        try:
            args.thread_counts = sorted({int(t) for t in args.threads.split(",") if t.strip()})
        except ValueError:
            p.error(f"--threads {args.threads!r}: expected e.g. 1,2,4 or all")
    if not args.thread_counts or min(args.thread_counts) < 1:
        p.error("--threads: thread counts must be at least 1")
    names = [m.strip() for m in args.modes.split(",") if m.strip()]
    args.mode_list = []
    for name in names:
        found = [m for m in MODES if m == name or m.split()[0] == name]
        if not found:
            p.error(f"--modes: unknown {name!r}; choose from {', '.join(MODES)}")
        args.mode_list += [m for m in found if m not in args.mode_list]
    if args.epochs < 1 or args.repeats < 1:
        p.error("--epochs and --repeats must be at least 1")
    return args


def probe(mode: str, corpus_path: str) -> int:
    """In a fresh process: train one epoch of a tiny corpus; print the kernel's load time."""
    from w2vcli.corpus import read_corpus
    from w2vcli.tokenize import make_tokenizer
    from w2vcli.training import TrainConfig, train

    vocab, corpus = read_corpus([corpus_path], make_tokenizer("words"), min_count=1)
    result = train(vocab, corpus, TrainConfig(epochs=1, threads=1, **MODES[mode]))
    print(json.dumps({"compile_seconds": result.compile_seconds}))
    return 0


def run_probe(mode: str, corpus_path: Path, cache_dir: str | None) -> dict:
    env = dict(os.environ)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--probe", mode, "--probe-corpus", str(corpus_path)],
        capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=900)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["?"])[-1]
        return {"ok": False, "error": f"exit {done.returncode}: {tail[:200]}", "process_s": wall}
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return {"ok": True, "compile_s": data["compile_seconds"], "process_s": wall}


def write_probe_corpus(source: Path, path: Path) -> None:
    import gzip

    opener = gzip.open if source.suffix == ".gz" else open
    with opener(source, "rb") as fin:
        words = fin.read(PROBE_WORDS * 12).split()[: PROBE_WORDS - 1]  # drop a possibly cut word
    path.write_bytes(b" ".join(words) + b"\n")


def breakdown_variants(vocab, corpus):
    """(label, TrainConfig overrides, probe, vocab, corpus) for the ablation breakdown."""
    import numpy as np

    from w2vcli.corpus import Corpus
    from w2vcli.kernels import PROBE_FIXED_NOISE, PROBE_SCORES, PROBE_WALK
    from w2vcli.vocab import Vocab

    ids, ends = corpus.ids, corpus.sentence_ends
    hot = 512
    hot_ids = (ids % hot).astype(np.int32)
    hot_counts = np.bincount(hot_ids, minlength=hot)
    hot_vocab = Vocab([f"w{i}" for i in range(hot)], hot_counts)
    rows = 1_000_000
    rng = np.random.default_rng(0)
    place = rng.choice(rows, size=len(vocab), replace=False).astype(np.int32)
    wide_counts = np.ones(rows, dtype=np.int64)
    wide_counts[place] = vocab.counts
    wide_vocab = Vocab([f"w{i}" for i in range(rows)], wide_counts)
    return [
        ("full update", {}, 0, vocab, corpus),
        ("scores only (no gradient, no write)", {}, PROBE_SCORES, vocab, corpus),
        ("walk only (no row touched)", {}, PROBE_WALK, vocab, corpus),
        ("noise drawn once per thread", {}, PROBE_FIXED_NOISE, vocab, corpus),
        ("dim 8", {"dim": 8}, 0, vocab, corpus),
        ("dim 300", {"dim": 300}, 0, vocab, corpus),
        (f"rows in cache ({hot} words)", {}, 0, hot_vocab, Corpus.from_arrays(hot_ids, ends)),
        (f"rows spread over {rows:,}", {}, 0, wide_vocab,
         Corpus.from_arrays(place[ids], ends)),
    ]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.probe:
        return probe(args.probe, args.probe_corpus)

    from rich.console import Console, Group
    from rich.table import Table
    from rich.text import Text

    from w2vcli import kernels
    from w2vcli.corpus import read_corpus
    from w2vcli.tokenize import make_tokenizer
    from w2vcli.training import TrainConfig, train

    err = Console(stderr=True, highlight=False)
    source = resolve_data_path(args.corpus)
    if not source.is_file():
        err.print(f"[red]Error:[/red] corpus {source} not found; pass --corpus FILE")
        return 1
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    cpu = cpu_description()
    err.print(f"CPU: {cpu['model']}, {cpu['cores']} cores, SIMD {' '.join(cpu['simd'])}")

    compile_rows = []
    if not args.no_compile:
        with tempfile.TemporaryDirectory(prefix="w2v-kernel-") as tmp:
            probe_corpus = Path(tmp) / "probe.txt"
            write_probe_corpus(source, probe_corpus)
            for mode in args.mode_list:
                if mode == "sg-ns hogbatch":
                    continue  # the context-combining kernel with groups of one
                err.print(f"compile probe {mode}: cold (empty NUMBA_CACHE_DIR), then warm ...")
                cold_dir = Path(tmp) / ("cache-" + "".join(c if c.isalnum() else "-" for c in mode))
                cold_dir.mkdir()
                cold = run_probe(mode, probe_corpus, str(cold_dir))
                run_probe(mode, probe_corpus, None)  # makes sure the normal cache is current
                warm = run_probe(mode, probe_corpus, None)
                compile_rows.append({"mode": mode, "cold": cold, "warm": warm})

    err.print(f"Reading {source} ...")
    vocab, corpus = read_corpus([str(source)], make_tokenizer("whitespace"), min_count=5,
                                max_sentence_length=1000)
    err.print(f"{len(vocab):,} words in the vocabulary, {len(corpus):,} tokens")

    gemm: dict[int, list[float]] = {t: [] for t in args.thread_counts}
    runs: list[dict] = []
    breakdown_runs: list[dict] = []
    variants = [] if args.no_breakdown else breakdown_variants(vocab, corpus)
    default_mode = "sg-ns context-combining"
    for rep in range(1, args.repeats + 1):
        for threads in args.thread_counts:
            value = gemm_gflops(threads)
            if value is not None:
                gemm[threads].append(value)
            err.print(f"repeat {rep}: GEMM {threads} thread(s): "
                      f"{'failed' if value is None else f'{value:.1f} GFLOP/s'}")
        for mode in args.mode_list:
            for threads in args.thread_counts:
                config = TrainConfig(threads=threads, epochs=args.epochs, **MODES[mode])
                result = train(vocab, corpus, config)
                cpu_s = result.cpu_seconds
                runs.append({"rep": rep, "mode": mode, "threads": threads,
                             "words_per_sec": result.words_per_sec, "seconds": result.seconds,
                             "cpu_seconds": cpu_s, "flops": result.flops, "words": result.words,
                             "loss": result.epochs[-1].mean_loss})
                err.print(f"repeat {rep}: {mode}, {threads} thread(s): "
                          f"{result.words_per_sec:,.0f} words/s, "
                          f"{result.flops / result.words / 1e3:.1f} kFLOP/word")
        for label, overrides, probe_flags, v, c in variants:
            fields = dict(MODES[default_mode], **overrides)
            config = TrainConfig(threads=1, epochs=args.epochs, **fields)
            kernel = kernels.batch_kernel(config.dim, config.model, config.loss, config.kernel,
                                          probe_flags)
            result = train(v, c, config, batch_kernel=kernel)
            cpu_s = result.cpu_seconds
            breakdown_runs.append({"rep": rep, "variant": label, "ns_per_word":
                                   cpu_s / result.words * 1e9, "flops": result.flops,
                                   "words": result.words})
            err.print(f"repeat {rep}: breakdown {label}: {cpu_s / result.words * 1e9:.0f} ns/word")
    elapsed = time.perf_counter() - t_start

    med = statistics.median
    gemm_med = {t: med(v) for t, v in gemm.items() if v}
    table = Table(title="Training kernels against the GEMM peak (medians over repeats)",
                  title_justify="left")
    for name in ("mode", "threads", "words/s", "min-max", "speed-up", "words/CPU-s", "kFLOP/word",
                 "GFLOP/s", "GEMM", "of peak", "words/s per GEMM GFLOP/s"):
        table.add_column(name, justify="left" if name == "mode" else "right", no_wrap=True)
    summary = []
    for mode in args.mode_list:
        base = None
        for threads in args.thread_counts:
            mine = [r for r in runs if r["mode"] == mode and r["threads"] == threads]
            wps = [r["words_per_sec"] for r in mine]
            flops_per_word = med([r["flops"] / r["words"] for r in mine])
            gflops = med([r["flops"] / r["seconds"] / 1e9 for r in mine])
            peak = gemm_med.get(threads)
            row = {"mode": mode, "threads": threads, "words_per_sec": med(wps),
                   "min": min(wps), "max": max(wps), "flops_per_word": flops_per_word,
                   "words_per_cpu_sec": med([r["words"] / r["cpu_seconds"] for r in mine]),
                   "gflops": gflops, "gemm_gflops": peak,
                   "fraction_of_peak": gflops / peak if peak else None,
                   "words_per_gemm_gflop": med(wps) / peak if peak else None}
            base = row["words_per_sec"] if threads == 1 else base
            row["speedup"] = row["words_per_sec"] / base if base else None
            summary.append(row)
            table.add_row(
                mode, str(threads), f"{row['words_per_sec']:,.0f}",
                f"{row['min'] / 1e6:.2f}-{row['max'] / 1e6:.2f}M",
                "-" if row["speedup"] is None else f"{row['speedup']:.2f}x",
                f"{row['words_per_cpu_sec']:,.0f}", f"{flops_per_word / 1e3:.1f}", f"{gflops:.1f}",
                "-" if peak is None else f"{peak:.0f}",
                "-" if peak is None else f"{row['fraction_of_peak']:.1%}",
                "-" if peak is None else f"{row['words_per_gemm_gflop']:,.0f}")
        table.add_section()

    parts = [Text(
        f"CPU: {cpu['model']}, {cpu['cores']} cores; SIMD: {' '.join(cpu['simd']) or '?'}.\n"
        f"Corpus: {source} ({len(corpus):,} tokens in a vocabulary of {len(vocab):,}); dim 100, "
        f"window 5, neg 5, sample 1e-3, {args.epochs} epoch(s), {args.repeats} repeats, "
        "interleaved. words/s = in-vocabulary words trained / training seconds (no reading, no "
        "JIT); words/CPU-s the same per CPU second of all threads (what a busy machine leaves "
        "least changed). GFLOP/s: the kernel's; GEMM: the machine's. kFLOP/word: counted by the kernel from the work done (scores, gradients, row "
        f"updates; an FMA is 2). GEMM: float32 {GEMM_N}x{GEMM_N} numpy matmul, best of 5, same "
        "thread count, same run."), table]
    one = next((r for r in summary if r["mode"] == default_mode and r["threads"] == 1), None)
    if one and one["words_per_gemm_gflop"]:
        parts.append(Text(
            f"Headline ({default_mode}, 1 thread): {one['words_per_sec']:,.0f} words/s = "
            f"{one['words_per_gemm_gflop']:,.0f} words/s per GEMM GFLOP/s (target >= 11,000), "
            f"{one['gflops']:.1f} GFLOP/s = {one['fraction_of_peak']:.1%} of the "
            f"{one['gemm_gflops']:.0f} GFLOP/s of single-thread GEMM."))
    breakdown = []
    if breakdown_runs:
        bt = Table(title=f"Where the time goes: {default_mode}, 1 thread (CPU ns per word, "
                         "medians)", title_justify="left")
        for name in ("variant", "ns/word", "vs full", "kFLOP/word"):
            bt.add_column(name, justify="left" if name == "variant" else "right", no_wrap=True)
        full = None
        for label, *_ in variants:
            mine = [r for r in breakdown_runs if r["variant"] == label]
            ns = med([r["ns_per_word"] for r in mine])
            full = ns if full is None else full
            kflop = med([r["flops"] / r["words"] for r in mine]) / 1e3
            breakdown.append({"variant": label, "ns_per_word": ns, "kflop_per_word": kflop})
            bt.add_row(label, f"{ns:.0f}", f"{ns - full:+.0f}", f"{kflop:.1f}")
        parts.append(bt)
        by = {b["variant"]: b["ns_per_word"] for b in breakdown}
        walk = by["walk only (no row touched)"]
        scores = by["scores only (no gradient, no write)"]
        parts.append(Text(
            f"Of {full:.0f} ns per word: walking the corpus (subsampling, windows, noise draws) "
            f"{walk:.0f} ns, scoring {scores - walk:.0f} ns, gradients and row updates "
            f"{full - scores:.0f} ns; drawing noise words costs "
            f"{full - by['noise drawn once per thread']:.0f} ns, and rows outside the cache "
            f"{full - by['rows in cache (512 words)']:.0f} ns (text8_head) to "
            f"{by['rows spread over 1,000,000'] - by['rows in cache (512 words)']:.0f} ns "
            "(1M rows)."))
    if compile_rows:
        jit = Table(title="Kernel load time (fresh process, tiny corpus)", title_justify="left")
        for name in ("mode", "cold: empty cache (compile)", "warm: cached (load)"):
            jit.add_column(name, justify="left" if name == "mode" else "right")

        def cell(result: dict) -> str:
            return f"{result['compile_s']:.2f} s" if result["ok"] else f"FAILED: {result['error']}"[:60]

        for row in compile_rows:
            jit.add_row(row["mode"], cell(row["cold"]), cell(row["warm"]))
        parts.append(jit)
    parts.append(Text(f"Benchmark took {elapsed:.0f} s. Compare figures within one run only."))
    report = Group(*parts)

    console = Console(highlight=False)
    width = max(console.width, 140) if console.is_terminal else 140
    console.width = width
    console.print(report)
    with open(os.devnull, "w") as devnull:
        recorder = Console(record=True, width=width, file=devnull, highlight=False)
        recorder.print(report)
        (OUT_DIR / "kernel.txt").write_text(recorder.export_text())
    (OUT_DIR / "kernel.json").write_text(json.dumps({
        "cpu": cpu, "corpus": str(source), "words": len(corpus), "vocab": len(vocab),
        "epochs": args.epochs, "repeats": args.repeats, "threads": args.thread_counts,
        "modes": args.mode_list, "gemm_gflops": gemm, "runs": runs, "summary": summary,
        "breakdown_runs": breakdown_runs, "breakdown": breakdown, "compile": compile_rows,
        "seconds": round(elapsed, 1)}, indent=2))
    err.print(f"Wrote {OUT_DIR / 'kernel.txt'} and {OUT_DIR / 'kernel.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
