"""The ``w2v`` command: a thin click shell over the library.

Everything a user can get wrong ends in a one-line ``Error: ...`` and exit status 1 (click's usage
errors exit 2), never a traceback. Numba and matplotlib are imported only by the commands that
need them, so ``w2v --help``, ``similar`` and ``eval`` start quickly.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import click

from w2vcli import __version__
from w2vcli.errors import W2VError

DEFAULT_VECTORS = "vectors.txt"


class _Group(click.Group):
    """Turns library errors into click errors (one line, exit 1) and Ctrl-C into exit 130."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except W2VError as exc:
            raise click.ClickException(str(exc)) from None
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(130)


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def _stdout_console():
    """Rich console for tables; when stdout is not a terminal, wide enough not to cut them."""
    from rich.console import Console

    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=max(console.width, 120))
    return console


def _load_vectors(path: str):
    from w2vcli.io import load_word2vec_format

    if path == DEFAULT_VECTORS and not os.path.exists(path):
        raise W2VError(
            f"no {DEFAULT_VECTORS} here; train one with 'w2v train CORPUS' or pass -v FILE"
        )
    return load_word2vec_format(path)


def _split_words(value: str) -> list[str]:
    return [w for w in (part.strip() for part in value.split(",")) if w]


vectors_option = click.option(
    "-v",
    "--vectors",
    default=DEFAULT_VECTORS,
    show_default=True,
    metavar="FILE",
    help="Vectors in word2vec text or binary format (detected).",
)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="w2v")
def cli() -> None:
    """Train word2vec vectors fast on your own text, then query, plot and evaluate them."""


@cli.command()
@click.argument("corpus", nargs=-1, required=True, metavar="CORPUS...")
@click.option("-o", "--output", default=DEFAULT_VECTORS, show_default=True, metavar="FILE",
              help="Where to write the vectors.")
@click.option("--format", "fmt", type=click.Choice(["text", "binary"]), default=None,
              help="word2vec.c text or binary format  [default: binary for *.bin, else text]")
@click.option("--dim", default=100, show_default=True, type=click.IntRange(min=1),
              help="Vector dimension.")
@click.option("--window", default=5, show_default=True, type=click.IntRange(min=1),
              help="Maximum window: outside words on each side, shrunk at random per centre word.")
@click.option("--neg", default=5, show_default=True, type=click.IntRange(min=1),
              help="Negative samples per (centre, outside) pair.")
@click.option("--min-count", default=5, show_default=True, type=click.IntRange(min=1),
              help="Ignore words seen fewer times.")
@click.option("--max-vocab", default=None, type=click.IntRange(min=1),
              help="Keep at most this many of the most frequent words.")
@click.option("--sample", default=1e-3, show_default=True, type=click.FloatRange(min=0),
              help="Subsampling threshold for frequent words (0: off).")
@click.option("--epochs", default=5, show_default=True, type=click.IntRange(min=1),
              help="Passes over the corpus.")
@click.option("--alpha", default=0.025, show_default=True, type=click.FloatRange(min=0, min_open=True),
              help="Initial learning rate.")
@click.option("--min-alpha", default=0.0001, show_default=True, type=click.FloatRange(min=0),
              help="Final learning rate (linear decay over all epochs).")
@click.option("--threads", default=None, type=click.IntRange(min=1),
              help="Worker threads  [default: all cores]")
@click.option("--seed", default=1, show_default=True, type=int,
              help="Random seed; with --threads 1 the output is bit-for-bit reproducible.")
@click.option("--kernel", type=click.Choice(["hogbatch", "pair"]), default="hogbatch",
              show_default=True,
              help="hogbatch: noise words shared per window (fast); pair: exact per-pair SGD.")
@click.option("--tokenizer", type=click.Choice(["words", "whitespace"]), default="words",
              show_default=True,
              help="words: runs of letters and digits, lowercased; whitespace: tokens verbatim.")
@click.option("--lowercase/--no-lowercase", default=None,
              help="Fold case  [default: yes for words, no for whitespace]")
@click.option("--max-sentence-length", default=10000, show_default=True,
              type=click.IntRange(min=1),
              help="Cut longer lines into pieces of this many tokens (nothing is dropped).")
def train(corpus: Sequence[str], output: str, fmt: str | None, dim: int, window: int, neg: int,
          min_count: int, max_vocab: int | None, sample: float, epochs: int, alpha: float,
          min_alpha: float, threads: int | None, seed: int, kernel: str, tokenizer: str,
          lowercase: bool | None, max_sentence_length: int) -> None:
    """Train skip-gram negative-sampling vectors on CORPUS (files, .gz/.bz2/.xz, or - for stdin).

    One line is one sentence. Example: w2v train corpus.txt --dim 100 --window 5 -o vectors.txt
    """
    from w2vcli.io import check_writable

    if min_alpha > alpha:
        raise click.BadParameter(f"must not exceed --alpha {alpha:g}", param_hint="--min-alpha")
    fmt = fmt or ("binary" if output.endswith(".bin") else "text")
    check_writable(output)
    _raise_thread_limit(threads)

    from w2vcli.corpus import read_corpus
    from w2vcli.tokenize import make_tokenizer

    console = _stderr_console()
    with console.status("Reading corpus..."):
        vocab, encoded = read_corpus(
            corpus, make_tokenizer(tokenizer, lowercase), min_count, max_vocab, max_sentence_length
        )
    console.print(
        f"Vocabulary: {len(vocab):,} words (min-count {min_count}); "
        f"corpus: {len(encoded):,} of {encoded.raw_tokens:,} tokens in vocabulary, "
        f"{encoded.n_sentences:,} sentences"
    )

    from w2vcli.train import TrainConfig
    from w2vcli.train import train as run_training

    config = TrainConfig(dim=dim, window=window, negative=neg, sample=sample, epochs=epochs,
                         alpha=alpha, min_alpha=min_alpha, threads=threads, seed=seed,
                         kernel=kernel)
    with _TrainingProgress(console, epochs) as bar:
        result = run_training(vocab, encoded, config, progress=bar.update)

    from w2vcli.io import save_word2vec_format
    from w2vcli.keyedvectors import KeyedVectors

    save_word2vec_format(KeyedVectors(vocab.words, result.w_in, vocab.counts), output,
                         binary=fmt == "binary")
    final = result.epochs[-1]
    console.print(
        f"Trained {len(vocab):,} words x {dim} dims on {result.words:,} words in "
        f"{result.seconds:.1f} s ({result.words_per_sec:,.0f} words/s, "
        f"{config.threads or os.cpu_count()} threads); final-epoch mean loss "
        f"{final.mean_loss:.4f}. Wrote {output} ({fmt})."
    )
    if final.pairs == 0:
        console.print(
            f"Warning: no (centre, outside) pairs were trained, so the vectors are random: the "
            f"corpus is too small for subsampling at --sample {sample:g}; try --sample 0."
        )


def _raise_thread_limit(threads: int | None) -> None:
    """Let Numba start more threads than cores if asked (its pool size is fixed at import)."""
    if threads and "numba" not in sys.modules:
        current = int(os.environ.get("NUMBA_NUM_THREADS", 0) or 0)
        if threads > max(current, os.cpu_count() or 1):
            os.environ["NUMBA_NUM_THREADS"] = str(threads)


class _TrainingProgress:
    """A rich progress bar on stderr: epoch, percent, words/s, alpha, running loss, ETA."""

    def __init__(self, console, epochs: int) -> None:
        from rich.progress import (BarColumn, Progress, TaskProgressColumn, TextColumn,
                                   TimeRemainingColumn)

        self.epochs = epochs
        self.progress = Progress(
            TextColumn("epoch {task.fields[epoch]}/{task.fields[epochs]}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[wps]} words/s  alpha {task.fields[alpha]}  "
                       "loss {task.fields[loss]}"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self.task = self.progress.add_task("train", total=1, epoch=1, epochs=epochs,
                                           wps="-", alpha="-", loss="-")

    def __enter__(self) -> "_TrainingProgress":
        self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.stop()

    def update(self, p) -> None:
        self.progress.update(
            self.task, total=p.total_words, completed=p.words_done, epoch=p.epoch,
            wps=f"{p.words_per_sec:,.0f}", alpha=f"{p.alpha:.5f}", loss=f"{p.epoch_loss:.4f}",
        )


@cli.command()
@click.argument("words", nargs=-1, required=True)
@vectors_option
@click.option("-n", "--topn", default=10, show_default=True, type=click.IntRange(min=1),
              help="Neighbours to list.")
def similar(words: Sequence[str], vectors: str, topn: int) -> None:
    """List the nearest neighbours of each WORD by cosine similarity."""
    from rich.table import Table

    kv = _load_vectors(vectors)
    kv.check_words(words)
    table = Table(title=f"Nearest neighbours ({vectors})")
    table.add_column("#", justify="right", style="dim")
    columns = []
    for word in words:
        table.add_column(word)
        table.add_column("cosine", justify="right")
        columns.append(kv.most_similar([word], topn=topn))
    for rank in range(topn):
        row = [str(rank + 1)]
        for neighbours in columns:
            if rank < len(neighbours):
                row += [neighbours[rank][0], f"{neighbours[rank][1]:.4f}"]
            else:
                row += ["", ""]
        table.add_row(*row)
    _stdout_console().print(table)


@cli.command()
@click.argument("a")
@click.argument("b")
@click.argument("c")
@vectors_option
@click.option("-n", "--topn", default=10, show_default=True, type=click.IntRange(min=1),
              help="Candidates to list.")
def analogy(a: str, b: str, c: str, vectors: str, topn: int) -> None:
    """A is to B as C is to ?  (the words nearest to B - A + C, Mikolov et al. 2013)."""
    from rich.table import Table

    kv = _load_vectors(vectors)
    kv.check_words([a, b, c])
    title = f"{a} : {b} :: {c} : ?"
    table = Table(title=title, min_width=len(title) + 4)
    table.add_column("#", justify="right", style="dim")
    table.add_column("word")
    table.add_column("cosine", justify="right")
    for rank, (word, score) in enumerate(kv.analogy(a, b, c, topn=topn), start=1):
        table.add_row(str(rank), word, f"{score:.4f}")
    _stdout_console().print(table)


@cli.command()
@click.option("--words", required=True, metavar="W1,W2,...",
              help="Comma-separated words to place on the map.")
@vectors_option
@click.option("-o", "--output", default="words.png", show_default=True, metavar="FILE",
              help="PNG to write.")
@click.option("--title", default=None, help="Plot title.")
def plot(words: str, vectors: str, output: str, title: str | None) -> None:
    """Draw a labelled 2-D PCA map of the given words' vectors as a PNG."""
    from w2vcli.io import check_writable

    wanted = _split_words(words)
    if not wanted:
        raise click.BadParameter("give at least two words, e.g. --words great,boring",
                                 param_hint="--words")
    check_writable(output)
    kv = _load_vectors(vectors)
    from w2vcli.plot import plot_words

    plotted, missing = plot_words(kv, wanted, output, title=title)
    console = _stderr_console()
    if missing:
        console.print(f"Not in the vocabulary, left out: {', '.join(missing)}")
    console.print(f"Plotted {len(plotted)} words to {output}")


@cli.group(name="eval")
def evaluate() -> None:
    """Score vectors on word analogies or word-similarity judgements."""


@evaluate.command(name="analogy")
@click.argument("file", type=click.Path(dir_okay=False))
@vectors_option
@click.option("--restrict-vocab", default=30000, show_default=True, type=click.IntRange(min=0),
              help="Use only the most frequent N words, as word2vec.c's compute-accuracy (0: all).")
def eval_analogy(file: str, vectors: str, restrict_vocab: int) -> None:
    """Analogy accuracy on FILE in questions-words.txt format, per section and overall."""
    from rich.table import Table

    from w2vcli.evaluate import SectionScore, evaluate_analogies

    kv = _load_vectors(vectors)
    result = evaluate_analogies(kv, file, restrict_vocab=restrict_vocab or None)
    table = Table(title=f"Analogies: {file} ({vectors}, restrict-vocab {restrict_vocab or 'all'})")
    table.add_column("section", no_wrap=True, min_width=28)
    for name in ("correct", "answered", "questions", "accuracy", "coverage"):
        table.add_column(name, justify="right")

    def add(score, style=None) -> None:
        table.add_row(score.name, f"{score.correct:,}", f"{score.answered:,}", f"{score.total:,}",
                      f"{score.accuracy:.4f}", f"{score.coverage:.4f}", style=style)

    for section in result.sections:
        add(section)
    table.add_section()
    add(result.semantic, style="bold")
    add(result.syntactic, style="bold")
    add(SectionScore("overall", result.correct, result.answered, result.total), style="bold")
    _stdout_console().print(table)


@evaluate.command(name="similarity")
@click.argument("file", type=click.Path(dir_okay=False))
@vectors_option
def eval_similarity(file: str, vectors: str) -> None:
    """Spearman correlation with human word-similarity scores (WordSim353 format FILE)."""
    from w2vcli.evaluate import evaluate_word_pairs

    kv = _load_vectors(vectors)
    result = evaluate_word_pairs(kv, file)
    click.echo(
        f"Spearman rho {result.spearman:.4f}  Pearson r {result.pearson:.4f}  "
        f"pairs {result.pairs_used}/{result.pairs_total}  OOV ratio {result.oov_ratio:.3f}"
    )


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="w2v")
