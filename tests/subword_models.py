"""Small hand-made subword models for the tests, made without training: random matrices in the
layout a subword training run saves (``w_in`` of V word rows then ``bucket`` n-gram rows, and
``model.json``'s ``config`` with ``minn``, ``maxn``, ``bucket``), so the interchange and query
tests do not depend on the training kernels.

Test modules import it by name (``from subword_models import make_subword_model``): pytest puts
the tests folder on ``sys.path``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from w2vcli.model import SavedModel, save_model

#: Vocabulary of the models, most frequent first; non-ASCII words exercise the signed-char
#: hashing of their n-grams.
WORDS = ["the", "king", "queen", "kingdom", "kings", "queens", "man", "woman", "prince",
         "princess", "castle", "crown", "throne", "royal", "empire", "emperor", "café",
         "naïve", "東京"]
BUCKET = 50
DIM = 16


def subword_model(*, bucket: int = BUCKET, dim: int = DIM, minn: int = 3, maxn: int = 6,
                  loss: str = "ns", model: str = "sg", seed: int = 1,
                  words: list[str] | None = None) -> SavedModel:
    """A :class:`SavedModel` of random float32 weights: ``w_in`` (V + bucket, dim), ``w_out``
    (V, dim), or (V - 1, dim) for ``loss="hs"``; counts falling from 10 * V by 10. ``maxn`` 0
    makes a word model (``bucket`` is then 0 and ``w_in`` has V rows)."""
    words = list(WORDS if words is None else words)
    if maxn == 0:
        bucket = 0
    n = len(words)
    rng = np.random.default_rng(seed)
    w_in = rng.uniform(-1, 1, (n + bucket, dim)).astype(np.float32)
    w_out = rng.uniform(-1, 1, (n - 1 if loss == "hs" else n, dim)).astype(np.float32)
    counts = np.arange(10 * n, 0, -10, dtype=np.int64)
    config = {"model": model, "loss": loss, "dim": dim, "window": 5, "negative": 5,
              "sample": 1e-3, "epochs": 5, "alpha": 0.025, "min_alpha": 0.0001, "seed": 1}
    if maxn:
        config.update(minn=minn, maxn=maxn, bucket=bucket)
    meta = {"config": config, "corpus": {"min_count": 1, "tokens": int(counts.sum())},
            "epochs_done": 5, "words_done": 5 * int(counts.sum())}
    return SavedModel(words, counts, w_in, w_out, meta)


def make_subword_model(path: Path, **kwargs) -> SavedModel:
    """:func:`subword_model` saved to directory ``path`` (:func:`w2vcli.model.save_model`)."""
    saved = subword_model(**kwargs)
    save_model(path, saved)
    return saved
