"""fastText's binary model format (``.bin``): written so that ``fasttext.load_model`` and
gensim's ``load_facebook_model`` / ``load_facebook_vectors`` read it, and read back, whoever
wrote it (fastText itself included).

The layout is fastText's ``FastText::saveModel`` (``src/fasttext.cc``), which calls
``signModel``, ``Args::save`` (``src/args.cc``), ``Dictionary::save`` (``src/dictionary.cc``) and
``DenseMatrix::save`` (``src/densematrix.cc``); gensim's ``gensim/models/_fasttext_bin.py`` reads
and writes the same bytes. Every number is in the machine's byte order, which fastText never
records; this module writes and reads little-endian (x86, ARM), as every published model is::

    int32    magic 793712314, version 12
    Args     int32 dim, ws, epoch, minCount, neg, wordNgrams, loss (hs 1, ns 2, softmax 3,
             ova 4), model (cbow 1, sg 2, sup 3), bucket, minn, maxn, lrUpdateRate;
             float64 t (the sampling threshold). The learning rate is not stored.
    Dictionary
             int32 size, nwords, nlabels; int64 ntokens; int64 pruneidx_size (-1: not pruned)
             size entries: the word's bytes, a NUL byte, int64 count, int8 type (word 0, label 1)
             pruneidx_size pairs of int32 (only in a quantized model)
    bool     quant_input (0)
    matrix   int64 rows (nwords + bucket), int64 cols (dim); float32 rows x cols, row-major:
             the words' own rows in dictionary order, then the n-gram buckets
    bool     qout (0)
    matrix   int64 rows, int64 cols; float32 data: the output vectors (nwords rows for
             skip-gram and CBOW, whatever the loss)

What a reader computes from it (fastText's ``getWordVector``; Bojanowski et al. 2017,
*Enriching Word Vectors with Subword Information*): the vector of a word is the mean of its
own row (if it is in the dictionary) and the rows ``nwords + fnv1a(g) % bucket`` of its
character n-grams ``g`` (:mod:`w2vcli.subwords`), so an unseen word gets a vector too.

fastText puts ``</s>`` (the end of every line) in its dictionary, usually as word 0: it is a
word like any other, without n-grams. A w2v vocabulary has no ``</s>``, and a ``.bin`` written
here has none: fastText and gensim load it all the same (the dictionary is read entry by entry;
``</s>`` only marks line ends when fastText trains or predicts on text). A ``.bin`` of fastText's
is read with its ``</s>``, which then stays a word of the vocabulary.

Quantized models (``.ftz``, ``fasttext quantize``) and supervised ones (text classifiers, with
labels) are refused with a one-line error.
"""

from __future__ import annotations

import mmap
import os
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .atomic import atomic_output
from .errors import VectorsFormatError, W2VError
from .keyedvectors import first_nonfinite

__all__ = [
    "FASTTEXT_MAGIC",
    "FASTTEXT_VERSION",
    "FastTextFormatError",
    "FastTextModel",
    "is_fasttext_bin",
    "model_dir_to_fasttext",
    "read_fasttext_bin",
    "write_fasttext_bin",
    "write_fasttext_model",
]

#: ``FASTTEXT_FILEFORMAT_MAGIC_INT32`` and ``FASTTEXT_VERSION`` of ``src/fasttext.h``.
FASTTEXT_MAGIC = 793712314
FASTTEXT_VERSION = 12
#: ``model_name`` and ``loss_name`` of ``src/args.h`` by w2v's names.
MODEL_CODES = {"cbow": 1, "sg": 2}
LOSS_CODES = {"hs": 1, "ns": 2, "softmax": 3}
_MODEL_NAMES = {1: "cbow", 2: "sg", 3: "sup"}
_LOSS_NAMES = {1: "hs", 2: "ns", 3: "softmax", 4: "ova"}

#: The Args block: 12 int32 and one float64, in ``Args::save``'s order.
_ARGS = struct.Struct("<12id")
_ARG_NAMES = ("dim", "ws", "epoch", "min_count", "neg", "word_ngrams", "loss", "model",
              "bucket", "minn", "maxn", "lr_update_rate", "t")
_HEAD = struct.Struct("<2i")
_DICT_HEAD = struct.Struct("<3iqq")
_ENTRY_TAIL = struct.Struct("<qb")
_MATRIX_HEAD = struct.Struct("<qq")
_INT32_MAX = 2**31 - 1


class FastTextFormatError(VectorsFormatError):
    """A fastText ``.bin`` that cannot be read or written; the message names the file."""


@dataclass
class FastTextModel:
    """The contents of a fastText ``.bin`` (unsupervised, not quantized).

    Attributes:
        words: the ``nwords`` dictionary words, in file order (fastText's: most frequent first,
            ``</s>`` among them).
        counts: int64 ``(nwords,)`` corpus counts.
        input_matrix: float32 ``(nwords + bucket, dim)``: the words' own rows, then the n-gram
            buckets; memory-mapped read-only when read with ``mmap_matrices=True``.
        output_matrix: float32 ``(rows, dim)`` output vectors, or ``None`` when not read.
        args: the Args block by name: ``dim``, ``ws``, ``epoch``, ``min_count``, ``neg``,
            ``word_ngrams``, ``loss`` and ``model`` (w2v's names: ``"sg"``, ``"cbow"``, ``"ns"``,
            ``"hs"``, ``"softmax"``), ``bucket``, ``minn``, ``maxn``, ``lr_update_rate``, ``t``.
        ntokens: tokens fastText read while building the dictionary.
        version: the file's format version (11 or 12).
    """

    words: list[str]
    counts: np.ndarray
    input_matrix: np.ndarray
    output_matrix: np.ndarray | None
    args: dict[str, Any] = field(default_factory=dict)
    ntokens: int = 0
    version: int = FASTTEXT_VERSION

    @property
    def minn(self) -> int:
        """Shortest n-gram, in characters (Args ``minn``)."""
        return int(self.args["minn"])

    @property
    def maxn(self) -> int:
        """Longest n-gram, in characters; 0: no n-grams (Args ``maxn``)."""
        return int(self.args["maxn"])

    @property
    def bucket(self) -> int:
        """Number of n-gram rows after the word rows (Args ``bucket``)."""
        return int(self.args["bucket"])

    @property
    def has_subwords(self) -> bool:
        """Whether words have n-gram rows (``maxn > 0`` and ``bucket > 0``)."""
        return self.maxn > 0 and self.bucket > 0


# -- writing ----------------------------------------------------------------------------------


def _check_int32(path: Path, name: str, value: int, low: int = 0) -> int:
    value = int(value)
    if not low <= value <= _INT32_MAX:
        raise FastTextFormatError(
            f"cannot write {path}: {name} is {value}, outside fastText's range "
            f"{low} to {_INT32_MAX:,} (an int32 field)")
    return value


def write_fasttext_bin(
    path: str | os.PathLike[str],
    words: Sequence[str],
    counts: Sequence[int] | np.ndarray,
    input_matrix: np.ndarray,
    output_matrix: np.ndarray,
    *,
    minn: int,
    maxn: int,
    bucket: int,
    model: str = "sg",
    loss: str = "ns",
    window: int = 5,
    neg: int = 5,
    epochs: int = 5,
    min_count: int = 5,
    sample: float = 1e-3,
    word_ngrams: int = 1,
    lr_update_rate: int = 100,
    ntokens: int | None = None,
) -> None:
    """Write a fastText binary model (fastText's ``FastText::saveModel`` layout, version 12;
    see the module docstring) to ``path``, atomically (:func:`w2vcli.atomic.atomic_output`).

    ``fasttext.load_model(path)`` and gensim's ``load_facebook_model`` /
    ``load_facebook_vectors`` read it, and give every word, in the vocabulary or not, the vector
    :func:`w2vcli.subwords.compose` gives it (the mean of its own row and its n-gram rows;
    Bojanowski et al. 2017).

    Args:
        words: the V vocabulary words, most frequent first (the order of the rows); UTF-8,
            without NUL characters.
        counts: V corpus counts (int64).
        input_matrix: float32 ``(V + bucket, d)``: the words' own rows, then the n-gram buckets
            (``w_in.npy`` of a subword model; of a word model, with ``bucket`` 0, ``(V, d)``).
        output_matrix: float32 ``(V, d)`` output vectors (negative sampling, softmax), or
            ``(V - 1, d)`` inner-node vectors of hierarchical softmax, written with a zero row
            after them: fastText sizes the output matrix V and uses its first V - 1 rows as the
            tree's inner nodes.
        minn, maxn: n-gram lengths in characters (``maxn`` 0: no n-grams, a word model).
        bucket: number of n-gram buckets (0 for a word model; at least 1 when ``maxn`` > 0).
        model: ``"sg"`` or ``"cbow"``.
        loss: ``"ns"``, ``"hs"`` or ``"softmax"``.
        window, neg, epochs, min_count, sample: the training parameters, stored in the Args
            block as ``ws``, ``neg``, ``epoch``, ``minCount``, ``t`` (fastText's record only;
            readers do not need them to compute vectors).
        word_ngrams, lr_update_rate: fastText-only Args fields (its defaults, 1 and 100).
        ntokens: tokens in the corpus; default the sum of ``counts``.

    Raises:
        FastTextFormatError: shapes that do not fit together (the message names them), a word
            that is empty or holds a NUL character, a negative count, a NaN or infinite value,
            an unknown ``model`` or ``loss``, ``maxn > 0`` with ``bucket`` 0 (fastText would
            divide by zero hashing n-grams), or a size beyond fastText's int32 fields.
        W2VError: the directory is missing or not writable (nothing is written then).
    """
    path = Path(path)
    if model not in MODEL_CODES:
        raise FastTextFormatError(f"cannot write {path}: model {model!r} is not one of "
                                  f"{', '.join(MODEL_CODES)}")
    if loss not in LOSS_CODES:
        raise FastTextFormatError(f"cannot write {path}: loss {loss!r} is not one of "
                                  f"{', '.join(LOSS_CODES)}")
    words = list(words)
    n_words = _check_int32(path, "the vocabulary size", len(words), 1)
    counts = np.asarray(counts, dtype=np.int64)
    if counts.shape != (n_words,):
        raise FastTextFormatError(f"cannot write {path}: {n_words} words but counts of shape "
                                  f"{counts.shape}")
    if counts.size and counts.min() < 0:
        worst = words[int(counts.argmin())]
        raise FastTextFormatError(f"cannot write {path}: the count of {worst!r} is negative")
    bucket = _check_int32(path, "bucket", bucket)
    maxn = _check_int32(path, "maxn", maxn)
    minn = _check_int32(path, "minn", minn)
    if maxn > 0 and (bucket == 0 or minn < 1 or minn > maxn):
        raise FastTextFormatError(
            f"cannot write {path}: n-grams of {minn} to {maxn} characters need 1 <= minn <= "
            f"maxn and at least one bucket (bucket is {bucket})")
    if input_matrix.ndim != 2 or input_matrix.shape[0] != n_words + bucket:
        raise FastTextFormatError(
            f"cannot write {path}: the input matrix has shape {input_matrix.shape}; expected "
            f"{n_words} word rows + {bucket} buckets = {n_words + bucket} rows")
    dim = _check_int32(path, "the dimension", input_matrix.shape[1], 1)
    out_rows = output_matrix.shape[0] if output_matrix.ndim == 2 else -1
    expected_out = (n_words - 1, n_words) if loss == "hs" else (n_words,)
    if output_matrix.ndim != 2 or output_matrix.shape[1] != dim or out_rows not in expected_out:
        raise FastTextFormatError(
            f"cannot write {path}: the output matrix has shape {output_matrix.shape}; expected "
            f"({' or '.join(map(str, expected_out))}, {dim}) for --loss {loss}")
    for name, matrix in (("input", input_matrix), ("output", output_matrix)):
        bad = first_nonfinite(matrix)
        if bad is not None:
            row = bad // dim
            what = f"the row of {words[row]!r}" if name == "input" and row < n_words else \
                f"row {row}"
            raise FastTextFormatError(
                f"cannot write {path}: {what} of the {name} matrix holds "
                f"{float(np.asarray(matrix).reshape(-1)[bad])}; retrain the model")
    encoded = []
    for word in words:
        data = word.encode("utf-8", "surrogateescape")
        if not data or b"\0" in data:
            raise FastTextFormatError(f"cannot write {path}: the word {word!r} is empty or holds "
                                      "a NUL character, which ends a word in a fastText .bin")
        encoded.append(data)
    total = int(counts.sum()) if ntokens is None else int(ntokens)
    args = (dim, _check_int32(path, "window", window), _check_int32(path, "epochs", epochs),
            _check_int32(path, "min_count", min_count), _check_int32(path, "neg", neg),
            _check_int32(path, "word_ngrams", word_ngrams), LOSS_CODES[loss], MODEL_CODES[model],
            bucket, minn, maxn, _check_int32(path, "lr_update_rate", lr_update_rate),
            float(sample))

    with atomic_output(path, "wb") as f:
        f.write(_HEAD.pack(FASTTEXT_MAGIC, FASTTEXT_VERSION))
        f.write(_ARGS.pack(*args))
        f.write(_DICT_HEAD.pack(n_words, n_words, 0, total, -1))
        f.write(b"".join(data + b"\0" + _ENTRY_TAIL.pack(int(count), 0)
                         for data, count in zip(encoded, counts)))
        f.write(b"\0")  # quant_input: false
        _write_matrix(f, input_matrix)
        f.write(b"\0")  # qout: false
        pad = loss == "hs" and out_rows == n_words - 1
        _write_matrix(f, output_matrix, n_words if pad else None)
        if pad:
            f.write(bytes(4 * dim))


#: Rows written per chunk: bounds the little-endian float32 copy of a matrix that is not one.
_WRITE_ROWS = 1 << 16


def _write_matrix(f, matrix: np.ndarray, rows: int | None = None) -> None:
    """``DenseMatrix::save``: int64 rows, int64 cols, then the float32 values, row by row.
    ``rows`` overrides the row count written (the caller then writes the missing rows)."""
    m, n = matrix.shape
    f.write(_MATRIX_HEAD.pack(m if rows is None else rows, n))
    for start in range(0, m, _WRITE_ROWS):
        block = np.ascontiguousarray(matrix[start:start + _WRITE_ROWS], dtype="<f4")
        f.write(memoryview(block).cast("B"))


def _get(config: Any, *names: str, default: Any = None) -> Any:
    """The first of ``names`` that ``config`` (a mapping or an object) has, else ``default``."""
    for name in names:
        if isinstance(config, Mapping):
            if config.get(name) is not None:
                return config[name]
        elif getattr(config, name, None) is not None:
            return getattr(config, name)
    return default


def write_fasttext_model(
    path: str | os.PathLike[str],
    words: Sequence[str],
    counts: Sequence[int] | np.ndarray,
    w_in: np.ndarray,
    w_out: np.ndarray,
    config: Any,
    *,
    min_count: int | None = None,
    ntokens: int | None = None,
) -> None:
    """Write a trained w2v model as a fastText ``.bin`` (``w2v train --format fasttext``,
    ``w2v convert MODEL_DIR out.bin --format fasttext``); :func:`write_fasttext_bin` with the
    parameters taken from ``config``.

    Args:
        path: the ``.bin`` to write (atomically).
        words, counts: the vocabulary, most frequent first, and its int64 counts (V,).
        w_in: float32 ``(V + bucket, d)`` input matrix, word rows then n-gram buckets (a word
            model: ``(V, d)``, bucket 0).
        w_out: float32 output matrix, ``(V, d)``, or ``(V - 1, d)`` for hierarchical softmax.
        config: the training configuration, a mapping (``model.json``'s ``config``) or an
            object with these attributes (:class:`w2vcli.training.TrainConfig`): ``model``,
            ``loss``, ``window``, ``negative`` (or ``neg``), ``epochs``, ``sample``, and for a
            subword model ``minn``, ``maxn``, ``bucket`` (absent or ``maxn`` 0: a word model,
            written with minn, maxn and bucket 0). ``min_count`` is read from it too unless
            given.
        min_count: the vocabulary's minimum count (model.json keeps it under ``corpus``);
            default ``config``'s, else 5.
        ntokens: tokens in the corpus; default the sum of ``counts``.

    Raises:
        FastTextFormatError, W2VError: as :func:`write_fasttext_bin`.
    """
    maxn = int(_get(config, "maxn", default=0))
    bucket = int(_get(config, "bucket", default=0)) if maxn > 0 else 0
    minn = int(_get(config, "minn", default=0)) if maxn > 0 else 0
    n_words = len(words)
    if maxn == 0 and w_in.shape[0] > n_words:  # n-gram rows that nothing reads
        w_in = w_in[:n_words]
    write_fasttext_bin(
        path, words, counts, w_in, w_out, minn=minn, maxn=maxn, bucket=bucket,
        model=str(_get(config, "model", default="sg")),
        loss=str(_get(config, "loss", default="ns")),
        window=int(_get(config, "window", "ws", default=5)),
        neg=int(_get(config, "negative", "neg", default=5)),
        epochs=int(_get(config, "epochs", "epoch", default=5)),
        min_count=int(min_count if min_count is not None
                      else _get(config, "min_count", default=5)),
        sample=float(_get(config, "sample", "t", default=1e-3)),
        ntokens=ntokens,
    )


# -- reading ----------------------------------------------------------------------------------


def is_fasttext_bin(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a file that starts with fastText's magic number (793712314,
    little-endian). Reads 4 bytes; False for a directory or an unreadable file."""
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError:
        return False
    return len(head) == 4 and struct.unpack("<i", head)[0] == FASTTEXT_MAGIC


class _Reader:
    """Position in a memory-mapped (or bytes) file, with one-line errors naming it."""

    def __init__(self, path: Path, data) -> None:
        self.path, self.data, self.pos = path, data, 0

    def error(self, message: str) -> FastTextFormatError:
        return FastTextFormatError(f"{self.path}: {message}")

    def unpack(self, fmt: struct.Struct, what: str) -> tuple:
        end = self.pos + fmt.size
        if end > len(self.data):
            raise self.error(f"the file ends inside {what} (at byte {len(self.data):,}); it is "
                             "truncated: copy or write it again")
        values = fmt.unpack_from(self.data, self.pos)
        self.pos = end
        return values


def read_fasttext_bin(path: str | os.PathLike[str], *, mmap_matrices: bool = True,
                      output: bool = True) -> FastTextModel:
    """Read a fastText binary model: one written by :func:`write_fasttext_bin`, by fastText
    (``fasttext skipgram``/``cbow``, ``save_model``) or by gensim (``save_facebook_model``),
    field by field as fastText's ``FastText::loadModel`` reads it (``checkModel``, then
    ``Args::load``, ``Dictionary::load``, the quantization flag, ``DenseMatrix::load`` twice).

    Args:
        mmap_matrices: map the matrices read-only from the file rather than reading them (a
            model of fastText's defaults is 2M buckets x 300 floats, 2.4 GB).
        output: read the output matrix too (else it is checked for size and left out).

    Returns:
        A :class:`FastTextModel`; ``input_matrix`` float32 ``(nwords + bucket, dim)``.

    Raises:
        FastTextFormatError: a missing or unreadable file, not a fastText model (the magic
            number), a newer format version, a supervised model (labels, a classifier), a
            quantized one (``.ftz``), a truncated file, matrices whose shapes do not match the
            dictionary and the Args, trailing bytes, or NaN / infinity in the input matrix.
            One line each, naming the file.
    """
    path = Path(path)
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size == 0:
                raise FastTextFormatError(f"{path}: the file is empty; expected a fastText .bin")
            data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except FastTextFormatError:
        raise
    except IsADirectoryError:
        raise FastTextFormatError(f"'{path}' is a directory, not a fastText .bin") from None
    except OSError as exc:
        raise FastTextFormatError(f"cannot read '{path}': {exc.strerror or exc}") from None
    try:
        return _read(path, data, mmap_matrices, output)
    finally:
        data.close()


def _read(path: Path, data, mmap_matrices: bool, output: bool) -> FastTextModel:
    r = _Reader(path, data)
    magic, version = r.unpack(_HEAD, "the header")
    if magic != FASTTEXT_MAGIC:
        raise r.error(f"not a fastText model (it does not start with fastText's magic number "
                      f"{FASTTEXT_MAGIC})")
    if version > FASTTEXT_VERSION:
        raise r.error(f"written by a newer fastText (format version {version}; this reads up "
                      f"to {FASTTEXT_VERSION})")
    args = dict(zip(_ARG_NAMES, r.unpack(_ARGS, "the model parameters")))
    model_name = _MODEL_NAMES.get(args["model"])
    if model_name == "sup":
        raise r.error("a supervised fastText model (a text classifier, 'fasttext supervised'); "
                      "w2v reads word-vector models ('fasttext skipgram' or 'cbow')")
    if model_name is None or args["loss"] not in _LOSS_NAMES:
        raise r.error(f"unknown model {args['model']} or loss {args['loss']} in the "
                      "parameters; the file is damaged or not a fastText model")
    args["model"], args["loss"] = model_name, _LOSS_NAMES[args["loss"]]
    dim, bucket = args["dim"], args["bucket"]
    if dim < 1 or bucket < 0:
        raise r.error(f"dimension {dim} and bucket {bucket} in the parameters; the file is "
                      "damaged")
    size, nwords, nlabels, ntokens, pruneidx_size = r.unpack(_DICT_HEAD, "the dictionary")
    if nlabels > 0:
        raise r.error(f"a supervised fastText model ({nlabels:,} labels, a text classifier); "
                      "w2v reads word-vector models ('fasttext skipgram' or 'cbow')")
    if size != nwords or nwords < 1:
        raise r.error(f"the dictionary holds {size:,} entries for {nwords:,} words; the file "
                      "is damaged")
    raw, counts = _read_entries(r, nwords)
    if pruneidx_size >= 0:
        r.unpack(struct.Struct(f"<{2 * pruneidx_size}i"), "the pruned-dictionary index")
    (quant_input,) = r.unpack(struct.Struct("<?"), "the quantization flag")
    if quant_input or pruneidx_size >= 0:
        raise r.error("a quantized fastText model (.ftz, 'fasttext quantize'): its vectors are "
                      "compressed; give the .bin it was made from")
    mode = "map" if mmap_matrices else "copy"
    input_matrix = _read_matrix(r, "input", nwords + bucket, dim, mode)
    r.unpack(struct.Struct("<?"), "the output quantization flag")
    output_matrix = _read_matrix(r, "output", None, dim, mode if output else "skip")
    if r.pos != len(data):
        raise r.error(f"{len(data) - r.pos:,} bytes follow the output matrix; the file is "
                      "damaged or not a fastText model")
    words = b"\n".join(raw).decode("utf-8", "backslashreplace").split("\n")
    _check_finite(r, input_matrix, words)
    return FastTextModel(words, counts, input_matrix, output_matrix, args, int(ntokens),
                         int(version))


def _read_entries(r: _Reader, n: int) -> tuple[list[bytes], np.ndarray]:
    """``n`` dictionary entries: NUL-terminated word, int64 count, int8 type (0: a word)."""
    data, pos = r.data, r.pos
    raw: list[bytes] = []
    counts = np.empty(n, dtype=np.int64)
    for i in range(n):
        end = data.find(b"\0", pos)
        if end < 0 or end + 1 + _ENTRY_TAIL.size > len(data):
            r.pos = len(data)
            raise r.error(f"the file ends inside dictionary entry {i + 1:,} of {n:,}; it is "
                          "truncated: copy or write it again")
        word = data[pos:end]
        if b"\n" in word:  # fastText never reads one: a newline ends a word
            raise r.error(f"dictionary entry {i + 1:,} holds a line break; the file is damaged")
        count, kind = _ENTRY_TAIL.unpack_from(data, end + 1)
        if kind != 0:
            raise r.error(f"dictionary entry {i + 1:,} is a label, not a word: a supervised "
                          "fastText model (a text classifier); w2v reads word-vector models")
        raw.append(word)
        counts[i] = count
        pos = end + 1 + _ENTRY_TAIL.size
    r.pos = pos
    return raw, counts


def _read_matrix(r: _Reader, name: str, rows: int | None, dim: int,
                 mode: str) -> np.ndarray | None:
    """``DenseMatrix::load``: int64 rows, int64 cols, float32 values; checked against ``rows``
    (None: any) and ``dim``, and then memory-mapped (``mode`` "map"), copied ("copy") or
    skipped ("skip", None)."""
    m, n = r.unpack(_MATRIX_HEAD, f"the {name} matrix's shape")
    if (rows is not None and m != rows) or n != dim or m < 0:
        want = f"{rows:,} x {dim}" if rows is not None else f"rows x {dim}"
        raise r.error(f"the {name} matrix is {m:,} x {n:,}, expected {want} (words + buckets "
                      "x dimension); the file is damaged")
    nbytes = 4 * m * n
    if r.pos + nbytes > len(r.data):
        raise r.error(f"the file ends inside the {name} matrix ({m:,} x {n:,} float32 need "
                      f"{nbytes:,} bytes, {len(r.data) - r.pos:,} are left); it is truncated")
    offset, r.pos = r.pos, r.pos + nbytes
    if mode == "skip":
        return None
    if mode == "map" and nbytes:
        return np.memmap(r.path, dtype="<f4", mode="r", offset=offset, shape=(m, n))
    return np.frombuffer(r.data, dtype="<f4", count=m * n, offset=offset).reshape(m, n) \
        .astype(np.float32)


def _check_finite(r: _Reader, matrix: np.ndarray, words: list[str]) -> None:
    bad = first_nonfinite(matrix)
    if bad is None:
        return
    row = bad // matrix.shape[1]
    what = f"the row of {words[row]!r}" if row < len(words) else \
        f"n-gram bucket {row - len(words):,}"
    raise r.error(f"{what} in the input matrix holds {float(matrix.reshape(-1)[bad])}; the "
                  "model's training diverged or the file is damaged")


def model_dir_to_fasttext(path: str | os.PathLike[str], saved) -> None:
    """Write a saved model (:class:`w2vcli.model.SavedModel`, as ``load_model`` reads it) as a
    fastText ``.bin`` (:func:`write_fasttext_model`), its parameters from ``model.json``.

    Raises:
        FastTextFormatError, W2VError: as :func:`write_fasttext_bin`.
    """
    meta = saved.meta or {}
    config = meta.get("config") or {}
    corpus = meta.get("corpus") if isinstance(meta.get("corpus"), Mapping) else {}
    min_count = corpus.get("min_count", config.get("min_count") if isinstance(config, Mapping)
                           else None)
    if not isinstance(config, Mapping):
        raise W2VError(f"cannot write {path}: the model's model.json has no training config")
    write_fasttext_model(path, saved.words, saved.counts, saved.w_in, saved.w_out, config,
                         min_count=min_count)
