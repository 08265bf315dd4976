"""Corpus encoding benchmark: tokens/s and peak RSS of ``read_corpus``, reference against compiled.

    .venv/bin/python benchmarks/encode.py [--threads 1,2] [--repeats 3] [--zipf-tokens 12000000]

Measures :func:`w2vcli.corpus.read_corpus` (read, tokenize, count, build the vocabulary, write the
encoded corpus) on two plain-text corpora:

- ``text8_head``: ``../shared/data/corpora/text8_head.txt.gz`` decompressed once to
  ``benchmarks/out/encode/`` (1.17M tokens, lowercase ASCII, one line);
- ``zipf``: a generated corpus (seeded, no download) of ``--zipf-tokens`` tokens of a Zipfian
  vocabulary (exponent 1, 5M ranks, ~1.5M distinct words among 12M tokens), on short lines of 1
  to 20 tokens, some words capitalised: the many-short-lines, large-vocabulary case.

Rows: ``python`` is the reference implementation (one thread, :func:`iter_sentences` and a dict;
chosen by giving ``read_corpus`` a plain function around the same tokenizer), ``compiled/T`` is
the default path (:mod:`w2vcli.encode`) with ``threads=T``. Each measurement is one fresh process
(``--probe``), and rows are interleaved: repeat 1 of every row, then repeat 2, ... Inside the
probe, ``read_corpus`` is first run on a tiny corpus (so Numba's cached kernels are loaded, as in a
``w2v train`` that has started), then timed on the corpus. Reported per row: median tokens/s
(min-max), median wall and CPU seconds of the call (CPU of all its threads), and the probe's
peak RSS (``ru_maxrss``: the whole process, Python, NumPy and Numba included, which every row
imports; ``base`` is the peak before the timed call). The 1-minute load average before and after
says how busy the machine was.

Writes ``benchmarks/out/encode.txt`` (the printed report) and ``benchmarks/out/encode.json``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
OUT_DIR = BENCH_DIR / "out"
TEXT8 = ROOT.parent / "shared" / "data" / "corpora" / "text8_head.txt.gz"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def write_zipf(path: Path, tokens: int, seed: int = 1, ranks: int = 5_000_000,
               exponent: float = 1.0) -> None:
    """A seeded Zipfian corpus: ``tokens`` words on lines of 1-20 words, ~1 in 20 capitalised."""
    import numpy as np

    rng = np.random.default_rng(seed)
    # Word r: its base-26 digits (at least 3), each position through its own letter permutation,
    # so that different ranks are different words and frequent words are short.
    digits = np.maximum(3, np.ceil(np.log(np.arange(ranks) + 2) / np.log(26)).astype(np.int64))
    width = int(digits.max())
    perms = np.stack([rng.permutation(26) for _ in range(width)]).astype(np.uint8)
    letters = np.empty((ranks, width), dtype=np.uint8)
    value = np.arange(ranks, dtype=np.int64)
    for j in range(width):
        letters[:, width - 1 - j] = perms[j][value % 26] + ord("a")
        value //= 26
    weights = 1.0 / np.arange(1, ranks + 1, dtype=np.float64) ** exponent
    cdf = np.cumsum(weights)
    cdf /= cdf[-1]
    drawn = np.searchsorted(cdf, rng.random(tokens), side="right").clip(0, ranks - 1)
    length = digits[drawn]
    ends = np.cumsum(length + 1)
    out = np.empty(int(ends[-1]), dtype=np.uint8)
    starts = ends - length - 1
    for j in range(width):
        has = length > j
        out[starts[has] + j] = letters[drawn[has], width - length[has] + j]
    capital = rng.random(tokens) < 0.05
    out[starts[capital]] -= 32
    # Separators: a newline after every 1-20 words, else a space.
    line_ends = np.cumsum(rng.integers(1, 21, size=tokens))
    line_ends = line_ends[line_ends <= tokens] - 1
    out[ends - 1] = ord(" ")
    out[ends[line_ends] - 1] = ord("\n")
    out[-1] = ord("\n")
    tmp = path.with_suffix(".part")
    out.tofile(tmp)
    os.replace(tmp, path)


def prepare(corpus: str, zipf_tokens: int) -> Path:
    folder = OUT_DIR / "encode"
    folder.mkdir(parents=True, exist_ok=True)
    if corpus == "text8_head":
        path = folder / "text8_head.txt"
        if not path.exists():
            if not TEXT8.exists():
                raise SystemExit(f"{TEXT8} is missing")
            tmp = path.with_suffix(".part")
            with gzip.open(TEXT8, "rb") as src, open(tmp, "wb") as dst:
                dst.write(src.read())
            os.replace(tmp, path)
        return path
    path = folder / f"zipf-{zipf_tokens}.txt"
    if not path.exists():
        write_zipf(path, zipf_tokens)
    return path


def probe(path: str, engine: str, threads: int, tokenizer: str) -> dict:
    """One measurement, in this process (run by the parent as a fresh process)."""
    import w2vcli.encode  # noqa: F401 - Numba in every row, as in w2v train, for the same base RSS
    from w2vcli.corpus import read_corpus
    from w2vcli.tokenize import make_tokenizer

    tok = make_tokenizer(tokenizer)
    if engine == "python":
        tok = (lambda t: lambda text: t(text))(tok)  # a plain function: the reference path
    with tempfile.TemporaryDirectory() as tmp:
        warm = Path(tmp) / "warm.txt"
        warm.write_text("a warm up corpus\nof a few words\n" * 20)
        read_corpus([warm], tok, min_count=1, threads=threads)[1].close()
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start, cpu = time.perf_counter(), time.process_time()
        vocab, corpus = read_corpus([path], tok, min_count=5, threads=threads, directory=tmp)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        result = {"seconds": seconds, "cpu_s": cpu, "tokens": corpus.raw_tokens,
                  "vocab": len(vocab),
                  "kept": corpus.n_tokens, "fingerprint": corpus.fingerprint(),
                  "base_rss_mib": base / 1024,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
        corpus.close()
    return result


def run_probe(path: Path, engine: str, threads: int, tokenizer: str, timeout: float) -> dict:
    command = [sys.executable, __file__, "--probe", str(path), "--engine", engine,
               "--probe-threads", str(threads), "--tokenizer", tokenizer]
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)
    if done.returncode != 0:
        raise SystemExit(f"probe failed: {' '.join(command)}\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", default="1,2", help="thread counts of the compiled rows")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--corpora", default="text8_head,zipf")
    parser.add_argument("--zipf-tokens", type=int, default=12_000_000)
    parser.add_argument("--tokenizer", default="words", choices=("words", "whitespace"))
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per probe")
    parser.add_argument("--probe", help=argparse.SUPPRESS)
    parser.add_argument("--engine", default="compiled", help=argparse.SUPPRESS)
    parser.add_argument("--probe-threads", type=int, default=1, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.probe:
        print(json.dumps(probe(args.probe, args.engine, args.probe_threads, args.tokenizer)))
        return 0
    threads = [int(t) for t in args.threads.split(",")]
    rows = [("python", 1)] + [("compiled", t) for t in threads]
    corpora = {name: prepare(name, args.zipf_tokens) for name in args.corpora.split(",")}
    runs: dict[tuple[str, str, int], list[dict]] = {}
    load_before = os.getloadavg()[0]
    for repeat in range(args.repeats):
        for name, path in corpora.items():
            for engine, t in rows:
                result = run_probe(path, engine, t, args.tokenizer, args.timeout)
                runs.setdefault((name, engine, t), []).append(result)
                print(f"  repeat {repeat + 1} {name} {engine}/{t}: {result['seconds']:.3f} s",
                      file=sys.stderr)
    lines = [f"CPU: {cpu_model()} ({os.cpu_count()} logical CPUs); "
             f"Python {platform.python_version()}",
             f"read_corpus, tokenizer {args.tokenizer}, min_count 5; medians of {args.repeats} "
             "interleaved repeats, one fresh process each",
             f"load average (1 min) before: {load_before:.2f}, after: {os.getloadavg()[0]:.2f} "
             "(other work on the machine takes cores from the rows)", ""]
    header = f"{'corpus':<11} {'row':<12} {'tokens':>11} {'tokens/s':>10} {'(min-max)':>17} " \
             f"{'s':>7} {'CPU s':>6} {'x python':>8} {'base MiB':>8} {'peak MiB':>8}"
    lines.append(header)
    summary = []
    for name in corpora:
        reference = None
        fingerprints = set()
        for engine, t in rows:
            results = runs[(name, engine, t)]
            speeds = [r["tokens"] / r["seconds"] for r in results]
            speed = statistics.median(speeds)
            reference = reference or speed
            fingerprints.update(r["fingerprint"] for r in results)
            row = {"corpus": name, "row": f"{engine}/{t}" if engine == "compiled" else engine,
                   "tokens": results[0]["tokens"], "vocab": results[0]["vocab"],
                   "tokens_per_s": speed, "min": min(speeds), "max": max(speeds),
                   "seconds": statistics.median(r["seconds"] for r in results),
                   "cpu_s": statistics.median(r["cpu_s"] for r in results),
                   "speedup": speed / reference,
                   "base_rss_mib": statistics.median(r["base_rss_mib"] for r in results),
                   "peak_rss_mib": statistics.median(r["peak_rss_mib"] for r in results)}
            summary.append(row)
            lines.append(f"{name:<11} {row['row']:<12} {row['tokens']:>11,} "
                         f"{speed / 1e6:>8.2f}M  ({row['min'] / 1e6:.2f}-{row['max'] / 1e6:.2f}M) "
                         f"{row['seconds']:>7.3f} {row['cpu_s']:>6.2f} {row['speedup']:>7.2f}x "
                         f"{row['base_rss_mib']:>8.0f} {row['peak_rss_mib']:>8.0f}")
        same = "identical" if len(fingerprints) == 1 else "DIFFERENT"
        lines.append(f"{'':<11} encoded corpora of every row and repeat: {same} "
                     f"(vocabulary {summary[-1]['vocab']:,} words)")
    report = "\n".join(lines)
    print(report)
    OUT_DIR.mkdir(exist_ok=True)
    (OUT_DIR / "encode.txt").write_text(report + "\n")
    (OUT_DIR / "encode.json").write_text(json.dumps(
        {"cpu": cpu_model(), "args": vars(args), "rows": summary}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
