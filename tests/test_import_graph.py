"""tools/import_graph.py: the package's import graph has no cycle."""

import subprocess
import sys

from conftest import ROOT

TOOL = ROOT / "tools" / "import_graph.py"


def graph(*args):
    return subprocess.run([sys.executable, str(TOOL), *map(str, args)], capture_output=True,
                          text=True, timeout=60)


def test_the_tool_finds_a_cycle_through_a_deferred_import(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from pkg import b\n")
    (pkg / "b.py").write_text("from typing import TYPE_CHECKING\n"
                              "if TYPE_CHECKING:\n    from pkg.c import X\n"
                              "def f():\n    from .a import g\n")
    (pkg / "c.py").write_text("class C:\n    from . import a\n")
    result = graph("--package", pkg)
    assert result.returncode == 0, result.stdout
    assert "  pkg.a -> pkg.b\n" in result.stdout
    assert "  pkg.b -> -\n" in result.stdout  # TYPE_CHECKING imports never run
    assert "  pkg.c -> pkg.a\n" in result.stdout  # a class body runs at import time
    assert result.stdout.endswith("no cycle (module-level imports)\n")
    result = graph("--package", pkg, "--all")
    assert result.returncode == 1
    assert "cycle (all imports): pkg.a -> pkg.b -> pkg.a\n" in result.stdout


def test_w2vcli_has_no_import_cycle():
    result = graph()
    assert result.returncode == 0, result.stdout
    assert "  w2vcli.atomic -> w2vcli.errors\n" in result.stdout  # a leaf
    result = graph("--all")  # imports inside functions too: no lower layer reaches up
    assert result.returncode == 0, result.stdout
