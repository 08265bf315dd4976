"""One training run from options to outputs: what ``w2v train`` does, as a library.

A :class:`TrainingSession` owns everything between parsed options and the files they name:

- the defaults (:data:`w2vcli.modes.TRAIN_DEFAULTS`) and the checks of option combinations;
- the saved-model layout: ``model.json`` is written by :meth:`TrainingSession.model_meta` and
  read back by :func:`options_from_meta` and :func:`position_from_meta`, nowhere else;
- ``--resume`` (every saved setting restored, threads included, unless given again, and then
  said in a note) and ``--init`` (a saved model's vectors and vocabulary, new schedule);
- checkpoints after epochs and on Ctrl-C, the loss log, writing the vectors.

The CLI parses, calls :meth:`TrainingSession.prepare`, :meth:`~TrainingSession.read` and
:meth:`~TrainingSession.train`, and prints. Paths stored in a model are absolute, so
``--resume DIR`` works from any directory.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from w2vcli._version import __version__
from w2vcli.errors import W2VError
from w2vcli.modes import MODEL_OPTIONS, SCHEDULE_OPTIONS, TRAIN_DEFAULTS, subword_options

#: Settings of the run rather than of the model: a resumed run restores them too, and takes a
#: new value given on the command line (with a note).
RUN_OPTIONS = ("threads", "output", "fmt", "loss_log", "checkpoint_every")
#: TrainConfig field names that differ from the option names.
_CONFIG_NAMES = {"neg": "negative"}
_CORPUS_OPTIONS = ("tokenizer", "lowercase", "min_count", "max_vocab", "max_sentence_length")


class OptionError(W2VError):
    """An option's value, or a combination of options, cannot be used.

    Attributes:
        option: the flag at fault (``"--min-alpha"``), or ``None`` for a combination of flags.
    """

    def __init__(self, message: str, option: str | None = None) -> None:
        super().__init__(message)
        self.option = option


class Interrupted(Exception):
    """Training stopped on Ctrl-C (or SIGTERM); :attr:`message` says where and what was kept.

    Attributes:
        message: one line for the user (where it stopped, the checkpoint or that nothing was
            written).
        checkpoint: the model directory the position was saved to, or ``None``.
        signum: the signal that stopped it (SIGINT, or SIGTERM where the process handles it).
    """

    def __init__(self, message: str, checkpoint: str | None, signum: int = 2) -> None:
        super().__init__(message)
        self.message = message
        self.checkpoint = checkpoint
        self.signum = signum


def flag(name: str) -> str:
    """The command-line flag of an option name: ``min_alpha`` -> ``--min-alpha``."""
    return {"fmt": "--format", "output": "-o"}.get(name, "--" + name.replace("_", "-"))


def _absolute(path: str | os.PathLike | None) -> str | None:
    if path is None or str(path) == "-":
        return None if path is None else "-"
    return os.path.abspath(os.fspath(path))


def options_from_meta(meta: dict[str, Any]) -> dict[str, Any]:
    """The options a saved model was trained with, by option name, from its ``model.json``.

    Includes the run settings of :data:`RUN_OPTIONS` and ``corpus`` (the stored paths). Keys a
    model written by an older w2v lacks are absent.
    """
    config = meta.get("config") or {}
    corpus = meta.get("corpus") or {}
    output = meta.get("output") or {}
    found: dict[str, Any] = {}
    for name in TRAIN_DEFAULTS:
        source = corpus if name in _CORPUS_OPTIONS else config
        key = _CONFIG_NAMES.get(name, name)
        if key in source:
            found[name] = source[key]
    for name, value in (("output", output.get("path")), ("fmt", output.get("format")),
                        ("loss_log", meta.get("loss_log")),
                        ("checkpoint_every", meta.get("checkpoint_every")),
                        ("corpus", corpus.get("paths"))):
        if value is not None:
            found[name] = value
    return found


def position_from_meta(meta: dict[str, Any], corpus=None):
    """Where a saved model's run stands (:class:`w2vcli.training.Position`).

    A checkpoint taken on Ctrl-C has a mid-epoch position: a sentence index (an older model's
    batch index is turned into one with ``corpus``, planned as that run planned it); otherwise
    training continues at the epoch after ``epochs_done``.
    """
    from w2vcli.training import BATCH_WORDS_PER_THREAD, Position

    saved = dict(meta.get("position") or {})
    if not saved:
        return Position(epoch=int(meta.get("epochs_done", 0)) + 1)
    if "round" in saved:  # a cluster run's round boundary
        from w2vcli.cluster import ClusterPosition

        return ClusterPosition(**saved)
    if "batch" in saved:  # model format 1: a batch index of plan(batch words x threads)
        batch = saved.pop("batch")
        threads = (meta.get("config") or {}).get("threads") or os.cpu_count() or 1
        plan = corpus.plan(BATCH_WORDS_PER_THREAD * threads)
        saved["sentence"] = int(plan[min(batch, len(plan) - 1)])
    return Position(**saved)


@dataclass
class TrainingSession:
    """A ``w2v train`` run: resolved options, the corpus once read, and the outputs it writes.

    Make one with :meth:`prepare`; then :meth:`read` reads and encodes the corpus and
    :meth:`train` trains and writes. Attributes after :meth:`prepare`:

    Attributes:
        corpus: corpus paths as given (``"-"`` for standard input).
        options: every training option by name (see :data:`w2vcli.modes.TRAIN_DEFAULTS`),
            resolved: defaults, the saved model's for ``--resume``/``--init``, then given ones.
        output, fmt: where the vectors go and their format (``"text"`` or ``"binary"``).
        save_model, checkpoint_every, loss_log, save_vocab, read_vocab: as the CLI flags.
        resume, init: the model directory continued, if any.
        saved: that directory's :class:`w2vcli.model.SavedModel`.
        notes: one line per saved setting a resumed run overrides.
        layout: after :meth:`read`, a subword model's
            :class:`w2vcli.subword_kernels.SubwordLayout` (training holds the n-gram rows the
            vocabulary uses; the saved ``w_in.npy`` has fastText's ``V + bucket``), else
            ``None``.
    """

    corpus: tuple[str, ...]
    options: dict[str, Any]
    output: str | None
    fmt: str
    save_model: str | None = None
    checkpoint_every: int | None = None
    loss_log: str | None = None
    save_vocab: str | None = None
    read_vocab: str | None = None
    resume: str | None = None
    init: str | None = None
    update_vocab: bool = False
    saved: Any = None
    notes: list[str] = field(default_factory=list)
    vocab: Any = None
    encoded: Any = None
    config: Any = None
    history: list[dict[str, float]] = field(default_factory=list)
    added_words: int = 0
    kernel_seconds: float = 0.0
    keep_output_vectors: bool = False
    layout: Any = None
    cluster: str | None = None
    sync_words: int | None = None
    _cluster_run: Any = None
    _kernel: Any = None
    _fingerprint: str | None = None
    _weights: Any = None
    _start: Any = None

    # -- options ----------------------------------------------------------------------------

    @classmethod
    def prepare(cls, corpus: Sequence[str | os.PathLike] = (), *, output: str | None = None,
                fmt: str | None = None, save_model: str | None = None,
                checkpoint_every: int | None = None, resume: str | None = None,
                init: str | None = None, update_vocab: bool = False,
                save_vocab: str | None = None, read_vocab: str | None = None,
                loss_log: str | None = None, default_output: str | None = "vectors.txt",
                subwords: bool = False, cluster: str | None = None,
                sync_words: int | None = None, **given: Any) -> "TrainingSession":
        """Resolve the options of a run and check them, before any corpus is read.

        Args:
            corpus: corpus files (plain, ``.gz``, ``.bz2``, ``.xz``) or ``"-"``; may be empty
                with ``resume`` (the checkpoint's paths are used).
            output: vectors file (a resumed run: the checkpoint's; else ``default_output``;
                ``None``: no vectors file, the caller keeps the result).
            fmt: ``"text"`` or ``"binary"`` (default: binary for ``*.bin``).
            subwords: fastText's subword model: ``minn``, ``maxn`` and ``bucket`` not given
                take fastText's defaults (:func:`w2vcli.modes.subword_options`; so does giving
                any of them).
            cluster: train on a Dask cluster (:mod:`w2vcli.cluster`): ``"local:N"`` or a
                scheduler address; a resumed cluster run takes its checkpoint's unless given.
            sync_words: with ``cluster``, the most frequent words whose rows sync every round
                (:data:`w2vcli.cluster.HOT_WORDS`); a resumed run keeps its checkpoint's.
            given: training options set by the caller, by name (``dim=300``, ``neg=10``; see
                :data:`w2vcli.modes.TRAIN_DEFAULTS`); the others take their defaults.

        Raises:
            OptionError: an unknown option, a combination of options that cannot go together,
                an option a resumed run cannot change, or a value out of range.
            W2VError: an output cannot be written, or the saved model cannot be read or holds
                NaN or infinite weights.
        """
        unknown = sorted(set(given) - set(TRAIN_DEFAULTS))
        if unknown:
            raise OptionError(f"unknown training option {unknown[0]!r}; the options are "
                              f"{', '.join(TRAIN_DEFAULTS)}")
        if resume and subwords:
            raise OptionError("a resumed run keeps its checkpoint's parameters; drop it",
                              "--subwords")
        if not resume:
            given = subword_options(given, subwords)
        corpus = tuple(os.fspath(p) for p in corpus)
        _check_combinations(corpus, resume, init, update_vocab, read_vocab, save_model,
                            checkpoint_every, given)
        session = cls(corpus=corpus, options=dict(TRAIN_DEFAULTS), output="", fmt="",
                      save_model=save_model, checkpoint_every=checkpoint_every,
                      loss_log=loss_log, save_vocab=save_vocab, read_vocab=read_vocab,
                      resume=resume, init=init, update_vocab=update_vocab)
        run = {"output": output, "fmt": fmt, "loss_log": loss_log,
               "checkpoint_every": checkpoint_every, "threads": given.get("threads")}
        if resume or init:
            from w2vcli import model as saved_models

            session.saved = saved_models.load_model(resume or init)
            # NaN weights would train on as a "divergence" of this run: say where they are.
            saved_models.check_finite(resume or init, session.saved)
            stored = options_from_meta(session.saved.meta)
            stored["dim"] = session.saved.vector_size
            if resume:
                session._restore(stored, given, run)
            else:
                session._initialise_from(stored, given)
        session.options.update(given)
        options = session.options
        session.output = run["output"] or default_output
        session.fmt = run["fmt"] or ("binary" if str(session.output).endswith(".bin")
                                     else "text")
        session.loss_log = run["loss_log"]
        session.checkpoint_every = run["checkpoint_every"]
        if run["threads"] is not None or resume:
            options["threads"] = run["threads"]
        if options["alpha"] is None:
            options["alpha"] = 0.05 if options["model"] == "cbow" else 0.025
        if options["min_alpha"] > options["alpha"]:
            raise OptionError(f"must not exceed --alpha {options['alpha']:g}", "--min-alpha")
        if options["maxn"] and options["minn"] > options["maxn"]:
            raise OptionError(f"must not exceed --maxn {options['maxn']} (n-grams of --minn to "
                              "--maxn characters)", "--minn")
        if options["maxn"] and options["loss"] == "softmax":
            raise OptionError("subwords train with --loss ns or hs (fastText's)", "--loss")
        session._check_outputs()
        session._check_cluster(cluster, sync_words)
        return session

    def _check_cluster(self, cluster: str | None, sync_words: int | None = None) -> None:
        """--cluster: its form, a corpus of files, a checkpoint of the same kind of run;
        --sync-words: only with it, and not changed on resume."""
        layout = (self.saved.meta.get("cluster") if self.resume and self.saved is not None
                  else None)
        if layout and cluster is None:
            cluster = layout.get("address")
        if sync_words is not None and cluster is None:
            raise OptionError("syncs the rounds of a cluster run: give --cluster too, or drop "
                              "it", "--sync-words")
        if sync_words is not None and self.resume:
            raise OptionError("is fixed by the checkpoint of a resumed cluster run: drop it",
                              "--sync-words")
        self.sync_words = sync_words
        if cluster is None:
            return
        if self.options.get("maxn"):
            raise OptionError("cluster runs train word models only for now; drop --subwords "
                              "(or --minn/--maxn/--bucket), or train on one machine",
                              "--cluster")
        from w2vcli.cluster import parse_cluster

        try:
            parse_cluster(cluster)
        except ValueError as exc:
            raise OptionError(str(exc), "--cluster") from None
        if "-" in self.corpus:
            raise W2VError("--cluster reads corpus files where they are, on every worker; "
                           "standard input cannot be shared: save it to a file they can all "
                           "read")
        if self.resume and not layout:
            raise W2VError(f"{self.resume} is a checkpoint of a one-machine run; resume it "
                           "without --cluster")
        self.cluster = cluster

    def _restore(self, stored: dict[str, Any], given: dict[str, Any], run: dict) -> None:
        """--resume: every saved setting, unless given anew (run settings only, with a note)."""
        fixed = sorted(set(given) - {"epochs", "threads"})
        if fixed:
            flags = ", ".join(flag(name) for name in fixed)
            raise OptionError(f"{flags}: a resumed run keeps its checkpoint's parameters; drop "
                              "them, or use --init DIR to train on with new ones")
        self.corpus = self.corpus or tuple(stored.get("corpus", ()))
        self.save_model = self.save_model or self.resume
        for name in MODEL_OPTIONS + SCHEDULE_OPTIONS:
            if name in stored:
                self.options[name] = stored[name]
        for name in ("epochs",):
            if name in given and given[name] != stored.get(name):
                self.notes.append(f"Resuming with {flag(name)} {given[name]} (the checkpoint's "
                                  f"run had {stored.get(name)}).")
        for name in RUN_OPTIONS:
            if name not in stored and name != "threads":
                continue
            if name == "fmt" and run["output"] is not None and run["fmt"] is None:
                continue  # a new -o takes the format its name implies
            saved_value = stored.get(name)
            if run[name] is None:
                run[name] = saved_value
            elif _differs(name, run[name], saved_value):
                was = "all cores" if name == "threads" and saved_value is None else saved_value
                self.notes.append(f"Resuming with {flag(name)} {run[name]} (the checkpoint's run "
                                  f"had {was}).")

    def _initialise_from(self, stored: dict[str, Any], given: dict[str, Any]) -> None:
        """--init: the saved model's model options unless given; dim, loss and the n-gram
        options (the input matrix's rows) must match."""
        for name in ("dim", "loss", "minn", "maxn", "bucket"):
            if name in given and given[name] != stored.get(name) and stored.get(name) is not None:
                raise OptionError(f"the saved model has {name} {stored[name]}; continue it with "
                                  "that, or train anew", flag(name))
        for name in MODEL_OPTIONS:
            if name not in given and (name in stored):
                self.options[name] = stored[name]

    def _check_outputs(self) -> None:
        from w2vcli.atomic import check_writable

        for path in self.corpus if self.output else ():
            if path != "-" and os.path.exists(path) and os.path.exists(self.output) \
                    and os.path.samefile(path, self.output):
                raise OptionError(f"{self.output} is the corpus; write the vectors elsewhere",
                                  "-o")
        for path in (self.output, self.save_vocab, self.loss_log):
            if path:
                check_writable(path)
        if self.save_model:
            check_writable(os.path.join(self.save_model, "model.json")
                           if os.path.isdir(self.save_model) else self.save_model)

    # -- reading ----------------------------------------------------------------------------

    def read(self) -> None:
        """Read and encode the corpus, build the vocabulary and what training starts from.

        Sets :attr:`vocab`, :attr:`encoded` and :attr:`config`; writes ``save_vocab``.

        Raises:
            W2VError: a corpus file cannot be read, the vocabulary is empty or unusable, the
                corpus is not the one a resumed checkpoint was trained on, or ``--neg`` exceeds
                the vocabulary (:class:`OptionError`).
        """
        from w2vcli.corpus import read_corpus
        from w2vcli.tokenize import make_tokenizer
        from w2vcli.training import TrainConfig, share_one_malloc_arena
        from w2vcli.vocab import Vocab, read_vocab as load_vocab_file, save_vocab

        share_one_malloc_arena()  # before any thread starts (the reader's, a progress bar's)
        o = self.options
        fixed_vocab = None
        if self.saved is not None:
            fixed_vocab = Vocab(list(self.saved.words), self.saved.counts)
        elif self.read_vocab:
            fixed_vocab = load_vocab_file(self.read_vocab, o["min_count"], o["max_vocab"])
        if self.cluster and self._cluster_run is None:
            from w2vcli.cluster import ClusterRun

            self._cluster_run = ClusterRun(self.cluster, threads=o["threads"], layout=(
                self.saved.meta.get("cluster") if self.resume else None),
                hot_words=self.sync_words)
        reader = self._cluster_run.read_corpus if self._cluster_run else read_corpus
        self.vocab, self.encoded = reader(
            self.corpus, make_tokenizer(o["tokenizer"], o["lowercase"]), o["min_count"],
            o["max_vocab"], o["max_sentence_length"], vocab=fixed_vocab,
            update_vocab=self.update_vocab, threads=o["threads"],
        )
        self.added_words = len(self.vocab) - (len(fixed_vocab) if fixed_vocab is not None
                                              else len(self.vocab))
        if self.save_vocab:
            save_vocab(self.save_vocab, self.vocab)
        self.config = TrainConfig(**{_CONFIG_NAMES.get(k, k): o[k] for k in o
                                     if k not in _CORPUS_OPTIONS})
        if o["loss"] == "ns" and o["neg"] > len(self.vocab):
            raise OptionError(f"{o['neg']} noise words per prediction is more than the "
                              f"{len(self.vocab)} words in the vocabulary; use fewer", "--neg")
        self._fingerprint = (self.encoded.fingerprint() if (self.save_model or self.resume)
                             else None)
        if self.config.subwords:
            from w2vcli.training import subword_layout

            self.layout = subword_layout(self.vocab.words, self.config)
        if self.resume:
            self._resume_state()
        elif self.init:
            from w2vcli.model import continued_weights

            self._weights = continued_weights(self.saved, self.vocab, self.config, self.layout)

    def _resume_state(self) -> None:
        from w2vcli.model import trainable

        meta = self.saved.meta
        stored = (meta.get("corpus") or {}).get("fingerprint")
        if stored and self._fingerprint != stored:
            raise W2VError("the corpus is not the one this checkpoint was trained on (its "
                           "fingerprint differs); pass the same corpus, or use --init DIR to "
                           "train on new text")
        done = int(meta.get("epochs_done", 0))
        if done > self.config.epochs:
            raise OptionError(f"the checkpoint has {done} epochs done, more than --epochs "
                              f"{self.config.epochs}", "--epochs")
        self._start = position_from_meta(meta, self.encoded)
        w_in = self.saved.w_in
        self._weights = (trainable(w_in) if self.layout is None else self.layout.compact(w_in),
                         trainable(self.saved.w_out))
        self.history = [dict(row) for row in self.saved.loss]

    def close(self) -> None:
        """Remove the encoded corpus now (it is also removed when the process ends); close
        the cluster of a cluster run."""
        if self.encoded is not None:
            self.encoded.close()
        if self._cluster_run is not None:
            self._cluster_run.close()
            self._cluster_run = None

    def __enter__(self) -> "TrainingSession":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- the saved-model layout -------------------------------------------------------------

    def model_meta(self, epochs_done: int, words_done: int, position=None) -> dict[str, Any]:
        """``model.json``'s contents (less what :func:`w2vcli.model.save_model` adds: format,
        version and sizes) for a model with ``epochs_done`` epochs trained."""
        o, encoded = self.options, self.encoded
        meta: dict[str, Any] = {
            "config": {f: getattr(self.config, f) for f in self.config.__dataclass_fields__},
            "corpus": {
                "paths": [_absolute(p) for p in self.corpus], "fingerprint": self._fingerprint,
                "tokens": len(encoded), "raw_tokens": encoded.raw_tokens,
                "sentences": encoded.n_sentences, **{k: o[k] for k in _CORPUS_OPTIONS},
            },
            "output": {"path": _absolute(self.output), "format": self.fmt},
            "loss_log": _absolute(self.loss_log),
            "checkpoint_every": self.checkpoint_every,
            "w2v_version": __version__,
            "epochs_done": epochs_done,
            "words_done": words_done,
        }
        if self.init:
            meta["initialised_from"] = _absolute(self.init)
        if position is not None:
            meta["position"] = vars(position)
        if self._cluster_run is not None:
            meta["cluster"] = encoded.layout()
        return meta

    def _checkpoint(self, w_in, w_out, epochs_done: int, words_done: int, position=None):
        from w2vcli import model as saved_models

        saved_models.save_model(self.save_model, saved_models.SavedModel(
            self.vocab.words, self.vocab.counts, self._full_input(w_in), w_out,
            self.model_meta(epochs_done, words_done, position), self.history,
        ))

    def _full_input(self, w_in):
        """The input matrix as a model directory stores it: a subword model's compact one
        expanded to fastText's ``V + bucket`` rows."""
        return w_in if self.layout is None else self.layout.expand(w_in)

    # -- training ---------------------------------------------------------------------------

    def load_kernel(self) -> float:
        """Compile the training kernel, or load it from the cache; after :meth:`read`.

        A first run at a new ``--dim`` and mode compiles for several seconds; calling this
        first lets a caller say so. :meth:`train` calls it if it was not called.

        Returns:
            The seconds it took (also kept as :attr:`kernel_seconds`).
        """
        from w2vcli.training import load_kernel

        if self._kernel is None:
            loader = self._cluster_run.load_kernel if self._cluster_run else load_kernel
            self._kernel, self.kernel_seconds = loader(self.config)
        return self.kernel_seconds

    def train(self, progress: Callable | None = None, on_epoch: Callable | None = None):
        """Train, checkpoint as asked, write the vectors (and the model); after :meth:`read`.

        Args:
            progress: called with a :class:`w2vcli.training.Progress` about 10 times a second.
            on_epoch: called with each epoch's :class:`w2vcli.training.EpochStats`, after the
                loss log and any checkpoint were written.

        Returns:
            The :class:`w2vcli.training.TrainResult` (its ``w_out`` is ``None`` unless the model
            was saved: it is freed before the vectors are written).

        Raises:
            Interrupted: Ctrl-C; with ``save_model`` a checkpoint of the position was saved.
            W2VError: training diverged, the model does not fit in memory, or an output
                cannot be written.
        """
        from w2vcli.io import write_vectors
        from w2vcli.model import loss_csv_text
        from w2vcli.training import TrainingInterrupted, train

        config, n_words = self.config, len(self.encoded)
        self.load_kernel()

        def epoch_done(stats, w_in, w_out) -> None:
            self.history.append({"epoch": stats.epoch, "words": stats.words,
                                 "alpha": stats.alpha, "mean_loss": stats.mean_loss,
                                 "words_per_sec": _whole(stats.words_per_sec)})
            if self.loss_log:
                from w2vcli.atomic import atomic_output

                with atomic_output(self.loss_log, "w") as fh:
                    fh.write(loss_csv_text(self.history))
            every = self.checkpoint_every
            if self.save_model and (stats.epoch == config.epochs
                                    or (every and stats.epoch % every == 0)):
                self._checkpoint(w_in, w_out, stats.epoch, stats.epoch * n_words)
            if on_epoch is not None:
                on_epoch(stats)

        trainer = self._cluster_run.train if self._cluster_run else train
        try:
            extra = {"layout": self.layout} if self.layout is not None else {}
            result = trainer(self.vocab, self.encoded, config, progress=progress,
                             weights=self._weights, start=self._start, on_epoch=epoch_done,
                             batch_kernel=self._kernel, **extra)
        except _scheduler_lost() as lost:
            if self.save_model:
                self._checkpoint(lost.w_in, lost.w_out, lost.position.epoch - 1,
                                 lost.words_done, lost.position)
                raise W2VError(f"{lost}; saved the last complete round to {self.save_model}: "
                               f"continue with 'w2v train --resume {self.save_model}'") from None
            raise
        except TrainingInterrupted as stop:
            where = (f"Interrupted in epoch {stop.position.epoch} of {config.epochs} after "
                     f"{stop.words_done:,} of {stop.total_words:,} words "
                     f"({100 * stop.words_done / max(stop.total_words, 1):.0f}%)")
            if not self.save_model:
                raise Interrupted(f"{where}; nothing was written (--save-model DIR keeps "
                                  "interrupted work).", None, stop.signum) from None
            self._checkpoint(stop.w_in, stop.w_out, stop.position.epoch - 1, stop.words_done,
                             stop.position)
            unwritten = f" {self.output} was not written." if self.output else ""
            raise Interrupted(f"{where}; saved a checkpoint to {self.save_model}: continue "
                              f"with 'w2v train --resume {self.save_model}'.{unwritten}",
                              self.save_model, stop.signum) from None
        if self.output is None:
            return result
        if self.fmt == "fasttext":  # the whole model, as fastText's .bin
            from w2vcli.fasttext_format import write_fasttext_model

            write_fasttext_model(self.output, self.vocab.words, self.vocab.counts,
                                 self._full_input(result.w_in), result.w_out, self.config,
                                 min_count=self.options["min_count"],
                                 ntokens=self.encoded.raw_tokens)
            return result
        if not (self.save_model or self.keep_output_vectors):
            # Nothing else needs w_out (V x d): free it before writing.
            result.w_out = self._weights = self.saved = None
        write_vectors(self.output, self.vocab.words, self.word_vectors(result),
                      binary=self.fmt == "binary")
        return result

    def word_vectors(self, result):
        """The vocabulary's vectors from :meth:`train`'s ``result``: ``w_in``, or for a subword
        model each word's mean input row (fastText's ``.vec``), float32 ``(V, d)``."""
        from w2vcli.training import word_vectors

        return word_vectors(self.vocab.words, result.w_in, self.config, self.layout)

    def save(self, path: str | os.PathLike, result) -> None:
        """Save the trained model to directory ``path`` (as ``--save-model`` does), from the
        ``result`` of :meth:`train` (which must still hold ``w_out``).

        Raises:
            W2VError: ``path`` cannot be written, or is something other than a model directory.
        """
        from w2vcli import model as saved_models

        n = len(self.encoded)
        done = self.config.epochs
        saved_models.save_model(path, saved_models.SavedModel(
            self.vocab.words, self.vocab.counts, self._full_input(result.w_in), result.w_out,
            self.model_meta(done, done * n), self.history))


def _scheduler_lost() -> type:
    """:class:`w2vcli.cluster.SchedulerLost` (w2vcli.cluster imports no Dask until used)."""
    from w2vcli.cluster import SchedulerLost

    return SchedulerLost


def _whole(x: float) -> float:
    """A rate as loss.csv keeps it (a whole number; infinite stays infinite)."""
    return float(round(x)) if math.isfinite(x) else x


def _differs(name: str, value, saved) -> bool:
    if name in ("output", "loss_log") and value is not None and saved is not None:
        return _absolute(value) != _absolute(saved)
    return value != saved


def _check_combinations(corpus, resume, init, update_vocab, read_vocab, save_model,
                        checkpoint_every, given) -> None:
    """Combinations of options that cannot go together (:class:`OptionError`, no option)."""
    if resume and init:
        raise OptionError("--resume and --init cannot be combined; give one of them")
    if not corpus and not resume:
        raise OptionError("Missing argument 'CORPUS...'.")
    if update_vocab and not init:
        raise OptionError("--update-vocab goes with --init DIR")
    if read_vocab and (resume or init):
        raise OptionError("--read-vocab cannot be combined with --resume or --init (the saved "
                          "model has its vocabulary)")
    if checkpoint_every and not (save_model or resume):
        raise OptionError("--checkpoint-every needs --save-model DIR")
