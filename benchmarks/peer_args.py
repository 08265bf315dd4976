"""The hyper-parameter flags every peer script takes (``peer_gensim.py``, ``peer_fasttext.py``),
with the harness's defaults; each script maps them onto its trainer's own names."""

from __future__ import annotations

import argparse


def add_training_args(parser: argparse.ArgumentParser) -> None:
    """``--model --loss --dim --window --neg --sample --min-count --epochs --alpha --threads
    --seed``, with word2vec.c's skip-gram defaults and 2 threads."""
    parser.add_argument("--model", choices=["sg", "cbow"], default="sg")
    parser.add_argument("--loss", choices=["ns", "hs"], default="ns")
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--window", type=int, default=5)
    parser.add_argument("--neg", type=int, default=5)
    parser.add_argument("--sample", type=float, default=1e-3)
    parser.add_argument("--min-count", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--alpha", type=float, default=0.025)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
