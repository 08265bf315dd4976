"""The Python API: train and load word vectors from a script or a notebook.

>>> import w2vcli
>>> model = w2vcli.train("corpus.txt", dim=100, window=5, neg=5, threads=4)   # doctest: +SKIP
>>> model.wv.most_similar("king", topn=5)                                    # doctest: +SKIP
>>> model.save("run/"); model.wv.save_word2vec_format("vectors.txt")         # doctest: +SKIP
>>> w2vcli.load("run/").loss_history                                        # doctest: +SKIP

It is the same training as ``w2v train`` (:class:`w2vcli.session.TrainingSession` underneath),
with the CLI's option names and defaults (word2vec.c's; :data:`w2vcli.modes.TRAIN_DEFAULTS`),
and its errors are the typed :class:`w2vcli.errors.W2VError` subclasses the CLI turns into
one-line messages.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from w2vcli.errors import W2VError
from w2vcli.modes import TRAIN_DEFAULTS

#: gensim's names for the options, for a helpful error when one is used.
_GENSIM_NAMES = {"vector_size": "dim", "size": "dim", "negative": "neg", "workers": "threads",
                 "sg": "model ('sg' or 'cbow')", "hs": "loss ('ns', 'hs' or 'softmax')",
                 "iter": "epochs", "cbow_mean": "cbow_mean (True or False)",
                 "max_final_vocab": "max_vocab", "max_vocab_size": "max_vocab"}


class Model:
    """A trained (or loaded) model: its word vectors and what training recorded.

    Attributes:
        wv: the :class:`w2vcli.keyedvectors.KeyedVectors` (``most_similar``, ``similarity``,
            ``analogy``, ``model.wv["king"]``, ``"king" in model.wv``, ``index_to_key``,
            ``key_to_index``, ``vectors``: float32 ``(V, d)``, ``counts``: int64 ``(V,)``).
        loss_history: one dict per epoch trained: ``epoch``, ``words``, ``alpha``,
            ``mean_loss`` (per prediction) and ``words_per_sec``.
        options: the training options by the CLI's names (empty for a vectors file).
        w_out: float32 output (outside) vectors, ``(V, d)`` (``(V - 1, d)`` for hierarchical
            softmax), or ``None`` for vectors read from a file.
    """

    def __init__(self, wv, loss_history=None, options=None, w_out=None, _saver=None) -> None:
        self.wv = wv
        self.loss_history: list[dict[str, float]] = list(loss_history or [])
        self.options: dict[str, Any] = dict(options or {})
        self.w_out = w_out
        self._saver = _saver

    def __repr__(self) -> str:
        return (f"<w2vcli.Model: {len(self.wv):,} words x {self.wv.vector_size} dims, "
                f"{len(self.loss_history)} epochs recorded>")

    def save(self, path: str | os.PathLike) -> None:
        """Save as a model directory (what ``w2v train --save-model`` writes; ``--resume`` and
        ``--init`` continue it, :func:`load` reads it), atomically.

        Raises:
            W2VError: the model came from a vectors file (it has no output vectors to continue
                training from: use ``model.wv.save_word2vec_format``), or ``path`` cannot be
                written or is something other than a model directory.
        """
        if self._saver is None:
            raise W2VError("this model was read from a vectors file and has no output vectors "
                           "to continue from; save its vectors with "
                           "model.wv.save_word2vec_format(path)")
        self._saver(os.fspath(path))


def train(corpus: Any, *, output: str | os.PathLike | None = None,
          save_model: str | os.PathLike | None = None,
          progress: bool | Callable | None = None, cluster: str | None = None,
          **options: Any) -> Model:
    """Train word2vec (Mikolov et al. 2013) vectors, as ``w2v train`` does.

    Args:
        corpus: a path (``str`` or ``os.PathLike``; plain, ``.gz``, ``.bz2`` or ``.xz``; one
            line per sentence), a list of paths, or an iterable of sentences, each a list of
            ``str`` tokens (as gensim's ``sentences``). Sentences are streamed to a temporary
            file in ``TMPDIR`` and encoded as files are, never held whole in memory; their
            tokens are taken verbatim (``tokenizer="whitespace"``) unless ``tokenizer`` is
            given, and must be non-empty and contain no whitespace.
        output: also write the vectors there (word2vec text, or binary for ``*.bin`` or
            ``fmt="binary"``).
        save_model: also save the model directory there (with ``checkpoint_every=N``: after
            every N epochs too).
        progress: ``True`` for a live bar (terminal or notebook), a callable taking a
            :class:`w2vcli.training.Progress` (about 10 calls a second), or ``None``.
        cluster: train on a Dask cluster, as ``w2v train --cluster``: ``"local:N"`` (N worker
            processes on this machine; ``threads`` per worker) or a scheduler address
            (``"tcp://host:8786"``, whose workers must read the corpus files at the same
            paths; sentences given as an iterable are written to a file on this machine, so
            only ``local:N`` reads them). Needs ``pip install 'w2vcli[cluster]'``. With it,
            ``sync_words=N`` syncs the N most frequent words' rows every round and the others
            every 5 rounds and at each epoch's end (``w2v train --sync-words``).
        options: the CLI's options by name: ``model`` (``"sg"``, ``"cbow"``), ``loss``
            (``"ns"``, ``"hs"``, ``"softmax"``), ``dim``, ``window``, ``neg``, ``min_count``,
            ``max_vocab``, ``sample``, ``epochs``, ``alpha``, ``min_alpha``, ``ns_exponent``,
            ``shrink_windows``, ``cbow_mean``, ``threads``, ``seed``, ``kernel``, ``combine``,
            ``tokenizer``, ``lowercase``, ``max_sentence_length``, ``minn``, ``maxn``,
            ``bucket``; and ``fmt``, ``checkpoint_every``, ``loss_log``, ``save_vocab``,
            ``read_vocab``, ``init``, ``update_vocab``, ``subwords`` (``True``: fastText's
            subword model, Bojanowski et al. 2017, with its defaults ``minn=3, maxn=6,
            bucket=2_000_000``, as giving any of those does; ``model.wv`` then holds each
            word's mean input row).

    Returns:
        A :class:`Model`.

    Raises:
        w2vcli.session.OptionError: an unknown option (gensim's names are pointed to ours) or
            a value out of range.
        W2VError: an unreadable corpus, a bad sentence, an empty vocabulary, divergence
            (:class:`w2vcli.training.TrainingDivergedError`), too little memory.
        w2vcli.session.Interrupted: Ctrl-C (a checkpoint is saved if ``save_model`` was given).
    """
    from w2vcli.session import OptionError, TrainingSession

    run_names = ("fmt", "checkpoint_every", "loss_log", "save_vocab", "read_vocab", "init",
                 "update_vocab", "subwords", "sync_words")
    run = {k: options.pop(k) for k in run_names if k in options}
    for name in options:
        if name not in TRAIN_DEFAULTS:
            hint = _GENSIM_NAMES.get(name)
            raise OptionError(f"unknown option {name!r}" + (f"; w2v calls it {hint}" if hint
                              else f"; the options are {', '.join(TRAIN_DEFAULTS)}"))
    run.update(output=output, save_model=save_model)
    run = {k: os.fspath(v) if isinstance(v, os.PathLike) else v for k, v in run.items()}
    with _corpus_paths(corpus, options) as paths:
        session = TrainingSession.prepare(paths, default_output=None, cluster=cluster, **run,
                                          **options)
        session.keep_output_vectors = True
        session.read()  # encodes the corpus: a temporary sentence file can go after this
    with session, _reporter(progress, session.config.epochs) as reporter:
        result = session.train(progress=reporter.update if reporter else None,
                               on_epoch=reporter.epoch if reporter else None)
    return _trained_model(session, result)


def _trained_model(session, result) -> Model:
    from w2vcli.keyedvectors import KeyedVectors

    wv = KeyedVectors(session.vocab.words, session.word_vectors(result), session.vocab.counts)
    return Model(wv, session.history, session.options, result.w_out,
                 _saver=lambda path: session.save(path, result))


def load(path: str | os.PathLike) -> Model:
    """Read any vectors ``w2v`` reads: a model directory (``w2v train --save-model``,
    :meth:`Model.save`), a word2vec text or binary vectors file (detected), or a fastText
    ``.bin``. A model with character n-grams (a subword model directory, or a ``.bin`` of
    fastText's or w2v's) gives ``model.wv`` as a
    :class:`w2vcli.keyedvectors.SubwordKeyedVectors`: ``model.wv["unseenword"]`` is composed
    from its n-grams, as fastText's ``get_word_vector`` does.

    Raises:
        W2VError: the path does not exist or is malformed (one line naming the file and the
            problem).
    """
    from w2vcli.io import load_vectors, model_vectors, vectors_path_kind

    if not os.path.exists(path):
        raise W2VError(f"{os.fspath(path)} not found; give a vectors file or a model directory")
    if vectors_path_kind(path) == "model":
        from w2vcli.model import load_model, save_model
        from w2vcli.session import options_from_meta

        saved = load_model(path)
        options = {k: v for k, v in options_from_meta(saved.meta).items()
                   if k in TRAIN_DEFAULTS}
        wv = model_vectors(path, saved)
        return Model(wv, saved.loss, options, saved.w_out,
                     _saver=lambda target: save_model(target, saved))
    return Model(load_vectors(path))


class _corpus_paths:
    """Context manager: the corpus as file paths; sentences are written to a temporary file."""

    def __init__(self, corpus: Any, options: dict[str, Any]) -> None:
        self.corpus, self.options, self.tmp = corpus, options, None

    def __enter__(self) -> list[str]:
        corpus = self.corpus
        if isinstance(corpus, (str, os.PathLike)):
            return [os.fspath(corpus)]
        if isinstance(corpus, (list, tuple)) and corpus \
                and all(isinstance(p, (str, os.PathLike)) for p in corpus):
            return [os.fspath(p) for p in corpus]
        if not isinstance(corpus, Iterable):
            raise W2VError(f"corpus must be a path, a list of paths or an iterable of token "
                           f"lists, not {type(corpus).__name__}")
        from w2vcli.corpus import temporary_directory

        self.tmp = temporary_directory("corpus")
        path = os.path.join(self.tmp.name, "sentences.txt")
        self.options.setdefault("tokenizer", "whitespace")
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            for n, sentence in enumerate(corpus):
                fh.write(_sentence_line(sentence, n))
        return [path]

    def __exit__(self, *exc) -> None:
        if self.tmp is not None:
            self.tmp.cleanup()


def _sentence_line(sentence: Any, n: int) -> str:
    """One sentence (a list of tokens) as a line of the temporary corpus file."""
    if isinstance(sentence, str) or not isinstance(sentence, Iterable):
        raise W2VError(f"sentence {n} is a {type(sentence).__name__}, not a list of tokens; "
                       "give each sentence as a list of strings (e.g. line.split())")
    tokens = list(sentence)
    for token in tokens:
        if not isinstance(token, str) or not token or token.split() != [token]:
            raise W2VError(f"sentence {n} has the token {token!r}: tokens must be non-empty "
                           "strings without whitespace")
    return " ".join(tokens) + "\n"


class _reporter:
    """The progress display ``progress=`` asks for, or ``None``."""

    def __init__(self, progress, epochs: int) -> None:
        from w2vcli import progress as reporters

        if progress is True:
            self.value = reporters.RichBar(epochs)
        elif callable(progress):
            self.value = reporters.Callback(progress)
        elif progress in (None, False):
            self.value = None
        else:
            raise W2VError(f"progress must be True, a callable or None, not {progress!r}")

    def __enter__(self):
        return self.value.__enter__() if self.value is not None else None

    def __exit__(self, *exc) -> None:
        if self.value is not None:
            self.value.__exit__(*exc)
