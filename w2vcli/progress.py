"""Training progress for people and for programs: a rich bar, plain lines, or JSON lines.

Each reporter is a context manager with two callbacks that :meth:`w2vcli.session.TrainingSession.train`
calls: ``update(progress)`` after every kernel call (about 10 times a second, with a
:class:`w2vcli.training.Progress`) and ``epoch(stats)`` after every epoch (with a
:class:`w2vcli.training.EpochStats`).

- :class:`RichBar`: the live bar in a terminal or notebook (epoch, percent, words/s, alpha,
  running loss, time left).
- :class:`PlainLines`: one line every ``every`` seconds and one per epoch, for logs in files
  (a bar written to a file is a mess of control codes).
- :class:`JsonLines`: one JSON object per line (``"event"``: ``"progress"`` at most every
  ``every`` seconds, ``"epoch"`` after each epoch), for dashboards and CI; the fields are those of
  :func:`progress_record` and :func:`epoch_record`.

These only format; the training numbers are the trainer's own.
"""

from __future__ import annotations

import json
import math
import sys
import time
from typing import IO, Any


def _finite(x: float) -> float | None:
    """``x`` to 8 significant digits; JSON has no NaN or infinity: those become ``null``."""
    return float(f"{x:.8g}") if math.isfinite(x) else None


def progress_record(p) -> dict[str, Any]:
    """A :class:`w2vcli.training.Progress` as a flat dict: ``epoch``, ``epochs``, ``words_done``,
    ``total_words``, ``words_per_sec`` (since training started), ``alpha``, ``loss`` (the
    epoch's running mean loss per prediction), ``elapsed_s`` and ``eta_s`` (seconds; ``None``
    until a rate is known)."""
    left = p.total_words - p.words_done
    eta = left / p.words_per_sec if p.words_per_sec > 0 else None
    return {"event": "progress", "epoch": p.epoch, "epochs": p.epochs,
            "words_done": p.words_done, "total_words": p.total_words,
            "words_per_sec": round(p.words_per_sec, 1), "alpha": _finite(p.alpha),
            "loss": _finite(p.epoch_loss), "elapsed_s": round(p.elapsed, 3),
            "eta_s": None if eta is None else round(eta, 3)}


def epoch_record(stats) -> dict[str, Any]:
    """A :class:`w2vcli.training.EpochStats` as a flat dict: ``epoch``, ``words``, ``predictions``,
    ``alpha`` (at its end), ``loss`` (mean per prediction), ``seconds`` and ``words_per_sec``
    (of what this process trained of it)."""
    return {"event": "epoch", "epoch": stats.epoch, "words": stats.words,
            "predictions": stats.pairs, "alpha": _finite(stats.alpha),
            "loss": _finite(stats.mean_loss), "seconds": round(stats.seconds, 3),
            "words_per_sec": _finite(stats.words_per_sec)}


def _clock(seconds: float) -> str:
    """``3725.2`` -> ``'1:02:05'``."""
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


class _Reporter:
    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass

    def update(self, p) -> None:  # pragma: no cover - interface
        pass

    def epoch(self, stats) -> None:  # pragma: no cover - interface
        pass


class RichBar(_Reporter):
    """A rich progress bar on ``console`` (a :class:`rich.console.Console`; default: stderr)."""

    def __init__(self, epochs: int, console=None) -> None:
        from rich.console import Console
        from rich.progress import (BarColumn, Progress, TaskProgressColumn, TextColumn,
                                   TimeRemainingColumn)

        self.progress = Progress(
            TextColumn("epoch {task.fields[epoch]}/{task.fields[epochs]}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[wps]} words/s  alpha {task.fields[alpha]}  "
                       "loss {task.fields[loss]}"),
            TimeRemainingColumn(),
            console=console or Console(stderr=True),
            transient=False,
        )
        self.task = self.progress.add_task("train", total=1, epoch=1, epochs=epochs,
                                           wps="-", alpha="-", loss="-")

    def __enter__(self) -> "RichBar":
        self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.stop()

    def update(self, p) -> None:
        self.progress.update(
            self.task, total=p.total_words, completed=p.words_done, epoch=p.epoch,
            wps=f"{p.words_per_sec:,.0f}", alpha=f"{p.alpha:.5f}", loss=f"{p.epoch_loss:.4f}",
        )

    def epoch(self, stats) -> None:
        pass


class _Timed(_Reporter):
    """Writes a progress record at most every ``every`` seconds, and every epoch."""

    def __init__(self, stream: IO[str] | None = None, every: float = 10.0) -> None:
        self.stream = stream
        self.every = every
        self._last = -math.inf

    def _write(self, line: str) -> None:
        stream = self.stream if self.stream is not None else sys.stderr
        stream.write(line + "\n")
        stream.flush()

    def update(self, p) -> None:
        now = time.monotonic()
        if now - self._last >= self.every:
            self._last = now
            self._write(self.progress_line(p))

    def epoch(self, stats) -> None:
        self._write(self.epoch_line(stats))


class PlainLines(_Timed):
    """Plain text lines: ``epoch 2/5  41.3%  2,512,345 words/s  alpha 0.01512  loss 2.3710
    ETA 0:00:04`` every ``every`` seconds, and ``epoch 2/5 done: ...`` after each epoch."""

    @staticmethod
    def progress_line(p) -> str:
        r = progress_record(p)
        done = 100 * p.words_done / max(p.total_words, 1)
        eta = "-" if r["eta_s"] is None else _clock(r["eta_s"])
        return (f"epoch {p.epoch}/{p.epochs}  {done:5.1f}%  {p.words_per_sec:,.0f} words/s  "
                f"alpha {p.alpha:.5f}  loss {p.epoch_loss:.4f}  ETA {eta}")

    @staticmethod
    def epoch_line(stats) -> str:
        return (f"epoch {stats.epoch} done: mean loss {stats.mean_loss:.4f}, alpha "
                f"{stats.alpha:.5f}, {stats.seconds:.1f} s, {stats.words_per_sec:,.0f} words/s")


class JsonLines(_Timed):
    """One JSON object per line (:func:`progress_record`, :func:`epoch_record`)."""

    def __init__(self, stream: IO[str] | None = None, every: float = 1.0) -> None:
        super().__init__(stream, every)

    @staticmethod
    def progress_line(p) -> str:
        return json.dumps(progress_record(p))

    @staticmethod
    def epoch_line(stats) -> str:
        return json.dumps(epoch_record(stats))


class Callback(_Reporter):
    """Adapts a plain callable (``progress=fn`` in :func:`w2vcli.train`): ``fn(progress)``."""

    def __init__(self, fn) -> None:
        self.fn = fn

    def update(self, p) -> None:
        self.fn(p)

    def epoch(self, stats) -> None:
        pass


class Several(_Reporter):
    """Sends every call to each of ``reporters`` (a bar on the terminal and a JSON log)."""

    def __init__(self, *reporters) -> None:
        self.reporters = [r for r in reporters if r is not None]

    def __enter__(self) -> "Several":
        for r in self.reporters:
            r.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        for r in reversed(self.reporters):
            r.__exit__(*exc)

    def update(self, p) -> None:
        for r in self.reporters:
            r.update(p)

    def epoch(self, stats) -> None:
        for r in self.reporters:
            r.epoch(stats)
