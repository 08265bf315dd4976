"""Train fastText's unsupervised model (skip-gram or CBOW, NS or HS) and write ``.vec`` text.

Run by ``benchmarks/compare.py`` with the peers' python (``benchmarks/.venv-peers/bin/python``,
where compare.py installs the ``fasttext`` package, which compiles fastText's C++ with the
machine's compiler), one fresh process per training run, so the measured wall time, CPU time and
peak RSS are those of a user running fastText from a script: start-up, vocabulary, training and
writing the vectors.

    peer_fasttext.py CORPUS OUT [--minn 3 --maxn 6 --bucket 2000000 --model sg|cbow
                     --loss ns|hs --dim 100 --window 5 --neg 5 --sample 1e-3 --min-count 5
                     --epochs 5 --alpha 0.025 --threads 2 --seed 1]

``--maxn 0`` is fastText without subwords (its word vectors are then the word rows alone).
fastText's learning rate falls linearly to 0 (it has no final rate). Its noise distribution is
the unigram distribution to the power 0.5 (word2vec.c's is 0.75) and cannot be changed.

OUT is written as fastText's own ``.vec`` is (``FastText::saveVectors``): a ``count dim``
header, then every dictionary word (``</s>`` included, as fastText counts it) with its
``get_word_vector``, the mean of its own row and its n-gram rows.
"""

from __future__ import annotations

import argparse
import sys

from peer_args import add_training_args


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus")
    parser.add_argument("out")
    parser.add_argument("--minn", type=int, default=3)
    parser.add_argument("--maxn", type=int, default=6)
    parser.add_argument("--bucket", type=int, default=2_000_000)
    add_training_args(parser)
    args = parser.parse_args(argv)

    import fasttext
    import numpy as np

    params = dict(
        model="skipgram" if args.model == "sg" else "cbow", loss=args.loss, dim=args.dim,
        ws=args.window, neg=args.neg, t=args.sample, minCount=args.min_count,
        epoch=args.epochs, lr=args.alpha, thread=args.threads, minn=args.minn,
        maxn=args.maxn, bucket=args.bucket if args.maxn > 0 else 0, verbose=2,
    )
    try:
        model = fasttext.train_unsupervised(args.corpus, seed=args.seed, **params)
    except TypeError:  # a fastText without the seed argument
        model = fasttext.train_unsupervised(args.corpus, **params)
    words = model.get_words(on_unicode_error="replace")
    vectors = np.empty((len(words), args.dim), dtype=np.float32)
    for i, word in enumerate(words):
        vectors[i] = model.get_word_vector(word)
    with open(args.out, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(f"{len(words)} {args.dim}\n")
        for word, row in zip(words, vectors):
            fh.write(word + " " + " ".join(f"{x:.5g}" for x in row.tolist()) + "\n")
    print(f"fastText: {len(words)} words, {args.dim} dims; wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
