"""Kernel micro-benchmark: w2v training words/s against thread count, per kernel, via the library.

    .venv/bin/python benchmarks/threads.py [--corpus FILE] [--threads 1,2] [--epochs 1] [--repeats 3]

Reads the corpus once (``w2vcli.corpus.read_corpus``), then for each repeat, kernel ("hogbatch",
"pair") and thread count trains with ``w2vcli.train.train`` and the default hyper-parameters
(``TrainConfig(threads=t, kernel=k, epochs=E)``), interleaved. Words/s is the trainer's own
figure: in-vocabulary words trained / training seconds, excluding corpus reading and loading the
Numba kernel. Reported: the median over the repeats (and min-max), and the speed-up from 1 thread.

JIT time is reported apart, per kernel, from fresh processes (``--probe``) that train a tiny
corpus: "cold" with ``NUMBA_CACHE_DIR`` pointing to an empty temporary folder (a full compile, as
on a first install), "warm" with the normal cache (what every later ``w2v train`` pays).

Writes ``benchmarks/out/threads.txt`` (the printed report) and ``benchmarks/out/threads.json``.
Compare figures within one run only: run-to-run noise on the 2-core machine is 4-17%.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
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
KERNELS = ("hogbatch", "pair")
PROBE_WORDS = 20_000


def resolve_data_path(value: str) -> Path:
    """As given if absolute or present from the current directory, else from the project root."""
    path = Path(value).expanduser()
    if path.is_absolute() or path.exists():
        return path.resolve()
    return (ROOT / path).resolve()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="w2v training words/s against thread count, per kernel.")
    p.add_argument("--corpus", default=DEFAULT_CORPUS,
                   help=f"corpus file (default: {DEFAULT_CORPUS}, from the project root)")
    p.add_argument("--threads", default="1,2", help="comma-separated thread counts (default 1,2)")
    p.add_argument("--kernels", default=",".join(KERNELS),
                   help=f"comma-separated kernels (default {','.join(KERNELS)})")
    p.add_argument("--epochs", type=int, default=1, help="epochs per training run (default 1)")
    p.add_argument("--repeats", type=int, default=3, help="runs per (kernel, threads) (default 3)")
    p.add_argument("--no-compile", action="store_true", help="skip the cold/warm JIT probes")
    p.add_argument("--probe", metavar="KERNEL", help=argparse.SUPPRESS)  # internal: JIT probe
    p.add_argument("--probe-corpus", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    try:
        args.thread_counts = sorted({int(t) for t in args.threads.split(",") if t.strip()})
    except ValueError:
        p.error(f"--threads {args.threads!r}: expected comma-separated integers, e.g. 1,2,4")
    if not args.thread_counts or min(args.thread_counts) < 1:
        p.error("--threads: thread counts must be at least 1")
    args.kernel_list = [k.strip() for k in args.kernels.split(",") if k.strip()]
    bad = [k for k in args.kernel_list if k not in KERNELS]
    if bad or not args.kernel_list:
        p.error(f"--kernels: choose from {', '.join(KERNELS)}")
    if args.epochs < 1 or args.repeats < 1:
        p.error("--epochs and --repeats must be at least 1")
    return args


def probe(kernel: str, corpus_path: str) -> int:
    """In a fresh process: train one epoch on a tiny corpus; print the kernel's load/compile time."""
    from w2vcli.corpus import read_corpus
    from w2vcli.tokenize import make_tokenizer
    from w2vcli.train import TrainConfig, train

    vocab, corpus = read_corpus([corpus_path], make_tokenizer("words"), min_count=1)
    result = train(vocab, corpus, TrainConfig(epochs=1, threads=2, kernel=kernel))
    print(json.dumps({"kernel": kernel, "compile_seconds": result.compile_seconds}))
    return 0


def run_probe(kernel: str, corpus_path: Path, cache_dir: str | None) -> dict:
    env = dict(os.environ)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--probe", kernel, "--probe-corpus", str(corpus_path)],
        capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=900,
    )
    wall = time.perf_counter() - start
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["?"])[-1]
        return {"ok": False, "error": f"exit {done.returncode}: {tail[:200]}", "process_s": wall}
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return {"ok": True, "compile_s": data["compile_seconds"], "process_s": wall}


def write_probe_corpus(source: Path, path: Path) -> None:
    opener = gzip.open if source.suffix == ".gz" else open
    with opener(source, "rb") as fin:
        words = fin.read(PROBE_WORDS * 12).split()[: PROBE_WORDS - 1]  # drop a possibly cut word
    path.write_bytes(b" ".join(words) + b"\n")


def median(values: list[float]) -> float:
    return statistics.median(values)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.probe:
        return probe(args.probe, args.probe_corpus)

    # Numba's pool size is fixed when it is imported: allow more threads than cores if asked.
    if max(args.thread_counts) > (os.cpu_count() or 1) and "numba" not in sys.modules:
        os.environ["NUMBA_NUM_THREADS"] = str(max(args.thread_counts))

    from rich.console import Console, Group
    from rich.table import Table
    from rich.text import Text

    from w2vcli.corpus import read_corpus
    from w2vcli.tokenize import make_tokenizer
    from w2vcli.train import TrainConfig, train

    err = Console(stderr=True, highlight=False)
    source = resolve_data_path(args.corpus)
    if not source.is_file():
        err.print(f"[red]Error:[/red] corpus {source} not found; pass --corpus FILE")
        return 1
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()

    compile_rows = []
    if not args.no_compile:
        with tempfile.TemporaryDirectory(prefix="w2v-threads-") as tmp:
            probe_corpus = Path(tmp) / "probe.txt"
            write_probe_corpus(source, probe_corpus)
            for kernel in args.kernel_list:
                err.print(f"JIT probe {kernel}: cold (empty NUMBA_CACHE_DIR) ...")
                cold_dir = Path(tmp) / f"numba-cache-{kernel}"
                cold_dir.mkdir()
                cold = run_probe(kernel, probe_corpus, str(cold_dir))
                err.print(f"JIT probe {kernel}: warm (normal cache) ...")
                run_probe(kernel, probe_corpus, None)  # makes sure the normal cache is current
                warm = run_probe(kernel, probe_corpus, None)
                compile_rows.append({"kernel": kernel, "cold": cold, "warm": warm})

    err.print(f"Reading {source} ...")
    vocab, corpus = read_corpus([str(source)], make_tokenizer("words"), min_count=5)
    n_words = len(corpus)
    err.print(f"{len(vocab):,} words in the vocabulary, {n_words:,} tokens")

    # train() loads (or compiles) the kernel before its clock starts: no timed run pays for it.
    runs = []
    total = args.repeats * len(args.kernel_list) * len(args.thread_counts)
    n = 0
    for rep in range(1, args.repeats + 1):
        for kernel in args.kernel_list:
            for threads in args.thread_counts:
                n += 1
                result = train(vocab, corpus, TrainConfig(threads=threads, kernel=kernel,
                                                          epochs=args.epochs))
                runs.append({"rep": rep, "kernel": kernel, "threads": threads,
                             "seconds": result.seconds, "words_per_sec": result.words_per_sec,
                             "compile_seconds": result.compile_seconds,
                             "loss": result.epochs[-1].mean_loss})
                err.print(f"[{n}/{total}] repeat {rep}: {kernel}, {threads} thread(s): "
                          f"{result.words_per_sec:,.0f} words/s ({result.seconds:.2f} s)")
    if hasattr(corpus, "close"):
        corpus.close()
    elapsed = time.perf_counter() - t_start

    table = Table(title="w2v training speed by kernel and threads (medians over repeats)",
                  title_justify="left")
    for name, justify in (("kernel", "left"), ("threads", "right"), ("words/s", "right"),
                          ("min-max words/s", "right"), ("train s", "right"),
                          ("speed-up vs 1", "right"), ("final loss", "right")):
        table.add_column(name, justify=justify, no_wrap=True)
    summary = []
    speedup_lines = []
    for kernel in args.kernel_list:
        base = None
        by_threads = {}
        for threads in args.thread_counts:
            mine = [r for r in runs if r["kernel"] == kernel and r["threads"] == threads]
            wps = [r["words_per_sec"] for r in mine]
            row = {"kernel": kernel, "threads": threads, "words_per_sec": median(wps),
                   "min": min(wps), "max": max(wps),
                   "seconds": median([r["seconds"] for r in mine]),
                   "loss": median([r["loss"] for r in mine])}
            if threads == 1:
                base = row["words_per_sec"]
            row["speedup"] = row["words_per_sec"] / base if base else None
            by_threads[threads] = row
            summary.append(row)
            table.add_row(kernel, str(threads), f"{row['words_per_sec']:,.0f}",
                          f"{row['min']:,.0f}-{row['max']:,.0f}", f"{row['seconds']:.2f}",
                          "-" if row["speedup"] is None else f"{row['speedup']:.2f}x",
                          f"{row['loss']:.4f}")
        table.add_section()
        if 1 in by_threads and 2 in by_threads:
            speedup_lines.append(
                f"{kernel}: 1 -> 2 threads speed-up {by_threads[2]['words_per_sec'] / by_threads[1]['words_per_sec']:.2f}x "
                f"({by_threads[1]['words_per_sec']:,.0f} -> {by_threads[2]['words_per_sec']:,.0f} words/s)")

    parts = [Text(
        f"Corpus: {source} ({corpus.raw_tokens:,} tokens, {n_words:,} in a vocabulary of "
        f"{len(vocab):,}); default settings (dim 100, window 5, neg 5, sample 1e-3, "
        f"min-count 5), {args.epochs} epoch(s), {args.repeats} repeats, interleaved.\n"
        f"Machine: {os.cpu_count()} cores. words/s = in-vocabulary words trained / training "
        "seconds (w2vcli.train's own figure; excludes reading and JIT)."), table]
    if speedup_lines:
        parts.append(Text("\n".join(speedup_lines)))
    if compile_rows:
        jit = Table(title="Kernel load time (fresh process, tiny corpus): TrainResult.compile_seconds",
                    title_justify="left")
        jit.add_column("kernel")
        jit.add_column("cold: empty NUMBA_CACHE_DIR (compile)", justify="right")
        jit.add_column("warm: normal cache (load)", justify="right")

        def cell(probe_result: dict) -> str:
            if not probe_result["ok"]:
                return f"FAILED: {probe_result['error']}"[:60]
            return f"{probe_result['compile_s']:.2f} s"

        for row in compile_rows:
            jit.add_row(row["kernel"], cell(row["cold"]), cell(row["warm"]))
        parts.append(jit)
    parts.append(Text(f"Benchmark took {elapsed:.0f} s. Compare figures within one run only "
                      "(run-to-run noise on this machine is 4-17%)."))
    report = Group(*parts)

    console = Console(highlight=False)
    width = max(console.width, 110) if console.is_terminal else 110
    console.width = width
    console.print(report)
    with open(os.devnull, "w") as devnull:
        recorder = Console(record=True, width=width, file=devnull, highlight=False)
        recorder.print(report)
        (OUT_DIR / "threads.txt").write_text(recorder.export_text())
    (OUT_DIR / "threads.json").write_text(json.dumps({
        "corpus": str(source), "words": n_words, "raw_tokens": corpus.raw_tokens,
        "vocab": len(vocab), "epochs": args.epochs, "repeats": args.repeats,
        "threads": args.thread_counts, "kernels": args.kernel_list, "cores": os.cpu_count(),
        "runs": runs, "summary": summary, "compile": compile_rows,
        "seconds": round(elapsed, 1),
    }, indent=2))
    err.print(f"Wrote {OUT_DIR / 'threads.txt'} and {OUT_DIR / 'threads.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
