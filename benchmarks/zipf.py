"""Large-vocabulary benchmark: w2v against word2vec.c and gensim on a generated Zipfian corpus.

    .venv/bin/python benchmarks/zipf.py                  # 3 interleaved repeats, about 20 minutes
    .venv/bin/python benchmarks/zipf.py --repeats 1      # a quick try
    .venv/bin/python benchmarks/zipf.py --generate-only  # just write (or find) the corpus

On text8-sized corpora the whole model sits in the CPU's caches; here it does not. The corpus
is drawn, seeded, from a Zipf-Mandelbrot law over ``--types`` generated words, so that at
``--tokens`` tokens over 300,000 distinct words reach min-count 5 and the two 300-dimensional
matrices take about 800 MB: rows are fetched from memory, and peak memory is mostly the model.

1. **Corpus.** Token ``i`` is word rank ``r`` with probability proportional to
   ``1 / (r + shift) ** exponent`` (drawn by inverse CDF from ``numpy.random.default_rng(seed)``);
   sentences are gamma-distributed in length (mean about 22 tokens, 1-200). Words are distinct
   strings of consonant-vowel syllables, the rank written in bijective base 100, so frequent
   words are short (``ba``, ``ka``; 2, 4 or 6 letters). The file, about 5 bytes per token, is
   written to ``benchmarks/out/zipf/`` under a name derived from every generator parameter and
   reused while they are unchanged (a JSON stamp beside it keeps its figures). Generating 24M
   tokens takes about 6 s. It prints the tokens, sentences, distinct words and the words kept
   at ``--min-count``; it stops if fewer than :data:`MIN_KEPT` are kept.
2. **Runs.** ``compare.py`` (by subprocess; its machinery, not a copy) trains ``w2v``,
   ``word2vec.c`` and ``gensim corpus_file`` on it, skip-gram negative sampling, dim 300, 1
   epoch, min-count 5, 2 threads, ``--repeats`` interleaved repeats, each a fresh process timed
   whole by ``/usr/bin/time``. Vector quality is not scored (``--no-quality``): the words of a
   random corpus have no meaning to recover, so analogy and WS353 figures would be noise.
   Its report is ``benchmarks/out/zipf.txt`` / ``zipf.json``, its logs ``out/logs-zipf/``.
3. **Summary.** The CPU model, the corpus figures, each trainer's median words/s and peak RSS,
   and w2v's words/s against each peer's and its peak RSS against gensim's, with the issue's
   targets (at least 4x word2vec.c's words/s; peak RSS below gensim's) marked met or missed.
   Also written to ``benchmarks/out/zipf-summary.txt``.

Compare figures within one run only (see ``benchmarks/README.md``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
OUT_DIR = BENCH_DIR / "out"
CORPUS_DIR = OUT_DIR / "zipf"
REPORT = "zipf"  # compare.py --report: out/zipf.txt, out/zipf.json, out/logs-zipf/
TRAINERS = ("w2v", "word2vec.c", "gensim corpus_file")

#: Bump when the generator's output changes for the same parameters (invalidates the cache).
GENERATOR_VERSION = 1
#: The issue's floor on the vocabulary: distinct words reaching min-count.
MIN_KEPT = 300_000
#: Tokens drawn and written per block: bounds the generator's memory to ~200 MB.
BLOCK_TOKENS = 1 << 22

CONSONANTS = b"bcdfghjklmnprstvwxyz"  # 20
VOWELS = b"aeiou"  # 5: 100 two-letter syllables
SYLLABLES = np.array([[c, v] for c in CONSONANTS for v in VOWELS], dtype=np.uint8)  # (100, 2)


@dataclass(frozen=True)
class ZipfParams:
    """Everything that determines the generated file (its cache key).

    Attributes:
        tokens: tokens in the corpus.
        types: distinct word ranks that can be drawn (the law's support).
        exponent: the Zipf exponent ``s`` (natural text: about 1).
        shift: the Mandelbrot shift ``q`` (flattens the head of the distribution).
        sentence_mean: mean sentence length in tokens (gamma with shape 2, cut to 1-200).
        seed: seed of ``numpy.random.default_rng``.
    """

    tokens: int = 24_000_000
    types: int = 1_500_000
    exponent: float = 1.05
    shift: float = 2.7
    sentence_mean: float = 22.0
    seed: int = 1

    def key(self) -> str:
        """A short hash of the parameters and :data:`GENERATOR_VERSION`."""
        text = json.dumps({"version": GENERATOR_VERSION, **asdict(self)}, sort_keys=True)
        return hashlib.sha1(text.encode()).hexdigest()[:10]


@dataclass
class ZipfCorpus:
    """A generated corpus file and its figures.

    Attributes:
        path: the plain-text file, one sentence per line, words separated by single spaces.
        tokens, sentences: its size.
        distinct: distinct words that occur at least once.
        kept: distinct words occurring at least ``min_count`` times.
        min_count: the threshold ``kept`` was counted at.
        bytes: file size.
        seconds: time it took to generate (on the run that wrote it).
        reused: True when an earlier run's file was found and used.
    """

    path: Path
    tokens: int
    sentences: int
    distinct: int
    kept: int
    min_count: int
    bytes: int
    seconds: float
    reused: bool


def word_table(types: int) -> tuple[np.ndarray, np.ndarray]:
    """The spelling of every rank: rank ``r`` is ``r + 1`` in bijective base 100, one syllable
    per digit, most significant first.

    Returns:
        ``(letters, lengths)``: uint8 ``(types, 2 * digits)`` ASCII letters, left-aligned and
        zero-padded, and int64 ``(types,)`` word lengths in bytes (2, 4, 6, ...). Distinct ranks
        get distinct words (syllables are two letters, so a spelling splits one way only).
    """
    n = np.arange(1, types + 1, dtype=np.int64)
    digits = []
    while n.any():
        live = n > 0
        n = np.where(live, n - 1, 0)
        digits.append(np.where(live, n % 100, -1))  # least significant first; -1: no digit
        n = n // 100
    count = len(digits)
    letters = np.zeros((types, 2 * count), dtype=np.uint8)
    lengths = np.zeros(types, dtype=np.int64)
    for k in range(count):
        lengths += 2 * (digits[k] >= 0)
    for k, d in enumerate(digits):
        # Digit k (from the right) sits at letters[lengths - 2k - 2 : lengths - 2k].
        rows = np.flatnonzero(d >= 0)
        at = lengths[rows] - 2 * k - 2
        letters[rows, at] = SYLLABLES[d[rows], 0]
        letters[rows, at + 1] = SYLLABLES[d[rows], 1]
    return letters, lengths


def _cdf(p: ZipfParams) -> np.ndarray:
    """float64 ``(types,)`` cumulative probabilities of ranks 0..types-1, last exactly 1."""
    weights = 1.0 / (np.arange(1, p.types + 1, dtype=np.float64) + p.shift) ** p.exponent
    cdf = np.cumsum(weights)
    cdf /= cdf[-1]
    cdf[-1] = 1.0
    return cdf


def _encode_block(ids: np.ndarray, newline: np.ndarray, letters: np.ndarray,
                  lengths: np.ndarray) -> np.ndarray:
    """The bytes of ``ids`` (int64 ranks) as words, each followed by a space or, where
    ``newline`` (bool, same shape) is set, by a line feed: uint8 ``(sum of lengths + n,)``."""
    word_len = lengths[ids]
    ends = np.cumsum(word_len + 1)
    starts = ends - word_len - 1
    out = np.empty(int(ends[-1]), dtype=np.uint8)
    for j in range(letters.shape[1]):
        has = word_len > j
        out[starts[has] + j] = letters[ids[has], j]
    out[ends - 1] = np.where(newline, ord("\n"), ord(" "))
    return out


def generate(p: ZipfParams, path: Path, min_count: int) -> ZipfCorpus:
    """Write the corpus of ``p`` to ``path`` (atomically: a temporary file renamed at the end).

    Returns:
        Its figures; ``kept`` counted at ``min_count``.
    """
    start = time.perf_counter()
    rng = np.random.default_rng(p.seed)
    letters, lengths = word_table(p.types)
    cdf = _cdf(p)
    # Sentence lengths: gamma(shape 2) with the requested mean, 1..200 tokens, until the
    # corpus is covered; the last sentence is cut to fit.
    sentence_lengths = []
    covered = 0
    while covered < p.tokens:
        draw = np.clip(np.rint(rng.gamma(2.0, p.sentence_mean / 2.0, size=1 << 20)), 1, 200)
        sentence_lengths.append(draw.astype(np.int64))
        covered += int(draw.sum())
    ends = np.cumsum(np.concatenate(sentence_lengths))
    n_sentences = int(np.searchsorted(ends, p.tokens, side="left")) + 1
    ends = ends[:n_sentences]
    ends[-1] = p.tokens
    counts = np.zeros(p.types, dtype=np.int64)
    tmp = path.with_name(path.name + ".tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(tmp, "wb") as fh:
        for lo in range(0, p.tokens, BLOCK_TOKENS):
            hi = min(lo + BLOCK_TOKENS, p.tokens)
            ids = np.searchsorted(cdf, rng.random(hi - lo), side="right")
            np.minimum(ids, p.types - 1, out=ids)
            counts += np.bincount(ids, minlength=p.types)
            newline = np.zeros(hi - lo, dtype=bool)
            inside = ends[(ends > lo) & (ends <= hi)]
            newline[inside - lo - 1] = True
            _encode_block(ids, newline, letters, lengths).tofile(fh)
    tmp.replace(path)
    return ZipfCorpus(path, p.tokens, n_sentences, int((counts > 0).sum()),
                      int((counts >= min_count).sum()), min_count, path.stat().st_size,
                      time.perf_counter() - start, False)


def corpus_for(p: ZipfParams, min_count: int, directory: Path = CORPUS_DIR) -> ZipfCorpus:
    """The corpus of ``p``: reused from ``directory`` if an earlier run wrote it with the same
    parameters (and the file is intact), generated otherwise."""
    path = directory / f"zipf-{p.key()}.txt"
    stamp = path.with_suffix(".json")
    if path.is_file() and stamp.is_file():
        try:
            saved = json.loads(stamp.read_text())
            if (saved.get("params") == asdict(p) and saved.get("bytes") == path.stat().st_size
                    and saved.get("min_count") == min_count):
                fig = saved["figures"]
                return ZipfCorpus(path, fig["tokens"], fig["sentences"], fig["distinct"],
                                  fig["kept"], min_count, saved["bytes"], fig["seconds"], True)
        except (ValueError, KeyError, TypeError):
            pass
    made = generate(p, path, min_count)
    stamp.write_text(json.dumps({
        "params": asdict(p), "version": GENERATOR_VERSION, "bytes": made.bytes,
        "min_count": min_count,
        "figures": {k: getattr(made, k) for k in ("tokens", "sentences", "distinct", "kept",
                                                   "seconds")},
    }, indent=2))
    return made


def describe(c: ZipfCorpus, p: ZipfParams) -> str:
    """One line on the corpus: its figures and how it was made."""
    how = (f"reused {c.path.name}" if c.reused
           else f"generated in {c.seconds:.1f} s: {c.path.name}")
    return (f"Zipf corpus: {c.tokens:,} tokens, {c.sentences:,} sentences, {c.distinct:,} "
            f"distinct words, {c.kept:,} kept at min-count {c.min_count} "
            f"({c.bytes / 2**20:,.0f} MiB; exponent {p.exponent:g}, shift {p.shift:g} over "
            f"{p.types:,} ranks, seed {p.seed}; {how})")


def summary(report: dict, corpus_line: str) -> str:
    """The CPU, the corpus, each trainer's medians, w2v's ratios and the targets, as text."""
    env = report.get("environment", {})
    rows = {r["trainer"]: r for r in report["summary"]["sg-ns"]}
    s = report["settings"]["sg-ns"]
    lines = [
        f"CPU: {env.get('cpu') or 'unknown'} ({env.get('cores')} cores)",
        corpus_line,
        f"Settings: skip-gram NS, dim {s['dim']}, window {s['window']}, neg {s['neg']}, "
        f"sample {s['sample']:g}, min-count {s['min_count']}, {s['epochs']} "
        f"epoch{'' if s['epochs'] == 1 else 's'}, "
        f"{s['threads']} threads; medians of {report['repeats']} interleaved repeats, whole "
        "process (start-up, vocabulary, training, writing text vectors).",
        "Quality not scored: the words of a random corpus carry no meaning, so analogy and "
        "similarity figures would be noise.",
    ]
    for label in TRAINERS:
        row = rows.get(label)
        if row is None or not row["ok"]:
            why = (row or {}).get("unavailable") or ", ".join((row or {}).get("errors") or [])
            lines.append(f"  {label:<20} FAILED {why}")
            continue
        runs = [r for r in report["runs"] if r["trainer"] == label and r["ok"]]
        rss = [r["peak_rss_mib"] for r in runs]
        lines.append(
            f"  {label:<20} {row['words_per_sec']:>11,.0f} words/s  {row['wall_s']:7.1f} s  "
            f"peak RSS {row['peak_rss_mib']:6,.0f} MiB (runs {min(rss):,.0f}-{max(rss):,.0f})  "
            f"vocab {row['vocab'] or 0:,.0f}")
    mine = rows.get("w2v")
    if mine and mine["ok"]:
        for label in ("word2vec.c", "gensim corpus_file"):
            peer = rows.get(label)
            if peer and peer["ok"]:
                ratio = mine["words_per_sec"] / peer["words_per_sec"]
                target = " (target >= 4x: " + ("met" if ratio >= 4 else "missed") + ")" \
                    if label == "word2vec.c" else ""
                lines.append(f"w2v words/s / {label}: {ratio:.2f}x{target}")
        gensim = rows.get("gensim corpus_file")
        if gensim and gensim["ok"]:
            ratio = mine["peak_rss_mib"] / gensim["peak_rss_mib"]
            lines.append(f"w2v peak RSS / gensim corpus_file: {ratio:.2f}x "
                         f"({mine['peak_rss_mib']:,.0f} vs {gensim['peak_rss_mib']:,.0f} MiB; "
                         f"target < 1: {'met' if ratio < 1 else 'missed'})")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    d = ZipfParams()
    p = argparse.ArgumentParser(
        description="Generate (or reuse) a seeded Zipfian corpus with a large vocabulary and "
                    "run compare.py on it: w2v, word2vec.c and gensim corpus_file, dim 300, "
                    "1 epoch; words/s and peak RSS.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--tokens", type=int, default=d.tokens, help="tokens to generate")
    p.add_argument("--types", type=int, default=d.types, help="word ranks that can be drawn")
    p.add_argument("--exponent", type=float, default=d.exponent, help="Zipf exponent")
    p.add_argument("--shift", type=float, default=d.shift, help="Mandelbrot shift")
    p.add_argument("--sentence-mean", type=float, default=d.sentence_mean,
                   help="mean sentence length in tokens")
    p.add_argument("--seed", type=int, default=d.seed, help="generator seed")
    p.add_argument("--min-count", type=int, default=5, help="min-count of every trainer")
    p.add_argument("--dim", type=int, default=300, help="vector dimension")
    p.add_argument("--epochs", type=int, default=1, help="passes over the corpus")
    p.add_argument("--threads", type=int, default=2, help="threads of every trainer")
    p.add_argument("--repeats", type=int, default=3, help="interleaved runs of each trainer")
    p.add_argument("--only", default=",".join(TRAINERS), help="compare.py rows to run")
    p.add_argument("--timeout", type=float, default=1800, help="seconds per training run")
    p.add_argument("--generate-only", action="store_true",
                   help="write (or find) the corpus, print its figures and stop")
    p.add_argument("--allow-small", action="store_true",
                   help=f"run even if fewer than {MIN_KEPT:,} words reach min-count")
    args = p.parse_args(argv)
    for name in ("tokens", "types", "min_count", "dim", "epochs", "threads", "repeats"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.exponent <= 0 or args.shift < 0 or args.sentence_mean < 1:
        p.error("--exponent must be positive, --shift 0 or more, --sentence-mean at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    params = ZipfParams(args.tokens, args.types, args.exponent, args.shift, args.sentence_mean,
                        args.seed)
    print("Preparing the Zipf corpus ...", file=sys.stderr, flush=True)
    corpus = corpus_for(params, args.min_count)
    corpus_line = describe(corpus, params)
    print(corpus_line, flush=True)
    if corpus.kept < MIN_KEPT and not args.allow_small:
        print(f"Error: only {corpus.kept:,} words reach min-count {args.min_count}; the benchmark "
              f"needs at least {MIN_KEPT:,} (raise --tokens, or pass --allow-small)",
              file=sys.stderr)
        return 1
    if args.generate_only:
        return 0
    command = [
        sys.executable, str(BENCH_DIR / "compare.py"), "--corpus", str(corpus.path),
        "--mode", "sg-ns", "--dim", str(args.dim), "--epochs", str(args.epochs),
        "--min-count", str(args.min_count), "--threads", str(args.threads),
        "--repeats", str(args.repeats), "--only", args.only, "--timeout", str(args.timeout),
        "--no-quality", "--report", REPORT,
    ]
    # Every run has its own timeout in compare.py; this bounds the whole, peers' install included.
    budget = args.timeout * args.repeats * len(args.only.split(",")) + 3600
    try:
        done = subprocess.run(command, stdin=subprocess.DEVNULL, timeout=budget)
    except subprocess.TimeoutExpired:
        print(f"Error: compare.py did not finish within {budget:.0f} s", file=sys.stderr)
        return 1
    if done.returncode != 0:
        return done.returncode
    report = json.loads((OUT_DIR / f"{REPORT}.json").read_text())
    text = summary(report, corpus_line)
    print("\n" + text)
    (OUT_DIR / f"{REPORT}-summary.txt").write_text(text + "\n")
    print(f"Wrote {OUT_DIR / (REPORT + '-summary.txt')}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
