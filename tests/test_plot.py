"""PCA / t-SNE projections, the labelled word plot, loss histories and plots, and `w2v plot`."""

from __future__ import annotations

import subprocess
import sys
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest

from conftest import CHILD_TIMEOUT, ROOT, child_env, run_cli
from w2vcli.errors import W2VError
from w2vcli.keyedvectors import KeyedVectors
from w2vcli.plot import (
    LABEL_ALL_MAX,
    TSNE_MISSING,
    pca_2d,
    plot_loss,
    plot_words,
    read_loss_history,
    require_tsne,
    tsne_2d,
)

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


def _pixels_per_unit(fig, ax) -> tuple[float, float]:
    box = ax.get_window_extent(fig.canvas.get_renderer())
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    return box.width / (x1 - x0), box.height / (y1 - y0)


@pytest.mark.parametrize("minor", [1.0, 0.3, 0.001])  # PC2's spread against PC1's
def test_pca_maps_have_equal_scales_and_the_variance_in_the_labels(tmp_path, monkeypatch, minor):
    """A unit of PC1 is as long on the page as a unit of PC2, however little PC2 explains: an
    unequal stretch would make distances across look unlike distances up (issue 10)."""
    figures = _capture_figure(monkeypatch)
    t = np.linspace(0.0, 10.0, 6)
    flat = np.column_stack([t, minor * 10.0 * np.sin(t), np.zeros(6)])
    kv = KeyedVectors([f"w{i}" for i in range(6)], flat)
    plot_words(kv, kv.index_to_key, tmp_path / "w.png", dpi=50)
    fig = figures[0]
    (ax,) = fig.axes
    assert ax.get_aspect() == 1.0
    x_scale, y_scale = _pixels_per_unit(fig, ax)
    assert y_scale == pytest.approx(x_scale, rel=1e-6)
    # The limits hold every point (with its label's margin), also after a redraw.
    coords = pca_2d(flat)
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    assert x0 < coords[:, 0].min() and coords[:, 0].max() < x1
    assert y0 < coords[:, 1].min() and coords[:, 1].max() < y1
    fig.canvas.draw()
    assert _pixels_per_unit(fig, ax) == pytest.approx((x_scale, y_scale), rel=1e-6)
    pc1 = float(ax.get_xlabel().removeprefix("PC1 (").removesuffix("% of variance)"))
    pc2 = float(ax.get_ylabel().removeprefix("PC2 (").removesuffix("% of variance)"))
    share = (coords ** 2).sum(axis=0) / (coords ** 2).sum()
    assert (pc1, pc2) == pytest.approx(100 * share, abs=0.051)


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
    env = child_env()
    env.pop("MPLBACKEND", None)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                            cwd=ROOT, timeout=CHILD_TIMEOUT)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "w.png").read_bytes().startswith(PNG_SIGNATURE)


# -- plot_words: t-SNE and big maps -----------------------------------------------------------


def _no_sklearn(monkeypatch) -> None:
    """Make ``import sklearn`` fail, as where scikit-learn is not installed."""
    for name in ("sklearn", "sklearn.manifold"):
        monkeypatch.setitem(sys.modules, name, None)


def test_tsne_without_scikit_learn_is_a_one_line_error(kv, tmp_path, monkeypatch):
    _no_sklearn(monkeypatch)
    with pytest.raises(W2VError) as info:
        require_tsne()
    assert str(info.value) == TSNE_MISSING
    assert str(info.value) == (
        "t-SNE needs scikit-learn: pip install 'w2vcli[tsne]' (or use --method pca)"
    )
    with pytest.raises(W2VError, match="needs scikit-learn"):
        tsne_2d(np.eye(4))
    with pytest.raises(W2VError, match="needs scikit-learn"):
        plot_words(kv, ["cat", "dog", "red"], tmp_path / "w.png", method="tsne")
    assert list(tmp_path.iterdir()) == []
    # PCA does not need it.
    plot_words(kv, ["cat", "dog", "red"], tmp_path / "w.png", dpi=30)


def test_tsne_keeps_clusters_and_is_reproducible(kv):
    pytest.importorskip("sklearn")
    words = kv.index_to_key[:10]  # three clusters: 4 animals, 3 colours, 3 drinks
    vectors = np.asarray(kv.vectors)[:10]
    coords = tsne_2d(vectors)
    assert coords.shape == (10, 2) and coords.dtype == np.float64
    assert np.all(np.isfinite(coords))
    assert np.array_equal(tsne_2d(vectors), coords)  # fixed random state
    # Each word's nearest neighbour in the plane is in its own cluster.
    group = np.array([0, 0, 0, 0, 1, 1, 1, 2, 2, 2])
    dist = np.linalg.norm(coords[:, None] - coords[None], axis=-1)
    np.fill_diagonal(dist, np.inf)
    assert np.array_equal(group[dist.argmin(axis=1)], group), words


@pytest.mark.parametrize("n", [2, 3, 5])
def test_tsne_works_for_a_handful_of_words(n):
    pytest.importorskip("sklearn")
    coords = tsne_2d(np.random.default_rng(n).normal(size=(n, 8)))
    assert coords.shape == (n, 2) and np.all(np.isfinite(coords))


@pytest.mark.parametrize(
    "bad, kwargs",
    [(np.zeros((1, 3)), {}), (np.zeros(5), {}), (np.array([[0.0, np.nan], [1.0, 2.0]]), {}),
     (np.eye(4), {"perplexity": 4.0}), (np.eye(4), {"perplexity": 0.0})],
    ids=["one-row", "1-d", "nan", "perplexity-n", "perplexity-0"],
)
def test_tsne_rejects_bad_input(bad, kwargs):
    with pytest.raises(ValueError):
        tsne_2d(bad, **kwargs)


def test_plot_words_tsne_axes_and_title(kv, tmp_path, monkeypatch):
    pytest.importorskip("sklearn")
    figures = _capture_figure(monkeypatch)
    words = ["cat", "dog", "horse", "red", "green", "tea", "milk"]
    plotted, _ = plot_words(kv, words, tmp_path / "t.png", dpi=40, method="tsne")
    assert plotted == words
    (ax,) = figures[0].axes
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("t-SNE 1 (no units)", "t-SNE 2 (no units)")
    assert ax.get_aspect() == 1.0
    assert ax.get_title() == "7 words (t-SNE of 20-d vectors)"
    assert sorted(t.get_text() for t in ax.texts) == sorted(words)
    assert (tmp_path / "t.png").read_bytes().startswith(PNG_SIGNATURE)


def test_plot_words_unknown_method(kv, tmp_path):
    with pytest.raises(ValueError, match="method must be one of pca, tsne"):
        plot_words(kv, ["cat", "dog"], tmp_path / "w.png", method="umap")


def test_big_map_labels_only_where_there_is_room(tmp_path, monkeypatch):
    """Above LABEL_ALL_MAX words: larger figure, no overlapping labels, earlier words first."""
    from matplotlib.text import Text

    rng = np.random.default_rng(5)
    n = 150
    words = [f"word{i:03d}" for i in range(n)]
    centres = rng.normal(size=(4, 30)) * 2.0
    kv = KeyedVectors(words, (centres[np.arange(n) % 4] + rng.normal(size=(n, 30))).astype(
        np.float32))
    figures = _capture_figure(monkeypatch)
    plotted, _ = plot_words(kv, words, tmp_path / "big.png", dpi=60)
    assert n > LABEL_ALL_MAX and plotted == words
    fig = figures[0]
    (ax,) = fig.axes
    assert tuple(fig.get_size_inches()) == (11.0, 9.0)
    labels = [t.get_text() for t in ax.texts]
    assert 30 < len(labels) < n and "word000" in labels  # the first word always gets a label
    renderer = fig.canvas.get_renderer()
    boxes = [Text.get_window_extent(t, renderer) for t in ax.texts]
    assert not any(a.overlaps(b) for a, b in combinations(boxes, 2))
    # The points without a label are pale, and a note says how many are labelled.
    faces = ax.collections[0].get_facecolors()
    assert len({tuple(np.round(c, 3)) for c in faces}) == 2
    (note,) = fig.texts
    assert note.get_text().startswith(f"{len(labels)} of {n} words labelled")


# -- read_loss_history -------------------------------------------------------------------------


def _loss_rows(epochs: int, start: float = 3.0, alpha: float = 0.025) -> list[dict[str, float]]:
    """Made-up per-epoch rows with the fields of LOSS_FIELDS, loss falling from ``start``."""
    return [
        {"epoch": float(e), "words": 1000.0 * e, "alpha": alpha * (1 - e / (epochs + 1)),
         "mean_loss": start - 0.2 * e + 0.01 * e * e, "words_per_sec": 5e5 + e}
        for e in range(1, epochs + 1)
    ]


def _write_loss_csv(path: Path, rows) -> Path:
    from w2vcli.model import loss_csv_text

    path.write_text(loss_csv_text(rows), encoding="utf-8")
    return path


def _save_model_dir(path: Path, rows) -> Path:
    from w2vcli.model import SavedModel, save_model

    words = ["a", "b", "c"]
    w = np.zeros((3, 4), dtype=np.float32)
    save_model(path, SavedModel(words, np.array([3, 2, 1]), w, w, {"epochs_done": len(rows)},
                                rows))
    return path


def test_read_loss_history_from_csv_and_model_dir(tmp_path):
    from w2vcli.model import LOSS_FIELDS

    rows = _loss_rows(4)
    from_csv = read_loss_history(_write_loss_csv(tmp_path / "loss.csv", rows))
    assert from_csv == rows
    assert all(list(row) == list(LOSS_FIELDS) for row in from_csv)
    assert all(isinstance(v, float) for row in from_csv for v in row.values())
    model = _save_model_dir(tmp_path / "run1", rows)
    assert read_loss_history(model) == rows
    assert read_loss_history(str(model) + "/") == rows


def test_read_loss_history_is_lenient_about_layout(tmp_path):
    """Columns in any order, extra columns ignored, optional ones absent, BOM and blank lines."""
    path = tmp_path / "hand.csv"
    path.write_bytes("\ufeffmean_loss,note,epoch\r\n2.5,first,1\r\n\r\n2.25 , ok,2\r\n".encode())
    assert read_loss_history(path) == [
        {"mean_loss": 2.5, "epoch": 1.0},
        {"mean_loss": 2.25, "epoch": 2.0},
    ]
    nan_row = tmp_path / "nan.csv"
    nan_row.write_text("epoch,mean_loss\n1,nan\n")
    (row,) = read_loss_history(nan_row)
    assert np.isnan(row["mean_loss"])


HEADER = "epoch,words,alpha,mean_loss,words_per_sec"
SOURCES = ("a loss CSV (w2v train --loss-log FILE) or a model directory "
           "(w2v train --save-model DIR)")


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "'{p}' is empty; expected the header " + HEADER + " and a row per epoch"),
        (HEADER + "\n", "'{p}' has a header but no rows: no epoch of training is recorded"),
        ("epoch,words,alpha,words_per_sec\n1,10,0.02,100\n",
         "'{p}' has no 'mean_loss' column; expected the header " + HEADER
         + " (as w2v train --loss-log writes)"),
        ("15 16\ncat 0.1 0.2\n",
         "'{p}' has no 'epoch' and 'mean_loss' columns; expected the header " + HEADER
         + " (as w2v train --loss-log writes)"),
        (HEADER + "\n1,10,0.02,2.5,100\n2,10,0.01,abc,100\n",
         "'{p}', line 3: mean_loss is 'abc', not a number"),
        (HEADER + "\n1,10,0.02,2.5\n",
         "'{p}', line 2: expected 5 values (" + HEADER + "), found 4"),
        (HEADER + "\n1.5,10,0.02,2.5,100\n", "'{p}', line 2: epoch is '1.5', not a whole number"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "'{p}' is not a loss CSV (not text); give " + SOURCES),
    ],
    ids=["empty", "header-only", "no-mean_loss", "vectors-file", "bad-number", "short-row",
         "fractional-epoch", "binary"],
)
def test_read_loss_history_errors(tmp_path, content, message):
    path = tmp_path / "loss.csv"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(W2VError) as info:
        read_loss_history(path)
    assert str(info.value) == message.format(p=path)


def test_read_loss_history_missing_paths(tmp_path):
    with pytest.raises(W2VError) as info:
        read_loss_history(tmp_path / "nope.csv")
    missing = tmp_path / "nope.csv"
    assert str(info.value) == f"loss history '{missing}' does not exist; give {SOURCES}"
    with pytest.raises(W2VError) as info:
        read_loss_history(tmp_path)
    assert str(info.value) == f"directory '{tmp_path}' has no loss.csv; give {SOURCES}"
    model = _save_model_dir(tmp_path / "run", _loss_rows(2))
    (model / "loss.csv").unlink()
    with pytest.raises(W2VError) as info:
        read_loss_history(model)
    assert str(info.value) == f"model directory '{model}' has no loss.csv; give {SOURCES}"


# -- plot_loss ---------------------------------------------------------------------------------


def test_plot_loss_writes_a_readable_png(tmp_path):
    import matplotlib.image

    out = tmp_path / "loss.png"
    plot_loss([("run1", _loss_rows(5))], out, dpi=50)
    data = out.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 3000
    image = matplotlib.image.imread(out)
    assert image.shape[:2] == (5 * 50, 8 * 50)  # 8 x 5 inches
    assert image.std() > 0.01
    assert [p.name for p in tmp_path.iterdir()] == ["loss.png"]


def test_plot_loss_overlays_runs(tmp_path, monkeypatch):
    figures = _capture_figure(monkeypatch)
    one, two = _loss_rows(5), _loss_rows(8, start=2.8, alpha=0.05)
    plot_loss([("run1", one), ("run2.csv", list(reversed(two)))], tmp_path / "l.png", dpi=40)
    ax, ax_alpha = figures[0].axes
    assert ax.get_title() == "Training loss of 2 runs"
    assert ax.get_ylabel() == "mean loss per (centre, outside) pair"
    assert ax_alpha.get_xlabel() == "epoch" and "learning rate" in ax_alpha.get_ylabel()
    lines = ax.get_lines()
    assert len(lines) == 2 and len(ax_alpha.get_lines()) == 2
    assert lines[0].get_color() != lines[1].get_color()
    # Rows are drawn in epoch order, whatever order they came in.
    assert list(lines[1].get_xdata()) == [float(e) for e in range(1, 9)]
    assert np.allclose(lines[1].get_ydata(), [r["mean_loss"] for r in two])
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [f"run1 (final {one[-1]['mean_loss']:.4g})",
                      f"run2.csv (final {two[-1]['mean_loss']:.4g})"]
    ticks = [t for t in ax_alpha.get_xticks() if ax_alpha.get_xlim()[0] <= t
             <= ax_alpha.get_xlim()[1]]
    assert ticks and all(float(t).is_integer() for t in ticks)


def test_plot_loss_single_epoch_is_a_point(tmp_path, monkeypatch):
    figures = _capture_figure(monkeypatch)
    plot_loss({"once": _loss_rows(1)}, tmp_path / "l.png", title="One epoch", dpi=40)
    ax = figures[0].axes[0]
    assert ax.get_title() == "One epoch"
    (line,) = ax.get_lines()
    assert line.get_marker() == "o" and line.get_markersize() > 0
    bottom = figures[0].axes[-1]
    x0, x1 = bottom.get_xlim()
    assert [t for t in bottom.get_xticks() if x0 <= t <= x1] == [1.0]


def test_plot_loss_without_alpha_has_one_panel(tmp_path, monkeypatch):
    figures = _capture_figure(monkeypatch)
    rows = [{"epoch": 1.0, "mean_loss": 3.0}, {"epoch": 2.0, "mean_loss": 2.5}]
    plot_loss([("bare", rows)], tmp_path / "l.png", dpi=40)
    (ax,) = figures[0].axes
    assert ax.get_xlabel() == "epoch" and ax.get_title() == "Training loss: bare"


@pytest.mark.parametrize(
    "histories, message",
    [
        ([], "no loss history to plot; give at least one"),
        ([("empty", [])], "loss history 'empty' has no rows"),
        ([("x", [{"epoch": 1.0}])], "loss history 'x' has rows without 'mean_loss'"),
        ([("nan", [{"epoch": 1.0, "mean_loss": float("nan")}])],
         "no finite loss values to plot (every mean_loss is NaN or infinite)"),
    ],
    ids=["none", "no-rows", "no-loss-key", "all-nan"],
)
def test_plot_loss_errors(tmp_path, histories, message):
    with pytest.raises(W2VError) as info:
        plot_loss(histories, tmp_path / "l.png")
    assert str(info.value) == message
    assert list(tmp_path.iterdir()) == []


def test_plot_loss_missing_directory(tmp_path):
    with pytest.raises(W2VError, match="does not exist"):
        plot_loss([("r", _loss_rows(2))], tmp_path / "nope" / "l.png")


# -- w2v plot ----------------------------------------------------------------------------------


@pytest.fixture
def vectors_file(kv, tmp_path) -> Path:
    from w2vcli.io import save_word2vec_format

    path = tmp_path / "vectors.txt"
    save_word2vec_format(kv, path)
    return path


def _w2v(*args):
    return run_cli("plot", *args)


def test_cli_plot_loss_compares_runs(tmp_path):
    model = _save_model_dir(tmp_path / "run1", _loss_rows(3))
    csv_file = _write_loss_csv(tmp_path / "run2.csv", _loss_rows(5, start=2.7))
    out = tmp_path / "cmp.png"
    result = _w2v("--loss", str(model) + "/", "--loss", csv_file, "-o", out)
    assert result.exit_code == 0, result.output
    assert f"{model}: 3 epochs, mean loss " in result.output
    assert f"{csv_file}: 5 epochs, mean loss " in result.output
    assert f"Plotted the loss of 2 runs to {out}" in result.output
    assert out.read_bytes().startswith(PNG_SIGNATURE)


def test_cli_default_output_names(tmp_path, vectors_file, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _write_loss_csv(tmp_path / "run.csv", _loss_rows(1))
    result = _w2v("--loss", "run.csv")
    assert result.exit_code == 0, result.output
    assert "run.csv: 1 epoch, mean loss" in result.output
    assert "Plotted the loss of 1 run to loss.png" in result.output
    assert (tmp_path / "loss.png").read_bytes().startswith(PNG_SIGNATURE)
    result = _w2v("--words", "cat,dog,red", "-v", vectors_file)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "words.png").read_bytes().startswith(PNG_SIGNATURE)


def test_cli_plot_top(tmp_path, vectors_file, monkeypatch):
    import w2vcli.plot

    seen = []
    original = w2vcli.plot.plot_words
    monkeypatch.setattr(w2vcli.plot, "plot_words",
                        lambda kv, words, *a, **k: seen.append(list(words)) or original(
                            kv, words, *a, **k))
    out = tmp_path / "top.png"
    result = _w2v("--top", "5", "-v", vectors_file, "-o", out)
    assert result.exit_code == 0, result.output
    assert seen == [["cat", "dog", "horse", "cow", "red"]]  # the first 5 rows
    assert f"Plotted 5 words to {out}" in result.output
    result = _w2v("--top", "500", "-v", vectors_file, "-o", out)
    assert result.exit_code == 0, result.output
    assert "The vectors hold only 11 words; plotting them all" in result.output
    assert "Plotted 11 words" in result.output


def test_cli_plot_tsne(tmp_path, vectors_file):
    pytest.importorskip("sklearn")
    out = tmp_path / "tsne.png"
    result = _w2v("--top", "8", "--method", "tsne", "-v", vectors_file, "-o", out)
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(PNG_SIGNATURE)


def test_cli_plot_tsne_without_scikit_learn(tmp_path, vectors_file, monkeypatch):
    _no_sklearn(monkeypatch)
    result = _w2v("--words", "cat,dog", "--method", "tsne", "-v", vectors_file,
                  "-o", tmp_path / "t.png")
    assert result.exit_code == 1
    assert result.output == f"Error: {TSNE_MISSING}\n"
    assert not (tmp_path / "t.png").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "say what to plot: --words W1,W2,..., --top N or --loss DIR_OR_CSV"),
        (["--words", "cat,dog", "--loss", "x.csv"],
         "--words and --loss cannot be combined; give one of them"),
        (["--words", "cat,dog", "--top", "5"],
         "--words and --top cannot be combined; give one of them"),
        (["--top", "5", "--loss", "a", "--loss", "b"],
         "--top and --loss cannot be combined; give one of them"),
        (["--loss", "x.csv", "--method", "tsne"], "--method applies to word maps, not to --loss"),
        (["--loss", "x.csv", "-v", "v.txt", "--method", "pca"],
         "--method and -v/--vectors apply to word maps, not to --loss"),
    ],
    ids=["nothing", "words-loss", "words-top", "top-loss", "loss-method", "loss-method-vectors"],
)
def test_cli_plot_usage_errors(args, message):
    result = _w2v(*args)
    assert result.exit_code == 2
    assert "Usage: " in result.output and result.output.rstrip().endswith(f"Error: {message}")


def test_cli_plot_top_needs_two_and_loss_errors_are_one_line(tmp_path):
    result = _w2v("--top", "1")
    assert result.exit_code == 2 and "--top" in result.output
    result = _w2v("--loss", tmp_path / "missing.csv", "-o", tmp_path / "l.png")
    assert result.exit_code == 1
    assert result.output == (
        f"Error: loss history '{tmp_path / 'missing.csv'}' does not exist; give {SOURCES}\n"
    )
    assert not (tmp_path / "l.png").exists()


# -- labels in scripts the default font lacks ----------------------------------------------------

CJK = ["猫", "犬", "東京"]


@pytest.fixture
def no_fallback_fonts(monkeypatch):
    """As on a machine with no font for CJK (whatever this one has installed)."""
    import w2vcli.plot

    monkeypatch.setattr(w2vcli.plot, "_font_candidates", lambda default: iter(()))


def _cjk_kv() -> KeyedVectors:
    rng = np.random.default_rng(1)
    return KeyedVectors([*CJK, "cat", "дом"], rng.normal(size=(5, 4)).astype(np.float32))


def test_undrawable_words_give_one_note_and_no_matplotlib_warnings(
        tmp_path, no_fallback_fonts, capfd, caplog):
    import logging
    import warnings

    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        plotted, _ = plot_words(_cjk_kv(), [*CJK, "cat", "дом"], tmp_path / "w.png", dpi=40,
                                title="猫と犬", note=notes.append)
        plot_words(_cjk_kv(), ["cat", "дом"], tmp_path / "latin.png", dpi=40, note=notes.append)
    assert plotted == [*CJK, "cat", "дом"]
    assert notes == [
        "no installed font has the characters of 猫, 犬, 東京, the title, so they show as "
        "placeholder boxes; install a CJK font such as Noto Sans CJK (Debian/Ubuntu: apt install "
        "fonts-noto-cjk) and plot again"]
    assert [str(w.message) for w in caught] == []
    assert [r.getMessage() for r in caplog.records
            if r.name.startswith("matplotlib") and r.levelno >= logging.WARNING] == []
    assert capfd.readouterr().err == ""
    assert (tmp_path / "w.png").read_bytes().startswith(PNG_SIGNATURE)


@pytest.mark.parametrize("word, font", [("ጤና", "fonts-noto)"), ("\U0001f355", "fonts-symbola)")])
def test_the_font_suggested_fits_the_script(tmp_path, no_fallback_fonts, word, font):
    notes: list[str] = []
    kv = KeyedVectors([word, "cat"], np.eye(2, dtype=np.float32))
    plot_words(kv, [word, "cat"], tmp_path / "w.png", dpi=40, note=notes.append)
    assert len(notes) == 1
    assert notes[0].startswith(f"no installed font has the characters of {word},")
    assert font in notes[0]


def test_without_a_note_callback_undrawable_words_are_one_warning(tmp_path, no_fallback_fonts):
    import warnings

    from w2vcli.plot import MissingGlyphsWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plot_words(_cjk_kv(), CJK, tmp_path / "w.png", dpi=40)
        plot_loss([("実験", [{"epoch": 1, "mean_loss": 2.0}])], tmp_path / "l.png", dpi=40)
    assert [(w.category, str(w.message).split(",")[0]) for w in caught] == [
        (MissingGlyphsWarning, "no installed font has the characters of 猫"),
        (MissingGlyphsWarning, "no installed font has the characters of 実験")]


def test_a_font_that_has_the_glyphs_is_used(tmp_path):
    """ℊ (U+210A) is not in DejaVu Sans but in fonts matplotlib ships (STIX, DejaVu's math font):
    the word is drawn with one of them, with no note and no warning."""
    import warnings

    from matplotlib.font_manager import findfont

    from w2vcli.plot import _charmap, _choose_fonts

    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fonts = _choose_fonts(["ℊx", "cat"])
    assert fonts.missing == frozenset() and len(fonts.families) == 2
    assert 0x210A in _charmap(findfont(fonts.families[1]))

    def draw(families) -> list[str]:
        with matplotlib.rc_context({"font.family": families}), \
                warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig = Figure(figsize=(2, 1), dpi=40)
            fig.text(0.1, 0.5, "ℊx")
            FigureCanvasAgg(fig).draw()
        return [str(w.message) for w in caught]

    assert draw(list(fonts.families[:1])) != []  # the default font alone lacks it ...
    assert draw(list(fonts.families)) == []  # ... the fallback draws it

    before = list(matplotlib.rcParams["font.family"])
    notes: list[str] = []
    kv = KeyedVectors(["ℊx", "cat", "dog"], np.eye(3, dtype=np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning (a missing glyph, a font not found) fails
        plot_words(kv, ["ℊx", "cat", "dog"], tmp_path / "w.png", dpi=40, note=notes.append)
    assert notes == []
    assert matplotlib.rcParams["font.family"] == before  # changed only while drawing


def test_cli_plot_says_once_which_words_cannot_be_drawn(tmp_path, no_fallback_fonts):
    from w2vcli.io import save_word2vec_format

    save_word2vec_format(_cjk_kv(), tmp_path / "v.txt")
    result = _w2v("--words", ",".join([*CJK, "cat"]), "-v", tmp_path / "v.txt",
                  "-o", tmp_path / "w.png")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        "Note: no installed font has the characters of 猫, 犬, 東京, so they show as placeholder "
        "boxes; install a CJK font such as Noto Sans CJK (Debian/Ubuntu: apt install "
        "fonts-noto-cjk) and plot again",
        f"Plotted 4 words to {tmp_path / 'w.png'}"]


def test_a_font_installed_after_matplotlibs_cache_is_found(monkeypatch):
    """matplotlib lists the fonts it found when it built its cache; one installed since (the
    fix the note suggests) is looked for among the system's font files and added."""
    from matplotlib import font_manager

    from w2vcli.plot import _charmap, _choose_fonts

    has_it = [e for e in font_manager.fontManager.ttflist if 0x210A in _charmap(e.fname)]
    assert has_it  # matplotlib ships STIX, which has it
    older = [e for e in font_manager.fontManager.ttflist if e not in has_it]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", older)
    monkeypatch.setattr(font_manager, "findSystemFonts",
                        lambda *args, **kwargs: [e.fname for e in has_it])
    fonts = _choose_fonts(["ℊx"])
    assert fonts.missing == frozenset() and fonts.families[1] in {e.name for e in has_it}
    added = [e for e in font_manager.fontManager.ttflist if e.name == fonts.families[1]]
    assert added and {e.fname for e in added} <= {e.fname for e in has_it}  # for this process
