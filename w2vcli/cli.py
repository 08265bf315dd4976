"""The ``w2v`` command: a thin click shell over the library.

Everything a user can get wrong ends in a one-line ``Error: ...`` and exit status 1 (click's usage
errors exit 2), never a traceback. Numba and matplotlib are imported only by the commands that
need them, so ``w2v --help``, ``similar`` and ``eval`` start quickly.
"""

from __future__ import annotations

import math
import os
import sys
import signal
import threading
from collections.abc import Sequence

import click

from w2vcli._version import __version__
from w2vcli.errors import W2VError
from w2vcli.modes import (KERNELS, LOSSES, MAX_BUCKET, MAX_COMBINE, MAX_DIM, MAX_EPOCHS,
                          MAX_INT, MAX_NGRAM, MAX_NS_EXPONENT, MAX_PASSES, MAX_SEED, MAX_THREADS,
                          MAX_WINDOW, MODELS, SUBWORD_DEFAULTS, TRAIN_DEFAULTS)

#: train's defaults, from the one table (w2vcli.modes.TRAIN_DEFAULTS).
_D = TRAIN_DEFAULTS

DEFAULT_VECTORS = "vectors.txt"


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread (see :func:`main`): it unwinds as Ctrl-C does."""


def _raise_terminated(signum, frame) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # let the clean-up finish
    raise _Terminated


def _bound(value: float) -> str:
    """A range bound for help and error texts: ``2**63-1`` rather than its 19 digits."""
    if value == MAX_INT:
        return "2**63-1"
    return f"{value:g}" if isinstance(value, float) else str(value)


class _Ints(click.IntRange):
    """An integer from ``min`` to ``max`` (``MAX_INT``, the int64 limit, unless told), shown as
    ``1<=x<=2**63-1``."""

    name = "integer"  # the metavar, and "'x' is not a valid integer."

    def __init__(self, min: int = 1, max: int = MAX_INT) -> None:
        super().__init__(min=min, max=max)

    def _describe_range(self) -> str:
        return f"{_bound(self.min)}<=x<={_bound(self.max)}"


class _Floats(click.FloatRange):
    """A float range that also refuses NaN and the infinities (click's lets NaN through)."""

    name = "float"

    def convert(self, value, param, ctx):
        number = click.types.FloatParamType.convert(self, value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return super().convert(number, param, ctx)

    def _describe_range(self) -> str:
        if self.max is None:  # "x>0, finite": click would write "x>0" and let inf through
            return f"x{'>' if self.min_open else '>='}{_bound(self.min)}, finite"
        return super()._describe_range()


class _Group(click.Group):
    """Turns library errors into click errors (one line, exit 1), Ctrl-C into exit 130 and
    SIGTERM into exit 143."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except W2VError as exc:
            raise click.ClickException(str(exc)) from None
        except _Terminated:
            click.echo("Terminated.", err=True)
            ctx.exit(128 + signal.SIGTERM)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(130)
        except OSError as exc:  # disk full, permissions, I/O errors: one line, no traceback
            raise click.ClickException(_os_error_message(exc)) from None


def _count(n: int, noun: str) -> str:
    """'1 word', '2 words', '1,234 words'."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _os_error_message(exc: OSError) -> str:
    """One line for an operating-system error, with what to do about the common ones."""
    import errno

    where = f" ({exc.filename})" if exc.filename else ""
    if exc.errno == errno.ENOSPC:
        return (f"no space left on the device{where}; free some space, or write the output "
                "(-o) or the encoded corpus (TMPDIR) to another disk")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"permission denied{where}; check the path and its permissions"
    return f"{exc.strerror or exc}{where}"


def _warn_about_input(console, replaced: int, nul: int, other: int) -> None:
    """Warning lines for what the corpus reader repaired: invalid UTF-8 bytes (replaced with
    U+FFFD) and control characters (read as spaces)."""
    if replaced:
        console.print(
            f"Warning: {_count(replaced, 'invalid UTF-8 byte')} in the corpus "
            f"{'was' if replaced == 1 else 'were'} replaced with U+FFFD (if it is not UTF-8, "
            "convert it first, e.g. iconv -f latin1 -t utf-8)", markup=False)
    found = [_count(n, noun) for n, noun in ((nul, "NUL byte"), (other, "control character"))
             if n]
    if nul and other:
        found[1] = f"{other:,} other control character{'' if other == 1 else 's'}"
    if found:
        verb = "was" if nul + other == 1 else "were"
        console.print(f"Warning: {' and '.join(found)} in the corpus {verb} read as spaces",
                      markup=False)


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)  # messages stay one line


def _stdout_console():
    """Rich console for tables; when stdout is not a terminal, as wide as what it prints."""
    from w2vcli.report import stdout_console

    return stdout_console()


def _load_vectors(path: str):
    """Vectors for a query command's ``-v``: a text or binary vectors file (plain or compressed,
    or GloVe text, said in a note on stderr), or a model dir."""
    from w2vcli.io import load_vectors_and_source

    if not os.path.exists(path):
        if path == DEFAULT_VECTORS:
            raise W2VError(
                f"no {DEFAULT_VECTORS} here; train one with 'w2v train CORPUS' or pass -v FILE"
            )
        raise W2VError(
            f"vectors '{path}' not found; pass -v with a vectors file or model directory, "
            "or train one with 'w2v train CORPUS'"
        )
    kv, source = load_vectors_and_source(path)
    if not source.header:
        _stderr_console().print(
            f"Note: {path} has no header line; read as GloVe text ({len(kv):,} words x "
            f"{kv.vector_size} dims)", markup=False)
    return kv


def _split_words(value: str) -> list[str]:
    return [w for w in (part.strip() for part in value.split(",")) if w]


def _look_up(kv, words: Sequence[str], every: bool = False):
    """Query words by the one rule of every command (:meth:`KeyedVectors.lookup`).

    A word is taken as written, else as its only case variant (a note says so), else skipped
    with a note naming it and close words. Fails in one line, naming the unknown words, if no
    word is left, or with ``every`` if any is unknown.
    """
    found = kv.lookup(words)
    if found.unknown and (every or not found.found):
        raise kv.unknown_error(found.unknown)
    _print_notes(found.notes())
    return found


def _print_notes(notes: Sequence[str]) -> None:
    """Notes and warnings on stderr, each one line as it is (no markup, no wrapping)."""
    console = _stderr_console()
    for note in notes:
        console.print(note, markup=False, highlight=False)


def format_option(tsv: str):
    """--format table|tsv|json for a command whose TSV lines are described by ``tsv``."""
    return click.option(
        "--format", "fmt", type=click.Choice(["table", "tsv", "json"]), default=None,
        help=f"table: for reading, never cutting a word; tsv: a header line, then {tsv}; "
             "json: one document with the same fields.  [default: table on a terminal, else tsv]")


def tokenizer_options(command):
    """--tokenizer and --lowercase, shared by the commands that read a corpus."""
    command = click.option("--lowercase/--no-lowercase", default=None,
                           help="Fold case  [default: yes for words, no for whitespace]")(command)
    return click.option(
        "--tokenizer", type=click.Choice(["words", "whitespace"]), default="words",
        show_default=True,
        help="words: runs of letters and digits (and phrases joined by '_'), lowercased; "
             "whitespace: tokens verbatim.")(command)


vectors_option = click.option(
    "-v",
    "--vectors",
    default=DEFAULT_VECTORS,
    show_default=True,
    metavar="FILE",
    help="Vectors file: word2vec text or binary (detected; also .gz/.bz2/.xz, and GloVe text "
         "without a header), a fastText .bin, or a saved model directory. A .bin or model "
         "with character n-grams gives vectors to unseen words too.",
)

subwords_option = click.option(
    "--subwords/--no-subwords", default=None,
    help="Score words not in the vocabulary through vectors composed from their character "
         "n-grams (fastText), and report the coverage both ways; needs subword vectors (a "
         "fastText .bin or a subword model directory).  [default: on for subword vectors]")


def _use_subwords(kv, subwords: bool | None, vectors: str) -> bool:
    """Whether an evaluation composes vectors for unseen words: ``--subwords`` as given, by
    default whenever ``kv`` has n-gram vectors; ``--subwords`` without them is an error."""
    from w2vcli.keyedvectors import SubwordKeyedVectors

    has = isinstance(kv, SubwordKeyedVectors)
    if subwords and not has:
        raise click.BadParameter(
            f"{vectors} holds word vectors without character n-grams; give a fastText .bin or "
            "a model trained with subwords, or leave --subwords out", param_hint="--subwords")
    return has if subwords is None else subwords


def _composed_note(*results) -> list[str]:
    """One note line saying how many words of the evaluation sets were composed from n-grams."""
    words = {w for r in results if r is not None for w in r.composed_words}
    if not words:
        return []
    n = len(words)
    return [f"note: {n:,} word{'' if n == 1 else 's'} not in the vocabulary "
            f"{'was' if n == 1 else 'were'} scored through vectors composed from character "
            "n-grams"]


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="w2v")
def cli() -> None:
    """Train word2vec vectors fast on your own text, then query, plot and evaluate them."""


@cli.command()
@click.argument("corpus", nargs=-1, required=False, metavar="CORPUS...")
@click.option("-o", "--output", default=DEFAULT_VECTORS, show_default=True, metavar="FILE",
              help="Where to write the vectors.")
@click.option("--format", "fmt", type=click.Choice(["text", "binary", "fasttext"]),
              default=None,
              help="word2vec.c text or binary vectors, or fastText's binary model (.bin: the "
                   "n-gram buckets and output vectors too, so fastText and gensim can compose "
                   "vectors for unseen words)  [default: binary for *.bin, else text]")
@click.option("--model", type=click.Choice(MODELS), default=_D["model"], show_default=True,
              help="sg: skip-gram; cbow: continuous bag of words (mean of the window predicts "
                   "the centre word).")
@click.option("--loss", type=click.Choice(LOSSES), default=_D["loss"],
              show_default=True,
              help="ns: negative sampling; hs: hierarchical softmax; softmax: exact softmax "
                   "(vocabularies up to 10,000 words).")
@click.option("--dim", default=_D["dim"], show_default=True, type=_Ints(1, MAX_DIM),
              help="Vector dimension.")
@click.option("--window", default=_D["window"], show_default=True, type=_Ints(1, MAX_WINDOW),
              help="Maximum window: outside words on each side of the centre word.")
@click.option("--neg", default=_D["neg"], show_default=True, type=_Ints(),
              help="Negative samples per prediction (--loss ns); at most the vocabulary size.")
@click.option("--ns-exponent", default=_D["ns_exponent"], show_default=True,
              type=_Floats(-MAX_NS_EXPONENT, MAX_NS_EXPONENT),
              help="Exponent of the unigram noise distribution (--loss ns); 0 draws every word "
                   "alike, a negative one favours rare words.")
@click.option("--min-count", default=_D["min_count"], show_default=True, type=_Ints(),
              help="Ignore words seen fewer times.")
@click.option("--max-vocab", default=None, type=_Ints(),
              help="Keep at most this many of the most frequent words.")
@click.option("--sample", default=_D["sample"], show_default=True, type=_Floats(min=0),
              help="Subsampling threshold for frequent words (0: off).")
@click.option("--shrink-windows/--no-shrink-windows", default=True, show_default=True,
              help="Draw each centre word's window from 1..--window (word2vec.c), or always use "
                   "--window.")
@click.option("--cbow-mean/--cbow-sum", default=True, show_default=True,
              help="CBOW: average the context vectors (word2vec.c) or sum them.")
@click.option("--epochs", default=_D["epochs"], show_default=True, type=_Ints(1, MAX_EPOCHS),
              help="Passes over the corpus (with --resume: the run's total).")
@click.option("--alpha", default=None, type=_Floats(min=0, min_open=True),
              help="Initial learning rate  [default: 0.025 for sg, 0.05 for cbow, as word2vec.c]")
@click.option("--min-alpha", default=_D["min_alpha"], show_default=True, type=_Floats(min=0),
              help="Final learning rate (linear decay over all epochs); at most --alpha.")
@click.option("--threads", default=None, type=_Ints(1, MAX_THREADS),
              help="Worker threads  [default: all cores]")
@click.option("--seed", default=_D["seed"], show_default=True, type=_Ints(0, MAX_SEED),
              help="Random seed; with --threads 1 the output is bit-for-bit reproducible.")
@click.option("--kernel", type=click.Choice(KERNELS), default=_D["kernel"],
              show_default=True,
              help="Update rule of sg with ns: context-combining shares noise words across a "
                   "group of centre words (fastest); hogbatch shares them within a window; pair "
                   "is the exact per-pair SGD step.")
@click.option("--combine", default=_D["combine"], show_default=True,
              type=_Ints(1, MAX_COMBINE),
              help="context-combining: centre words that share one set of noise words (more is "
                   "faster, with noise shared across more pairs; 1 trains as hogbatch).")
@click.option("--subwords", is_flag=True,
              help="fastText's subword model (Bojanowski et al. 2017): a word's vector is the "
                   "mean of its own row and the hashed rows of its character n-grams, so "
                   "unseen words get vectors too; --minn, --maxn, --bucket take fastText's "
                   "defaults unless given.")
@click.option("--minn", default=None, type=_Ints(1, MAX_NGRAM), metavar="N",
              help=f"Subwords: shortest character n-gram (giving it implies --subwords)  "
                   f"[default: {SUBWORD_DEFAULTS['minn']}]")
@click.option("--maxn", default=None, type=_Ints(0, MAX_NGRAM), metavar="N",
              help=f"Subwords: longest character n-gram; 0: no subwords, the word model  "
                   f"[default: {SUBWORD_DEFAULTS['maxn']} with --subwords, --minn or --bucket, "
                   "else 0]")
@click.option("--bucket", default=None, type=_Ints(1, MAX_BUCKET), metavar="N",
              help=f"Subwords: rows the n-grams are hashed into, d floats each (giving it "
                   f"implies --subwords)  [default: {SUBWORD_DEFAULTS['bucket']:,}]")
@tokenizer_options
@click.option("--max-sentence-length", default=_D["max_sentence_length"], show_default=True,
              type=_Ints(),
              help="Cut longer lines into pieces of this many tokens (nothing is dropped).")
@click.option("--save-model", default=None, metavar="DIR",
              help="Also save everything needed to continue training (see 'w2v info DIR').")
@click.option("--checkpoint-every", default=None, type=_Ints(1, MAX_EPOCHS), metavar="N",
              help="With --save-model: save it after every N epochs too.")
@click.option("--resume", default=None, metavar="DIR",
              help="Finish the run a saved model belongs to: same corpus and parameters, the "
                   "remaining epochs.")
@click.option("--init", "init_dir", default=None, metavar="DIR",
              help="Start from a saved model's vectors and vocabulary and train --epochs more.")
@click.option("--update-vocab", is_flag=True,
              help="With --init: add the corpus's new words (reaching --min-count).")
@click.option("--save-vocab", default=None, metavar="FILE",
              help="Write the vocabulary as 'word count' lines (word2vec.c's format).")
@click.option("--read-vocab", default=None, metavar="FILE",
              help="Use this 'word count' vocabulary instead of counting the corpus.")
@click.option("--loss-log", default=None, metavar="FILE",
              help="Write epoch, words, alpha, mean loss and words/s per epoch as CSV.")
@click.option("--log-format", type=click.Choice(["auto", "bar", "plain", "jsonl"]),
              default="auto", show_default=True,
              help="Progress: a live bar; plain lines (every 10 s and per epoch); or JSON "
                   "lines (every second and per epoch: epoch, words done, words/s, alpha, loss, "
                   "ETA). auto: the bar on a terminal, plain lines otherwise (jsonl with "
                   "--log-file).")
@click.option("--log-file", default=None, metavar="FILE",
              help="Write the progress log (--log-format plain or jsonl) to FILE instead of "
                   "stderr; the terminal keeps its bar.")
@click.option("--cluster", default=None, metavar="ADDRESS|local:N",
              help="Train on a Dask cluster: a scheduler's address (tcp://host:8786; the "
                   "corpus files must be readable by every worker at the same paths) or "
                   "local:N, N worker processes here; --threads is then threads per worker. "
                   "Needs pip install 'w2vcli[cluster]'.")
@click.option("--sync-words", type=click.IntRange(min=1), default=None, metavar="N",
              help="With --cluster: sync the rows of the N most frequent words every round and "
                   "the other rows every 5 rounds and at each epoch's end, which moves far fewer "
                   "bytes on large vocabularies (default: every row every round).")
@click.pass_context
def train(ctx: click.Context, corpus: Sequence[str], output: str, fmt: str | None,
          save_model: str | None, checkpoint_every: int | None, resume: str | None,
          init_dir: str | None, update_vocab: bool, save_vocab: str | None,
          read_vocab: str | None, loss_log: str | None, log_format: str, log_file: str | None,
          **options) -> None:
    """Train word vectors on CORPUS (files, .gz/.bz2/.xz, or - for stdin).

    One line is one sentence. Example: w2v train corpus.txt --dim 100 --window 5 -o vectors.txt

    The corpus is encoded to a temporary directory w2v-corpus-<pid>-* in TMPDIR (default /tmp):
    4 bytes per token, twice that while reading. It is removed when w2v ends, also on an error,
    Ctrl-C or SIGTERM; after a kill -9, by the next run. Set TMPDIR to use another disk.
    """
    from w2vcli.session import OptionError, TrainingSession

    def given(name: str) -> bool:
        return ctx.get_parameter_source(name) == click.core.ParameterSource.COMMANDLINE

    console = _stderr_console()
    cluster = options.pop("cluster")
    sync_words = options.pop("sync_words")
    try:
        session = TrainingSession.prepare(
            corpus, output=output if given("output") else None, fmt=fmt, save_model=save_model,
            checkpoint_every=checkpoint_every, resume=resume, init=init_dir,
            update_vocab=update_vocab, save_vocab=save_vocab, read_vocab=read_vocab,
            loss_log=loss_log, default_output=DEFAULT_VECTORS, cluster=cluster,
            sync_words=sync_words, **{name: value for name, value in options.items() if given(name)})
    except OptionError as exc:
        _raise_usage(exc)
    if log_file:
        from w2vcli.atomic import check_writable

        check_writable(log_file)
    with session:  # the encoded corpus goes when the run ends, however it ends
        _run_session(ctx, console, session, log_format, log_file)


def _progress_reporter(console, epochs: int, log_format: str, log_stream):
    """The progress display --log-format and --log-file ask for (see w2vcli.progress)."""
    from w2vcli import progress

    if log_stream is not None:  # a log file; the terminal keeps its bar
        log = (progress.PlainLines(log_stream) if log_format == "plain"
               else progress.JsonLines(log_stream))
        bar = progress.RichBar(epochs, console) if console.is_terminal else None
        return progress.Several(bar, log)
    if log_format == "auto":
        log_format = "bar" if console.is_terminal else "plain"
    if log_format == "bar":
        return progress.RichBar(epochs, console)
    return progress.PlainLines() if log_format == "plain" else progress.JsonLines()


def _run_session(ctx: click.Context, console, session, log_format: str = "auto",
                 log_file: str | None = None) -> None:
    """Read, train and write for ``w2v train``, saying what happens on stderr."""
    from w2vcli.session import Interrupted, OptionError

    for note in session.notes:
        console.print(note)
    try:
        with console.status("Reading corpus..."):
            session.read()
    except OptionError as exc:
        _raise_usage(exc)
    vocab, encoded = session.vocab, session.encoded
    update_vocab, read_vocab = session.update_vocab, session.read_vocab
    console.print(
        f"Vocabulary: {len(vocab):,} words"
        + (f" ({session.added_words:,} new)" if update_vocab else "")
        + (f" from {read_vocab}" if read_vocab
           else f" (min-count {session.options['min_count']})")
        + f"; corpus: {len(encoded):,} of {encoded.raw_tokens:,} tokens in vocabulary, "
        f"{encoded.n_sentences:,} sentences"
    )
    _warn_about_input(console, encoded.replaced_bytes, encoded.nul_chars,
                      encoded.control_chars)
    if session.cluster:
        console.print(encoded.describe(), markup=False)
    config, output, fmt = session.config, _shown(session.output), session.fmt
    with console.status(f"Loading the training kernel for --dim {config.dim} (the first run at "
                        "a new dim or mode compiles it: 5-15 s, once)..."):
        compile_seconds = session.load_kernel()
    if compile_seconds >= 1.0:
        console.print(f"Compiled the training kernel for {_mode_name(config)} in "
                      f"{compile_seconds:.1f} s; later runs load it from the cache.")
    import contextlib

    try:
        with contextlib.ExitStack() as stack:
            log_stream = (stack.enter_context(open(log_file, "w", encoding="utf-8"))
                          if log_file else None)
            reporter = stack.enter_context(
                _progress_reporter(console, config.epochs, log_format, log_stream))
            result = session.train(progress=reporter.update, on_epoch=reporter.epoch)
    except Interrupted as stop:
        console.print(stop.message)
        ctx.exit(128 + stop.signum)
    if not result.epochs:
        console.print(f"Nothing to train: the checkpoint already has all {config.epochs} epochs. "
                      f"Wrote {output} ({fmt}).")
        return
    final = result.epochs[-1]
    unit = "centre words" if config.model == "cbow" else "(centre, outside) pairs"
    # Under a tenth of a second, a rate says more about the clock than about the trainer.
    rate = (f"{result.words_per_sec:,.0f} words/s, " if result.seconds >= 0.1 else "")
    compiled = (f" after {compile_seconds:.1f} s compiling" if compile_seconds >= 1.0 else "")
    console.print(
        f"Trained {len(vocab):,} words x {config.dim} dims on {result.words:,} words in "
        f"{result.seconds:.1f} s{compiled} ({rate}{_count(result.threads, 'thread')}); "
        f"final-epoch mean loss {final.mean_loss:.4f}. Wrote {output} ({fmt})"
        + (f" and the model to {_shown(session.save_model)}." if session.save_model else ".")
    )
    if final.pairs == 0:
        console.print(
            f"Warning: no {unit} were trained, so the vectors are random: the corpus is too "
            f"small for subsampling at --sample {config.sample:g}; try --sample 0."
        )


def _mode_name(config) -> str:
    """'skip-gram, negative sampling (context-combining), dim 100' for a TrainConfig."""
    model = {"sg": "skip-gram", "cbow": "CBOW"}[config.model]
    loss = {"ns": "negative sampling", "hs": "hierarchical softmax",
            "softmax": "exact softmax"}[config.loss]
    rule = f" ({config.kernel})" if (config.model, config.loss) == ("sg", "ns") else ""
    subwords = (f", subwords of {config.minn}-{config.maxn} characters" if config.subwords
                else "")
    return f"{model}, {loss}{rule}{subwords}, dim {config.dim}"


def _shown(path: str) -> str:
    """A path as the user would write it here: relative below the current directory."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def _raise_usage(exc) -> None:
    """A session's option error as click's usage error (exit 2, names the flag)."""
    if exc.option is None:
        raise click.UsageError(str(exc)) from None
    raise click.BadParameter(str(exc), param_hint=exc.option) from None


def _queries(prompt: str):
    """Query lines from standard input until EOF or a line 'EXIT' (word2vec.c's distance and
    word-analogy loop): at a terminal after a prompt on stderr, else one per input line.
    Blank lines are skipped; each yield is the line's words."""
    interactive = sys.stdin.isatty()
    while True:
        if interactive:
            click.echo(prompt, err=True, nl=False)
        line = sys.stdin.readline()
        if not line or line.strip() == "EXIT":
            return
        if line.strip():
            yield line.split()


def _each_query(prompt: str, answer) -> None:
    """Call ``answer(words, first)`` for each query line; a bad query is a one-line error on
    stderr and the loop goes on (exit status 1 at the end if any failed)."""
    failed = False
    for n, words in enumerate(_queries(prompt)):
        try:
            answer(words, n == 0)
        except (W2VError, click.UsageError) as exc:
            failed = True
            click.echo(f"Error: {exc.format_message() if isinstance(exc, click.UsageError) else exc}",
                       err=True)
    if failed:
        sys.exit(1)


@cli.command()
@click.argument("words", nargs=-1, required=False)
@vectors_option
@click.option("-n", "--topn", default=10, show_default=True, type=_Ints(),
              help="Neighbours to list.")
@format_option("one line per query word, rank, neighbour and cosine")
def similar(words: Sequence[str], vectors: str, topn: int, fmt: str | None) -> None:
    """List the nearest neighbours of each WORD by cosine similarity.

    A WORD not in the vectors as written is taken in its only other case (KING -> king in a
    lowercased model), or else skipped with a note suggesting close words; it is an error only
    if no WORD is left.

    With no WORD, queries are read from standard input, one line at a time, the vectors loaded
    once (word2vec.c's distance): at a terminal after a prompt, in a pipe one answer per line
    (tsv: one header; json: one document per line). EXIT or end of input stops.
    """
    from w2vcli import report

    console = report.stdout_console()
    fmt = report.choose_format(fmt, console)
    kv = _load_vectors(vectors)
    if words:
        _answer_similar(kv, vectors, words, topn, fmt, console)
    else:
        _each_query("Words (EXIT to quit): ", lambda line, first: _answer_similar(
            kv, vectors, line, topn, fmt, console, first=first, stream=True))


def _answer_similar(kv, vectors: str, words: Sequence[str], topn: int, fmt: str, console,
                    first: bool = True, stream: bool = False) -> None:
    """Print the neighbours of ``words`` (one query) in ``fmt``; ``stream``: one of many."""
    from w2vcli import report

    found = _look_up(kv, words)
    given: dict[str | None, str] = {}  # each word used, as first typed
    for typed in words:
        given.setdefault(kv.resolve(typed), typed)
    results = [(word, kv.most_similar([word], topn=topn)) for word in found.found]
    if fmt == "json":
        report.print_json({
            "vectors": vectors,
            "queries": [
                {"query": word, "given": given.get(word, word),
                 "neighbours": [{"rank": rank, "neighbour": neighbour,
                                 "cosine": report.json_number(cosine)}
                                for rank, (neighbour, cosine) in enumerate(neighbours, 1)]}
                for word, neighbours in results],
            "unknown": list(found.unknown),
        }, one_line=stream)
    elif fmt == "tsv":
        report.print_tsv(["query", "rank", "neighbour", "cosine"] if first else None, (
            (word, rank, neighbour, f"{cosine:.6f}")
            for word, neighbours in results
            for rank, (neighbour, cosine) in enumerate(neighbours, 1)))
    else:
        report.print_neighbours(console, f"Nearest neighbours ({vectors})", results)


@cli.command()
@click.argument("words", nargs=-1, required=False, metavar="[A B C]")
@vectors_option
@click.option("-n", "--topn", default=10, show_default=True, type=_Ints(),
              help="Candidates to list.")
@format_option("one line per a, b, c, rank, neighbour and cosine")
def analogy(words: Sequence[str], vectors: str, topn: int, fmt: str | None) -> None:
    """A is to B as C is to ?  (the words nearest to B - A + C, Mikolov et al. 2013).

    Words are matched as by 'w2v similar' (KING -> king in a lowercased model); all three are
    needed, so an unknown one is an error.

    With no words, questions 'A B C' are read from standard input, one a line, the vectors
    loaded once (word2vec.c's word-analogy): at a terminal after a prompt, in a pipe one answer
    per line. EXIT or end of input stops.
    """
    from w2vcli import report

    console = report.stdout_console()
    fmt = report.choose_format(fmt, console)
    if words and len(words) != 3:
        raise click.UsageError(f"give three words A B C (got {len(words)}), or none to read "
                               "questions from standard input")
    kv = _load_vectors(vectors)
    if words:
        _answer_analogy(kv, vectors, *words, topn=topn, fmt=fmt, console=console)
        return

    def answer(line: Sequence[str], first: bool) -> None:
        if len(line) != 3:
            raise W2VError(f"'{' '.join(line)}': give three words A B C")
        _answer_analogy(kv, vectors, *line, topn=topn, fmt=fmt, console=console, first=first,
                        stream=True)

    _each_query("A B C (EXIT to quit): ", answer)


def _answer_analogy(kv, vectors: str, a: str, b: str, c: str, topn: int, fmt: str, console,
                    first: bool = True, stream: bool = False) -> None:
    """Print the answers to A : B :: C : ? in ``fmt``; ``stream``: one of many questions."""
    from rich.table import Table
    from rich.text import Text

    from w2vcli import report

    _look_up(kv, [a, b, c], every=True)
    a, b, c = (kv.resolve(word) for word in (a, b, c))
    answers = kv.analogy(a, b, c, topn=topn)
    if fmt == "json":
        report.print_json({
            "vectors": vectors, "a": a, "b": b, "c": c,
            "neighbours": [{"rank": rank, "neighbour": word, "cosine": report.json_number(score)}
                           for rank, (word, score) in enumerate(answers, 1)],
        }, one_line=stream)
        return
    if fmt == "tsv":
        report.print_tsv(["a", "b", "c", "rank", "neighbour", "cosine"] if first else None,
                         ((a, b, c, rank, word, f"{score:.6f}")
                          for rank, (word, score) in enumerate(answers, 1)))
        return
    title = f"{a} : {b} :: {c} : ?"
    table = Table(title=Text(title), min_width=len(title) + 4)
    table.add_column("#", justify="right", style="dim")
    table.add_column("word")
    table.add_column("cosine", justify="right")
    for rank, (word, score) in enumerate(answers, start=1):
        table.add_row(str(rank), Text(word), f"{score:.4f}")
    width = len(str(len(answers)))
    report.print_table(console, table, [f"  {rank:>{width}}  {score:7.4f}  {word}"
                                        for rank, (word, score) in enumerate(answers, 1)])


@cli.command()
@click.option("--words", default=None, metavar="W1,W2,...",
              help="Comma-separated words to place on the map.")
@click.option("--top", default=None, type=_Ints(2), metavar="N",
              help="Map the N most frequent words (the first N rows of the vectors file).")
@click.option("--loss", multiple=True, metavar="DIR_OR_CSV",
              help="Plot the loss per epoch of a model directory (train --save-model) or a loss "
                   "CSV (train --loss-log) instead of words; repeat to compare runs.")
@click.option("--method", type=click.Choice(["pca", "tsne"]), default="pca", show_default=True,
              help="Projection of the word map; tsne needs scikit-learn "
                   "(pip install 'w2vcli[tsne]').")
@vectors_option
@click.option("-o", "--output", default=None, metavar="FILE",
              help="PNG to write.  [default: words.png, or loss.png with --loss]")
@click.option("--title", default=None, help="Plot title.")
@click.pass_context
def plot(ctx: click.Context, words: str | None, top: int | None, loss: Sequence[str],
         method: str, vectors: str, output: str | None, title: str | None) -> None:
    """Draw a labelled 2-D map of word vectors, or the training loss per epoch, as a PNG.

    Say what to plot with exactly one of --words W1,W2,..., --top N (PCA by default, or
    --method tsne) or --loss DIR_OR_CSV (repeatable: one line per run).
    """
    from click.core import ParameterSource

    from w2vcli.atomic import check_writable

    given = [name for name, value in
             (("--words", words is not None), ("--top", top is not None), ("--loss", loss))
             if value]
    if not given:
        raise click.UsageError(
            "say what to plot: --words W1,W2,..., --top N or --loss DIR_OR_CSV"
        )
    if len(given) > 1:
        raise click.UsageError(f"{' and '.join(given)} cannot be combined; give one of them")
    console = _stderr_console()

    def say(text: str) -> None:  # paths and words verbatim: no markup, no wrapping inside them
        console.print(text, markup=False, soft_wrap=True)

    if loss:
        ignored = [option for option, param in (("--method", "method"), ("-v/--vectors", "vectors"))
                   if ctx.get_parameter_source(param) is ParameterSource.COMMANDLINE]
        if ignored:
            verb = "applies" if len(ignored) == 1 else "apply"
            raise click.UsageError(f"{' and '.join(ignored)} {verb} to word maps, not to --loss")
        output = output or "loss.png"
        check_writable(output)
        from w2vcli.plot import plot_loss, read_loss_history

        histories = [(os.path.normpath(source), read_loss_history(source)) for source in loss]
        plot_loss(histories, output, title=title, note=lambda text: say(f"Note: {text}"))
        for label, rows in histories:
            last = max(rows, key=lambda row: row["epoch"])
            say(f"{label}: {len(rows)} epoch{'s' if len(rows) != 1 else ''}, "
                f"mean loss {last['mean_loss']:.4f} in epoch {int(last['epoch'])}")
        runs = f"{len(histories)} runs" if len(histories) > 1 else "1 run"
        say(f"Plotted the loss of {runs} to {output}")
        return

    output = output or "words.png"
    wanted: list[str] = []
    if words is not None:
        wanted = _split_words(words)
        if not wanted:
            raise click.BadParameter("give at least two words, e.g. --words great,boring",
                                     param_hint="--words")
    check_writable(output)
    from w2vcli.plot import plot_words, require_tsne

    if method == "tsne":
        require_tsne()  # before reading a large vectors file
    kv = _load_vectors(vectors)
    if top is not None:
        wanted = list(kv.index_to_key[:top])
        if top > len(wanted):
            say(f"The vectors hold only {len(wanted)} words; plotting them all")
    else:
        found = kv.lookup(wanted)  # the rule of every query command
        if not found.found:
            raise kv.unknown_error(found.unknown)
        if len(found.found) > 1:  # else plot_words's error names what is missing
            _print_notes(found.notes())
    plotted, _ = plot_words(kv, wanted, output, title=title, method=method,
                            note=lambda text: say(f"Note: {text}"))
    say(f"Plotted {len(plotted)} words to {output}")


def _check_delimiter(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not value or any(ch.isspace() for ch in value):
        raise click.BadParameter(f"{value!r} must be non-empty and contain no whitespace, "
                                 "e.g. '_'")
    return value


@cli.command(name="phrases")
@click.argument("corpus", nargs=-1, required=True, metavar="CORPUS...")
@click.option("-o", "--output", required=True, metavar="FILE",
              help="Where to write the corpus with the phrases joined.")
@click.option("--threshold", default=100.0, show_default=True,
              type=_Floats(min=0, min_open=True),
              help="Score a pair must exceed in the last pass; each earlier pass uses twice the "
                   "next one's (default: 200, then 100). Higher: fewer phrases.")
@click.option("--min-count", default=5, show_default=True, type=_Ints(),
              help="Never join words seen fewer times; also subtracted from the pair's count.")
@click.option("--passes", default=2, show_default=True, type=_Ints(1, MAX_PASSES),
              help="Rounds of joining; 2 turns new_york + city into new_york_city.")
@click.option("--delimiter", default="_", show_default=True, callback=_check_delimiter,
              help="Put between the joined tokens (not empty, no whitespace).")
@click.option("--max-vocab-size", default=None, type=_Ints(),
              help="Prune the pair table to this many distinct pairs, dropping the rarest, as "
                   "word2phrase  [default: no limit]")
@tokenizer_options
@click.option("--max-sentence-length", default=10000, show_default=True,
              type=_Ints(),
              help="Cut longer lines into pieces of this many tokens, each written as a line.")
def phrases_command(corpus: Sequence[str], output: str, threshold: float, min_count: int,
                    passes: int, delimiter: str, max_vocab_size: int | None, tokenizer: str,
                    lowercase: bool | None, max_sentence_length: int) -> None:
    """Join frequent word pairs into phrases (new york -> new_york), as word2phrase.

    Scores every pair of adjacent words in a sentence (c_ab - min_count) / (c_a * c_b) * N (N:
    tokens in the corpus; Mikolov et al. 2013) and writes CORPUS (files, .gz/.bz2/.xz, or - for
    stdin) back, one sentence per line (a line cut at --max-sentence-length gives several),
    with the pairs scoring above the threshold joined, left to right. Each pass runs on the
    previous one's output. Both tokenizers keep the joined phrases whole, so train on the
    result as it is. Example: w2v phrases corpus.txt -o phrased.txt && w2v train phrased.txt

    The corpus is kept as token ids in a temporary directory w2v-phrases-<pid>-* in TMPDIR
    (default /tmp): 4 bytes per token, twice that during a pass. It is removed when w2v ends,
    also on an error, Ctrl-C or SIGTERM; after a kill -9, by the next run.
    """
    from w2vcli.atomic import check_writable

    check_writable(output)
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    from w2vcli.phrases import find_phrases
    from w2vcli.report import print_table
    from w2vcli.tokenize import make_tokenizer

    console = _stderr_console()
    with console.status("Reading the corpus...") as status:
        stats = find_phrases(
            corpus, output, threshold=threshold, min_count=min_count, passes=passes,
            delimiter=delimiter, tokenizer=make_tokenizer(tokenizer, lowercase),
            max_sentence_length=max_sentence_length, max_vocab_size=max_vocab_size,
            progress=lambda message: status.update(message[:1].upper() + message[1:] + "..."),
        )
    _warn_about_input(console, stats.read.replaced_bytes, stats.read.nul_chars,
                      stats.read.control_chars)
    for p in stats.passes:
        pruned = f"; pairs seen <= {p.pruned_at} times pruned" if p.pruned_at else ""
        console.print(
            f"Pass {p.index}/{len(stats.passes)} (threshold {p.threshold:g}): {p.phrases:,} "
            f"phrase{'' if p.phrases == 1 else 's'} from {p.scored:,} scored pairs, "
            f"{p.joined:,} joined; {p.tokens_in:,} -> {p.tokens_out:,} tokens{pruned}",
            soft_wrap=True,
        )
        if p.top_by_count:
            title = f"Most frequent phrases of pass {p.index}"
            table = Table(title=title, min_width=len(title) + 4)
            table.add_column("phrase")
            table.add_column("count", justify="right")
            table.add_column("score", justify="right")
            for phrase in p.top_by_count:
                table.add_row(Text(phrase.text), f"{phrase.count:,}", f"{phrase.score:,.1f}")
            print_table(console, table, [
                f"  {phrase.text}: count {phrase.count:,}, score {phrase.score:,.1f}"
                for phrase in p.top_by_count])
    console.print(
        f"Wrote {escape(output)}: {stats.sentences:,} sentences, {stats.tokens_out:,} tokens "
        f"(from {stats.tokens_in:,}) in {stats.seconds:.1f} s.",
        soft_wrap=True,
    )


@cli.group(name="eval", invoke_without_command=True)
@vectors_option
@click.option("--restrict-vocab", default=30000, show_default=True, type=_Ints(0),
              help="Analogies: use only the most frequent N words, as word2vec.c's "
                   "compute-accuracy (0: all).")
@subwords_option
@format_option("one line per set and measure: set, measure, score, scored, items, coverage")
@click.pass_context
def evaluate(ctx: click.Context, vectors: str, restrict_vocab: int, subwords: bool | None,
             fmt: str | None) -> None:
    """Score vectors on word analogies or word-similarity judgements.

    With no command: one quality report on the standard sets shipped with w2v, Google's analogy
    questions (Mikolov et al. 2013; accuracy, semantic and syntactic) and WordSim353
    (Finkelstein et al. 2002; Spearman's rho), each with its coverage; for subword vectors
    also with the unseen words composed from their n-grams (rows 'with subwords'). 'eval
    analogy FILE' and 'eval similarity FILE' score other sets.
    """
    if ctx.invoked_subcommand is None:
        _quality_report(vectors, restrict_vocab, fmt, subwords)


def _from_group(ctx: click.Context, **values):
    """An eval subcommand's options, where one left at its default was given to ``w2v eval``
    itself instead (``w2v eval -v vectors.bin analogy FILE``): the group's value."""
    from click.core import ParameterSource

    parent = ctx.parent
    for name in values:
        if (ctx.get_parameter_source(name) is not ParameterSource.COMMANDLINE
                and parent is not None and name in parent.params
                and parent.get_parameter_source(name) is ParameterSource.COMMANDLINE):
            values[name] = parent.params[name]
    return values.values()


def _quality_report(vectors: str, restrict_vocab: int, fmt: str | None,
                    subwords: bool | None = None) -> None:
    """``w2v eval`` with no command: the shipped standard sets, in one report."""
    from rich.table import Table
    from rich.text import Text

    from w2vcli import report
    from w2vcli.evaluate import STANDARD_SETS, quality_report

    console = report.stdout_console()
    fmt = report.choose_format(fmt, console)
    kv = _load_vectors(vectors)
    composing = _use_subwords(kv, subwords, vectors)
    result = quality_report(kv, restrict_vocab or None, subwords=composing)
    analogy, pairs = result.analogy, result.wordsim353
    analogy_sub, pairs_sub = result.analogy_subwords, result.wordsim353_subwords
    if composing:
        warnings = [w for w in (analogy_sub.coverage_warning(),
                                pairs_sub.coverage_warning(len(kv))) if w]
        warnings += _composed_note(analogy_sub, pairs_sub)
    else:
        warnings = [w for w in (analogy.coverage_warning(), pairs.coverage_warning(len(kv)))
                    if w]
    _print_notes(warnings)
    name = {"analogy": f"analogy ({STANDARD_SETS['analogy']})",
            "wordsim353": f"WordSim353 ({STANDARD_SETS['wordsim353']})"}

    def analogy_rows(a, suffix: str = "") -> list[tuple]:
        return [
            (name["analogy"] + suffix, "accuracy", a.accuracy, a.answered, a.total),
            ("  semantic" + suffix, "accuracy", a.semantic.accuracy, a.semantic.answered,
             a.semantic.total),
            ("  syntactic" + suffix, "accuracy", a.syntactic.accuracy, a.syntactic.answered,
             a.syntactic.total),
        ]

    rows = analogy_rows(analogy)  # set, measure, score, scored, items
    if composing:
        rows += analogy_rows(analogy_sub, ", with subwords")
    rows.append((name["wordsim353"], "Spearman rho", pairs.spearman, pairs.pairs_used,
                 pairs.pairs_total))
    if composing:
        rows.append((name["wordsim353"] + ", with subwords", "Spearman rho", pairs_sub.spearman,
                     pairs_sub.pairs_used, pairs_sub.pairs_total))
    if fmt == "json":
        def section(s) -> dict:
            return {"accuracy": s.accuracy, "correct": s.correct, "answered": s.answered,
                    "questions": s.total, "coverage": s.coverage, "oov": s.oov,
                    "restricted": s.restricted}

        def analogy_json(a) -> dict:
            return {"file": STANDARD_SETS["analogy"], "restrict_vocab": a.restrict_vocab,
                    **section(a.overall), "semantic": section(a.semantic),
                    "syntactic": section(a.syntactic)}

        def pairs_json(p) -> dict:
            return {"file": STANDARD_SETS["wordsim353"],
                    "spearman": report.json_number(p.spearman),
                    "pearson": report.json_number(p.pearson),
                    "pairs_used": p.pairs_used, "pairs_total": p.pairs_total,
                    "coverage": 1 - p.oov_ratio, "oov_pairs": p.oov_pairs}

        document = {"vectors": vectors, "words": len(kv), "dims": kv.vector_size,
                    "analogy": analogy_json(analogy), "wordsim353": pairs_json(pairs)}
        if composing:
            document["analogy_subwords"] = dict(analogy_json(analogy_sub),
                                                composed_words=len(analogy_sub.composed_words))
            document["wordsim353_subwords"] = dict(pairs_json(pairs_sub),
                                                   composed_words=len(pairs_sub.composed_words))
        report.print_json(document)
        return
    if fmt == "tsv":
        report.print_tsv(["set", "measure", "score", "scored", "items", "coverage"], (
            (label.strip(), measure, f"{score:.6f}", scored, items,
             f"{scored / items if items else 0:.6f}")
            for label, measure, score, scored, items in rows))
        return
    within = f", restrict-vocab {restrict_vocab:,}" if restrict_vocab else ""
    table = Table(title=Text(f"Quality of {vectors} ({len(kv):,} words x {kv.vector_size} "
                             f"dims{within})"))
    for column in ("set", "measure", "score", "scored / items", "coverage"):
        table.add_column(column, justify="left" if column in ("set", "measure") else "right",
                         no_wrap=column == "set")
    for label, measure, score, scored, items in rows:
        table.add_row(Text(label), measure, f"{score:.4f}", f"{scored:,} / {items:,}",
                      f"{100 * scored / items if items else 0:.1f}%")
    report.print_table(console, table, [
        f"{label.strip()}: {measure} {score:.4f} on {scored:,} of {items:,}"
        for label, measure, score, scored, items in rows])


def _case_note(case_matched: Sequence[tuple[str, str]], file: str) -> list[str]:
    """One note line for the words of an evaluation file matched in another case."""
    if not case_matched:
        return []
    shown = ", ".join(f"{given} -> {used}" for given, used in case_matched[:3])
    more = f" and {len(case_matched) - 3:,} more" if len(case_matched) > 3 else ""
    n = len(case_matched)
    return [f"note: {n:,} word{'' if n == 1 else 's'} of {file} matched in another case "
            f"({shown}{more})"]


@evaluate.command(name="analogy")
@click.argument("file", type=click.Path(dir_okay=False))
@vectors_option
@click.option("--restrict-vocab", default=30000, show_default=True, type=_Ints(0),
              help="Use only the most frequent N words, as word2vec.c's compute-accuracy (0: all).")
@subwords_option
@format_option("one line per section and for semantic, syntactic and overall: correct, "
               "answered, questions, accuracy, coverage, oov (questions with a word not in the "
               "vectors), restricted (with a word beyond --restrict-vocab); with subwords also "
               "semantic, syntactic and overall over vocabulary words only ('..., in vocabulary')")
@click.pass_context
def eval_analogy(ctx: click.Context, file: str, vectors: str, restrict_vocab: int,
                 subwords: bool | None, fmt: str | None) -> None:
    """Analogy accuracy on FILE in questions-words.txt format, per section and overall.

    Words are matched as by 'w2v similar' (Athens -> athens in a lowercased model); a question
    with a word out of the vectors or beyond --restrict-vocab is not scored, and a warning says
    so when fewer than half of them are scored.

    With subword vectors (--subwords, the default for them) such a word gets a vector all the
    same (beyond --restrict-vocab its own, unseen: composed from its character n-grams) and
    joins the candidate answers; the scores over vocabulary words only follow as rows
    '..., in vocabulary'.
    """
    import dataclasses

    from rich.table import Table
    from rich.text import Text

    vectors, restrict_vocab, subwords, fmt = _from_group(
        ctx, vectors=vectors, restrict_vocab=restrict_vocab, subwords=subwords, fmt=fmt)

    from w2vcli import report
    from w2vcli.evaluate import evaluate_analogies

    console = report.stdout_console()
    fmt = report.choose_format(fmt, console)
    kv = _load_vectors(vectors)
    composing = _use_subwords(kv, subwords, vectors)
    result = evaluate_analogies(kv, file, restrict_vocab=restrict_vocab or None,
                                subwords=composing)
    warning = result.coverage_warning()
    _print_notes(_case_note(result.case_matched, file) + ([warning] if warning else [])
                 + _composed_note(result))
    rows = [*result.sections, result.semantic, result.syntactic, result.overall]
    in_vocabulary = []
    if composing:
        plain = evaluate_analogies(kv, file, restrict_vocab=restrict_vocab or None)
        in_vocabulary = [dataclasses.replace(s, name=f"{s.name}, in vocabulary")
                         for s in (plain.semantic, plain.syntactic, plain.overall)]
    if fmt == "json":
        def score(s) -> dict:
            return {"section": s.name, "correct": s.correct, "answered": s.answered,
                    "questions": s.total, "accuracy": s.accuracy, "coverage": s.coverage,
                    "oov": s.oov, "restricted": s.restricted}

        document = {
            "file": file, "vectors": vectors, "restrict_vocab": result.restrict_vocab,
            "sections": [score(s) for s in result.sections],
            **{s.name: score(s) for s in rows[-3:]},
            "oov_words": list(result.oov_words),
            "restricted_words": list(result.restricted_words),
            "case_matched": dict(result.case_matched),
        }
        if composing:
            document["subwords"] = True
            document["composed_words"] = list(result.composed_words)
            document["in_vocabulary"] = {s.name.split(",")[0]: score(s) for s in in_vocabulary}
        report.print_json(document)
        return
    rows += in_vocabulary
    if fmt == "tsv":
        report.print_tsv(
            ["section", "correct", "answered", "questions", "accuracy", "coverage", "oov",
             "restricted"],
            ((s.name, s.correct, s.answered, s.total, f"{s.accuracy:.6f}", f"{s.coverage:.6f}",
              s.oov, s.restricted) for s in rows))
        return
    subwords_note = ", with subwords" if composing else ""
    table = Table(title=Text(f"Analogies: {file} ({vectors}, restrict-vocab "
                             f"{restrict_vocab or 'all'}{subwords_note})"))
    table.add_column("section", no_wrap=True)
    for name in ("correct", "answered", "questions", "accuracy", "coverage"):
        table.add_column(name, justify="right")
    for i, s in enumerate(rows):
        if i in (len(result.sections), len(result.sections) + 3):
            table.add_section()
        table.add_row(Text(s.name), f"{s.correct:,}", f"{s.answered:,}", f"{s.total:,}",
                      f"{s.accuracy:.4f}", f"{s.coverage:.4f}",
                      style="bold" if i >= len(result.sections) else None)
    report.print_table(console, table, [
        f"{s.name}: {s.correct:,} correct of {s.answered:,} answered ({s.accuracy:.4f}); "
        f"{s.total:,} questions, coverage {s.coverage:.4f}" for s in rows])


@evaluate.command(name="similarity")
@click.argument("file", type=click.Path(dir_okay=False))
@vectors_option
@subwords_option
@format_option("one line of spearman, pearson, pairs_used, pairs_total, oov_pairs, oov_ratio; "
               "with subwords a first column 'words', and a line each for 'with-subwords' and "
               "'in-vocabulary'")
@click.pass_context
def eval_similarity(ctx: click.Context, file: str, vectors: str, subwords: bool | None,
                    fmt: str | None) -> None:
    """Spearman correlation with human word-similarity scores (WordSim353 format FILE).

    Words are matched as by 'w2v similar' (Tiger -> tiger in a lowercased model); a pair with a
    word out of the vectors is not scored, and a warning says so when fewer than half are.

    With subword vectors (--subwords, the default for them) a word not in the vocabulary gets
    a vector composed from its character n-grams; the correlation over vocabulary words only
    is reported too.
    """
    from w2vcli import report
    from w2vcli.evaluate import evaluate_word_pairs, in_vocabulary_pairs

    vectors, subwords, fmt = _from_group(ctx, vectors=vectors, subwords=subwords, fmt=fmt)

    console = report.stdout_console()
    fmt = report.choose_format(fmt, console)
    kv = _load_vectors(vectors)
    composing = _use_subwords(kv, subwords, vectors)
    result = evaluate_word_pairs(kv, file, subwords=composing)
    plain = in_vocabulary_pairs(kv, file) if composing else None
    warning = result.coverage_warning(len(kv))
    _print_notes(_case_note(result.case_matched, file) + ([warning] if warning else [])
                 + _composed_note(result))

    def numbers(r) -> dict:
        return {"spearman": report.json_number(r.spearman),
                "pearson": report.json_number(r.pearson),
                "pairs_used": r.pairs_used, "pairs_total": r.pairs_total,
                "oov_pairs": r.oov_pairs, "oov_ratio": r.oov_ratio}

    def cells(r) -> tuple:
        return (f"{r.spearman:.6f}", f"{r.pearson:.6f}", r.pairs_used, r.pairs_total,
                r.oov_pairs, f"{r.oov_ratio:.6f}")

    if fmt == "json":
        document = {
            "file": file, "vectors": vectors, **numbers(result),
            "oov_words": list(result.oov_words), "case_matched": dict(result.case_matched),
        }
        if plain is not None:
            document.update(subwords=True, composed_words=list(result.composed_words),
                            in_vocabulary=numbers(plain))
        report.print_json(document)
    elif fmt == "tsv":
        header = ["spearman", "pearson", "pairs_used", "pairs_total", "oov_pairs", "oov_ratio"]
        if plain is None:
            report.print_tsv(header, [cells(result)])
        else:
            report.print_tsv(["words", *header], [("with-subwords", *cells(result)),
                                                  ("in-vocabulary", *cells(plain))])
    else:
        line = (f"Spearman rho {result.spearman:.4f}  Pearson r {result.pearson:.4f}  "
                f"pairs {result.pairs_used}/{result.pairs_total}  OOV ratio "
                f"{result.oov_ratio:.3f}")
        if plain is not None:
            line += (f"  (with subwords; in vocabulary only: Spearman rho {plain.spearman:.4f}"
                     f" on {plain.pairs_used}/{plain.pairs_total} pairs)")
        click.echo(line)


def _same_path(a: str, b: str) -> bool:
    """Whether two paths name the same file or directory (existing or not)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))


@cli.command()
@click.argument("source", metavar="IN")
@click.argument("dest", metavar="OUT")
@click.option("--format", "fmt",
              type=click.Choice(["text", "binary", "projector", "npy", "fasttext"]),
              default=None,
              help="Output format  [default: binary (word2vec's) for *.bin, npy for *.npy, else "
                   "text]")
@click.option("--top", default=None, type=_Ints(1), metavar="N",
              help="Keep only the first N words (the N most frequent).  [default: all]")
def convert(source: str, dest: str, fmt: str | None, top: int | None) -> None:
    """Convert vectors or a model directory to another format.

    IN is a vectors file (text or binary, detected), a fastText .bin or a model directory.
    OUT is written atomically, in --format or as its name suggests:

    \b
    text       word2vec.c text (gensim, spaCy's 'init vectors', word2vec.c read it)
    binary     word2vec.c binary
    projector  OUT is a directory for the TensorBoard Embedding Projector:
               vectors.tsv (tab-separated values, no header), metadata.tsv
               (word and count with a header for a model directory, else one word
               a line, no header) and projector_config.pbtxt. Load the two .tsv
               files at projector.tensorflow.org, or run tensorboard --logdir OUT.
               OUT may be new, empty, or an earlier projector export.
    npy        OUT is NAME.npy or NAME: NAME.npy, the float32 (words x dims)
               matrix (numpy.load), and NAME.vocab.txt, its words one a line
               ('word count' lines for a model directory)
    fasttext   fastText's binary model (.bin) of a model directory (or of
               another .bin): words, counts, input and output matrices and, for
               a subword model, the character n-gram buckets; fastText's
               load_model and gensim's load_facebook_model read it, and compose
               the same vectors for unseen words as w2v

    Counts are known only for a model directory and a fastText .bin. From a .bin, text and
    binary hold the words' vectors as fastText computes them (its .vec). The Projector samples 50,000 points for PCA
    and 10,000 for t-SNE: --top keeps the most frequent words.

    \b
    Examples: w2v convert vectors.txt vectors.bin
              w2v convert model/ projector --format projector --top 20000
              w2v convert vectors.txt vectors.npy
              w2v convert model/ model.bin --format fasttext
    """
    from w2vcli.atomic import check_writable
    from w2vcli.export import (PROJECTOR_SAMPLE_SIZES, check_projector_target, npy_paths,
                               write_npy, write_projector)
    from w2vcli.io import (format_for_path, load_vectors_and_source, vectors_path_kind,
                           write_vectors)

    if fmt is None:
        fmt = "npy" if dest.endswith(".npy") else format_for_path(dest)
    if fmt == "fasttext":
        _convert_to_fasttext(source, dest, top)
        return
    outputs = [str(p) for p in npy_paths(dest)] if fmt == "npy" else [dest]
    for out in outputs:
        if _same_path(source, out):
            raise W2VError(
                f"input and output are the same path '{out}'; write the converted vectors to "
                "another file"
            )
    vectors_path_kind(source)  # a missing source is named before the destination
    if fmt == "projector":
        check_projector_target(dest)
    else:
        for out in outputs:
            check_writable(out)
    kv, read = load_vectors_and_source(source)
    words, vectors, counts = kv.index_to_key, kv.vectors, kv.counts
    if top is not None and top < len(words):
        words, vectors = words[:top], vectors[:top]
        counts = None if counts is None else counts[:top]
    source_format = read.label
    size = f"{len(words):,} words x {kv.vector_size} dims"
    if top is not None and top < len(kv):
        size += f" (the first {top:,} of {len(kv):,})"
    console = _stderr_console()
    if fmt in ("text", "binary"):
        write_vectors(dest, words, vectors, binary=fmt == "binary")
        console.print(f"Converted {source} ({source_format}) to {dest} ({fmt}): {size}",
                      markup=False, soft_wrap=True)
    elif fmt == "npy":
        matrix, vocab = write_npy(dest, words, vectors, counts)
        console.print(
            f"Converted {source} ({source_format}) to {matrix} and {vocab} "
            f"({'words and counts' if counts is not None else 'words'}): {size}",
            markup=False, soft_wrap=True,
        )
    else:
        export = write_projector(dest, words, vectors, counts)
        columns = "word, count" if export.with_counts else "word"
        console.print(
            f"Converted {source} ({source_format}) to {os.path.join(dest, '')} for the "
            "Embedding Projector: "
            f"vectors.tsv, metadata.tsv ({columns}), projector_config.pbtxt; {size}",
            markup=False, soft_wrap=True,
        )
        pca = PROJECTOR_SAMPLE_SIZES["pca"]
        if len(words) > pca:
            console.print(
                f"Note: the Projector computes PCA on a sample of {pca:,} points and t-SNE on "
                f"{PROJECTOR_SAMPLE_SIZES['tsne']:,} (of all {len(words):,}); "
                "--top N keeps the N most frequent words.",
                markup=False, soft_wrap=True,
            )
        console.print(
            "Open https://projector.tensorflow.org, click Load and choose vectors.tsv and "
            f"metadata.tsv; or run: tensorboard --logdir {dest}",
            markup=False, soft_wrap=True,
        )


def _convert_to_fasttext(source: str, dest: str, top: int | None) -> None:
    """``convert --format fasttext``: a model directory (or a fastText .bin) to a .bin."""
    from w2vcli.atomic import check_writable
    from w2vcli.fasttext_format import (is_fasttext_bin, model_dir_to_fasttext,
                                        read_fasttext_bin, write_fasttext_bin)
    from w2vcli.io import vectors_path_kind
    from w2vcli.model import check_finite, load_model

    if _same_path(source, dest):
        raise W2VError(f"input and output are the same path '{dest}'; write the model to "
                       "another file")
    kind = vectors_path_kind(source)
    if top is not None:
        raise click.BadParameter("a fastText .bin keeps the whole vocabulary (its n-gram "
                                 "buckets are shared by every word); leave --top out",
                                 param_hint="--top")
    if kind == "file" and not is_fasttext_bin(source):
        raise W2VError(f"{source} is a vectors file; a fastText .bin needs a model directory "
                       "(w2v train --save-model DIR), which has the counts and output vectors "
                       "a vectors file lacks")
    check_writable(dest)
    if kind == "model":
        saved = load_model(source, mmap=True)
        check_finite(source, saved)
        model_dir_to_fasttext(dest, saved)
        label, words, d = "model directory", len(saved.words), saved.vector_size
    else:
        model = read_fasttext_bin(source)
        a = model.args
        write_fasttext_bin(dest, model.words, model.counts, model.input_matrix,
                           model.output_matrix, minn=a["minn"], maxn=a["maxn"],
                           bucket=a["bucket"], model=a["model"], loss=a["loss"], window=a["ws"],
                           neg=a["neg"], epochs=a["epoch"], min_count=a["min_count"],
                           sample=a["t"], word_ngrams=a["word_ngrams"],
                           lr_update_rate=a["lr_update_rate"], ntokens=model.ntokens)
        label, words, d = "fastText .bin", len(model.words), int(a["dim"])
    written = read_fasttext_bin(dest, output=False)
    grams = (f", character n-grams of {written.minn}-{written.maxn} in {written.bucket:,} "
             "buckets" if written.has_subwords else ", no character n-grams")
    _stderr_console().print(f"Converted {source} ({label}) to {dest} (fastText .bin): "
                            f"{words:,} words x {d} dims{grams}", markup=False, soft_wrap=True)


def _human_size(n_bytes: int) -> str:
    """``1234567`` -> ``'1,234,567 bytes (1.2 MiB)'``."""
    text = f"{n_bytes:,} bytes"
    size = float(n_bytes)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        size /= 1024
        if size < 1024 or unit == "TiB":
            break
    return text if n_bytes < 1024 else f"{text} ({size:.1f} {unit})"


#: What an unset (``null``) model.json setting means, by key; "-" for the others.
_INFO_UNSET = {"lowercase": "tokenizer's default (yes for words, no for whitespace)",
               "max_vocab": "no limit", "threads": "all cores", "loss_log": "none",
               "checkpoint_every": "last epoch only", "fingerprint": "not recorded"}


def _info_value(value, key: str = "") -> str:
    """A model.json value as one table cell in words: yes/no, lists comma-joined, mappings as
    'key: value' pairs, an unset setting as what it means."""
    if value is None:
        return _INFO_UNSET.get(key, "-")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_info_value(v, k)}" for k, v in sorted(value.items()))
    if isinstance(value, (list, tuple)):
        return ", ".join(_info_value(v) for v in value)
    return str(value)


def _print_info_table(console, title: str, rows: list[tuple[str, str]]) -> None:
    """Print a property/value table; values wrap at spaces, and where even that would break
    a word, plain ``property: value`` lines instead."""
    from rich.table import Table
    from rich.text import Text

    from w2vcli.report import print_table

    table = Table(title=title, title_justify="left", show_header=False)
    table.add_column("property", style="bold", no_wrap=True)
    table.add_column("value", overflow="fold")
    for name, value in rows:
        table.add_row(Text(name), Text(value))
    print_table(console, table, [f"  {name}: {value}" for name, value in rows])


@cli.command()
@click.argument("path", metavar="PATH")
@click.option("-n", "--words", "n_words", default=10, show_default=True,
              type=_Ints(0), help="Words to list from the top of the vocabulary.")
def info(path: str, n_words: int) -> None:
    """Describe vectors or a model directory: format, size, first words.

    For a file: format, vocabulary size, dimension, file size and the first words (for a
    fastText .bin also its parameters and n-grams). For a model directory also the training
    parameters, the corpus and the loss of each epoch.
    """
    from w2vcli.fasttext_format import is_fasttext_bin
    from w2vcli.io import inspect_vectors_file, vectors_path_kind

    console = _stdout_console()
    if vectors_path_kind(path) == "file" and is_fasttext_bin(path):
        _fasttext_info(console, path, n_words)
        return
    if vectors_path_kind(path) == "file":
        found = inspect_vectors_file(path, n_words)
        _print_info_table(console, "Vectors file", [
            ("path", path),
            ("format", found.label),
            ("vocabulary size", f"{found.vocab_size:,}"),
            ("dimension", str(found.vector_size)),
            ("file size", _human_size(found.size_bytes)),
            ("first words", " ".join(found.first_words)),
        ])
        return

    from pathlib import Path

    from rich.table import Table

    from w2vcli.model import load_model

    model = load_model(path, mmap=True)
    meta, config = model.meta, model.meta.get("config") or {}
    if not isinstance(config, dict):
        config = {"config": config}
    done, total = meta.get("epochs_done"), config.get("epochs")
    if done is not None and total is not None:
        epochs = f"{done} of {total}"
    else:
        epochs = _info_value(done if done is not None else total)
    words_done = meta.get("words_done")
    if isinstance(words_done, (int, float)):
        words_done = f"{words_done:,.0f}"
    size = sum(f.stat().st_size for f in Path(path).iterdir() if f.is_file())
    first = ", ".join(f"{w} ({int(c):,})" for w, c in zip(model.words[:n_words], model.counts))
    rows = [
        ("path", path),
        ("format", f"w2v model directory (version {meta.get('version', '?')})"),
        ("vocabulary size", f"{len(model.words):,}"),
        ("dimension", str(model.vector_size)),
        ("output vectors", " x ".join(f"{n:,}" for n in model.w_out.shape)),
        ("epochs done", epochs),
        ("words trained", _info_value(words_done)),
        ("size on disk", _human_size(size)),
        ("first words", first),
    ]
    known = {"format", "version", "vector_size", "vocab_size", "config", "corpus", "epochs_done",
             "words_done"}
    rows += [(key, _info_value(value, key)) for key, value in meta.items() if key not in known]
    _print_info_table(console, "Model directory", rows)
    _print_info_table(console, "Training parameters",
                      [(k, _info_value(v, k)) for k, v in config.items()])
    corpus = meta.get("corpus")
    if corpus is not None:
        if isinstance(corpus, dict):
            corpus_rows = [(k, _info_value(v, k)) for k, v in corpus.items()]
            if "lowercase" in corpus and corpus["lowercase"] is None:  # the tokenizer's default
                folds = corpus.get("tokenizer", "words") == "words"
                corpus_rows = [(k, f"{'yes' if folds else 'no'} (the {corpus.get('tokenizer')}"
                                   " tokenizer's default)" if k == "lowercase" else v)
                               for k, v in corpus_rows]
        elif isinstance(corpus, list):
            corpus_rows = [(f"{i}", _info_value(v)) for i, v in enumerate(corpus, start=1)]
        else:
            corpus_rows = [("corpus", _info_value(corpus))]
        _print_info_table(console, "Corpus", corpus_rows)
    if model.loss:
        from w2vcli.report import print_table

        names = ("epoch", "words", "alpha", "mean loss", "words/s")
        table = Table(title="Loss per epoch", title_justify="left")
        for name in names:
            table.add_column(name, justify="right")
        lines = []
        for row in model.loss:
            get = lambda key: row.get(key, float("nan"))  # noqa: E731
            cells = (f"{get('epoch'):.0f}", f"{get('words'):,.0f}", f"{get('alpha'):.6g}",
                     f"{get('mean_loss'):.4f}", f"{get('words_per_sec'):,.0f}")
            table.add_row(*cells)
            lines.append("  " + ", ".join(f"{n} {c}" for n, c in zip(names, cells)))
        print_table(console, table, lines)


def _fasttext_info(console, path: str, n_words: int) -> None:
    """``w2v info`` of a fastText .bin: its Args block and dictionary, without the matrices."""
    from w2vcli.fasttext_format import read_fasttext_bin

    model = read_fasttext_bin(path, output=False)
    a = model.args
    grams = (f"{a['minn']} to {a['maxn']} characters in {a['bucket']:,} buckets"
             if model.has_subwords else "none (a word model)")
    first = ", ".join(f"{w} ({int(c):,})" for w, c in zip(model.words[:n_words], model.counts))
    _print_info_table(console, "fastText model", [
        ("path", path),
        ("format", f"fastText .bin (version {model.version})"),
        ("vocabulary size", f"{len(model.words):,}"),
        ("dimension", str(a["dim"])),
        ("character n-grams", grams),
        ("model, loss", f"{a['model']}, {a['loss']}"),
        ("window, neg, epochs", f"{a['ws']}, {a['neg']}, {a['epoch']}"),
        ("min count, sample", f"{a['min_count']}, {a['t']:g}"),
        ("tokens", f"{model.ntokens:,}"),
        ("file size", _human_size(os.path.getsize(path))),
        ("first words", first),
    ])


def main() -> None:
    """Console-script entry point.

    SIGTERM (``kill``, a job scheduler's stop) unwinds the stack like Ctrl-C, so that ``finally``
    blocks run and temporary files (the encoded corpus) are removed; training treats it as
    Ctrl-C (a checkpoint with ``--save-model``). The exit status is 143. A second SIGTERM while
    cleaning up is ignored; ``kill -9`` still stops at once.
    """
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _raise_terminated)
    cli(prog_name="w2v")
