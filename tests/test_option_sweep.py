"""Every option of every command, at its boundaries and beyond, derived from click.

The options are read from the click commands themselves (``cli.commands[...].params``), so a new
command or option is swept without a change here:

- every integer or float option has a range (a bare ``type=int`` or ``type=float`` fails
  :func:`test_every_numeric_option_has_a_range`);
- values just beyond each bound, NaN, the infinities and garbage are refused by click before
  any work: exit 2, no traceback, one ``Error:`` line naming the flag, nothing written;
- values exactly at each bound (and every choice) run the command on small files: exit 0, or a
  clean one-line error where the value makes no sense for that input;
- the library's own check (``TrainConfig.validate``) refuses what click refuses.
"""

from __future__ import annotations

import math
import os

import click
import pytest

from conftest import run_cli, write_corpus, write_vectors
from w2vcli.cli import cli
from w2vcli.training import TrainConfig

GROUPS = [["cat", "dog", "cow", "horse"], ["red", "blue", "green", "pink"],
          ["paris", "rome", "oslo", "bern"]]
WORDS = [w for group in GROUPS for w in group]

#: (command path, option name): why a value at that bound is not run here.
NOT_RUN_AT = {
    (("train",), "dim", "min"): "each --dim compiles its own kernels (~6 s): dim 100 only",
    (("train",), "dim", "max"): "each --dim compiles its own kernels (~6 s): dim 100 only",
    (("train",), "epochs", "max"): "a million epochs",
}
#: train's choices that select another compiled kernel (~6 s each at dim 100); the kernels
#: are tested against the reference in test_kernels.py and test_modes.py.
COMPILING_CHOICES = {"model", "loss", "kernel"}


def all_commands(group: click.Group = cli, path: tuple[str, ...] = ()):
    """``(path, command)`` for every leaf command, e.g. ``(("eval", "analogy"), command)``."""
    for name in sorted(group.commands):
        command = group.commands[name]
        if isinstance(command, click.Group):
            yield from all_commands(command, path + (name,))
        else:
            yield path + (name,), command


def options(command: click.Command):
    return [p for p in command.params if isinstance(p, click.Option) and not p.is_flag
            and p.name != "help"]


def flag(param: click.Option) -> str:
    return max(param.opts, key=len)


def swept(command: click.Command):
    """Options with a numeric range or a choice."""
    return [p for p in options(command)
            if isinstance(p.type, (click.IntRange, click.FloatRange, click.Choice))]


def beyond(param: click.Option) -> list[str]:
    """Values just outside the option's range, and garbage."""
    kind = param.type
    if isinstance(kind, click.Choice):
        return ["no-such-choice"]
    values: list[str] = []
    if isinstance(kind, click.IntRange):
        if kind.min is not None:
            values.append(str(kind.min - 1 if not kind.min_open else kind.min))
        if kind.max is not None:
            values.append(str(kind.max + 1 if not kind.max_open else kind.max))
        return values + ["abc", "1.5"]
    if kind.min is not None:
        values.append(repr(kind.min if kind.min_open else math.nextafter(kind.min, -math.inf)))
    if kind.max is not None:
        values.append(repr(kind.max if kind.max_open else math.nextafter(kind.max, math.inf)))
    return values + ["nan", "inf", "-inf", "abc"]


def at_bounds(param: click.Option) -> list[tuple[str, str]]:
    """``(which, value)``: the range's bounds (the nearest value inside an open one), or every
    choice."""
    kind = param.type
    if isinstance(kind, click.Choice):
        return [("choice", str(c)) for c in kind.choices]
    out = []
    for which, bound, is_open, inward in (("min", kind.min, kind.min_open, math.inf),
                                          ("max", kind.max, kind.max_open, -math.inf)):
        if bound is None:
            continue
        if isinstance(kind, click.IntRange):
            value = bound + (1 if inward > 0 else -1) if is_open else bound
            out.append((which, str(value)))
        else:
            out.append((which, repr(math.nextafter(bound, inward) if is_open else float(bound))))
    return out


def placeholders(command: click.Command) -> list[str]:
    """The command's required arguments and options, as paths that do not exist: if a refused
    value were let through, the command would fail on them instead, without naming the flag."""
    args: list[str] = []
    for p in command.params:
        if isinstance(p, click.Argument) and p.required:
            args += ["absent-input"] * (1 if p.nargs == -1 else p.nargs)
        elif isinstance(p, click.Option) and p.required:
            args += [flag(p), "absent-output"]
    return args


BEYOND = [(path, param, value) for path, command in all_commands()
          for param in swept(command) for value in beyond(param)]


def test_every_numeric_option_has_a_range():
    bare = [f"{' '.join(path)} {flag(p)}" for path, command in all_commands()
            for p in options(command)
            if isinstance(p.type, (click.types.IntParamType, click.types.FloatParamType))
            and not isinstance(p.type, (click.IntRange, click.FloatRange))]
    assert bare == [], "give these options a range (w2vcli.cli._Ints / _Floats)"


def test_the_sweep_sees_every_command():
    assert {path for path, _ in all_commands()} == set(VALID)
    assert len(BEYOND) > 100


@pytest.mark.parametrize("path,param,value", BEYOND,
                         ids=[f"{' '.join(p)} {flag(o)}={v}" for p, o, v in BEYOND])
def test_beyond_the_range_is_one_line_from_click(path, param, value, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    command = dict(all_commands())[path]
    result = run_cli(*path, *placeholders(command), f"{flag(param)}={value}")
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line]
    errors = [line for line in lines if line.startswith("Error: ")]
    assert len(errors) == 1, result.output
    assert all(line.startswith(("Usage: ", "Try ", "Error: ")) for line in lines), result.output
    assert any(f"'{opt}'" in errors[0] for opt in param.opts), errors[0]
    assert os.listdir(tmp_path) == []  # refused before any work: nothing read, nothing written


def test_min_alpha_above_alpha_is_refused_before_reading(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run_cli("train", "absent-input", "--alpha", "0.01", "--min-alpha", "0.02")
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == (
        "Error: Invalid value for --min-alpha: must not exceed --alpha 0.01")


# -- at the bounds: the commands run on small files ----------------------------------------------


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("sweep")
    (d / "questions.txt").write_text(": animals\ncat dog cow horse\ndog cat horse cow\n"
                                     ": colours\nred blue green pink\n")
    (d / "pairs.txt").write_text("cat\tdog\t9\nred\tblue\t8\ncat\tred\t1\nparis\trome\t7\n")
    return {
        "corpus": write_corpus(d / "corpus.txt", GROUPS, lines=300, words_per_line=8),
        "vectors": write_vectors(d / "vectors.txt", WORDS),
        "questions": d / "questions.txt",
        "pairs": d / "pairs.txt",
    }


#: A valid invocation of every command; the swept option is appended (the last one counts).
VALID = {
    ("analogy",): lambda f, out: ["analogy", "cat", "dog", "red", "-v", f["vectors"]],
    ("convert",): lambda f, out: ["convert", f["vectors"], out / "v.bin"],
    ("eval", "analogy"): lambda f, out: ["eval", "analogy", f["questions"], "-v", f["vectors"]],
    ("eval", "similarity"): lambda f, out: ["eval", "similarity", f["pairs"], "-v", f["vectors"]],
    ("info",): lambda f, out: ["info", f["vectors"]],
    ("phrases",): lambda f, out: ["phrases", f["corpus"], "-o", out / "p.txt",
                                  "--min-count", "1"],
    ("plot",): lambda f, out: ["plot", "--words", "cat,dog,red,blue", "-v", f["vectors"],
                               "-o", out / "w.png"],
    ("similar",): lambda f, out: ["similar", "cat", "red", "-v", f["vectors"]],
    ("train",): lambda f, out: ["train", f["corpus"], "-o", out / "v.txt", "--min-count", "1",
                                "--sample", "0", "--epochs", "1", "--threads", "1",
                                "--neg", "2"],
}
#: Options that replace part of the valid invocation rather than add to it.
REPLACES = {(("plot",), "top"): ("--words", "cat,dog,red,blue")}
#: Options that need another one to mean anything.
NEEDS = {(("train",), "checkpoint_every"): lambda out: ["--save-model", out / "model"],
         (("train",), "alpha"): lambda out: ["--min-alpha", "0"]}
# The n-gram options train the subword model: at dim 16, whose kernels the subword tests
# compile anyway (each dim and mode compiles its own).
NEEDS.update({(("train",), name): lambda out: ["--dim", "16"]
              for name in ("minn", "maxn", "bucket")})


def _bound_cases():
    for path, command in all_commands():
        for param in swept(command):
            for which, value in at_bounds(param):
                reason = NOT_RUN_AT.get((path, param.name, which))
                if path == ("train",) and which == "choice" and param.name in COMPILING_CHOICES:
                    reason = "another compiled kernel"
                if reason is None:
                    yield path, param, value


AT_BOUNDS = list(_bound_cases())


@pytest.mark.parametrize("path,param,value", AT_BOUNDS,
                         ids=[f"{' '.join(p)} {flag(o)}={v}" for p, o, v in AT_BOUNDS])
def test_at_the_bounds_runs_or_says_why(path, param, value, files, tmp_path):
    args = [str(a) for a in VALID[path](files, tmp_path)]
    drop = REPLACES.get((path, param.name))
    if drop is not None:
        i = args.index(drop[0])
        del args[i : i + len(drop)]
    needs = NEEDS.get((path, param.name))
    args += [str(a) for a in needs(tmp_path)] if needs else []
    result = run_cli(*args, f"{flag(param)}={value}")
    assert isinstance(result.exception, (SystemExit, type(None))), result.exception
    assert "Traceback" not in result.output
    if result.exit_code != 0:
        assert result.exit_code in (1, 2), result.output
        errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
        assert len(errors) == 1 and result.output.endswith(errors[0] + "\n"), result.output


# -- the library refuses what click refuses --------------------------------------------------------


def _config_cases():
    fields = TrainConfig.__dataclass_fields__
    train = dict(all_commands())[("train",)]
    for param in swept(train):
        field = {"neg": "negative"}.get(param.name, param.name)
        if field in fields and not isinstance(param.type, click.Choice):
            for value in beyond(param):
                if value not in ("abc", "1.5"):
                    yield field, value


CONFIG_CASES = list(_config_cases())


@pytest.mark.parametrize("field,value", CONFIG_CASES, ids=[f"{f}={v}" for f, v in CONFIG_CASES])
def test_train_config_refuses_what_click_refuses(field, value):
    number = float(value) if field in ("alpha", "min_alpha", "sample", "ns_exponent") \
        else int(value)
    config = TrainConfig(**{field: number})
    with pytest.raises(ValueError):
        config.validate()
