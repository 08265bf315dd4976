"""Pictures of a model: 2-D word maps (PCA or t-SNE) and training-loss curves.

- ``w2v plot --words king,queen,man,woman`` (or ``--top 200``) projects word vectors to 2-D and
  writes a labelled scatter plot: :func:`plot_words`, with :func:`pca_2d` or :func:`tsne_2d`.
- ``w2v plot --loss run1/ --loss run2.csv`` draws the mean loss per epoch of one or more training
  runs: :func:`read_loss_history` and :func:`plot_loss`.

matplotlib is imported only inside the plotting functions (and scikit-learn, an optional extra,
only inside :func:`tsne_2d`), so importing this module (and running ``w2v similar`` /
``w2v eval``) never pays for them. Rendering uses a private :class:`matplotlib.figure.Figure`
with the Agg canvas; the global backend (``pyplot``, a user's interactive session,
``MPLBACKEND``) is neither read nor changed. Every picture is written atomically
(:func:`w2vcli.atomic.atomic_output`): the file appears complete or not at all.

Text in scripts that matplotlib's default font (DejaVu Sans) lacks, such as Chinese, Japanese
or Korean words, is drawn with an installed font that has it, found among the fonts matplotlib
knows and the system's font files (:func:`_choose_fonts`), through a fallback list of font
families set only while drawing. What no installed font has is drawn as placeholder boxes and
said in one line (a ``note`` callback, else one :class:`MissingGlyphsWarning`), instead of
matplotlib's multi-line warning per character.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import math
import os
import unicodedata
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from w2vcli.errors import W2VError
from w2vcli.atomic import atomic_output, check_writable

if TYPE_CHECKING:  # pragma: no cover
    from w2vcli.keyedvectors import KeyedVectors

__all__ = [
    "LABEL_ALL_MAX",
    "LOSS_REQUIRED",
    "METHODS",
    "MissingGlyphsWarning",
    "TSNE_MISSING",
    "pca_2d",
    "plot_loss",
    "plot_words",
    "read_loss_history",
    "require_tsne",
    "tsne_2d",
]

#: Output formats picked from the file-name suffix; anything else is written as PNG.
_SUFFIX_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}

#: Projections :func:`plot_words` knows.
METHODS = ("pca", "tsne")

#: The error message when t-SNE is asked for and scikit-learn is not installed.
TSNE_MISSING = "t-SNE needs scikit-learn: pip install 'w2vcli[tsne]' (or use --method pca)"


def _format_for(path: str) -> str:
    return _SUFFIX_FORMATS.get(os.path.splitext(path)[1].lower(), "png")


def _new_figure(width: float, height: float, dpi: int):
    """A private Agg-backed Figure (matplotlib imported here, never pyplot) and its canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=dpi)
    return fig, FigureCanvasAgg(fig)


def _points(vectors: np.ndarray, method: str) -> np.ndarray:
    """``vectors`` as float64 ``(n, d)``, checked for a 2-D projection by ``method``.

    Raises:
        ValueError: not 2-D, fewer than 2 rows, no columns, or NaN/infinite values.
    """
    x = np.asarray(vectors, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"vectors must be a 2-D (n, d) array, got shape {x.shape}")
    if x.shape[0] < 2:
        raise ValueError(f"{method} needs at least 2 vectors, got {x.shape[0]}")
    if x.shape[1] < 1:
        raise ValueError("vectors must have at least one dimension")
    if not np.all(np.isfinite(x)):
        raise ValueError("vectors contain NaN or infinite values")
    return x


def _pca(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Top-2 PCA projection and the fraction of variance each of the two axes explains.

    Returns ``(coords, explained)``: ``coords`` float64 (n, 2), ``explained`` float64 (2,) with
    values in [0, 1] (both 0 when all points coincide). See :func:`pca_2d` for the details.
    """
    x = _points(vectors, "PCA")
    n, d = x.shape

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


# -- t-SNE -------------------------------------------------------------------------------------


def require_tsne() -> None:
    """Fail early, with a one-line fix, where t-SNE cannot run (scikit-learn is missing).

    Raises:
        W2VError: ``sklearn.manifold`` cannot be imported; the message is :data:`TSNE_MISSING`.
    """
    try:
        import sklearn.manifold  # noqa: F401
    except ImportError:
        raise W2VError(TSNE_MISSING) from None


#: Up to this many points t-SNE runs on one thread: OpenMP start-up and spinning cost more than
#: they save on a few hundred points, and on a busy machine they can make it 100x slower.
_TSNE_ONE_THREAD_MAX = 1000


def tsne_2d(vectors: np.ndarray, perplexity: float | None = None, seed: int = 0) -> np.ndarray:
    """Embed vectors in the plane with t-SNE, so that each point's near neighbours stay near.

    t-distributed stochastic neighbour embedding (L. van der Maaten and G. Hinton, "Visualizing
    Data using t-SNE", JMLR 9:2579-2605, 2008) matches, point by point, a Gaussian neighbourhood
    distribution in the original space to a Student-t one in the plane. Unlike PCA, only local
    neighbourhoods are meaningful: the axes, the distances between clusters and the sizes of
    clusters are not. Rows are scaled to unit length first, so neighbourhoods are those of
    cosine similarity (what ``w2v similar`` ranks by); the embedding is
    ``sklearn.manifold.TSNE(perplexity=..., init="pca", learning_rate="auto",
    random_state=seed)`` (random initialisation when the data have fewer than 2 dimensions).
    scikit-learn is an optional extra (``pip install 'w2vcli[tsne]'``), imported only here.
    Up to 1,000 points run on one thread (faster there, and reproducible).

    Args:
        vectors: array-like of shape (n, d), n >= 2, any real dtype, finite values.
        perplexity: the effective number of neighbours each point attends to, in (0, n);
            default ``min(30, (n - 1) / 3)``, scikit-learn's 30 where there are enough points
            and small enough for a handful of words.
        seed: random state; the same vectors and seed give the same picture.

    Returns:
        float64 array of shape (n, 2), in arbitrary units (only relative positions matter).

    Raises:
        W2VError: scikit-learn is not installed (message :data:`TSNE_MISSING`).
        ValueError: ``vectors`` is not 2-D, has fewer than 2 rows or no columns, holds NaN or
            infinite values, or ``perplexity`` is not in (0, n).
    """
    x = _points(vectors, "t-SNE")
    n, d = x.shape
    if perplexity is None:
        perplexity = min(30.0, (n - 1) / 3.0)
    if not 0.0 < perplexity < n:
        raise ValueError(f"perplexity must be in (0, {n}) for {n} vectors, got {perplexity}")
    require_tsne()
    from sklearn.manifold import TSNE

    norms = np.linalg.norm(x, axis=1, keepdims=True)
    x = np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)
    tsne = TSNE(
        n_components=2,
        perplexity=float(perplexity),
        init="pca" if min(n, d) >= 2 else "random",
        learning_rate="auto",
        random_state=seed,
    )
    if n <= _TSNE_ONE_THREAD_MAX:
        try:
            from threadpoolctl import threadpool_limits  # a dependency of scikit-learn
        except ImportError:  # pragma: no cover
            return np.asarray(tsne.fit_transform(x), dtype=np.float64)
        with threadpool_limits(limits=1):
            return np.asarray(tsne.fit_transform(x), dtype=np.float64)
    return np.asarray(tsne.fit_transform(x), dtype=np.float64)


# -- fonts: labels in scripts the default font lacks ------------------------------------------

#: Families with wide coverage (CJK above all) that are tried first for the characters the
#: default font (DejaVu Sans) lacks; every other installed font is tried after them.
_FALLBACK_FAMILIES = (
    "Noto Sans CJK JP", "Noto Sans CJK SC", "Noto Sans CJK TC", "Noto Sans CJK KR",
    "Noto Sans CJK HK", "Source Han Sans", "Source Han Sans SC", "Droid Sans Fallback",
    "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "AR PL UMing CN", "AR PL UKai CN", "IPAGothic",
    "IPAexGothic", "TakaoGothic", "VL Gothic", "NanumGothic", "UnDotum", "Noto Sans",
    "Noto Serif", "FreeSans", "FreeSerif", "Unifont", "Arial Unicode MS", "Microsoft YaHei",
    "SimHei", "SimSun", "MS Gothic", "Yu Gothic", "Malgun Gothic", "Nirmala UI",
    "Segoe UI Symbol", "Hiragino Sans", "Hiragino Sans GB", "PingFang SC", "Apple SD Gothic Neo",
    "Arial Unicode",
)

# Ideographs, kana, Hangul and their punctuation: where to point a user for a font (CJK).
_CJK_RANGES = ((0x1100, 0x11FF), (0x2E80, 0x9FFF), (0xA960, 0xA97F), (0xAC00, 0xD7FF),
               (0xF900, 0xFAFF), (0xFE30, 0xFE4F), (0xFF00, 0xFFEF), (0x20000, 0x3FFFF))
# Characters drawn as nothing, which need no glyph: variation selectors (the rest of what
# needs none is found by category: controls, format characters, separators).
_NO_GLYPH_RANGES = ((0xFE00, 0xFE0F), (0xE0100, 0xE01EF))
# matplotlib's warning for each character a font lacks (several lines on stderr each).
_GLYPH_WARNING = r"Glyph \d+ .* missing from font"


def _needs_glyph(char: str) -> bool:
    code = ord(char)
    if any(a <= code <= b for a, b in _NO_GLYPH_RANGES):
        return False
    return unicodedata.category(char) not in ("Cc", "Cf", "Zs", "Zl", "Zp")


@functools.lru_cache(maxsize=None)
def _charmap(path: str) -> frozenset[int]:
    """The code points a font file has glyphs for (empty if it cannot be read)."""
    from matplotlib.ft2font import FT2Font

    try:
        return frozenset(FT2Font(path).get_charmap())
    except Exception:  # noqa: BLE001 - a broken or exotic font file is simply not used
        return frozenset()


def _family_name(path: str) -> str | None:
    from matplotlib.ft2font import FT2Font

    try:
        return FT2Font(path).family_name
    except Exception:  # noqa: BLE001
        return None


def _is_placeholder(family: str) -> bool:
    """Whether a font draws a placeholder box for every character (Unicode's Last Resort font,
    which matplotlib ships and falls back to): no use as a fallback for real glyphs."""
    return family.lower().startswith("last resort")


def _font_candidates(default: str):
    """``(family, file)`` of installed fonts other than ``default`` to take missing glyphs from,
    best first: the families of :data:`_FALLBACK_FAMILIES`, then every other font matplotlib
    knows (regular faces first), then font files on the system that its font cache does not
    list yet (a font installed after matplotlib built its cache)."""
    from matplotlib import font_manager

    known = font_manager.fontManager.ttflist
    rank = {name.lower(): i for i, name in enumerate(_FALLBACK_FAMILIES)}

    def weight(entry) -> int:
        return entry.weight if isinstance(entry.weight, int) else 400

    seen = {default}
    usable = (entry for entry in known if not _is_placeholder(entry.name))
    for entry in sorted(usable, key=lambda e: (rank.get(e.name.lower(), len(rank)),
                                               e.style != "normal", abs(weight(e) - 400),
                                               e.name, e.fname)):
        if entry.name not in seen:
            seen.add(entry.name)
            yield entry.name, entry.fname
    listed = {entry.fname for entry in known}
    for path in sorted(font_manager.findSystemFonts()):
        if path not in listed:
            name = _family_name(path)
            if name and name not in seen and not _is_placeholder(name):
                seen.add(name)
                yield name, path


@dataclass(frozen=True)
class _Fonts:
    """The font families to draw some text with, and the characters none of them has."""

    families: tuple[str, ...]
    missing: frozenset[int]

    def undrawable(self, texts: Sequence[str]) -> list[str]:
        """Those of ``texts`` with a character no installed font has."""
        return [t for t in texts if any(ord(c) in self.missing for c in t)]


def _choose_fonts(texts: Sequence[str]) -> _Fonts:
    """The default font, then the fewest installed fonts (best first, see
    :func:`_font_candidates`) that have the characters of ``texts`` it lacks.

    matplotlib (3.6 and later) takes each glyph from the first family of ``font.family`` that
    has it, so the default font draws what it can and the fallbacks the rest. Fonts are opened
    only when the default one lacks a character.
    """
    from matplotlib import font_manager

    default_path = font_manager.findfont(font_manager.FontProperties())
    default = _family_name(default_path) or "DejaVu Sans"
    needed = {ord(c) for text in texts for c in text if _needs_glyph(c)}
    missing = needed - _charmap(default_path)
    families = [default]
    if missing:
        listed = {entry.fname for entry in font_manager.fontManager.ttflist}
        for name, path in _font_candidates(default):
            found = missing & _charmap(path)
            if not found:
                continue
            if path not in listed:
                font_manager.fontManager.addfont(path)  # so that the family can be found
            families.append(name)
            missing -= found
            if not missing:
                break
    return _Fonts(tuple(families), frozenset(missing))


@contextlib.contextmanager
def _fonts_for(texts: Sequence[str]):
    """Draw inside the block with fonts that have the characters of ``texts`` (see
    :func:`_choose_fonts`), without matplotlib's warning per missing character; yields the
    :class:`_Fonts` chosen, whose ``missing`` characters the caller reports in one line
    (:func:`_report_undrawable`). rcParams are changed only inside the block."""
    import matplotlib

    fonts = _choose_fonts(texts)
    with matplotlib.rc_context({"font.family": list(fonts.families)}), \
            warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_GLYPH_WARNING, category=UserWarning)
        yield fonts


class MissingGlyphsWarning(UserWarning):
    """Some words of a plot have characters that no installed font has (drawn as boxes)."""


def _report_undrawable(fonts: _Fonts, texts: Sequence[str], title: str,
                       note: Callable[[str], None] | None) -> None:
    """Say in one line which of ``texts`` (and whether ``title``) show as boxes, and which font
    to install: through ``note``, or as one :class:`MissingGlyphsWarning` where no ``note`` is
    given."""
    bad = fonts.undrawable(texts) + (["the title"] if fonts.undrawable([title]) else [])
    if not bad:
        return
    if any(a <= code <= b for code in fonts.missing for a, b in _CJK_RANGES):
        font = "a CJK font such as Noto Sans CJK (Debian/Ubuntu: apt install fonts-noto-cjk)"
    elif all(unicodedata.category(chr(code)) == "So" for code in fonts.missing):
        font = ("a font with these symbols such as Symbola (Debian/Ubuntu: apt install "
                "fonts-symbola)")
    else:
        font = "a font for that script, e.g. from Noto (Debian/Ubuntu: apt install fonts-noto)"
    message = (f"no installed font has the characters of {_short_list(bad)}, so they show as "
               f"placeholder boxes; install {font} and plot again")
    if note is None:
        warnings.warn(message, MissingGlyphsWarning, stacklevel=3)
    else:
        note(message)


# -- the word map -----------------------------------------------------------------------------


def _equal_scales(ax) -> None:
    """Give both axes the same data units per pixel (a distance on the map means the same in
    every direction), widening the shorter data range around its centre, then fix the limits so
    that the labels, measured in pixels next, stay where they are put."""
    ax.set_aspect("equal", adjustable="datalim")
    ax.apply_aspect()
    ax.set_xlim(*ax.get_xlim())
    ax.set_ylim(*ax.get_ylim())


#: Up to this many words every word gets a label (moved away, with a leader line, where the
#: space near its point is taken). A bigger map (``--top 200``) is drawn larger with smaller
#: type, and a label is drawn only where it fits next to its point without overlapping: the
#: words are served in the order given (most frequent first for ``--top``), and the points
#: left unlabelled are drawn pale.
LABEL_ALL_MAX = 60


def _font_size(n_words: int) -> float:
    """Label font size in points: legible for a handful of words, compact for ~25 and more."""
    if n_words <= 12:
        return 10.0
    if n_words <= 30:
        return 9.0
    if n_words <= 60:
        return 8.0
    if n_words <= 120:
        return 7.0
    return 6.5


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
# Where the anchor sits in the text box, as a fraction of its width / height from the left /
# bottom (how matplotlib aligns unrotated text).
_HFRAC = {"left": 0.0, "center": 0.5, "right": 1.0}
_VFRAC = {"bottom": 0.0, "center": 0.5, "top": 1.0}


def _overlap_matrix(boxes: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Overlap areas (c, m) of each row of ``boxes`` (c, 4) with each row of ``others`` (m, 4);
    boxes are (x0, y0, x1, y1) in pixels."""
    w = np.minimum(boxes[:, None, 2], others[None, :, 2]) - np.maximum(boxes[:, None, 0],
                                                                       others[None, :, 0])
    h = np.minimum(boxes[:, None, 3], others[None, :, 3]) - np.maximum(boxes[:, None, 1],
                                                                       others[None, :, 1])
    return np.clip(w, 0.0, None) * np.clip(h, 0.0, None)


def _place_labels(
    ax,
    renderer,
    coords: np.ndarray,
    words: Sequence[str],
    fontsize: float,
    marker_radius: float = 3.5,
    only_where_room: bool = False,
) -> np.ndarray:
    """Annotate each point with its word, greedily picking a spot that overlaps the least.

    For each word in turn, candidate offsets (:data:`_CANDIDATES`) are scored: the overlap area
    (pixels) of the padded text box with the labels already placed and with the other markers,
    plus a heavy penalty for leaving the axes. The first candidate that overlaps nothing wins,
    else the cheapest. The text is measured once per word and the candidate boxes are computed
    from that (exact for unrotated text), so this is O(n^2) box arithmetic, in NumPy.

    Args:
        coords: (n, 2) data coordinates of the points, limits already fixed.
        marker_radius: points; the box each marker occupies.
        only_where_room: try only the spots next to the point (no leader lines) and leave a word
            unlabelled where every spot overlaps something.

    Returns:
        bool array (n,): which words got a label.
    """
    dpi_scale = ax.figure.dpi / 72.0  # pixels per point
    pad = 1.5 * dpi_scale
    marker_r = marker_radius * dpi_scale
    points = ax.transData.transform(coords)
    point_boxes = np.hstack([points - marker_r, points + marker_r])  # (n, 4): x0, y0, x1, y1
    frame = ax.get_window_extent(renderer)
    candidates = _NEAR if only_where_room else _CANDIDATES
    offsets = np.array([(dx, dy) for dx, dy, _, _ in candidates], dtype=np.float64) * dpi_scale
    hfrac = np.array([_HFRAC[c[2]] for c in candidates])
    vfrac = np.array([_VFRAC[c[3]] for c in candidates])
    style = {"fontsize": fontsize, "color": "#1a1a1a", "zorder": 3, "annotation_clip": False}
    probe = ax.text(0.0, 0.0, "", fontsize=fontsize)  # measures each word's text box
    placed = np.empty((len(words), 4), dtype=np.float64)
    labelled = np.zeros(len(words), dtype=bool)
    count = 0  # labels placed so far: placed[:count]
    for i, word in enumerate(words):
        probe.set_text(word)
        ext = probe.get_window_extent(renderer)
        x0 = points[i, 0] + offsets[:, 0] - hfrac * ext.width - pad
        y0 = points[i, 1] + offsets[:, 1] - vfrac * ext.height - pad
        boxes = np.column_stack([x0, y0, x0 + ext.width + 2 * pad, y0 + ext.height + 2 * pad])
        outside = (
            np.clip(frame.x0 - boxes[:, 0], 0.0, None)
            + np.clip(boxes[:, 2] - frame.x1, 0.0, None)
            + np.clip(frame.y0 - boxes[:, 1], 0.0, None)
            + np.clip(boxes[:, 3] - frame.y1, 0.0, None)
        )
        on_markers = _overlap_matrix(boxes, point_boxes)
        on_markers[:, i] = 0.0  # its own marker
        cost = on_markers.sum(axis=1) + 1e4 * outside
        cost += _overlap_matrix(boxes, placed[:count]).sum(axis=1)
        best = int(np.argmin(cost))  # the first of the cheapest: the first free spot if any
        if only_where_room and cost[best] > 0.0:
            continue
        dx, dy, ha, va = candidates[best]
        far = abs(dx) + abs(dy) > 10
        ax.annotate(word, xy=(coords[i, 0], coords[i, 1]), xytext=(dx, dy),
                    textcoords="offset points", ha=ha, va=va,
                    arrowprops=_LEADER if far else None, **style)
        placed[count] = boxes[best]
        count += 1
        labelled[i] = True
    probe.remove()
    return labelled


def _resolve_words(kv: KeyedVectors, words: Sequence[str]) -> tuple[list[str], list[str]]:
    """Split the requested words into those in the vocabulary and those not, in order.

    Blank entries are ignored and duplicates kept once. Words are matched as every query
    command matches them (:meth:`KeyedVectors.lookup`): as typed, else in their only other case
    (``King`` -> ``king`` with a lowercased vocabulary), else, for subword vectors, as typed
    with a vector composed from its character n-grams.
    """
    found = kv.lookup([w.strip() for w in words if w.strip()], suggest=False)
    return list(found.found), list(found.unknown)


def _short_list(words: Sequence[str], limit: int = 10) -> str:
    shown = ", ".join(words[:limit])
    return shown + (f" and {len(words) - limit} more" if len(words) > limit else "")


_WORD_COLOUR = "#1f77b4"
_PALE_COLOUR = "#b8d2ea"  # points whose label did not fit


def plot_words(
    kv: KeyedVectors,
    words: Sequence[str],
    path: str | os.PathLike,
    title: str | None = None,
    dpi: int = 150,
    method: str = "pca",
    note: Callable[[str], None] | None = None,
) -> tuple[list[str], list[str]]:
    """Write a labelled 2-D map (PCA or t-SNE) of some words' vectors.

    The vectors of the known words are projected with :func:`pca_2d` (axes ``PC1``/``PC2``
    with the percentage of the plotted words' variance each explains) or :func:`tsne_2d` (axes
    ``t-SNE 1 (no units)``/``t-SNE 2 (no units)``: they have no units or meaning of their own),
    fitted on those words only. Both axes have the same scale (a unit is as long across as up),
    so that distances on the map are not stretched in one direction: a map whose second
    component explains little is a flat band, as it should be. Each point is labelled with its
    word, placed to avoid overlapping other labels and points. Words in scripts the default font
    lacks (Chinese, Japanese, Korean, ...) are drawn with an installed font that has them; what
    no installed font has is said once, through ``note``, instead of matplotlib's warning per
    character. Up to :data:`LABEL_ALL_MAX` words every word is labelled; a bigger map (such as the
    200 most frequent words) is drawn larger with smaller type, a word is labelled only where its
    label fits without overlapping, in the order given, the unlabelled points are pale and a
    note in the corner says how many are labelled. The file is written atomically: it appears
    complete or not at all, and an existing file is only replaced on success.

    Args:
        kv: the word vectors, a :class:`w2vcli.keyedvectors.KeyedVectors`.
        words: the words to plot, in the order to label them (put the most important first).
            Blank entries and repeats are ignored; a word missing as typed but present in
            one other case is plotted in that case.
        path: output file. ``.svg`` and ``.pdf`` suffixes give those formats; any other suffix
            (or none) gives PNG. The directory must exist.
        title: figure title; default ``"<n> words (PCA of <d>-d vectors)"`` (or ``t-SNE``).
        dpi: resolution in dots per inch; the figure is 8 x 6.5 inches (1200 x 975 pixels at the
            default 150 dpi), 11 x 9 inches above :data:`LABEL_ALL_MAX` words.
        method: ``"pca"`` or ``"tsne"`` (needs scikit-learn, the ``tsne`` extra).
        note: called with one line (naming the words, and a font to install) when some labels
            have characters that no installed font has; without it, that line is issued as a
            :class:`MissingGlyphsWarning`.

    Returns:
        ``(plotted, missing)``: the words drawn, and the requested words not in the vocabulary
        (skipped, not an error as long as at least two words are known).

    Raises:
        W2VError: fewer than two of the words are in the vocabulary, their vectors are not
            finite, ``path`` cannot be written (a directory, or its directory is missing or
            not writable), or ``method`` is ``"tsne"`` and scikit-learn is not installed.
            Nothing is written then, and an existing file is left as it was.
        ValueError: ``method`` is neither ``"pca"`` nor ``"tsne"``.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if method == "tsne":
        require_tsne()
    plotted, missing = _resolve_words(kv, words)
    if len(plotted) < 2:
        found = f"found {len(plotted)} ({_short_list(plotted)})" if plotted else "found none"
        not_found = f"; not in the vocabulary: {_short_list(missing)}" if missing else ""
        raise W2VError(
            f"need at least 2 words that are in the vocabulary to plot, {found}{not_found}"
        )
    # kv[w]: a vocabulary row, or for subword vectors a word composed from its n-grams.
    vectors = np.stack([np.asarray(kv[w], dtype=np.float32) for w in plotted])
    if not np.all(np.isfinite(vectors)):
        bad = [w for w, row in zip(plotted, vectors) if not np.all(np.isfinite(row))]
        raise W2VError(f"vectors of {_short_list(bad)} contain NaN or infinity; retrain the model")

    out = os.fspath(path)
    check_writable(out)  # fail before rendering, with atomic's message naming the fix

    n = len(plotted)
    if method == "tsne":
        coords = tsne_2d(vectors)
        xlabel, ylabel, name = "t-SNE 1 (no units)", "t-SNE 2 (no units)", "t-SNE"
    else:
        coords, explained = _pca(vectors)
        xlabel = f"PC1 ({100.0 * explained[0]:.1f}% of variance)"
        ylabel = f"PC2 ({100.0 * explained[1]:.1f}% of variance)"
        name = "PCA"
    if title is None:
        title = f"{n} words ({name} of {vectors.shape[1]}-d vectors)"

    crowded = n > LABEL_ALL_MAX
    with _fonts_for([*plotted, title]) as fonts:
        fig, canvas = _new_figure(11.0, 9.0, dpi) if crowded else _new_figure(8.0, 6.5, dpi)
        ax = fig.add_subplot()
        marker_area = 12.0 if crowded else 22.0  # points^2
        points = ax.scatter(coords[:, 0], coords[:, 1], s=marker_area, color=_WORD_COLOUR,
                            edgecolors="white", linewidths=0.5, zorder=2)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.grid(True, color="#e5e5e5", linewidth=0.8, zorder=0)
        ax.set_axisbelow(True)
        ax.margins(x=0.14, y=0.10)  # room for labels at the edges
        fig.tight_layout()
        # Freeze the limits and layout before measuring label boxes in pixels.
        renderer = canvas.get_renderer()
        _equal_scales(ax)
        labelled = _place_labels(ax, renderer, coords, plotted, _font_size(n),
                                 marker_radius=2.5 if crowded else 3.5,
                                 only_where_room=crowded)
        if not labelled.all():
            points.set_facecolors([_WORD_COLOUR if done else _PALE_COLOUR for done in labelled])
            fig.text(0.995, 0.005, f"{int(labelled.sum())} of {n} words labelled, in the order "
                     "given; pale points had no room for a label", ha="right", va="bottom",
                     fontsize=7, color="#666666")

        with atomic_output(out, "wb") as handle:
            fig.savefig(handle, format=_format_for(out), dpi=dpi)
    _report_undrawable(fonts, [w for w, done in zip(plotted, labelled) if done], title, note)
    return plotted, missing


# -- training loss -----------------------------------------------------------------------------

#: Columns a loss history must have; the others of :data:`w2vcli.model.LOSS_FIELDS` (words,
#: alpha, words_per_sec) are read where present.
LOSS_REQUIRED = ("epoch", "mean_loss")

_LOSS_SOURCES = (
    "a loss CSV (w2v train --loss-log FILE) or a model directory (w2v train --save-model DIR)"
)

#: One run's loss history: rows as :func:`read_loss_history` returns them.
LossRows = Sequence[Mapping[str, float]]


def read_loss_history(path: str | os.PathLike) -> list[dict[str, float]]:
    """Read the per-epoch training loss from a loss CSV or a saved model directory.

    ``path`` is either a CSV written by ``w2v train --loss-log FILE`` or a model directory
    written by ``w2v train --save-model DIR`` (its ``DIR/loss.csv`` is read; the weights are
    not). The CSV has a header row naming the columns of :data:`w2vcli.model.LOSS_FIELDS`, in
    any order, and one row per epoch:

    - ``epoch``: the epoch number, from 1 (required, a whole number);
    - ``mean_loss``: mean loss per (centre, outside) pair over the epoch, in nats (required;
      ``nan`` where the epoch had no pairs);
    - ``words``: words trained in the epoch; ``alpha``: the learning rate at the end of the
      epoch; ``words_per_sec``: training speed (each read where present).

    Other columns are ignored; blank lines are skipped; a UTF-8 byte-order mark is allowed.

    Returns:
        the rows in file order, one dict per epoch mapping each known column present to a float
        (as :attr:`w2vcli.model.SavedModel.loss`).

    Raises:
        W2VError: with a one-line message naming the file, where it does not exist (or a
            directory holds no ``loss.csv``), cannot be read or is not text, is empty, lacks a
            required column (named), has a row with the wrong number of values or a value that
            is not a number (line named), or has a header but no rows.
    """
    from w2vcli.model import LOSS_FIELDS, is_model_dir

    given = Path(path)
    if given.is_dir():
        source = given / "loss.csv"
        if not source.is_file():
            what = "model directory" if is_model_dir(given) else "directory"
            raise W2VError(f"{what} '{given}' has no loss.csv; give {_LOSS_SOURCES}")
    elif not given.exists():
        raise W2VError(f"loss history '{given}' does not exist; give {_LOSS_SOURCES}")
    else:
        source = given
    expected_header = ",".join(LOSS_FIELDS)
    try:
        with open(source, encoding="utf-8-sig", newline="") as handle:
            lines = list(csv.reader(handle))
    except OSError as exc:
        raise W2VError(f"cannot read '{source}': {exc.strerror or exc}") from None
    except (UnicodeDecodeError, csv.Error):
        raise W2VError(
            f"'{source}' is not a loss CSV (not text); give {_LOSS_SOURCES}"
        ) from None
    if not lines:
        raise W2VError(f"'{source}' is empty; expected the header {expected_header} and a row "
                       "per epoch")
    header = [name.strip() for name in lines[0]]
    absent = [name for name in LOSS_REQUIRED if name not in header]
    if absent:
        columns = " and ".join(f"'{name}'" for name in absent)
        raise W2VError(
            f"'{source}' has no {columns} column{'s' if len(absent) > 1 else ''}; expected the "
            f"header {expected_header} (as w2v train --loss-log writes)"
        )
    known = [(j, name) for j, name in enumerate(header) if name in LOSS_FIELDS]
    rows: list[dict[str, float]] = []
    for line_number, values in enumerate(lines[1:], start=2):
        if not values or all(not v.strip() for v in values):
            continue
        if len(values) != len(header):
            raise W2VError(
                f"'{source}', line {line_number}: expected {len(header)} values "
                f"({','.join(header)}), found {len(values)}"
            )
        row: dict[str, float] = {}
        for j, name in known:
            raw = values[j].strip()
            try:
                value = float(raw)
            except ValueError:
                raise W2VError(
                    f"'{source}', line {line_number}: {name} is '{raw}', not a number"
                ) from None
            if name == "epoch" and not (math.isfinite(value) and value.is_integer()):
                raise W2VError(
                    f"'{source}', line {line_number}: epoch is '{raw}', not a whole number"
                )
            row[name] = value
        rows.append(row)
    if not rows:
        raise W2VError(f"'{source}' has a header but no rows: no epoch of training is recorded")
    return rows


#: Above this many runs the learning-rate panel is left out (the loss legend is enough to read).
_ALPHA_PANEL_MAX_RUNS = 6


def plot_loss(
    histories: Sequence[tuple[str, LossRows]] | Mapping[str, LossRows],
    path: str | os.PathLike,
    title: str | None = None,
    dpi: int = 150,
    note: Callable[[str], None] | None = None,
) -> None:
    """Write a line plot of the mean training loss per epoch of one or more runs.

    x is the epoch (integer ticks), y the mean loss per (centre, outside) pair (``mean_loss``,
    nats); each run is a line with a marker per epoch (a lone marker for a one-epoch run) in its
    own colour, labelled in the legend with its name and final loss, so that runs can be
    compared on one set of axes. Where the rows carry ``alpha`` (and there are at most 6 runs),
    a short panel below, sharing the epoch axis, shows the learning rate at the end of each
    epoch in the same colours. Non-finite losses (``nan`` for an epoch without pairs) leave a
    gap. The file is written atomically, as by :func:`plot_words`.

    Args:
        histories: ``(label, rows)`` pairs, or a mapping from label to rows, in legend order;
            ``rows`` as returned by :func:`read_loss_history` (dicts with at least ``epoch`` and
            ``mean_loss``), in any epoch order.
        path: output file; ``.svg`` / ``.pdf`` give those formats, anything else PNG. The
            directory must exist.
        title: figure title; default ``"Training loss: <label>"`` for one run, ``"Training loss
            of <n> runs"`` for more.
        dpi: resolution; the figure is 8 x 5 inches (1200 x 750 pixels at 150 dpi).
        note: called with one line when a run's label or the title has characters that no
            installed font has (see :func:`plot_words`, which draws such text the same way).

    Raises:
        W2VError: no histories, a history without rows or without ``epoch`` / ``mean_loss``, no
            finite loss at all, or ``path`` cannot be written. Nothing is written then.
    """
    runs = list(histories.items()) if isinstance(histories, Mapping) else list(histories)
    if not runs:
        raise W2VError("no loss history to plot; give at least one")
    series = []
    for label, rows in runs:
        rows = list(rows)
        if not rows:
            raise W2VError(f"loss history '{label}' has no rows")
        for name in LOSS_REQUIRED:
            if any(name not in row for row in rows):
                raise W2VError(f"loss history '{label}' has rows without '{name}'")
        order = np.argsort([float(row["epoch"]) for row in rows], kind="stable")
        rows = [rows[k] for k in order]
        epochs = np.array([float(row["epoch"]) for row in rows])
        loss = np.array([float(row["mean_loss"]) for row in rows])
        alpha = (np.array([float(row["alpha"]) for row in rows])
                 if all("alpha" in row for row in rows) else None)
        series.append((str(label), epochs, loss, alpha))
    if not any(np.isfinite(loss).any() for _, _, loss, _ in series):
        raise W2VError("no finite loss values to plot (every mean_loss is NaN or infinite)")

    out = os.fspath(path)
    check_writable(out)
    if title is None:
        title = (f"Training loss: {series[0][0]}" if len(series) == 1
                 else f"Training loss of {len(series)} runs")
    with_alpha = len(series) <= _ALPHA_PANEL_MAX_RUNS and any(s[3] is not None for s in series)

    from matplotlib.ticker import MaxNLocator

    with _fonts_for([*(label for label, _, _, _ in series), title]) as fonts:
        fig, _canvas = _new_figure(8.0, 5.0, dpi)
        if with_alpha:
            ax, ax_alpha = fig.subplots(2, 1, sharex=True,
                                        gridspec_kw={"height_ratios": [3, 1]})
        else:
            ax, ax_alpha = fig.add_subplot(), None
        colours = [f"C{k % 10}" for k in range(len(series))]
        most_epochs = max(len(epochs) for _, epochs, _, _ in series)
        marker_size = 4.5 if most_epochs <= 30 else 2.5 if most_epochs <= 100 else 0.0
        for (label, epochs, loss, alpha), colour in zip(series, colours):
            finite = loss[np.isfinite(loss)]
            legend = (f"{label} (final {finite[-1]:.4g})" if finite.size
                      else f"{label} (no finite loss)")
            size = marker_size if len(epochs) > 1 else 6.0  # a one-epoch run is a visible point
            ax.plot(epochs, loss, color=colour, linewidth=1.8, marker="o" if size else None,
                    markersize=size, label=legend, zorder=3)
            if ax_alpha is not None and alpha is not None:
                ax_alpha.plot(epochs, alpha, color=colour, linewidth=1.2,
                              marker="o" if size else None, markersize=size * 0.6, zorder=3)
        ax.set_ylabel("mean loss per (centre, outside) pair")
        ax.set_title(title)
        ax.legend(loc="best", fontsize=9, frameon=True, framealpha=0.9)
        bottom = ax if ax_alpha is None else ax_alpha
        bottom.set_xlabel("epoch")
        bottom.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
        first = min(float(epochs.min()) for _, epochs, _, _ in series)
        last = max(float(epochs.max()) for _, epochs, _, _ in series)
        if last - first < 1.0:
            bottom.set_xlim(first - 0.5, last + 0.5)
        for axis in (ax, ax_alpha):
            if axis is not None:
                axis.grid(True, color="#e5e5e5", linewidth=0.8, zorder=0)
                axis.set_axisbelow(True)
        if ax_alpha is not None:
            ax_alpha.set_ylabel("learning rate α\n(end of epoch)", fontsize=9)
            ax_alpha.set_ylim(bottom=0.0)
            ax_alpha.ticklabel_format(axis="y", style="sci", scilimits=(-3, 3))
            ax_alpha.tick_params(axis="y", labelsize=8)
        fig.tight_layout()
        fig.align_ylabels()

        with atomic_output(out, "wb") as handle:
            fig.savefig(handle, format=_format_for(out), dpi=dpi)
    _report_undrawable(fonts, [label for label, _, _, _ in series], title, note)
