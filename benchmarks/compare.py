"""Side-by-side benchmark: w2v against gensim (two modes), word2vec.c and fastText (with and
without subwords), same corpus and settings.

    .venv/bin/python benchmarks/compare.py [--corpus FILE] [--epochs 5] [--repeats 3] ...
    .venv/bin/python benchmarks/compare.py --modes sg-ns,sg-hs,cbow-ns,cbow-hs ...

``--mode`` (repeatable, or a comma-separated ``--modes``) picks the model and loss of every
trainer: ``sg-ns`` (skip-gram, negative sampling; the default), ``sg-hs``, ``cbow-ns``,
``cbow-hs`` (hierarchical softmax: word2vec.c ``-hs 1 -negative 0``, gensim ``hs=1,
negative=0``). Without ``--alpha`` each mode gets word2vec.c's default learning rate, 0.025 for
skip-gram and 0.05 for CBOW, passed to every trainer.

What it does, in order:

1. Installs the peers into their own virtual environment, ``benchmarks/.venv-peers`` (created if
   missing, reused otherwise): ``pip install --no-binary word2vec word2vec gensim fasttext``,
   so word2vec.c is compiled here by the ``word2vec`` package's setup.py with ``-Ofast
   -march=native``, and fastText's C++ by the ``fasttext`` package's (g++). None is a
   dependency of w2vcli. A failed install is reported in the table; the other trainers still
   run.
2. Decompresses the corpus once to ``benchmarks/out/corpus/`` as plain text (w2v and word2vec.c
   read it) and writes a copy cut into 1,000-word lines for gensim (on one long line gensim's
   corpus_file mode silently trains on part of the corpus only, and its iterable mode truncates
   sentences at 10,000 words). Both are reused by later runs while the source is unchanged.
3. Runs w2v once, untimed, on a tiny input per mode and kernel so that its Numba cache is warm.
4. For each repeat, runs every trainer of every mode once (interleaved), each in a fresh
   process under ``/usr/bin/time``, so wall time, user+sys CPU time and peak RSS are the
   trainer's own, from start-up to the vectors written. This harness forks nothing big itself: a forked child
   inherits its parent's peak RSS on Linux, and ``time`` is tiny.
5. Scores every output with one evaluator, w2v's own (``w2vcli.evaluate``): analogy accuracy on
   questions-words.txt (restrict_vocab 30000) and Spearman's rho on WordSim353; with
   ``--no-quality`` (a generated corpus, whose vectors mean nothing) it only reads the output's
   header (vocabulary size).
6. Prints, per mode, a table of medians over the repeats, ratio lines, and notes (warnings in
   the trainers' logs, sanity checks); with several modes, then a summary table (mode x
   trainer, and w2v against word2vec.c of the same mode); writes ``benchmarks/out/compare.txt``
   (the printed report) and ``benchmarks/out/compare.json`` (modes, settings, environment and
   every run); ``--report NAME`` names them ``NAME.txt`` / ``NAME.json`` and keeps the logs in
   ``out/logs-NAME/``, so another benchmark that drives this one leaves ``make bench``'s alone.

Subwords (fastText's model, Bojanowski et al. 2017): the rows ``w2v subwords`` (``w2v train
--subwords``: n-grams of 3 to 6 characters in 2,000,000 buckets), ``fastText`` (``fasttext
skipgram`` or ``cbow`` with ``-minn 3 -maxn 6``, run by ``peer_fasttext.py`` through the
``fasttext`` package's ``train_unsupervised``) and ``fastText -maxn 0`` (fastText's word model,
no subwords), every mode, with the settings of every trainer (fastText's learning rate falls to
0 rather than to ``--min-alpha``, and its noise distribution is the unigram's to the power 0.5,
which it does not let one change). fastText reads the plain corpus as word2vec.c does, cutting
it into lines of 1,024 words. The quality lines compare each w2v row with the best peer of its
kind: subword rows with fastText's, word rows with the word models.

Words/s is the corpus's whitespace tokens x epochs / wall seconds, the same numerator for every
trainer. Compare figures within one run only: run-to-run noise on the 2-core machine is 4-17%.
"""

from __future__ import annotations

import argparse
import bz2
import gzip
import hashlib
import json
import lzma
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
DEFAULT_CORPUS = "../shared/data/corpora/text8_head.txt.gz"
EVAL_DIR = "../shared/data/eval"
QUESTIONS = "questions-words.txt"
WORDSIM = "wordsim353.tsv"
PEERS_VENV = BENCH_DIR / ".venv-peers"
OUT_DIR = BENCH_DIR / "out"
TIME_BIN = "/usr/bin/time"
PEER_PACKAGES = ["--no-binary", "word2vec", "word2vec", "gensim", "fasttext"]
SENTENCE_WORDS = 1000  # gensim's copy of the corpus; word2vec.c's MAX_SENTENCE_LENGTH
# sg-ns only: --kernel is skip-gram NS's update rule (w2v's own row is the default,
# context-combining)
DEFAULT_VARIANTS = ["hogbatch:--kernel hogbatch", "pair:--kernel pair"]
MODES = {"sg-ns": ("sg", "ns"), "sg-hs": ("sg", "hs"), "cbow-ns": ("cbow", "ns"),
         "cbow-hs": ("cbow", "hs")}  # --mode -> (model, loss)
DEFAULT_MODE = "sg-ns"
DEFAULT_ALPHA = {"sg": 0.025, "cbow": 0.05}  # word2vec.c's; gensim's is 0.025 for both
MODE_WORDS = {"sg": "Skip-gram", "cbow": "CBOW", "ns": "negative sampling",
              "hs": "hierarchical softmax"}
WHITESPACE = b" \t\n\r\x0b\x0c"


class BenchError(Exception):
    """A problem that stops the whole benchmark (bad corpus path, missing evaluation files)."""


# -- settings and trainers ------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    dim: int = 100
    window: int = 5
    neg: int = 5
    sample: float = 1e-3
    min_count: int = 5
    epochs: int = 5
    alpha: float = 0.025
    min_alpha: float = 0.0001
    threads: int = 2
    model: str = "sg"  # "sg" or "cbow"
    loss: str = "ns"  # "ns" (negative sampling) or "hs" (hierarchical softmax)

    @property
    def mode(self) -> str:
        return f"{self.model}-{self.loss}"

    def describe(self) -> str:
        """One line: the mode and every hyper-parameter (neg only where it is used)."""
        neg = f", neg {self.neg}" if self.loss == "ns" else ""
        return (f"Mode {self.mode}: {MODE_WORDS[self.model]}, {MODE_WORDS[self.loss]}: "
                f"dim {self.dim}, window {self.window}{neg}, sample {self.sample:g}, "
                f"min-count {self.min_count}, epochs {self.epochs}, alpha {self.alpha:g}, "
                f"threads {self.threads}.")


def mode_settings(mode: str, alpha: float | None, **common) -> Settings:
    """The settings of one mode: its model and loss, and ``alpha`` or the model's default."""
    model, loss = MODES[mode]
    return Settings(**common, model=model, loss=loss,
                    alpha=alpha if alpha is not None else DEFAULT_ALPHA[model])


@dataclass
class Trainer:
    """One row of the table: how to run it, and whether it can run at all."""

    label: str
    kind: str  # "w2v", "gensim", "word2vec.c" or "fasttext"
    extra: list[str] = field(default_factory=list)  # w2v variant flags / gensim mode / fastText
    unavailable: str | None = None  # why it cannot run (failed install), if so

    @property
    def subwords(self) -> bool:
        """Whether this row trains a subword model (its quality is compared with those)."""
        if self.kind == "fasttext":
            return self.extra[self.extra.index("--maxn") + 1] != "0"
        return self.kind == "w2v" and any(
            f in self.extra for f in ("--subwords", "--minn", "--maxn", "--bucket")) \
            and not ("--maxn" in self.extra and self.extra[self.extra.index("--maxn") + 1] == "0")

    @property
    def slug(self) -> str:
        return re.sub(r"[^A-Za-z0-9._-]+", "-", self.label).strip("-")

    def command(self, s: Settings, corpus: "PreparedCorpus", out: Path, seed: int = 1) -> list[str]:
        """The command line of one run; w2v and gensim take ``seed`` (word2vec.c has none)."""
        hs = s.loss == "hs"
        if self.kind == "w2v":
            return [
                *w2v_command(), "train", str(corpus.plain), "-o", str(out),
                "--model", s.model, "--loss", s.loss,
                "--dim", str(s.dim), "--window", str(s.window),
                *([] if hs else ["--neg", str(s.neg)]),
                "--sample", repr(s.sample), "--min-count", str(s.min_count),
                "--epochs", str(s.epochs), "--alpha", repr(s.alpha),
                "--min-alpha", repr(s.min_alpha), "--threads", str(s.threads),
                # Same tokens and sentences as the peers: whitespace tokens, 1,000-word pieces.
                "--tokenizer", "whitespace", "--max-sentence-length", str(SENTENCE_WORDS),
                "--seed", str(seed), *self.extra,
            ]
        if self.kind == "gensim":
            return [
                str(PEERS_VENV / "bin" / "python"), str(BENCH_DIR / "peer_gensim.py"),
                self.extra[0], str(corpus.lines), str(out),
                "--model", s.model, "--loss", s.loss, "--dim", str(s.dim),
                "--window", str(s.window), *([] if hs else ["--neg", str(s.neg)]),
                "--sample", repr(s.sample), "--min-count", str(s.min_count),
                "--epochs", str(s.epochs), "--alpha", repr(s.alpha),
                "--min-alpha", repr(s.min_alpha), "--threads", str(s.threads),
                "--seed", str(seed),
            ]
        if self.kind == "fasttext":
            return [
                str(PEERS_VENV / "bin" / "python"), str(BENCH_DIR / "peer_fasttext.py"),
                str(corpus.plain), str(out), *self.extra,
                "--model", s.model, "--loss", s.loss, "--dim", str(s.dim),
                "--window", str(s.window), *([] if hs else ["--neg", str(s.neg)]),
                "--sample", repr(s.sample), "--min-count", str(s.min_count),
                "--epochs", str(s.epochs), "--alpha", repr(s.alpha),
                "--threads", str(s.threads), "--seed", str(seed),
            ]
        if self.kind == "word2vec.c":
            return [
                str(PEERS_VENV / "bin" / "word2vec"), "-cbow", "1" if s.model == "cbow" else "0",
                "-hs", "1" if hs else "0", "-size", str(s.dim), "-window", str(s.window),
                "-negative", "0" if hs else str(s.neg),
                "-sample", repr(s.sample), "-min-count", str(s.min_count),
                "-iter", str(s.epochs), "-alpha", repr(s.alpha), "-threads", str(s.threads),
                "-binary", "0", "-train", str(corpus.plain), "-output", str(out),
            ]
        raise ValueError(self.kind)


def w2v_command() -> list[str]:
    """The ``w2v`` script beside this python (the project's venv), else ``python -m w2vcli``."""
    script = Path(sys.executable).parent / "w2v"
    return [str(script)] if script.exists() else [sys.executable, "-m", "w2vcli"]


def parse_variant(spec: str) -> Trainer:
    """``NAME:FLAGS`` -> a w2v row labelled ``w2v NAME`` running ``w2v train ... FLAGS``."""
    name, sep, flags = spec.partition(":")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(
            f"--w2v-variant {spec!r}: expected NAME:FLAGS, e.g. 'pair:--kernel pair'"
        )
    return Trainer(f"w2v {name.strip()}", "w2v", shlex.split(flags))


def make_trainers(variants: list[str], only: str | None,
                  modes: list[str] | None = None) -> dict[str, list[Trainer]]:
    """The rows of each mode: w2v (and its variants; the default ``hogbatch`` and ``pair`` rows
    in sg-ns only), gensim's two modes, word2vec.c, and the subword rows (``w2v subwords``,
    ``fastText`` with n-grams of 3 to 6 characters, ``fastText -maxn 0``), restricted to
    ``--only``."""
    by_mode = {}
    for mode in modes or [DEFAULT_MODE]:
        trainers = [Trainer("w2v", "w2v")]
        for spec in (DEFAULT_VARIANTS if mode == "sg-ns" else []) + variants:
            row = parse_variant(spec)
            if all(t.label != row.label for t in trainers):
                trainers.append(row)
        trainers += [
            Trainer("gensim corpus_file", "gensim", ["corpus_file"]),
            Trainer("gensim iterable", "gensim", ["iterable"]),
            Trainer("word2vec.c", "word2vec.c"),
            Trainer("w2v subwords", "w2v", ["--subwords"]),
            Trainer("fastText", "fasttext", ["--minn", "3", "--maxn", "6"]),
            Trainer("fastText -maxn 0", "fasttext", ["--minn", "3", "--maxn", "0"]),
        ]
        by_mode[mode] = trainers
    if only:
        wanted = [w.strip().lower() for w in only.split(",") if w.strip()]
        labels = {t.label.lower(): t.label for ts in by_mode.values() for t in ts}
        unknown = [w for w in wanted if w not in labels]
        if unknown:
            sg_ns_only = {parse_variant(v).label.lower() for v in DEFAULT_VARIANTS}
            hint = ("; the 'w2v hogbatch' and 'w2v pair' rows exist in mode sg-ns only"
                    if sg_ns_only & set(unknown) else "")
            raise BenchError(
                f"--only: unknown trainer(s) {', '.join(unknown)}; "
                f"choose from: {', '.join(labels.values())}{hint}"
            )
        by_mode = {m: [t for t in ts if t.label.lower() in wanted] for m, ts in by_mode.items()}
        empty = [m for m, ts in by_mode.items() if not ts]
        if empty:
            raise BenchError(f"--only {only!r} leaves no trainer in mode(s) {', '.join(empty)} "
                             "(the 'w2v hogbatch' and 'w2v pair' rows exist in sg-ns only)")
    return by_mode


# -- paths and corpus -----------------------------------------------------------------------------


def resolve_data_path(value: str) -> Path:
    """An absolute path as given; a relative one from the current directory if it exists there,
    else from the project root (so ``../shared/...`` works from anywhere)."""
    path = Path(value).expanduser()
    if path.is_absolute() or path.exists():
        return path.resolve()
    return (ROOT / path).resolve()


@dataclass
class PreparedCorpus:
    source: Path
    plain: Path  # plain text: w2v and word2vec.c read it
    lines: Path  # the same tokens cut into lines of at most SENTENCE_WORDS words: gensim
    words: int  # whitespace tokens
    reused: bool


def _opener(path: Path):
    return {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}.get(path.suffix.lower())


def prepare_corpus(source: Path, out_dir: Path, block_size: int = 1 << 20) -> PreparedCorpus:
    """Decompress ``source`` once (if compressed), count its tokens, write the 1,000-word copy.

    Streams in 1 MiB blocks, so a corpus that is one 100 MB line costs little memory. Reuses the
    files of an earlier run while the source's size and modification time are unchanged.
    """
    if not source.is_file():
        raise BenchError(
            f"corpus {source} not found; pass --corpus FILE (plain, .gz, .bz2 or .xz), or put "
            f"the shared data beside the project ({DEFAULT_CORPUS} from {ROOT})"
        )
    opener = _opener(source)
    stem = source.name
    for suffix in (".gz", ".bz2", ".xz", ".txt"):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
    tag = hashlib.sha1(str(source).encode()).hexdigest()[:8]
    out_dir.mkdir(parents=True, exist_ok=True)
    plain = out_dir / f"{stem}-{tag}.txt" if opener else source
    lines = out_dir / f"{stem}-{tag}.{SENTENCE_WORDS}.txt"
    stamp_path = out_dir / f"{stem}-{tag}.json"
    stat = source.stat()
    stamp = {"source": str(source), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    if stamp_path.exists() and lines.exists() and plain.exists():
        try:
            saved = json.loads(stamp_path.read_text())
            if all(saved.get(k) == v for k, v in stamp.items()):
                return PreparedCorpus(source, plain, lines, int(saved["words"]), True)
        except (ValueError, KeyError):
            pass

    words = 0
    in_line = 0  # words already on the current line of the copy
    tmp_plain = plain.with_name(plain.name + ".tmp")
    tmp_lines = lines.with_name(lines.name + ".tmp")
    with (opener or open)(source, "rb") as fin, open(tmp_lines, "wb") as fcut:
        fplain = open(tmp_plain, "wb") if opener else None
        try:
            carry = b""
            while True:
                block = fin.read(block_size)
                if fplain is not None and block:
                    fplain.write(block)
                data = carry + block
                if block:  # keep a token cut by the block's end for the next block
                    i = len(data) - 1
                    while i >= 0 and data[i] not in WHITESPACE:
                        i -= 1
                    data, carry = data[: i + 1], data[i + 1 :]
                else:
                    carry = b""
                segments = data.split(b"\n")
                for k, segment in enumerate(segments):
                    tokens = segment.split()
                    words += len(tokens)
                    pos = 0
                    while pos < len(tokens):
                        take = tokens[pos : pos + SENTENCE_WORDS - in_line]
                        if in_line:
                            fcut.write(b" ")
                        fcut.write(b" ".join(take))
                        in_line += len(take)
                        pos += len(take)
                        if in_line == SENTENCE_WORDS:
                            fcut.write(b"\n")
                            in_line = 0
                    # A newline in the source ends the line in the copy too.
                    if k < len(segments) - 1 and in_line:
                        fcut.write(b"\n")
                        in_line = 0
                if not block:
                    break
            if in_line:
                fcut.write(b"\n")
        finally:
            if fplain is not None:
                fplain.close()
    if words == 0:
        tmp_lines.unlink(missing_ok=True)
        tmp_plain.unlink(missing_ok=True)
        raise BenchError(f"corpus {source} has no words")
    if opener:
        tmp_plain.replace(plain)
    tmp_lines.replace(lines)
    stamp_path.write_text(json.dumps({**stamp, "words": words}))
    return PreparedCorpus(source, plain, lines, words, False)


def write_warmup_corpus(corpus: PreparedCorpus, path: Path, lines: int = 20) -> None:
    """The first ``lines`` 1,000-word lines: enough for w2v to load (or compile) its kernel."""
    with open(corpus.lines, "rb") as fin, open(path, "wb") as fout:
        for _, line in zip(range(lines), fin):
            fout.write(line)


# -- peers ------------------------------------------------------------------------------------------


@dataclass
class PeerStatus:
    gensim: str | None = None  # None: usable; else why not
    word2vec_c: str | None = None
    fasttext: str | None = None
    versions: dict[str, str] = field(default_factory=dict)
    installed_now: bool = False
    log: str = ""


def _peer_versions(python: Path) -> dict[str, str]:
    code = (
        "import importlib.metadata as m, json\n"
        "out = {}\n"
        "for name in ('gensim', 'word2vec', 'fasttext', 'numpy', 'scipy'):\n"
        "    try: out[name] = m.version(name)\n"
        "    except Exception: pass\n"
        "try:\n"
        "    import gensim.models.word2vec_corpusfile\n"
        "    out['gensim_corpus_file'] = 'yes'\n"
        "except Exception as e: out['gensim_corpus_file'] = 'no: %s' % e\n"
        "print(json.dumps(out))\n"
    )
    try:
        done = subprocess.run([str(python), "-c", code], capture_output=True, text=True,
                              timeout=300, stdin=subprocess.DEVNULL)
        return json.loads(done.stdout) if done.returncode == 0 else {}
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return {}


def _check_peers(venv: Path) -> PeerStatus:
    python = venv / "bin" / "python"
    status = PeerStatus()
    if not python.exists():
        status.gensim = status.word2vec_c = status.fasttext = f"no {python}"
        return status
    status.versions = _peer_versions(python)
    if "gensim" not in status.versions:
        status.gensim = "gensim is not installed in the peers' venv"
    elif not str(status.versions.get("gensim_corpus_file", "")).startswith("yes"):
        status.gensim = f"gensim has no corpus_file support ({status.versions.get('gensim_corpus_file')})"
    binary = venv / "bin" / "word2vec"
    if not (binary.exists() and os.access(binary, os.X_OK)):
        status.word2vec_c = f"no word2vec.c binary at {binary}"
    if "fasttext" not in status.versions:
        status.fasttext = "fasttext is not installed in the peers' venv"
    return status


def ensure_peers(venv: Path, log_path: Path, console: Console,
                 kinds: set[str] | None = None) -> PeerStatus:
    """Create the peers' venv if missing and install what is missing of the peers ``kinds``
    (``"gensim"``, ``"word2vec.c"``, ``"fasttext"``; default all); never raises."""
    status = _check_peers(venv)
    missing = {"gensim": status.gensim, "word2vec.c": status.word2vec_c,
               "fasttext": status.fasttext}
    if not any(why for kind, why in missing.items() if kinds is None or kind in kinds):
        return status
    log_path.parent.mkdir(parents=True, exist_ok=True)
    python = venv / "bin" / "python"
    steps = []
    if not python.exists():
        steps.append([sys.executable, "-m", "venv", str(venv)])
    # -v: the log shows word2vec's setup.py compiling word2vec.c (gcc ... -Ofast -march=native).
    steps.append([str(python), "-m", "pip", "install", "-v", *PEER_PACKAGES])
    console.print(f"Installing the peers into {venv.relative_to(ROOT) if venv.is_relative_to(ROOT) else venv} "
                  f"(pip install {' '.join(PEER_PACKAGES)}); log: {log_path}")
    error = None
    with open(log_path, "w") as log:
        for step in steps:
            log.write(f"$ {shlex.join(step)}\n")
            log.flush()
            try:
                done = subprocess.run(step, stdout=log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, timeout=1800)
            except (OSError, subprocess.TimeoutExpired) as exc:
                error = f"{shlex.join(step[:4])}... failed: {exc}"
                break
            if done.returncode != 0:
                error = f"{shlex.join(step[:4])}... exited {done.returncode} (see {log_path})"
                break
    status = _check_peers(venv)
    status.installed_now = True
    status.log = str(log_path)
    if error:
        if status.gensim:
            status.gensim = f"install failed: {error}"
        if status.word2vec_c:
            status.word2vec_c = f"install failed: {error}"
        if status.fasttext:
            status.fasttext = f"install failed: {error}"
    return status


# -- running and scoring ----------------------------------------------------------------------------


@dataclass
class Run:
    trainer: str
    rep: int
    ok: bool
    mode: str = DEFAULT_MODE
    error: str | None = None
    wall_s: float | None = None
    user_s: float | None = None
    sys_s: float | None = None
    cpu_s: float | None = None
    peak_rss_mib: float | None = None
    words_per_sec: float | None = None
    analogy: float | None = None
    analogy_semantic: float | None = None
    analogy_syntactic: float | None = None
    analogy_coverage: float | None = None
    ws353_rho: float | None = None
    ws353_pairs: str | None = None
    vocab: int | None = None
    raw_words_trained: int | None = None
    command: str = ""
    log: str = ""


def timed_run(cmd: list[str], time_file: Path, log_path: Path, timeout: float) -> tuple[int, tuple[float, float, float, int] | None, str | None]:
    """Run ``cmd`` under ``/usr/bin/time``; returns (exit status, (wall, user, sys, maxrss KiB), error)."""
    time_file.unlink(missing_ok=True)
    with open(log_path, "w") as log:
        log.write(f"$ {shlex.join(cmd)}\n")
        log.flush()
        try:
            done = subprocess.run([TIME_BIN, "-f", "%e %U %S %M", "-o", str(time_file), *cmd],
                                  stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                  timeout=timeout, env={**os.environ, "COLUMNS": "200"})
        except subprocess.TimeoutExpired:
            return -1, None, f"timed out after {timeout:.0f} s"
        except OSError as exc:
            return -1, None, f"could not start: {exc}"
    measured = None
    try:
        lines = [ln for ln in time_file.read_text().splitlines() if ln.strip()]
        wall, user, sys_, rss = lines[-1].split()
        measured = (float(wall), float(user), float(sys_), int(rss))
    except (OSError, IndexError, ValueError):
        pass
    error = None
    if done.returncode != 0:
        tail = _log_tail(log_path)
        error = f"exit status {done.returncode}" + (f": {tail}" if tail else "")
    return done.returncode, measured, error


def _log_tail(path: Path, chars: int = 160) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    lines = [ln.strip() for ln in re.split(r"[\r\n]+", text) if ln.strip()]
    return lines[-1][:chars] if lines else ""


def raw_words_from_log(kind: str, log_path: Path) -> int | None:
    """Tokens the trainer says it read: gensim's 'training on N raw words' (all epochs, /epochs
    later) or w2v's 'corpus: X of N tokens'. word2vec.c reports in-vocabulary words only."""
    try:
        text = log_path.read_text(errors="replace")
    except OSError:
        return None
    if kind == "gensim":
        m = re.findall(r"training on (\d+) raw words", text)
        return int(m[-1]) if m else None
    if kind == "w2v":
        m = re.search(r"of ([\d,]+)\s+tokens\s+in\s+vocabulary", text)
        return int(m.group(1).replace(",", "")) if m else None
    return None


def score(path: Path, questions: Path, wordsim: Path) -> dict:
    from w2vcli.evaluate import evaluate_analogies, evaluate_word_pairs
    from w2vcli.io import load_word2vec_format

    kv = load_word2vec_format(path)
    analogies = evaluate_analogies(kv, questions, restrict_vocab=30000)
    pairs = evaluate_word_pairs(kv, wordsim)
    return {
        "analogy": analogies.accuracy,
        "analogy_semantic": analogies.semantic.accuracy,
        "analogy_syntactic": analogies.syntactic.accuracy,
        "analogy_coverage": analogies.coverage,
        "ws353_rho": pairs.spearman,
        "ws353_pairs": f"{pairs.pairs_used}/{pairs.pairs_total}",
        "vocab": len(kv),
        "has_eos": "</s>" in kv.key_to_index,
    }


def header_only(path: Path) -> dict:
    """What ``--no-quality`` records of an output: its vocabulary size, from the header."""
    from w2vcli.io import read_header

    return {"vocab": read_header(path)[0], "has_eos": False}


def warm_w2v(trainers: list[Trainer], corpus: PreparedCorpus, s: Settings, work: Path,
             timeout: float) -> list[dict]:
    """Run each w2v row once, untimed, on a tiny corpus so its Numba kernel is compiled/cached."""
    tiny = work / "warmup.txt"
    write_warmup_corpus(corpus, tiny)
    results = []
    for t in trainers:
        if t.kind != "w2v":
            continue
        cmd = [*w2v_command(), "train", str(tiny), "-o", str(work / "warmup-vectors.txt"),
               "--model", s.model, "--loss", s.loss,
               "--min-count", "1", "--epochs", "1", "--dim", str(s.dim),
               "--threads", str(s.threads), "--tokenizer", "whitespace", *t.extra]
        start = time.perf_counter()
        log_path = work / f"warmup-{s.mode}-{t.slug}.log"
        rc, _, error = timed_run(cmd, work / "warmup.time", log_path, timeout)
        results.append({"mode": s.mode, "trainer": t.label,
                        "seconds": round(time.perf_counter() - start, 2),
                        "ok": rc == 0, "error": error})
    (work / "warmup-vectors.txt").unlink(missing_ok=True)
    return results


# -- report -------------------------------------------------------------------------------------------


def _median(values: list[float | None]) -> float | None:
    vals = [v for v in values if v is not None and v == v]
    return statistics.median(vals) if vals else None


def _fmt(value: float | None, spec: str, missing: str = "-") -> str:
    return missing if value is None else format(value, spec)


def summarise(trainers: list[Trainer], runs: list[Run]) -> list[dict]:
    rows = []
    for t in trainers:
        mine = [r for r in runs if r.trainer == t.label]
        ok = [r for r in mine if r.ok]
        walls = [r.wall_s for r in ok]
        rows.append({
            "trainer": t.label,
            "kind": t.kind,
            "subwords": t.subwords,
            "runs": len(mine),
            "ok": len(ok),
            "unavailable": t.unavailable,
            "errors": sorted({r.error for r in mine if r.error}),
            "wall_s": _median(walls),
            "wall_min": min(walls) if walls else None,
            "wall_max": max(walls) if walls else None,
            "words_per_sec": _median([r.words_per_sec for r in ok]),
            "cpu_s": _median([r.cpu_s for r in ok]),
            "peak_rss_mib": _median([r.peak_rss_mib for r in ok]),
            "analogy": _median([r.analogy for r in ok]),
            "ws353_rho": _median([r.ws353_rho for r in ok]),
            "vocab": _median([r.vocab for r in ok]),
        })
    return rows


def build_report(summary: list[dict], header: list[str], notes: list[str],
                 mode: str = DEFAULT_MODE) -> Group:
    table = Table(title=f"{mode}: w2v vs gensim, word2vec.c and fastText (medians over repeats)",
                  title_justify="left")
    table.add_column("trainer", no_wrap=True)
    table.add_column("wall s", justify="right")
    table.add_column("min-max", justify="right", no_wrap=True)
    table.add_column("words/s", justify="right")
    table.add_column("CPU s", justify="right")
    table.add_column("RSS MiB", justify="right")
    table.add_column("analogy", justify="right")
    table.add_column("WS353 rho", justify="right")
    table.add_column("vocab", justify="right")
    table.add_column("runs ok", justify="right")
    failures: list[str] = []
    for row in summary:
        if row["ok"] and row["errors"]:
            failures.append(f"{row['trainer']}: {row['runs'] - row['ok']} of {row['runs']} runs "
                            f"failed: {row['errors'][0]}")
        if not row["ok"]:
            why = row["unavailable"] or (row["errors"][0] if row["errors"] else "no run")
            failures.append(f"{row['trainer']} FAILED: {why}")
            table.add_row(row["trainer"], Text("FAILED", style="red"), "", "", "", "", "", "",
                          "", f"0/{row['runs']}")
            continue
        table.add_row(
            row["trainer"],
            _fmt(row["wall_s"], ".2f"),
            f"{row['wall_min']:.2f}-{row['wall_max']:.2f}",
            _fmt(row["words_per_sec"], ",.0f"),
            _fmt(row["cpu_s"], ".1f"),
            _fmt(row["peak_rss_mib"], ",.0f"),
            _fmt(row["analogy"], ".4f"),
            _fmt(row["ws353_rho"], ".4f"),
            _fmt(row["vocab"], ",.0f"),
            f"{row['ok']}/{row['runs']}",
            style="bold" if row["kind"] == "w2v" else None,
        )

    lines: list[str] = []
    ours = [r for r in summary if r["kind"] == "w2v" and r["ok"]]
    peers = [r for r in summary if r["kind"] != "w2v" and r["ok"]]
    if ours and peers:
        for mine in ours:
            lines.append(f"{mine['trainer']} words/s / peer's: " + ", ".join(
                f"{p['trainer']} {mine['words_per_sec'] / p['words_per_sec']:.2f}x" for p in peers))
        for mine in ours:
            lines.append(f"{mine['trainer']} peak RSS / peer's: " + ", ".join(
                f"{p['trainer']} {mine['peak_rss_mib'] / p['peak_rss_mib']:.2f}x" for p in peers))
        for mine in ours:
            if all(r["analogy"] is None and r["ws353_rho"] is None for r in summary):
                break  # not scored (--no-quality)
            parts = []
            for key, name in (("analogy", "analogy"), ("ws353_rho", "WS353 rho")):
                scored = [p for p in peers if p[key] is not None
                          and p.get("subwords") == mine.get("subwords")]
                if mine[key] is None or not scored:
                    parts.append(f"{name} -")
                    continue
                best = max(scored, key=lambda p: p[key])
                parts.append(f"{name} {mine[key] - best[key]:+.4f} "
                             f"(best peer: {best['trainer']} {best[key]:.4f})")
            kind = "subword" if mine.get("subwords") else "word-model"
            lines.append(f"{mine['trainer']} quality - best {kind} peer's: " + "; ".join(parts))
    elif not peers:
        lines.append("No peer ran successfully: no ratios.")
    notes = failures + notes
    parts: list = [Text("\n".join(header)), table]
    if lines:
        parts.append(Text("\n".join(lines)))
    if notes:
        parts.append(Text("Notes:\n" + "\n".join(f"- {n}" for n in notes)))
    return Group(*parts)


def overview(summaries: dict[str, list[dict]]) -> list[dict]:
    """One row per mode and trainer: medians, and for w2v rows the ratio of words/s to
    word2vec.c's of the same mode and the differences in quality (None where either failed)."""
    rows = []
    for mode, summary in summaries.items():
        ref = next((r for r in summary if r["kind"] == "word2vec.c" and r["ok"]), None)
        for row in summary:
            entry = {"mode": mode, "trainer": row["trainer"], "kind": row["kind"],
                     "ok": row["ok"], "runs": row["runs"],
                     "words_per_sec": row["words_per_sec"], "analogy": row["analogy"],
                     "ws353_rho": row["ws353_rho"],
                     "speed_vs_w2v_c": None, "analogy_minus_w2v_c": None,
                     "rho_minus_w2v_c": None}
            if row["kind"] == "w2v" and row["ok"] and ref is not None:
                if row["words_per_sec"] and ref["words_per_sec"]:
                    entry["speed_vs_w2v_c"] = row["words_per_sec"] / ref["words_per_sec"]
                for key, out in (("analogy", "analogy_minus_w2v_c"),
                                 ("ws353_rho", "rho_minus_w2v_c")):
                    if row[key] is not None and ref[key] is not None:
                        entry[out] = row[key] - ref[key]
            rows.append(entry)
    return rows


def build_overview(rows: list[dict]) -> Table:
    table = Table(title="Summary: medians per mode; w2v against word2vec.c of the same mode",
                  title_justify="left")
    table.add_column("mode", no_wrap=True)
    table.add_column("trainer", no_wrap=True)
    table.add_column("words/s", justify="right")
    table.add_column("analogy", justify="right")
    table.add_column("WS353 rho", justify="right")
    table.add_column("words/s / w2v.c", justify="right")
    table.add_column("analogy - w2v.c", justify="right")
    table.add_column("rho - w2v.c", justify="right")
    for i, row in enumerate(rows):
        last_of_mode = i + 1 == len(rows) or rows[i + 1]["mode"] != row["mode"]
        if not row["ok"]:
            table.add_row(row["mode"], row["trainer"], Text("FAILED", style="red"), "", "", "",
                          "", "", end_section=last_of_mode)
            continue
        ours = row["kind"] == "w2v"
        table.add_row(
            row["mode"], row["trainer"],
            _fmt(row["words_per_sec"], ",.0f"),
            _fmt(row["analogy"], ".4f"),
            _fmt(row["ws353_rho"], ".4f"),
            (_fmt(row["speed_vs_w2v_c"], ".2f") + ("x" if row["speed_vs_w2v_c"] else ""))
            if ours else "",
            _fmt(row["analogy_minus_w2v_c"], "+.4f") if ours else "",
            _fmt(row["rho_minus_w2v_c"], "+.4f") if ours else "",
            style="bold" if ours else None, end_section=last_of_mode,
        )
    return table


_WARN_RE = re.compile(r"warn|error|traceback|exception", re.IGNORECASE)
_STAMP_RE = re.compile(r"^\d{4}-\d\d-\d\d [\d:,]+ ")


def log_warnings(trainers: list[Trainer], runs: list[Run], limit: int = 4) -> list[str]:
    """Distinct warning/error lines from each trainer's logs (timestamps stripped)."""
    notes = []
    for t in trainers:
        counts: dict[str, int] = {}
        first: dict[str, str] = {}
        for r in runs:
            if r.trainer != t.label or not r.log:
                continue
            try:
                text = Path(r.log).read_text(errors="replace")
            except OSError:
                continue
            for line in re.split(r"[\r\n]+", text):
                line = _STAMP_RE.sub("", line.strip())
                if line and not line.startswith("$ ") and _WARN_RE.search(line):
                    key = re.sub(r"\d+(\.\d+)?", "N", line)[:200]
                    counts[key] = counts.get(key, 0) + 1
                    first.setdefault(key, line)
        for key in list(counts)[:limit]:
            notes.append(f"{t.label} log ({counts[key]}x): {first[key][:220]}")
        if len(counts) > limit:
            notes.append(f"{t.label} log: {len(counts) - limit} more distinct warning lines")
    return notes


def sanity_notes(trainers: list[Trainer], runs: list[Run], words: int, epochs: int,
                 eos: set[str]) -> list[str]:
    notes = []
    for t in trainers:
        seen = {r.raw_words_trained for r in runs if r.trainer == t.label and r.ok
                and r.raw_words_trained is not None}
        expected = words * epochs if t.kind == "gensim" else words
        for value in sorted(seen):
            if value == expected:
                continue
            what = "more" if value > expected else "fewer"
            why = (" (corpus_file: each worker reads whole chunks until it has passed 1/workers "
                   "of the words, so the workers' parts overlap; words/s counts the corpus only)"
                   if t.kind == "gensim" and "corpus_file" in t.extra and value > expected else
                   " (part of the corpus was not trained)" if value < expected else "")
            notes.append(f"{t.label}: trained on {value:,} raw words, "
                         f"{abs(value - expected) / expected:.1%} {what} than the corpus's "
                         f"{expected:,}{why}")
    for label in sorted(eos):
        notes.append(f"{label}: its vectors include '</s>' (word2vec.c's end-of-line token, kept "
                     "whatever --min-count) as row 0, so its vocab is one larger")
    return notes


# -- main ---------------------------------------------------------------------------------------------


class _DefaultsFormatter(argparse.HelpFormatter):
    """Shows '(default: X)' for options whose default is not None."""

    def _get_help_string(self, action: argparse.Action) -> str:
        help_text = action.help or ""
        if action.default not in (None, False, argparse.SUPPRESS) and action.option_strings:
            help_text += " (default: %(default)s)"
        return help_text


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        formatter_class=_DefaultsFormatter,
        description="Train w2v, gensim (corpus_file and iterable) and word2vec.c on the same "
                    "corpus with the same settings, interleaved, and compare speed, memory and "
                    "vector quality.")
    d = Settings()
    p.add_argument("--mode", "--modes", dest="modes", action="append", metavar="MODE[,MODE...]",
                   help=f"model-loss of every trainer: {', '.join(MODES)} (default: "
                        f"{DEFAULT_MODE}); repeat it or give a comma-separated list to run "
                        "several modes, interleaved, with a summary table at the end")
    p.add_argument("--corpus", default=DEFAULT_CORPUS,
                   help="corpus file, plain/.gz/.bz2/.xz (a relative path not found here is "
                        "taken from the project root)")
    p.add_argument("--dim", type=int, default=d.dim, help="vector dimension")
    p.add_argument("--window", type=int, default=d.window, help="maximum window")
    p.add_argument("--neg", type=int, default=d.neg, help="negative samples")
    p.add_argument("--sample", type=float, default=d.sample, help="subsampling threshold")
    p.add_argument("--min-count", type=int, default=d.min_count, help="minimum word count")
    p.add_argument("--epochs", type=int, default=d.epochs, help="passes over the corpus")
    p.add_argument("--alpha", type=float, default=None,
                   help="initial learning rate of every mode (default: word2vec.c's, 0.025 for "
                        "sg and 0.05 for cbow)")
    p.add_argument("--threads", type=int, default=d.threads, help="threads of every trainer")
    p.add_argument("--repeats", type=int, default=3, help="runs of each trainer")
    p.add_argument("--w2v-variant", action="append", default=None, metavar="NAME:FLAGS",
                   help="extra w2v row 'w2v NAME' with extra train flags, e.g. "
                        "'pair:--kernel pair' (repeatable; that one is a default row)")
    p.add_argument("--only", metavar="LABELS",
                   help="comma-separated rows to run, e.g. 'w2v,word2vec.c'; default: all")
    p.add_argument("--timeout", type=float, default=1800, help="seconds per training run")
    p.add_argument("--no-quality", action="store_true",
                   help="do not score the vectors (for a generated corpus, whose vectors mean "
                        "nothing); only their vocabulary size is read")
    p.add_argument("--report", default="compare", metavar="NAME",
                   help="name of the report files in benchmarks/out/ (NAME.txt, NAME.json) and "
                        "of the logs folder (out/logs-NAME/ unless NAME is compare)")
    p.add_argument("--keep-vectors", action="store_true",
                   help="keep each trainer's last vectors in benchmarks/out/vectors/")
    args = p.parse_args(argv)
    modes = []
    for value in args.modes or [DEFAULT_MODE]:
        for mode in (m.strip().lower() for m in value.split(",")):
            if mode and mode not in MODES:
                p.error(f"--mode: unknown mode {mode!r}; choose from {', '.join(MODES)}")
            if mode and mode not in modes:
                modes.append(mode)
    if not modes:
        p.error("--mode: no mode given")
    args.modes = modes
    for name in ("dim", "window", "neg", "min_count", "epochs", "threads", "repeats"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.alpha is not None and not 0 < args.alpha:
        p.error("--alpha must be positive")
    if args.sample < 0:
        p.error("--sample must be 0 or positive")
    if not re.fullmatch(r"[A-Za-z0-9._-]+", args.report):
        p.error("--report: use letters, digits, '.', '_' or '-' only")
    return args


def environment(peers: PeerStatus) -> dict:
    import importlib.metadata as md

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    env = {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
           "platform": platform.platform()}
    for name in ("w2vcli", "numba", "numpy"):
        try:
            env[name] = md.version(name)
        except md.PackageNotFoundError:
            env[name] = None
    env["peers"] = peers.versions
    return env


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console(highlight=False)
    err = Console(stderr=True, highlight=False)
    common = dict(dim=args.dim, window=args.window, neg=args.neg, sample=args.sample,
                  min_count=args.min_count, epochs=args.epochs, threads=args.threads)
    settings = {mode: mode_settings(mode, args.alpha, **common) for mode in args.modes}
    t_start = time.perf_counter()
    try:
        by_mode = make_trainers(args.w2v_variant or [], args.only, args.modes)
        if not os.access(TIME_BIN, os.X_OK):
            raise BenchError(f"{TIME_BIN} not found; install GNU time (apt-get install time)")
        source = resolve_data_path(args.corpus)
        eval_dir = resolve_data_path(EVAL_DIR)
        questions, wordsim = eval_dir / QUESTIONS, eval_dir / WORDSIM
        for path in () if args.no_quality else (questions, wordsim):
            if not path.is_file():
                raise BenchError(f"evaluation file {path} not found (expected in {EVAL_DIR} "
                                 "from the project root)")
        err.print(f"Preparing corpus {source} ...")
        corpus = prepare_corpus(source, OUT_DIR / "corpus")
    except BenchError as exc:
        err.print(f"[red]Error:[/red] {exc}")
        return 1
    err.print(f"Corpus: {corpus.words:,} words ({'reused' if corpus.reused else 'written'}: "
              f"{corpus.plain.name}, {corpus.lines.name})")

    logs = OUT_DIR / ("logs" if args.report == "compare" else f"logs-{args.report}")
    vectors = OUT_DIR / "vectors"
    for folder in (logs, vectors):
        folder.mkdir(parents=True, exist_ok=True)
    for old in logs.glob("*.log"):
        old.unlink()

    all_trainers = [t for ts in by_mode.values() for t in ts]
    kinds = {t.kind for t in all_trainers if t.kind != "w2v"}
    peers = (ensure_peers(PEERS_VENV, OUT_DIR / "peers-install.log", err, kinds) if kinds
             else PeerStatus())
    for t in all_trainers:
        if t.kind == "gensim":
            t.unavailable = peers.gensim
        elif t.kind == "word2vec.c":
            t.unavailable = peers.word2vec_c
        elif t.kind == "fasttext":
            t.unavailable = peers.fasttext
    for t in {t.label: t for t in all_trainers if t.unavailable}.values():
        err.print(f"[yellow]{t.label} cannot run:[/yellow] {t.unavailable}")

    warmup = []
    if any(t.kind == "w2v" for t in all_trainers):
        err.print("Warming w2v's Numba cache (untimed, tiny corpus) ...")
        for mode, trainers in by_mode.items():
            warmup += warm_w2v(trainers, corpus, settings[mode], logs, args.timeout)
        for w in warmup:
            if not w["ok"]:
                err.print(f"[yellow]{w['mode']} {w['trainer']} warm-up failed:[/yellow] "
                          f"{w['error']}")

    several = len(args.modes) > 1
    runs: list[Run] = []
    eos: dict[str, set[str]] = {mode: set() for mode in args.modes}
    total = args.repeats * len(all_trainers)
    n = 0
    for rep in range(1, args.repeats + 1):
        for mode, trainers in by_mode.items():
            s = settings[mode]
            for t in trainers:
                n += 1
                run = Run(trainer=t.label, rep=rep, ok=False, mode=mode)
                runs.append(run)
                if t.unavailable:
                    run.error = t.unavailable
                    continue
                out = vectors / f"{mode}-{t.slug}.txt"
                out.unlink(missing_ok=True)
                cmd = t.command(s, corpus, out, seed=rep)
                log_path = logs / f"{mode}-{t.slug}-r{rep}.log"
                run.command, run.log = shlex.join(cmd), str(log_path)
                err.print(f"[{n}/{total}] repeat {rep}: {mode + ' ' if several else ''}"
                          f"{t.label} ...", end=" ")
                rc, measured, error = timed_run(cmd, OUT_DIR / "time.txt", log_path, args.timeout)
                if measured:
                    wall, user, sys_, rss = measured
                    run.wall_s, run.user_s, run.sys_s = wall, user, sys_
                    run.cpu_s = round(user + sys_, 2)
                    run.peak_rss_mib = round(rss / 1024, 1)
                    run.words_per_sec = corpus.words * s.epochs / wall if wall > 0 else None
                run.raw_words_trained = raw_words_from_log(t.kind, log_path)
                if rc != 0 or measured is None:
                    run.error = error or "no timing recorded"
                    err.print(f"[red]failed[/red]: {run.error}")
                    continue
                if not out.is_file():
                    run.error = "wrote no vectors"
                    err.print(f"[red]failed[/red]: {run.error}")
                    continue
                try:
                    scores = (header_only(out) if args.no_quality
                              else score(out, questions, wordsim))
                except Exception as exc:  # a bad output file is this trainer's failure only
                    run.error = f"scoring failed: {exc}"
                    err.print(f"[red]failed[/red]: {run.error}")
                    continue
                if scores.pop("has_eos"):
                    eos[mode].add(t.label)
                for key, value in scores.items():
                    setattr(run, key, value)
                run.ok = True
                if not args.keep_vectors:
                    out.unlink(missing_ok=True)
                quality = ("" if args.no_quality else
                           f", analogy {run.analogy:.4f}, rho {run.ws353_rho:.4f}")
                err.print(f"{run.wall_s:.2f} s, {run.words_per_sec:,.0f} words/s, "
                          f"{run.peak_rss_mib:,.0f} MiB{quality}")
    elapsed = time.perf_counter() - t_start

    env = environment(peers)
    peer_versions = ", ".join(f"{k} {v}" for k, v in peers.versions.items()
                              if k in ("gensim", "word2vec", "fasttext", "numpy"))
    header = [
        f"Corpus: {corpus.source} ({corpus.words:,} words)",
        f"Mode{'s' if several else ''}: {', '.join(args.modes)} (model-loss of every trainer; "
        "alpha " + (f"{args.alpha:g}" if args.alpha is not None else
                    "word2vec.c's default, 0.025 for sg and 0.05 for cbow") + ").",
        f"Machine: {env['cpu'] or platform.machine()}, {env['cores']} cores. w2v "
        f"{env.get('w2vcli')} (numba {env.get('numba')}); peers: {peer_versions or 'none'}.",
        f"{args.repeats} repeats, interleaved{' across modes' if several else ''}; each run is "
        "one fresh process timed whole by /usr/bin/time (start-up, vocabulary, training, "
        "writing);",
        "words/s = corpus words x epochs / wall s. w2v reads whitespace tokens in "
        f"{SENTENCE_WORDS:,}-word sentences, like the peers.",
        "Quality: not scored (--no-quality: on a generated corpus the vectors mean nothing, so "
        "analogy and WS353 figures would be noise)." if args.no_quality else
        "Quality: w2v's evaluator on every output (questions-words.txt, restrict_vocab 30000; "
        "WordSim353 Spearman rho).",
    ]
    if warmup:
        header.append("Numba cache warmed before timing: " + ", ".join(
            f"{w['mode'] + ' ' if several else ''}{w['trainer']} {w['seconds']:.1f} s"
            + ("" if w["ok"] else " (FAILED)") for w in warmup) + " (untimed).")
    took = (f"Benchmark took {elapsed:.0f} s. Compare figures within one run only "
            "(run-to-run noise on this machine is 4-17%).")
    summaries: dict[str, list[dict]] = {}
    all_notes: dict[str, list[str]] = {}
    parts: list = [Text("\n".join(header))]
    for mode, trainers in by_mode.items():
        s = settings[mode]
        mine = [r for r in runs if r.mode == mode]
        summaries[mode] = summarise(trainers, mine)
        notes = (sanity_notes(trainers, mine, corpus.words, s.epochs, eos[mode])
                 + log_warnings(trainers, mine))
        if not several:
            notes.append(took)
        all_notes[mode] = notes
        parts += [Text(""), build_report(summaries[mode], [s.describe()], notes, mode)]
    rows = overview(summaries)
    if several:
        parts += [Text(""), build_overview(rows), Text(took)]
    report = Group(*parts)

    width = max(console.width, 130) if console.is_terminal else 130
    console.width = width
    console.print(report)
    with open(os.devnull, "w") as devnull:
        recorder = Console(record=True, width=width, file=devnull, highlight=False)
        recorder.print(report)
        (OUT_DIR / f"{args.report}.txt").write_text(recorder.export_text())
    (OUT_DIR / f"{args.report}.json").write_text(json.dumps({
        "modes": args.modes,
        "settings": {mode: asdict(s) for mode, s in settings.items()},
        "repeats": args.repeats,
        "quality_scored": not args.no_quality,
        "corpus": {"source": str(corpus.source), "plain": str(corpus.plain),
                   "lines": str(corpus.lines), "words": corpus.words},
        "environment": env,
        "peers": {"gensim": peers.gensim, "word2vec_c": peers.word2vec_c,
                  "fasttext": peers.fasttext,
                  "installed_now": peers.installed_now, "log": peers.log},
        "warmup": warmup,
        "runs": [asdict(r) for r in runs],
        "summary": summaries,
        "overview": rows,
        "notes": all_notes,
        "seconds": round(elapsed, 1),
    }, indent=2))
    err.print(f"Wrote {OUT_DIR / (args.report + '.txt')} and {OUT_DIR / (args.report + '.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
