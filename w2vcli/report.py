"""How the query and evaluation commands show their results: tables that fit, TSV and JSON.

Tables are for people. One is printed only where it fits the width of the terminal whole;
where it does not, a narrower layout is printed instead (a small table per query word, then
plain lines), so no word or number is ever cut short with an ellipsis. Written to a pipe or a
file, a table is as wide as its content. TSV and JSON are for programs: every value whole, one
header line (TSV) or one document (JSON), nothing else on standard output; notes and warnings
go to standard error.

Every cell is a :class:`rich.text.Text`, so a word such as ``[red]`` or ``:smile:`` is printed
as it is, never read as rich markup or an emoji code.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence

from rich import box
from rich.columns import Columns
from rich.console import Console, RenderableType
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

__all__ = [
    "choose_format",
    "fits",
    "json_number",
    "print_json",
    "print_neighbours",
    "print_table",
    "print_tsv",
    "stdout_console",
    "tsv_field",
]

_UNLIMITED = 1_000_000  # columns: "as wide as the content" for measuring and for pipes


def stdout_console() -> Console:
    """A rich console on standard output; off a terminal, as wide as whatever it prints."""
    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=_UNLIMITED)
    return console


def choose_format(fmt: str | None, console: Console) -> str:
    """``fmt`` if given, else ``table`` on a terminal and ``tsv`` anywhere else."""
    if fmt is not None:
        return fmt
    return "table" if console.is_terminal else "tsv"


def natural_width(console: Console, renderable: RenderableType) -> int:
    """Columns ``renderable`` takes with no limit on the width (nothing wrapped or cut)."""
    return console.measure(renderable, options=console.options.update_width(_UNLIMITED)).maximum


def fits(console: Console, renderable: RenderableType) -> bool:
    """Whether ``renderable`` prints within the console's width with no word cut or broken.

    Anything fits that is no wider than the console unwrapped. A table with a single column
    that may wrap (the others ``no_wrap``) also fits if that column's longest word does: rich
    narrows only that column then, wrapping its text at spaces.
    """
    width = natural_width(console, renderable)
    if width <= console.width:
        return True
    if not isinstance(renderable, Table):
        return False
    wrapping = [column for column in renderable.columns if not column.no_wrap]
    if len(wrapping) != 1 or wrapping[0].width is not None:
        return False
    options = console.options.update_width(_UNLIMITED)
    cells = list(wrapping[0].cells)
    if renderable.show_header:
        cells.append(wrapping[0].header)
    widths = [Measurement.get(console, options, cell) for cell in cells]
    longest_word = max((w.minimum for w in widths), default=0)
    longest_line = max((w.maximum for w in widths), default=0)
    return width - longest_line + longest_word <= console.width


def print_table(console: Console, table: Table, fallback: Iterable[str]) -> None:
    """Print ``table`` if it fits the console, else the same without borders, else ``fallback``.

    ``fallback`` is plain lines, printed as they are (the terminal wraps a long one; nothing
    is cut).
    """
    if fits(console, table):
        console.print(table)
        return
    table.box, table.padding = box.SIMPLE_HEAD, (0, 1, 0, 0)
    table.pad_edge = table.show_edge = False
    if fits(console, table):
        console.print(table)
        return
    if table.title:
        _print_line(console, str(table.title))
    for line in fallback:
        _print_line(console, line)


def _print_line(console: Console, line: str) -> None:
    console.print(Text(line), soft_wrap=True)


Neighbours = Sequence[tuple[str, float]]


def _neighbour_block(query: str, neighbours: Neighbours, ranks: int) -> Table:
    table = Table()
    table.add_column("#", justify="right", style="dim")
    table.add_column(Text(query))
    table.add_column("cosine", justify="right")
    for rank in range(ranks):
        if rank < len(neighbours):
            word, cosine = neighbours[rank]
            table.add_row(str(rank + 1), Text(word), f"{cosine:.4f}")
        else:
            table.add_row(str(rank + 1), "", "")
    return table


def print_neighbours(console: Console, title: str,
                     results: Sequence[tuple[str, Neighbours]]) -> None:
    """Nearest-neighbour lists of several query words, in the clearest layout that fits.

    ``title`` goes on a line of its own, then one table with a word and a cosine column per
    query word; where that is wider than the console, a small table per query word, side by
    side as far as they fit; where even one of those does not fit, plain lines
    ``rank  cosine  word`` under each query word.
    """
    ranks = max((len(neighbours) for _, neighbours in results), default=0)
    table = Table()
    table.add_column("#", justify="right", style="dim")
    for query, _ in results:
        table.add_column(Text(query))
        table.add_column("cosine", justify="right")
    for rank in range(ranks):
        row: list[RenderableType] = [str(rank + 1)]
        for _, neighbours in results:
            if rank < len(neighbours):
                row += [Text(neighbours[rank][0]), f"{neighbours[rank][1]:.4f}"]
            else:
                row += ["", ""]
        table.add_row(*row)
    _print_line(console, title)
    if fits(console, table):
        console.print(table)
        return
    blocks = [_neighbour_block(query, neighbours, ranks) for query, neighbours in results]
    if all(fits(console, block) for block in blocks):
        console.print(Columns(blocks, padding=(0, 2)))
        return
    width = len(str(ranks))
    for query, neighbours in results:
        _print_line(console, query)
        for rank, (word, cosine) in enumerate(neighbours, start=1):
            _print_line(console, f"  {rank:>{width}}  {cosine:7.4f}  {word}")


def tsv_field(value: object) -> str:
    """One TSV field, with backslash, tab, newline and carriage return escaped.

    They are written as ``\\\\``, ``\\t``, ``\\n`` and ``\\r``, as PostgreSQL's text format does.
    """
    text = value if isinstance(value, str) else str(value)
    if any(c in text for c in "\\\t\n\r"):
        text = (text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
                .replace("\r", "\\r"))
    return text


def print_tsv(header: Sequence[str] | None, rows: Iterable[Sequence[object]]) -> None:
    """Write a header line (unless ``None``: a later block of the same stream) and then one
    tab-separated line per row to standard output."""
    import click

    if header is not None:
        click.echo("\t".join(header))
    for row in rows:
        click.echo("\t".join(tsv_field(value) for value in row))


def json_number(value: float) -> float | None:
    """A float for JSON: ``None`` (``null``) for NaN or infinity, which JSON cannot hold."""
    value = float(value)
    return value if math.isfinite(value) else None


def print_json(document: object, one_line: bool = False) -> None:
    """Write ``document`` to standard output as one indented JSON document (UTF-8 as is), or
    with ``one_line`` as one line (a JSON Lines stream of answers)."""
    import click

    click.echo(json.dumps(document, ensure_ascii=False, indent=None if one_line else 2,
                          allow_nan=False))
