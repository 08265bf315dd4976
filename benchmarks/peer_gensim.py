"""Train gensim's Word2Vec (skip-gram or CBOW, NS or HS) and write word2vec.c text vectors.

Run by ``benchmarks/compare.py`` with the peers' python (``benchmarks/.venv-peers/bin/python``),
one fresh process per training run, so the measured wall time, CPU time and peak RSS are those of
a user running gensim from a script: start-up, vocabulary, training and writing.

    peer_gensim.py corpus_file|iterable CORPUS OUT [--model sg|cbow --loss ns|hs --dim 100
                   --window 5 --neg 5 --sample 1e-3 --min-count 5 --epochs 5 --alpha 0.025
                   --min-alpha 0.0001 --threads 2]

``--model`` sets ``sg=1`` (skip-gram) or ``sg=0`` (CBOW, mean of the context: gensim's default
``cbow_mean=1``, as word2vec.c); ``--loss hs`` sets ``hs=1, negative=0`` (hierarchical softmax
alone, as word2vec.c's ``-hs 1 -negative 0``), ``--loss ns`` sets ``hs=0, negative=--neg``.
``--alpha`` is always passed: gensim's default is 0.025 for CBOW too, word2vec.c's 0.05.

CORPUS must be in LineSentence format (one sentence per line, whitespace-separated tokens). Both
modes read the same file: ``corpus_file`` passes its path to ``Word2Vec(corpus_file=...)``,
``iterable`` streams it through ``LineSentence``. gensim's INFO log goes to standard error, so the
harness can check how many raw words gensim trained on and report its warnings.
"""

from __future__ import annotations

import argparse
import logging
import sys

from peer_args import add_training_args


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["corpus_file", "iterable"])
    parser.add_argument("corpus")
    parser.add_argument("out")
    add_training_args(parser)
    parser.add_argument("--min-alpha", type=float, default=0.0001)
    args = parser.parse_args(argv)

    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from gensim.models import Word2Vec
    from gensim.models.word2vec import LineSentence

    params = dict(
        sg=1 if args.model == "sg" else 0, hs=1 if args.loss == "hs" else 0,
        negative=0 if args.loss == "hs" else args.neg, vector_size=args.dim, window=args.window,
        sample=args.sample, min_count=args.min_count, epochs=args.epochs, alpha=args.alpha,
        min_alpha=args.min_alpha, workers=args.threads, seed=args.seed,
    )
    if args.mode == "corpus_file":
        model = Word2Vec(corpus_file=args.corpus, **params)
    else:
        model = Word2Vec(sentences=LineSentence(args.corpus), **params)
    model.wv.save_word2vec_format(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
