"""2-D pictures of word vectors: PCA projection and a labelled scatter plot.

``w2v plot --words king,queen,man,woman`` projects the chosen words' vectors onto their top two
principal components and writes a labelled scatter plot (PNG by default).

matplotlib is imported only inside :func:`plot_words`, so importing this module (and running
``w2v similar`` / ``w2v eval``) never pays for it. Rendering uses a private
:class:`matplotlib.figure.Figure` with the Agg canvas; the global backend (``pyplot``, a user's
interactive session, ``MPLBACKEND``) is neither read nor changed.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from w2vcli.errors import W2VError
from w2vcli.io import atomic_output, check_writable

if TYPE_CHECKING:  # pragma: no cover
    from w2vcli.keyedvectors import KeyedVectors

__all__ = ["pca_2d", "plot_words"]

#: Output formats picked from the file-name suffix; anything else is written as PNG.
_SUFFIX_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


def _pca(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Top-2 PCA projection and the fraction of variance each of the two axes explains.

    Returns ``(coords, explained)``: ``coords`` float64 (n, 2), ``explained`` float64 (2,) with
    values in [0, 1] (both 0 when all points coincide). See :func:`pca_2d` for the details.
    """
    x = np.asarray(vectors, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"vectors must be a 2-D (n, d) array, got shape {x.shape}")
    n, d = x.shape
    if n < 2:
        raise ValueError(f"PCA needs at least 2 vectors, got {n}")
    if d < 1:
        raise ValueError("vectors must have at least one dimension")
    if not np.all(np.isfinite(x)):
        raise ValueError("vectors contain NaN or infinite values")

    centred = x - x.mean(axis=0)
    # Thin SVD: centred = u @ diag(s) @ vt, singular values in decreasing order, k = min(n, d).
    u, s, vt = np.linalg.svd(centred, full_matrices=False)
    # Deterministic signs (as scikit-learn's svd_flip): the largest |loading| of each component
    # is positive, so the same vectors always give the same picture, not a mirror image.
    flip = np.sign(vt[np.arange(vt.shape[0]), np.argmax(np.abs(vt), axis=1)])
    flip[flip == 0] = 1.0
    u = u * flip
    k = min(2, s.shape[0])
    coords = np.zeros((n, 2), dtype=np.float64)
    coords[:, :k] = u[:, :k] * s[:k]  # == centred @ vt[:k].T; zero where s is zero, never NaN

    explained = np.zeros(2, dtype=np.float64)
    total = float(np.sum(s * s))
    if total > 0.0:
        explained[:k] = (s[:k] * s[:k]) / total
    return coords, explained


def pca_2d(vectors: np.ndarray) -> np.ndarray:
    """Project vectors onto their top two principal components.

    The rows are mean-centred and the projection is ``centred @ V[:, :2]`` where ``V`` holds the
    right singular vectors of the centred matrix (computed in float64 with a thin SVD). Each
    component's sign is fixed so that its largest-magnitude loading is positive, which makes the
    output deterministic.

    Args:
        vectors: array-like of shape (n, d), n >= 2, any real dtype, finite values.

    Returns:
        float64 array of shape (n, 2): column 0 is the coordinate along PC1, column 1 along PC2,
        in the same units as the input. Both columns have mean 0. Where the centred input has
        rank < 2 (n == 2, d == 1, collinear or identical points) the missing component is all
        zeros, never NaN.

    Raises:
        ValueError: ``vectors`` is not 2-D, has fewer than 2 rows or no columns, or holds NaN or
            infinite values.
    """
    return _pca(vectors)[0]


def _font_size(n_words: int) -> float:
    """Label font size in points: legible for a handful of words, compact for ~25 and more."""
    if n_words <= 12:
        return 10.0
    if n_words <= 30:
        return 9.0
    if n_words <= 60:
        return 8.0
    return 7.0


# Label placements tried in order, as (dx, dy, ha, va) with offsets in points from the marker:
# right, upper right, upper left, lower right, lower left, left, above, below; then the same
# directions further away (with a thin leader line to the marker) for crowded plots.
_NEAR = [
    (5, 0, "left", "center"),
    (4, 4, "left", "bottom"),
    (-4, 4, "right", "bottom"),
    (4, -4, "left", "top"),
    (-4, -4, "right", "top"),
    (-5, 0, "right", "center"),
    (0, 6, "center", "bottom"),
    (0, -6, "center", "top"),
]
_CANDIDATES = _NEAR + [(f * dx, f * dy, ha, va) for f in (2.8, 4.5) for dx, dy, ha, va in _NEAR]
_LEADER = {"arrowstyle": "-", "color": "#9a9a9a", "linewidth": 0.6, "shrinkA": 1.0, "shrinkB": 2.5}


#: At most this many times more pixels per data unit on one axis than on the other. Filling the
#: frame exaggerates the minor component; capping the stretch keeps distances roughly honest
#: when PC2 explains far less than PC1, while still using the space for typical embeddings.
MAX_STRETCH = 4.0


def _limit_stretch(ax, renderer) -> None:
    """Fix the axes limits, widening the shorter data range so that neither axis is stretched
    more than :data:`MAX_STRETCH` times the other (pixels per data unit)."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    box = ax.get_window_extent(renderer)
    x_scale = box.width / max(x1 - x0, 1e-300)  # pixels per unit along PC1
    y_scale = box.height / max(y1 - y0, 1e-300)
    if y_scale > MAX_STRETCH * x_scale:
        half = box.height / (MAX_STRETCH * x_scale) / 2.0
        mid = (y0 + y1) / 2.0
        y0, y1 = mid - half, mid + half
    elif x_scale > MAX_STRETCH * y_scale:
        half = box.width / (MAX_STRETCH * y_scale) / 2.0
        mid = (x0 + x1) / 2.0
        x0, x1 = mid - half, mid + half
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)


def _overlap_area(box: np.ndarray, boxes: np.ndarray) -> float:
    """Total overlap area of ``box`` (x0, y0, x1, y1) with each row of ``boxes`` (m, 4)."""
    if boxes.shape[0] == 0:
        return 0.0
    w = np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0])
    h = np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1])
    return float(np.sum(np.clip(w, 0.0, None) * np.clip(h, 0.0, None)))


def _place_labels(ax, renderer, coords: np.ndarray, words: Sequence[str], fontsize: float) -> None:
    """Annotate each point with its word, greedily picking a spot that overlaps the least.

    For each word in turn, candidate offsets (:data:`_CANDIDATES`) are tried; the first whose
    text box overlaps no earlier label, no other marker and stays inside the axes wins, else the
    one with the least overlap (area in pixels, leaving the axes counted heavily). This is
    O(n^2) box tests, cheap for the tens of words a word plot is for.
    """
    dpi_scale = ax.figure.dpi / 72.0
    pad = 1.5 * dpi_scale
    marker_r = 3.5 * dpi_scale
    points = ax.transData.transform(coords)
    point_boxes = np.hstack([points - marker_r, points + marker_r])  # (n, 4): x0, y0, x1, y1
    axes_box = ax.get_window_extent(renderer)
    placed = np.empty((0, 4), dtype=np.float64)
    style = {"fontsize": fontsize, "color": "#1a1a1a", "zorder": 3, "annotation_clip": False}
    for i, word in enumerate(words):
        xy = (coords[i, 0], coords[i, 1])
        others = np.delete(point_boxes, i, axis=0)
        # One probe measures every candidate (text box only, without the leader line).
        probe = ax.annotate(word, xy=xy, xytext=(0, 0), textcoords="offset points", **style)
        best_cost, best, best_box = np.inf, _CANDIDATES[0], None
        for cand in _CANDIDATES:
            dx, dy, ha, va = cand
            probe.xyann = (dx, dy)
            probe.set_horizontalalignment(ha)
            probe.set_verticalalignment(va)
            ext = probe.get_window_extent(renderer)
            box = np.array([ext.x0 - pad, ext.y0 - pad, ext.x1 + pad, ext.y1 + pad])
            outside = (
                max(0.0, axes_box.x0 - box[0])
                + max(0.0, box[2] - axes_box.x1)
                + max(0.0, axes_box.y0 - box[1])
                + max(0.0, box[3] - axes_box.y1)
            )
            cost = _overlap_area(box, placed) + _overlap_area(box, others) + 1e4 * outside
            if cost < best_cost:
                best_cost, best, best_box = cost, cand, box
            if cost == 0.0:
                break
        probe.remove()
        dx, dy, ha, va = best
        far = abs(dx) + abs(dy) > 10
        ax.annotate(word, xy=xy, xytext=(dx, dy), textcoords="offset points", ha=ha, va=va,
                    arrowprops=_LEADER if far else None, **style)
        placed = np.vstack([placed, best_box])


def _resolve_words(kv: KeyedVectors, words: Sequence[str]) -> tuple[list[str], list[str]]:
    """Split the requested words into those in the vocabulary and those not, in order.

    Blank entries are ignored and duplicates kept once. A word that is not in the vocabulary as
    typed but is in lowercase (``King`` with a lowercased vocabulary) is taken in lowercase.
    """
    known: list[str] = []
    missing: list[str] = []
    seen: set[str] = set()
    for raw in words:
        word = raw.strip()
        if not word:
            continue
        if word not in kv and word.lower() in kv:
            word = word.lower()
        if word in seen:
            continue
        seen.add(word)
        (known if word in kv else missing).append(word)
    return known, missing


def _short_list(words: Sequence[str], limit: int = 10) -> str:
    shown = ", ".join(words[:limit])
    return shown + (f" and {len(words) - limit} more" if len(words) > limit else "")


def plot_words(
    kv: KeyedVectors,
    words: Sequence[str],
    path: str | os.PathLike,
    title: str | None = None,
    dpi: int = 150,
) -> tuple[list[str], list[str]]:
    """Write a labelled 2-D PCA scatter plot of some words' vectors.

    The vectors of the known words are projected with :func:`pca_2d` (fitted on those words
    only); each point is labelled with its word, placed to avoid overlapping other labels and
    points where it can, and the axes are labelled ``PC1``/``PC2`` with the percentage of the
    plotted words' variance each explains. The file is written atomically: it appears complete
    or not at all, and an existing file is only replaced on success.

    Args:
        kv: the word vectors (anything with ``__contains__``, ``key_to_index`` and ``vectors``
            of shape (V, d), like :class:`w2vcli.keyedvectors.KeyedVectors`).
        words: the words to plot, in the order to label them. Blank entries and repeats are
            ignored; a word missing as typed but present in lowercase is plotted in lowercase.
        path: output file. ``.svg`` and ``.pdf`` suffixes give those formats; any other suffix
            (or none) gives PNG. The directory must exist.
        title: figure title; default ``"<n> words (PCA of <d>-d vectors)"``.
        dpi: resolution in dots per inch; the figure is 8 x 6.5 inches (1200 x 975 pixels at the
            default 150 dpi).

    Returns:
        ``(plotted, missing)``: the words drawn, and the requested words not in the vocabulary
        (skipped, not an error as long as at least two words are known).

    Raises:
        W2VError: fewer than two of the words are in the vocabulary, their vectors are not
            finite, or ``path`` cannot be written (a directory, or its directory is missing or
            not writable). Nothing is written then, and an existing file is left as it was.
    """
    plotted, missing = _resolve_words(kv, words)
    if len(plotted) < 2:
        found = f"found {len(plotted)} ({_short_list(plotted)})" if plotted else "found none"
        not_found = f"; not in the vocabulary: {_short_list(missing)}" if missing else ""
        raise W2VError(
            f"need at least 2 words that are in the vocabulary to plot, {found}{not_found}"
        )
    index = np.array([kv.key_to_index[w] for w in plotted], dtype=np.int64)
    vectors = np.asarray(kv.vectors)[index]
    if not np.all(np.isfinite(vectors)):
        bad = [w for w, row in zip(plotted, vectors) if not np.all(np.isfinite(row))]
        raise W2VError(f"vectors of {_short_list(bad)} contain NaN or infinity; retrain the model")

    out = os.fspath(path)
    check_writable(out)  # fail before rendering, with io's message naming the fix
    fmt = _SUFFIX_FORMATS.get(os.path.splitext(out)[1].lower(), "png")

    coords, explained = _pca(vectors)
    if title is None:
        title = f"{len(plotted)} words (PCA of {vectors.shape[1]}-d vectors)"

    # Imported here, not at module level: `w2v similar` / `w2v eval` must not pay for matplotlib.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8.0, 6.5), dpi=dpi)
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.scatter(coords[:, 0], coords[:, 1], s=22, color="#1f77b4", edgecolors="white",
               linewidths=0.5, zorder=2)
    ax.set_xlabel(f"PC1 ({100.0 * explained[0]:.1f}% of variance)")
    ax.set_ylabel(f"PC2 ({100.0 * explained[1]:.1f}% of variance)")
    ax.set_title(title)
    ax.grid(True, color="#e5e5e5", linewidth=0.8, zorder=0)
    ax.set_axisbelow(True)
    ax.margins(x=0.14, y=0.10)  # room for labels at the edges
    fig.tight_layout()
    # Freeze the limits and layout before measuring label boxes in pixels.
    renderer = canvas.get_renderer()
    _limit_stretch(ax, renderer)
    _place_labels(ax, renderer, coords, plotted, _font_size(len(plotted)))

    with atomic_output(out, "wb") as handle:
        fig.savefig(handle, format=fmt, dpi=dpi)
    return plotted, missing
