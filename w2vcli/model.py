"""A saved model: everything needed to continue training, in an open, documented layout.

``w2v train --save-model DIR`` writes a directory::

    DIR/
      model.json   format marker and version, vector size, vocabulary size, the training
                   parameters (threads included), epochs done, words trained, the corpus
                   (absolute paths, fingerprint), the outputs' absolute paths, and for a
                   checkpoint taken on Ctrl-C the position (epoch, next sentence, running
                   loss); its layout is :mod:`w2vcli.session`'s
      vocab.tsv    one line per word, ``word<TAB>count``, row i = word id i (most frequent first)
      w_in.npy     float32 (V, d): the input (centre) vectors, i.e. the word vectors
      w_out.npy    float32 (V, d): the output (outside) vectors of negative sampling, or the
                   inner-node vectors of hierarchical softmax (V - 1 rows)
      loss.csv     one row per epoch done: epoch, words, alpha, mean_loss, words_per_sec

Everything is plain NumPy ``.npy``, JSON, TSV and CSV, readable without w2v. Training needs no
random state beyond the seed: every kernel call derives its stream from (seed, epoch, first
sentence of its batch), and the learning rate is a function of the global word position, so a
resumed run continues exactly where it stopped, at any thread count (bit for bit at the thread
count it was trained with, if that is 1).

A directory is written whole under a temporary name beside ``DIR`` (``.DIR.tmp-<pid>-<random>``),
fsynced and swapped into place (:func:`w2vcli.atomic.atomic_directory`), so ``DIR`` is always
either the previous complete model or the new one, never half of each: a ``kill -9`` at any
moment leaves the last complete checkpoint, and what it leaves beside it is removed by the next
save (only once its process is gone).
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from w2vcli.atomic import atomic_directory, recover_directory
from w2vcli.errors import W2VError

FORMAT = "w2v-model"
#: 2: a checkpoint's position is a sentence index (1: a batch index, still read).
VERSION = 2
LOSS_FIELDS = ("epoch", "words", "alpha", "mean_loss", "words_per_sec")


class ModelFormatError(W2VError):
    """A model directory is missing files or has inconsistent ones."""


@dataclass
class SavedModel:
    """The contents of a model directory.

    Attributes:
        words: ``V`` words, row order.
        counts: int64 ``(V,)`` corpus counts.
        w_in: float32 ``(V, d)`` input vectors.
        w_out: float32 output vectors (``(V, d)``, or ``(V - 1, d)`` for hierarchical softmax).
        meta: the parsed ``model.json`` (``config``, ``epochs_done``, ``words_done``,
            ``corpus``, ...).
        loss: per-epoch rows of ``loss.csv`` as dicts with the fields of :data:`LOSS_FIELDS`.
    """

    words: list[str]
    counts: np.ndarray
    w_in: np.ndarray
    w_out: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)
    loss: list[dict[str, float]] = field(default_factory=list)

    @property
    def vector_size(self) -> int:
        return int(self.w_in.shape[1])


def is_model_dir(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a directory holding a ``model.json``."""
    return Path(path).is_dir() and (Path(path) / "model.json").is_file()


def save_model(path: str | os.PathLike, model: SavedModel) -> None:
    """Write ``model`` to directory ``path`` atomically (:func:`w2vcli.atomic.atomic_directory`).

    An existing model directory at ``path`` is replaced only once the new one is complete and
    fsynced; a kill at any instant leaves the old or the new model loadable with
    :func:`load_model`. Temporary directories of an earlier save whose process died are removed.

    Raises:
        W2VError: the parent directory is missing or not writable, or ``path`` exists and is
            not a model directory (it is never deleted).
    """
    target = Path(path)
    parent = target.parent if str(target.parent) else Path(".")
    if target.exists() and not is_model_dir(target):
        raise W2VError(
            f"{target} exists and is not a w2v model directory; choose another --save-model path"
        )
    if not parent.is_dir():
        raise W2VError(f"cannot save the model to {target}: directory {parent} does not exist")
    meta = dict(model.meta, format=FORMAT, version=VERSION, vector_size=model.vector_size,
                vocab_size=len(model.words))
    try:
        with atomic_directory(target) as tmp:
            with open(tmp / "vocab.tsv", "w", encoding="utf-8", newline="\n") as fh:
                fh.writelines(f"{w}\t{int(c)}\n" for w, c in zip(model.words, model.counts))
            np.save(tmp / "w_in.npy", np.ascontiguousarray(model.w_in, dtype=np.float32))
            np.save(tmp / "w_out.npy", np.ascontiguousarray(model.w_out, dtype=np.float32))
            with open(tmp / "loss.csv", "w", encoding="utf-8", newline="") as fh:
                fh.write(loss_csv_text(model.loss))
            # model.json last: its presence marks a complete directory.
            with open(tmp / "model.json", "w", encoding="utf-8") as fh:
                json.dump(meta, fh, indent=2, sort_keys=True)
                fh.write("\n")
    except OSError as exc:
        raise W2VError(f"cannot save the model to {target}: {exc.strerror or exc}") from None


def load_model(path: str | os.PathLike, mmap: bool = False) -> SavedModel:
    """Read a model directory written by :func:`save_model`.

    Args:
        mmap: memory-map the matrices read-only instead of reading them.

    Raises:
        ModelFormatError: a file is missing, or the files disagree (names the file).
        OSError: putting back the previous directory of a save that died halfway failed.
    """
    root = Path(path)
    recover_directory(root)  # a save killed between its two renames (where it needs two)
    if not is_model_dir(root):
        raise ModelFormatError(f"{root} is not a w2v model directory (no model.json in it)")
    try:
        meta = json.loads((root / "model.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelFormatError(f"{root / 'model.json'}: cannot read it ({exc})") from None
    if meta.get("format") != FORMAT:
        raise ModelFormatError(f"{root / 'model.json'}: not a {FORMAT} file")
    if int(meta.get("version", 0)) > VERSION:
        raise ModelFormatError(
            f"{root} was written by a newer w2v (model format {meta.get('version')}); upgrade w2v"
        )
    words, counts = read_vocab_tsv(root / "vocab.tsv")
    try:
        w_in = np.load(root / "w_in.npy", mmap_mode="r" if mmap else None)
        w_out = np.load(root / "w_out.npy", mmap_mode="r" if mmap else None)
    except (OSError, ValueError) as exc:
        raise ModelFormatError(f"{root}: cannot read the weight matrices ({exc})") from None
    bucket = subword_buckets(meta)
    if w_in.ndim != 2 or w_in.shape[0] not in {len(words), len(words) + bucket}:
        buckets = f" + {bucket:,} n-gram buckets" if bucket else ""
        raise ModelFormatError(
            f"{root / 'w_in.npy'}: shape {w_in.shape} does not match {len(words)} words in "
            f"vocab.tsv{buckets}"
        )
    loss: list[dict[str, float]] = []
    if (root / "loss.csv").is_file():
        with open(root / "loss.csv", encoding="utf-8", newline="") as fh:
            loss = [_loss_row(row) for row in csv.DictReader(fh)]
    return SavedModel(words, counts, w_in, w_out, meta, loss)


def subword_buckets(meta: dict[str, Any]) -> int:
    """The n-gram buckets of a model (``model.json``'s ``config.bucket``; 0 for a word model,
    or one whose ``config`` has no ``bucket``). A subword model's ``w_in.npy`` has this many
    rows after the V word rows (fastText's layout)."""
    config = meta.get("config") if isinstance(meta, dict) else None
    try:
        return max(0, int((config or {}).get("bucket") or 0))
    except (TypeError, ValueError, AttributeError):
        return 0


def read_vocab_tsv(path: str | os.PathLike) -> tuple[list[str], np.ndarray]:
    """Read ``word<TAB>count`` lines; returns words and int64 counts.

    Raises:
        ModelFormatError: the file is missing or a line is malformed (names the line).
    """
    words: list[str] = []
    counts: list[int] = []
    try:
        with open(path, encoding="utf-8") as fh:
            for number, line in enumerate(fh, start=1):
                word, sep, count = line.rstrip("\n").partition("\t")
                if not sep or not word or not count.isdigit():
                    raise ModelFormatError(f"{path}, line {number}: expected 'word<TAB>count'")
                words.append(word)
                counts.append(int(count))
    except OSError as exc:
        raise ModelFormatError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    return words, np.asarray(counts, dtype=np.int64)


#: How each ``loss.csv`` field is written: the same text for a row whether it was just trained
#: or read back from a checkpoint (epoch, words and words/s as integers; alpha and the loss as
#: the shortest text that reads back as the same float).
_LOSS_FORMATS = {"epoch": "{:.0f}", "words": "{:.0f}", "alpha": "{!r}", "mean_loss": "{!r}",
                 "words_per_sec": "{:.0f}"}


def loss_csv_text(rows: list[dict[str, float]]) -> str:
    """The ``loss.csv`` layout (also what ``--loss-log`` writes) as a string."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=LOSS_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: _LOSS_FORMATS[k].format(float(row[k])) for k in LOSS_FIELDS}
                     for row in rows)
    return buffer.getvalue()


def _loss_row(row: dict[str, str]) -> dict[str, float]:
    """A ``loss.csv`` row read back: epoch and words as int, the rest float."""
    return {k: (int(float(v)) if k in ("epoch", "words") else float(v)) for k, v in row.items()}


def trainable(a: np.ndarray) -> np.ndarray:
    """``a`` itself if training can update it in place (float32, C-contiguous, aligned,
    writable: what :func:`load_model` reads without ``mmap``), else a float32 copy that is.

    Continuing a model then holds its two matrices once, not twice (the loaded ones and
    copies): at 350k words x 300 dims that is 800 MB less.
    """
    return np.require(a, dtype=np.float32, requirements=["C", "A", "W"])


def continued_weights(saved: SavedModel, vocab, config) -> tuple[np.ndarray, np.ndarray]:
    """``--init``'s starting weights: the saved ones, plus rows for words ``--update-vocab``
    added, initialised as at the start of training (:func:`w2vcli.training.init_weights`).

    Returns:
        float32 ``(V, d)`` and ``(output rows, d)``: ``saved``'s own arrays when the vocabulary
        is unchanged and they are :func:`trainable` as they are, else new ones.

    Raises:
        W2VError: new words for a hierarchical-softmax model (its Huffman tree would change).
    """
    from w2vcli.training import init_weights

    n_old = len(saved.words)
    if len(vocab) == n_old:
        return trainable(saved.w_in), trainable(saved.w_out)
    if config.loss == "hs":
        raise W2VError("--update-vocab changes the Huffman tree, so it cannot continue an --loss "
                       "hs model; train anew, or continue without --update-vocab")
    fresh_in, fresh_out = init_weights(len(vocab), config.dim, config.seed,
                                       config.output_rows(len(vocab)))
    fresh_in[:n_old] = saved.w_in
    fresh_out[: saved.w_out.shape[0]] = saved.w_out
    return fresh_in, fresh_out


def check_finite(path: str | os.PathLike, saved: SavedModel,
                 names: tuple[str, ...] = ("w_in", "w_out")) -> None:
    """Refuse a model whose weight matrices hold NaN or infinity.

    One such value makes every cosine with its word NaN, and training on from it spreads NaN to
    every word it meets, so a query (which reads ``w_in``) or ``--resume`` / ``--init`` (both
    matrices) stops here with the place and the fix, instead of printing ``nan`` similarities or
    reporting a divergence that did not happen in this run. The matrices are scanned a block at a
    time (:func:`w2vcli.keyedvectors.first_nonfinite`), memory-mapped ones included.

    Args:
        path: the model directory, named in the message.
        saved: the model as :func:`load_model` read it.
        names: the matrices to check, ``"w_in"`` and / or ``"w_out"``.

    Raises:
        ModelFormatError: a non-finite value; the one-line message names the ``.npy`` file, the
            row (and for ``w_in`` the word and its ``vocab.tsv`` line), the value and the fix.
    """
    from w2vcli.keyedvectors import first_nonfinite

    for name in names:
        matrix = saved.w_in if name == "w_in" else saved.w_out
        at = first_nonfinite(matrix)
        if at is None:
            continue
        width = matrix.shape[1] if matrix.ndim == 2 and matrix.shape[1] else 1
        row, column = divmod(at, width)
        value = float(np.asarray(matrix).reshape(-1)[at])
        if name == "w_in" and row < len(saved.words):
            where = f"the vector of {saved.words[row]!r} (row {row}, vocab.tsv line {row + 1})"
        else:
            where = f"row {row}"
        raise ModelFormatError(
            f"{Path(path) / (name + '.npy')}: {where} holds {value} (value {column + 1}); the "
            "model's training diverged or the file is damaged: retrain it (with a smaller "
            "--alpha if it diverged)"
        )
