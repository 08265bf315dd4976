#!/usr/bin/env python3
"""Score trained vectors against the structure planted in the synthetic corpus.

    python examples/check_demo.py out/synthetic.vec
    python examples/check_demo.py out/synthetic.vec --min-recall 0.6 --min-analogy 0.5

Prints, for each planted topic group, the share of each member's 7 nearest neighbours (cosine)
that are members of the same group (1.0: the group is recovered exactly; random vectors score
about 1.5%), and the accuracy on the planted analogies (king : queen :: man : ?, 3CosAdd). With
``--min-recall`` / ``--min-analogy`` it exits with status 1 when the mean recall or an analogy
accuracy is below the threshold, so ``make demo`` doubles as an end-to-end check of the trainer.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import synthetic  # noqa: E402  (the generator next to this file)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("vectors", help="vectors trained on the synthetic corpus (text or binary)")
    parser.add_argument("--min-recall", type=float, default=0.0,
                        help="fail if the mean planted-group recall is below this (0..1)")
    parser.add_argument("--min-analogy", type=float, default=0.0,
                        help="fail if a planted relation's analogy accuracy is below this (0..1)")
    args = parser.parse_args(argv)

    from w2vcli.errors import W2VError
    from w2vcli.io import load_word2vec_format

    try:
        kv = load_word2vec_format(args.vectors)
    except W2VError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    print(synthetic.report(kv.index_to_key, kv.vectors))
    recall = synthetic.group_recall(kv.index_to_key, kv.vectors)
    accuracy = synthetic.analogy_accuracy(kv.index_to_key, kv.vectors)
    failures = []
    mean_recall = float(np.mean(list(recall.values()))) if recall else 0.0
    if mean_recall < args.min_recall:
        failures.append(f"mean group recall {mean_recall:.1%} < {args.min_recall:.0%}")
    for relation, acc in accuracy.items():
        if acc < args.min_analogy:
            failures.append(f"{relation} analogy accuracy {acc:.1%} < {args.min_analogy:.0%}")
    if failures:
        print("FAILED: " + "; ".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
