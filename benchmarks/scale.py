"""Scale benchmark: words/s and peak RSS of ``w2v train`` at 1M and at ~100M tokens.

    .venv/bin/python benchmarks/scale.py [--copies 86] [--epochs 1] [--threads 2]

The large corpus is ``text8_head`` repeated ``--copies`` times (86 copies: 100.8M tokens),
streamed into ``w2v train -`` through a pipe, so no 600 MB file is written and the generator's
memory is not the trainer's. Each run is a fresh process timed by ``/usr/bin/time`` (wall s,
peak RSS). The encoded corpus lives on disk and is read a batch at a time, so peak RSS should
not grow with the corpus: the figures to compare are the ratios printed at the end (100M over
1M), both from this one run.
"""

from __future__ import annotations

import argparse
import gzip
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "data" / "corpora" / "text8_head.txt.gz"


def run(text: bytes, copies: int, args: argparse.Namespace, out: Path) -> dict:
    """Train on ``copies`` concatenated lines of ``text`` fed through stdin; returns figures."""
    w2v = Path(sys.executable).parent / "w2v"
    timing = out.with_suffix(".time")
    command = [
        "/usr/bin/time", "-f", "%e %M", "-o", str(timing), str(w2v), "train", "-",
        "-o", str(out), "--epochs", str(args.epochs), "--threads", str(args.threads),
    ]
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdin is not None
    for _ in range(copies):
        proc.stdin.write(text)
    proc.stdin.close()
    log = proc.stderr.read().decode() if proc.stderr else ""
    if proc.wait() != 0:
        raise SystemExit(f"w2v failed on {copies} copies:\n{log}")
    wall, rss_kib = timing.read_text().split()[-2:]
    words = len(text.split()) * copies
    trained = " ".join(log.split())  # the summary line, unwrapped
    match = re.search(r"\(([\d,]+) words/s", trained)
    return {
        "copies": copies,
        "tokens": words,
        "wall_s": float(wall),
        "words_per_s": words * args.epochs / float(wall),
        "peak_rss_mib": int(rss_kib) / 1024,
        "train_words_per_s": float(match.group(1).replace(",", "")) if match else float("nan"),
        "seconds": time.perf_counter() - start,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--copies", type=int, default=86, help="repeats of the corpus (86: ~100M tokens)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if not args.corpus.exists():
        raise SystemExit(f"corpus {args.corpus} not found; pass --corpus FILE")
    opener = gzip.open if args.corpus.suffix == ".gz" else open
    with opener(args.corpus, "rb") as fh:
        text = fh.read().strip() + b"\n"
    with tempfile.TemporaryDirectory(prefix="w2v-scale-") as tmp:
        small = run(text, 1, args, Path(tmp) / "small.txt")
        large = run(text, args.copies, args, Path(tmp) / "large.txt")
    print(f"{'tokens':>13} {'wall s':>8} {'words/s whole':>14} {'words/s training':>17} "
          f"{'peak RSS MiB':>13}")
    for row in (small, large):
        print(f"{row['tokens']:>13,} {row['wall_s']:>8.1f} {row['words_per_s']:>14,.0f} "
              f"{row['train_words_per_s']:>17,.0f} {row['peak_rss_mib']:>13.0f}")
    print(f"large / small: training words/s {large['train_words_per_s'] / small['train_words_per_s']:.2f}x, "
          f"whole-process words/s {large['words_per_s'] / small['words_per_s']:.2f}x, "
          f"peak RSS {large['peak_rss_mib'] / small['peak_rss_mib']:.2f}x "
          f"({args.epochs} epoch(s), {args.threads} threads)")


if __name__ == "__main__":
    main()
