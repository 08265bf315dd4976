"""What sharing noise words costs: quality and speed of skip-gram NS against ``--combine``.

    .venv/bin/python benchmarks/combine.py                    # groups 1 (hogbatch), 2, 3, 4, 8; seeds 1-6
    .venv/bin/python benchmarks/combine.py --groups 1,2 --seeds 3

Context combining (``--kernel context-combining --combine G``) shares one set of noise words
across G consecutive centre words; ``G = 1`` is HogBatch. One seed's analogy accuracy on
text8_head varies by about +-0.005, more than the effect being measured, so every group is
trained with several seeds (``--seeds N``: seeds 1..N, interleaved) and reported as mean and
standard deviation: analogy accuracy (questions-words.txt, restrict_vocab 30000), WordSim353
Spearman rho, the final epoch's mean loss. Speed is training words per CPU-second at one thread
(medians of ``--speed-repeats`` one-epoch runs), the figure a busy machine changes least.

Reads text8_head once with whitespace tokens in 1,000-word sentences (as ``compare.py`` feeds
every trainer) and trains with the default hyper-parameters and ``--threads`` (default 2).
Prints the CPU model; writes ``benchmarks/out/combine.txt`` and ``benchmarks/out/combine.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from kernel import DEFAULT_CORPUS, OUT_DIR, cpu_description, resolve_data_path  # noqa: E402

EVAL_DIR = "../shared/data/eval"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Quality and speed of skip-gram NS by --combine.")
    p.add_argument("--corpus", default=DEFAULT_CORPUS)
    p.add_argument("--groups", default="1,2,3,4,8", help="--combine values (1 is hogbatch)")
    p.add_argument("--seeds", type=int, default=6, help="seeds 1..N per group (default 6)")
    p.add_argument("--threads", type=int, default=2, help="threads for the quality runs")
    p.add_argument("--speed-repeats", type=int, default=3)
    args = p.parse_args(argv)
    groups = [int(g) for g in args.groups.split(",")]

    from w2vcli.corpus import read_corpus
    from w2vcli.evaluate import evaluate_analogies, evaluate_word_pairs
    from w2vcli.keyedvectors import KeyedVectors
    from w2vcli.tokenize import make_tokenizer
    from w2vcli.training import TrainConfig, train

    questions = resolve_data_path(f"{EVAL_DIR}/questions-words.txt")
    wordsim = resolve_data_path(f"{EVAL_DIR}/wordsim353.tsv")
    cpu = cpu_description()
    print(f"CPU: {cpu['model']}, {cpu['cores']} cores; SIMD: {' '.join(cpu['simd'])}",
          file=sys.stderr)
    vocab, corpus = read_corpus([str(resolve_data_path(args.corpus))],
                                make_tokenizer("whitespace"), min_count=5,
                                max_sentence_length=1000)
    started = time.perf_counter()
    runs = []
    for seed in range(1, args.seeds + 1):
        for group in groups:
            result = train(vocab, corpus, TrainConfig(threads=args.threads, seed=seed,
                                                      combine=group))
            kv = KeyedVectors(vocab.words, result.w_in, vocab.counts)
            runs.append({
                "group": group, "seed": seed, "loss": result.epochs[-1].mean_loss,
                "analogy": evaluate_analogies(kv, questions, restrict_vocab=30000).accuracy,
                "ws353": evaluate_word_pairs(kv, wordsim).spearman})
            print(f"seed {seed}, combine {group}: analogy {runs[-1]['analogy']:.4f}, "
                  f"WS353 {runs[-1]['ws353']:.4f}", file=sys.stderr)
    speed: dict[int, list[float]] = {g: [] for g in groups}
    for _ in range(args.speed_repeats):
        for group in groups:
            result = train(vocab, corpus, TrainConfig(threads=1, epochs=1, combine=group))
            speed[group].append(result.words / result.cpu_seconds)

    lines = [f"CPU: {cpu['model']}, {cpu['cores']} cores. text8_head, skip-gram NS, dim 100, "
             f"window 5, neg 5, 5 epochs, {args.threads} threads, seeds 1-{args.seeds}; speed: "
             f"1 thread, 1 epoch, median of {args.speed_repeats}.",
             f"{'combine':>13} {'analogy mean':>13} {'sd':>7} {'WS353 mean':>11} {'sd':>7} "
             f"{'loss':>7} {'words/CPU-s':>12}"]
    summary = []
    for group in groups:
        mine = [r for r in runs if r["group"] == group]
        row = {"group": group,
               "analogy": statistics.mean(r["analogy"] for r in mine),
               "analogy_sd": statistics.stdev(r["analogy"] for r in mine) if len(mine) > 1 else 0,
               "ws353": statistics.mean(r["ws353"] for r in mine),
               "ws353_sd": statistics.stdev(r["ws353"] for r in mine) if len(mine) > 1 else 0,
               "loss": statistics.mean(r["loss"] for r in mine),
               "words_per_cpu_sec": statistics.median(speed[group])}
        summary.append(row)
        label = f"{group} (hogbatch)" if group == 1 else str(group)
        lines.append(f"{label:>13} {row['analogy']:13.4f} {row['analogy_sd']:7.4f} "
                     f"{row['ws353']:11.4f} {row['ws353_sd']:7.4f} {row['loss']:7.4f} "
                     f"{row['words_per_cpu_sec']:12,.0f}")
    lines.append(f"Took {time.perf_counter() - started:.0f} s.")
    report = "\n".join(lines)
    print(report)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "combine.txt").write_text(report + "\n")
    (OUT_DIR / "combine.json").write_text(json.dumps(
        {"cpu": cpu, "threads": args.threads, "seeds": args.seeds, "runs": runs,
         "summary": summary}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
