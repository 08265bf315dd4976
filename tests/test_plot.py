"""PCA projection and the labelled word plot (w2vcli.plot)."""

from __future__ import annotations

import os
import subprocess
import sys
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest

from w2vcli.errors import W2VError
from w2vcli.keyedvectors import KeyedVectors
from w2vcli.plot import pca_2d, plot_words

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# -- pca_2d ------------------------------------------------------------------------------------


def _orthonormal(d: int, k: int, seed: int) -> np.ndarray:
    """k orthonormal vectors in R^d, as rows (k, d)."""
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(d, k)))
    return q.T


def test_pca_points_on_a_line_recover_the_line():
    t = np.linspace(-3.0, 5.0, 9)
    direction = _orthonormal(6, 1, seed=1)[0]
    x = 10.0 + t[:, None] * (2.0 * direction)  # a line in R^6 with an offset, |step| scaled by 2
    coords = pca_2d(x.astype(np.float32))
    assert coords.shape == (9, 2) and coords.dtype == np.float64
    # PC1 is the line: coordinates are the centred positions along it (times the scale 2).
    expected = 2.0 * (t - t.mean())
    assert np.allclose(np.abs(coords[:, 0]), np.abs(expected), atol=1e-4)
    assert abs(np.corrcoef(coords[:, 0], expected)[0, 1]) > 0.9999
    # Rank 1: the second component is zero, not NaN.
    assert np.all(np.isfinite(coords))
    assert np.allclose(coords[:, 1], 0.0, atol=1e-4)


def test_pca_points_on_a_plane_keep_distances_and_are_centred():
    rng = np.random.default_rng(2)
    basis = _orthonormal(10, 2, seed=3)
    ab = rng.normal(size=(40, 2)) * np.array([3.0, 1.0])  # more spread along the first axis
    x = ab @ basis + rng.normal(size=10)  # a 2-D plane in R^10, shifted off the origin
    coords = pca_2d(x)
    assert coords.shape == (40, 2)
    assert np.allclose(coords.mean(axis=0), 0.0, atol=1e-9)
    # All the variance lies in the plane, so the projection is an isometry of the points.
    def pairwise(a):
        return np.linalg.norm(a[:, None, :] - a[None, :, :], axis=-1)
    assert np.allclose(pairwise(coords), pairwise(x), atol=1e-8)
    # PC1 carries at least as much variance as PC2, and the columns are uncorrelated.
    assert coords[:, 0].var() >= coords[:, 1].var()
    assert abs(coords[:, 0] @ coords[:, 1]) < 1e-8


def test_pca_matches_covariance_eigenvectors_up_to_sign():
    x = np.random.default_rng(4).normal(size=(30, 8)) * np.linspace(4.0, 0.5, 8)
    centred = x - x.mean(axis=0)
    eigvals, eigvecs = np.linalg.eigh(centred.T @ centred)
    top = eigvecs[:, ::-1][:, :2]
    expected = centred @ top
    coords = pca_2d(x)
    for j in range(2):
        col, ref = coords[:, j], expected[:, j]
        assert np.allclose(col, ref) or np.allclose(col, -ref)
    # Deterministic: same input, same output (the sign convention is fixed).
    assert np.array_equal(pca_2d(x), coords)


def test_pca_two_points_one_dimension_and_identical_points():
    two = pca_2d(np.array([[1.0, 2.0, 3.0], [4.0, 6.0, 3.0]]))
    assert two.shape == (2, 2) and np.all(np.isfinite(two))
    assert np.isclose(abs(two[0, 0] - two[1, 0]), 5.0)  # the distance between the points
    assert np.allclose(two[:, 1], 0.0)

    one_d = pca_2d(np.array([[1.0], [2.0], [4.0]]))
    assert one_d.shape == (3, 2)
    assert np.allclose(np.abs(one_d[:, 0]), np.abs([-4 / 3, -1 / 3, 5 / 3]))
    assert np.allclose(one_d[:, 1], 0.0)

    same = pca_2d(np.ones((4, 5), dtype=np.float32))
    assert np.array_equal(same, np.zeros((4, 2)))


@pytest.mark.parametrize(
    "bad",
    [np.zeros((1, 3)), np.zeros(5), np.zeros((3, 0)), np.array([[0.0, 1.0], [np.nan, 2.0]])],
    ids=["one-row", "1-d", "no-columns", "nan"],
)
def test_pca_rejects_bad_input(bad):
    with pytest.raises(ValueError):
        pca_2d(bad)


# -- plot_words --------------------------------------------------------------------------------


@pytest.fixture
def kv() -> KeyedVectors:
    """Three well-separated clusters in 20-D, plus one stray word."""
    rng = np.random.default_rng(0)
    groups = {
        "animal": ["cat", "dog", "horse", "cow"],
        "colour": ["red", "green", "blue"],
        "drink": ["tea", "coffee", "milk"],
    }
    words, rows = [], []
    for g, members in enumerate(groups.values()):
        centre = rng.normal(size=20) * 3.0
        for w in members:
            words.append(w)
            rows.append(centre + rng.normal(size=20) * 0.3)
    words.append("stray")
    rows.append(rng.normal(size=20))
    return KeyedVectors(words, np.array(rows, dtype=np.float32), np.arange(len(words), 0, -1))


def _capture_figure(monkeypatch) -> list:
    """Record the Figure that plot_words saves, while still saving it."""
    from matplotlib.figure import Figure

    figures: list = []
    original = Figure.savefig

    def savefig(self, *args, **kwargs):
        figures.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", savefig)
    return figures


def test_plot_words_writes_a_readable_png(kv, tmp_path):
    import matplotlib.image

    out = tmp_path / "words.png"
    plotted, missing = plot_words(kv, ["cat", "dog", "red", "green", "tea", "milk"], out, dpi=60)
    assert plotted == ["cat", "dog", "red", "green", "tea", "milk"] and missing == []
    data = out.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 5000
    image = matplotlib.image.imread(out)
    assert image.shape[:2] == (round(6.5 * 60), 8 * 60)  # 8 x 6.5 inches at 60 dpi
    assert image.std() > 0.01  # not a blank canvas
    assert [p.name for p in tmp_path.iterdir()] == ["words.png"]  # no temp files left over


def test_plot_words_labels_every_word_and_axes(kv, tmp_path, monkeypatch):
    figures = _capture_figure(monkeypatch)
    words = ["cat", "dog", "horse", "cow", "red", "green", "blue", "tea", "coffee", "milk"]
    plot_words(kv, words, tmp_path / "w.png", title="Ten words", dpi=72)
    (fig,) = figures
    (ax,) = fig.axes
    assert sorted(t.get_text() for t in ax.texts) == sorted(words)
    assert ax.get_xlabel().startswith("PC1 (") and ax.get_xlabel().endswith("% of variance)")
    assert ax.get_ylabel().startswith("PC2 (") and "%" in ax.get_ylabel()
    pc1 = float(ax.get_xlabel().split("(")[1].split("%")[0])
    pc2 = float(ax.get_ylabel().split("(")[1].split("%")[0])
    assert 0 < pc2 <= pc1 and pc1 + pc2 <= 100.0
    assert ax.get_title() == "Ten words"
    # Labels do not overlap one another (these clusters leave room for all of them).
    from matplotlib.text import Text

    renderer = fig.canvas.get_renderer()
    for t in ax.texts:
        t.get_window_extent(renderer)  # lays the annotation out (text and leader line)
    boxes = [Text.get_window_extent(t) for t in ax.texts]  # the text alone
    overlapping = [
        (a.get_text(), b.get_text())
        for (a, ba), (b, bb) in combinations(zip(ax.texts, boxes), 2)
        if ba.overlaps(bb)
    ]
    assert overlapping == []


def test_plot_words_limits_the_stretch_of_a_minor_component(tmp_path, monkeypatch):
    from w2vcli.plot import MAX_STRETCH

    figures = _capture_figure(monkeypatch)
    t = np.linspace(0.0, 10.0, 6)
    flat = np.column_stack([t, 0.01 * np.sin(t), np.zeros(6)])  # PC2 is 1000x smaller than PC1
    kv = KeyedVectors([f"w{i}" for i in range(6)], flat)
    plot_words(kv, kv.index_to_key, tmp_path / "w.png", dpi=50)
    (ax,) = figures[0].axes
    box = ax.get_window_extent(figures[0].canvas.get_renderer())
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    stretch = (box.height / (y1 - y0)) / (box.width / (x1 - x0))  # px per unit, y over x
    assert stretch <= MAX_STRETCH * 1.001


def test_plot_words_reports_missing_words(kv, tmp_path):
    out = tmp_path / "w.png"
    asked = ["cat", "unicorn", "Dog", "", "cat", "qwerty", "red"]
    plotted, missing = plot_words(kv, asked, out, dpi=40)
    # Unknown words are skipped and reported; blanks and repeats ignored; "Dog" found as "dog".
    assert plotted == ["cat", "dog", "red"]
    assert missing == ["unicorn", "qwerty"]
    assert out.read_bytes().startswith(PNG_SIGNATURE)


@pytest.mark.parametrize("words", [[], ["unicorn", "qwerty"], ["cat", "unicorn"], ["cat", "cat"]])
def test_plot_words_needs_two_known_words(kv, tmp_path, words):
    out = tmp_path / "w.png"
    with pytest.raises(W2VError) as info:
        plot_words(kv, words, out)
    message = str(info.value)
    assert "\n" not in message and "at least 2" in message
    if "unicorn" in words:
        assert "unicorn" in message  # names what was not found
    assert list(tmp_path.iterdir()) == []


def test_plot_words_failure_leaves_no_file(kv, tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    out = tmp_path / "w.png"
    out.write_bytes(b"old picture")

    def broken_savefig(self, *args, **kwargs):
        args[0].write(b"\x89PNG partial")
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Figure, "savefig", broken_savefig)
    with pytest.raises(RuntimeError, match="disk on fire"):
        plot_words(kv, ["cat", "dog", "red"], out)
    # The existing file is untouched and no temporary file is left behind.
    assert out.read_bytes() == b"old picture"
    assert [p.name for p in tmp_path.iterdir()] == ["w.png"]


def test_plot_words_missing_directory_is_a_clear_error(kv, tmp_path):
    with pytest.raises(W2VError, match="does not exist"):
        plot_words(kv, ["cat", "dog"], tmp_path / "nope" / "w.png")
    assert list(tmp_path.iterdir()) == []


def test_plot_words_svg_suffix_writes_svg(kv, tmp_path):
    out = tmp_path / "w.svg"
    plot_words(kv, ["cat", "dog", "tea"], out)
    head = out.read_text(encoding="utf-8")[:200]
    assert head.startswith("<?xml") and "<svg" in out.read_text(encoding="utf-8")


def test_plot_words_rejects_non_finite_vectors(tmp_path):
    bad = KeyedVectors(["a", "b", "c"], np.array([[0.0, 1.0], [np.inf, 0.0], [1.0, 1.0]]))
    with pytest.raises(W2VError, match="NaN or infinity"):
        plot_words(bad, ["a", "b", "c"], tmp_path / "w.png")
    assert list(tmp_path.iterdir()) == []


def test_matplotlib_is_lazy_and_pyplot_untouched(tmp_path):
    """Importing w2vcli.plot loads no matplotlib; plotting never touches pyplot / the backend."""
    code = (
        "import sys\n"
        "import numpy as np\n"
        "import w2vcli.plot\n"
        "assert 'matplotlib' not in sys.modules, 'w2vcli.plot imported matplotlib'\n"
        "from w2vcli.keyedvectors import KeyedVectors\n"
        "kv = KeyedVectors(['a', 'b', 'c'], np.eye(3, dtype=np.float32))\n"
        f"w2vcli.plot.plot_words(kv, ['a', 'b', 'c'], {str(tmp_path / 'w.png')!r}, dpi=30)\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'plot_words imported pyplot'\n"
    )
    root = Path(__file__).resolve().parents[1]
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=root, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "w.png").read_bytes().startswith(PNG_SIGNATURE)
