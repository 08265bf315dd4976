"""Reading, tokenizing and counting a corpus on every core: the compiled twin of the Python path.

:func:`count_corpus` does what the first pass of :mod:`w2vcli.corpus` does with
:func:`w2vcli.tokenize.iter_sentences` and a dict (every token gets the provisional id of its
word, words numbered by first appearance, ids stored on disk, words counted), with the same
result for every input, using all cores:

- **One reader thread** cuts the input into chunks of about ``chunk_bytes`` bytes, never inside a
  token, and hands them to the workers in order. Regular files (plain or compressed) are read as
  raw bytes and cut just after a newline (else after other whitespace). A corpus with standard
  input or another stream that cannot be read twice (a pipe) in it is decoded by the reference
  reader itself (:func:`w2vcli.tokenize.read_batches`) and re-encoded, so that even the pieces
  it cuts very long lines into are the same ("stream" reading).
- **Workers** (``threads`` of them) tokenize and count chunks in compiled code (Numba, without
  the GIL) over the UTF-8 bytes, each into its own hash table of the words it has seen
  (:class:`_Table`: open addressing on a multiplicative hash, words stored as bytes, no Python
  object per word or token). A line made only of ASCII bytes is tokenized in compiled code,
  exactly as the ``words`` and ``whitespace`` tokenizers do it; any line with another byte is
  decoded and tokenized by the Python tokenizer itself (so Unicode case folding, NFC and the
  word pattern are the reference's own), and its tokens counted in the same table, in order. A
  worker writes its chunks' word ids (its own numbering) and line ends to its own files.
- **The main thread** collects the chunks' results in order. A worker takes its chunks in
  increasing order and numbers new words as it meets them, so a word's first appearance in the
  corpus is its earliest (chunk, rank among that chunk's new words) over the workers. When every
  chunk is in, :meth:`Counted.select` gathers only the words that can reach ``min_count`` (seen
  ``min_count / threads`` times by one worker) into one table, looks them up in every worker's
  table (in parallel) for their total counts and first appearance, and orders them by it.

The number of threads and the chunk size change neither the ids nor the counts. Memory is bounded
by the vocabulary (a table per worker, holding the words it has seen: 50 to 100 bytes per word,
its bytes included; at the end, one more for the words that can reach ``min_count``) and by the
chunk size times the chunks in flight (``2 * threads + 2``), never by the corpus.

When the words are known, :meth:`Counted.write` maps the stored ids to vocabulary ids and cuts
sentences, as the reference's second pass does.

Why the result is the reference's: the reference cuts a long line into pieces at whitespace and
tokenizes each piece, which gives the tokens of the whole line unless a run of non-whitespace is
nearly :data:`~w2vcli.tokenize.BLOCK_CHARS` long (then it cuts inside the run, at a place that
depends on where its reads fell). A chunk here is also cut at whitespace, so for regular files a
run of :data:`GIANT_RUN` bytes or more (a 128 KiB "word") makes the whole corpus be read again as
a stream, whose pieces are the reference's own.
"""

from __future__ import annotations

import codecs
import os
import queue
import stat
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numba import njit

from w2vcli import tokenize as tk
from w2vcli.errors import CorpusError

#: Bytes per chunk at most (a small corpus gets smaller chunks, so that every worker has some).
CHUNK_BYTES = 1 << 20
#: Smallest default chunk.
MIN_CHUNK_BYTES = 1 << 16
#: A run of this many non-whitespace bytes in a regular file sends the corpus to the stream
#: reader (see the module docstring); half the reference's block, so runs that the reference
#: might cut are always caught.
GIANT_RUN = tk.BLOCK_CHARS // 2
#: How far back from a chunk's end a newline is looked for before other whitespace is taken.
NEWLINE_WINDOW = 1 << 16

# Byte classes. _WS: whitespace for str.split() and str.isspace(), and the control characters
# (_CONTROL: read as spaces and counted, see w2vcli.tokenize.CONTROL_CHARS).
_WS, _ALNUM, _LINE_END, _CONTROL = 1, 2, 4, 8


def _byte_classes() -> np.ndarray:
    table = np.zeros(256, dtype=np.uint8)
    for c in range(128):
        if chr(c).isspace():
            table[c] |= _WS
        if chr(c) in tk.CONTROL_CHARS:
            table[c] |= _WS | _CONTROL
        if chr(c).isalnum():  # ASCII letters and digits: the word pattern's [^\W_]
            table[c] |= _ALNUM
    for c in b"\n\r":
        table[c] |= _LINE_END
    return table


_CLASS = _byte_classes()

# The int64 ``info`` array of _scan.
_SIDE, _NTOK, _NBRK, _NUL, _HAS_TEXT, _MAX_RUN, _CTRL = range(7)
_INFO = 7

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX = np.uint64(0xFF51AFD7ED558CCD)
# Byte maps: ASCII lowercasing, and none.
_SAME = np.arange(256, dtype=np.uint8)
_FOLD = np.where((_SAME >= 65) & (_SAME <= 90), _SAME + 32, _SAME).astype(np.uint8)
_ID_MASK = 0xFFFFFFFF
#: Most slots a table may have: the 30 hash bits kept in a slot must give the slot's index.
_MAX_SLOTS = 1 << 30
_WORDS, _LOWER = 1, 2
_COUNT, _FIND = 1, 2
#: Tokens whose table slots are loaded together, so that their cache misses overlap, before any
#: of them is looked up (on a corpus of 1.8M distinct words: 70 ns per token, against 82 one at
#: a time; 16 and 64 measured no better).
_BATCH = 32


# -- compiled kernels --------------------------------------------------------------------------
#
# Four, each compiled once (one signature: no literal or read-only array arguments): 1.35 s cold
# in all, 0.02 s from the cache; everything else is NumPy.
#
# A table's slot (see _Table) holds ``tag << 32 | id`` and the word's first 8 bytes, ``tag`` being
# the top 30 bits of the word's hash and a bit that says whether it is longer than 8 bytes: a
# word of at most 8 bytes (most tokens) is found from its slot alone (no token has a NUL, so the
# zero-padded bytes are the word). The slot index is the top bits of the hash, so the index in a
# table twice the size is known from the tag alone (see _rehash).


@njit(nogil=True, cache=True)
def _scan(text, lines, out, flags):
    """Cut one chunk into tokens: their byte spans and the line ends.

    Args:
        text: ``(buf, segs)``: uint8, the chunk's UTF-8 bytes, then the tokens of its non-ASCII
            lines (tokenized in Python), each followed by ``\\n``; int64 ``(m, 2)`` segments
            ``(end, complete)`` of the chunk, consecutive from 0 to its length. No token crosses
            a segment end; a complete segment ends a line there.
        lines: int64 ``(k, 3)``: the chunk's non-ASCII lines ``(start, end, number of tokens)``,
            in order; their tokens are taken from the end of ``buf`` instead.
        out: ``(spans, breaks, info)``: int64 ``(t, 2)`` each token's ``(start, end)`` in
            ``buf``; int64 line ends as token offsets in the chunk (no two equal); int64
            ``(_INFO,)``: in, ``info[_SIDE]`` where the non-ASCII lines' tokens start; out, the
            counts and stats at the ``_NTOK`` ... ``_CTRL`` slots.
        flags: ``_WORDS`` (else the whitespace tokenizer).
    """
    buf, segs = text
    spans, breaks, info = out
    words = (flags & _WORDS) != 0
    ntok = 0
    nb = 0
    nul = 0
    ctrl = 0
    has_text = 0
    longest = 0
    sp = info[_SIDE]
    li = 0
    next_line = lines[0, 0] if lines.shape[0] > 0 else -1
    i = 0
    for si in range(segs.shape[0]):
        end = segs[si, 0]
        while i < end:
            if i == next_line:
                for _ in range(lines[li, 2]):
                    q = sp
                    while buf[q] != 10:
                        q += 1
                    spans[ntok, 0] = sp
                    spans[ntok, 1] = q
                    ntok += 1
                    sp = q + 1
                i = lines[li, 1]
                li += 1
                next_line = lines[li, 0] if li < lines.shape[0] else -1
                continue
            c = buf[i]
            cl = _CLASS[c]
            if cl & _WS:
                if cl & _LINE_END:
                    if nb == 0 or breaks[nb - 1] != ntok:
                        breaks[nb] = ntok
                        nb += 1
                elif cl & _CONTROL:
                    if c == 0:
                        nul += 1
                    else:
                        ctrl += 1
                i += 1
                continue
            # A run of non-whitespace bytes: one token, or the words tokenizer's tokens in it.
            r = i + 1
            while r < end and (_CLASS[buf[r]] & _WS) == 0:
                r += 1
            longest = max(longest, r - i)
            has_text = 1
            if not words:
                spans[ntok, 0] = i
                spans[ntok, 1] = r
                ntok += 1
                i = r
                continue
            while i < r:
                if (_CLASS[buf[i]] & _ALNUM) == 0:
                    i += 1
                    continue
                # Letters and digits, joined by single underscores.
                spans[ntok, 0] = i
                i += 1
                while i < r and (_CLASS[buf[i]] & _ALNUM) != 0:
                    i += 1
                while i + 1 < r and buf[i] == 95 and (_CLASS[buf[i + 1]] & _ALNUM) != 0:
                    i += 2
                    while i < r and (_CLASS[buf[i]] & _ALNUM) != 0:
                        i += 1
                spans[ntok, 1] = i
                ntok += 1
        if segs[si, 1] != 0 and (nb == 0 or breaks[nb - 1] != ntok):
            breaks[nb] = ntok
            nb += 1
    info[_NTOK] = ntok
    info[_NBRK] = nb
    info[_NUL] = nul
    info[_CTRL] = ctrl
    info[_HAS_TEXT] = has_text
    info[_MAX_RUN] = longest


@njit(nogil=True, cache=True)
def _add(src, spans, lower, mode, table, ids):
    """Look up (and insert) the words ``src[spans[j, 0]:spans[j, 1]]`` in ``table``.

    Args:
        src: uint8 bytes; spans: int64 ``(t, 2)``.
        lower: ASCII-lowercase the words (A-Z only: the Python tokenizers' tokens have none
            left when they lowercase, so this is a no-op on them).
        mode: ``_COUNT``: count the words (in ``table``'s counts, which must have room for
            ``meta[2]``); ``_FIND``: only look up (a word not there gets id -1); 0: neither.
        table: a :class:`_Table`'s arrays.
        ids: int32 ``(t,)``, out: each word's id (new words take the next ids, in order).

    Returns:
        How many spans were done: ``t``, or fewer when the table is full (grow it, and call
        again with the rest).
    """
    tally = (mode & _COUNT) != 0
    find = (mode & _FIND) != 0
    fold = _FOLD if lower else _SAME
    slots, starts, arena, counts, meta = table
    mask = slots.shape[0] - 1
    bits = 0
    while (1 << bits) < slots.shape[0]:
        bits += 1
    shift = np.uint64(64 - bits)
    room_ids = min(slots.shape[0] * 5 // 8, meta[2])
    hashes = np.empty(_BATCH, dtype=np.uint64)
    keys = np.empty(_BATCH, dtype=np.int64)
    sink = np.int64(0)
    t = spans.shape[0]
    for first in range(0, t, _BATCH):
        last = min(first + _BATCH, t)
        # Hash (8 bytes at a time) and first 8 bytes of each word of the batch; load their
        # slots.
        for j in range(first, last):
            a, b = spans[j, 0], spans[j, 1]
            h = np.uint64(b - a) * _GOLDEN
            key = np.uint64(0)
            for block_start in range(a, b, 8):
                block = np.uint64(0)
                for k in range(block_start, min(block_start + 8, b)):
                    block |= np.uint64(fold[src[k]]) << np.uint64(8 * (k - block_start))
                if block_start == a:
                    key = block
                h = (h ^ block) * _MIX
                h ^= h >> np.uint64(32)
            h *= _GOLDEN
            hashes[j - first] = h
            keys[j - first] = np.int64(key)
            sink ^= slots[np.int64(h >> shift), 0]  # independent loads: their misses overlap
        for j in range(first, last):
            a, n = spans[j, 0], spans[j, 1] - spans[j, 0]
            h, key = hashes[j - first], keys[j - first]
            tag = (np.int64(h >> np.uint64(34)) << 1) | (1 if n > 8 else 0)
            pos = np.int64(h >> shift)
            w = -1
            while True:
                v = slots[pos, 0]
                if v < 0:
                    break
                if (v >> 32) == tag and slots[pos, 1] == key:
                    w = v & _ID_MASK
                    if n <= 8:
                        break
                    s = starts[w]
                    k = 8 if starts[w + 1] - s == n else n + 1
                    while k < n and arena[s + k] == fold[src[a + k]]:
                        k += 1
                    if k == n:
                        break
                    w = -1
                pos = (pos + 1) & mask
            if w < 0 and find:
                ids[j] = -1
                continue
            if w < 0:
                w = meta[0]
                s = starts[w]
                if w >= room_ids or s + n > len(arena):
                    meta[1] = sink
                    return j
                for k in range(n):
                    arena[s + k] = fold[src[a + k]]
                starts[w + 1] = s + n
                slots[pos, 0] = (tag << 32) | w
                slots[pos, 1] = key
                meta[0] = w + 1
                if tally:
                    counts[w] = 0
            ids[j] = w
            if tally:
                counts[w] += 1
    meta[1] = sink
    return t


@njit(nogil=True, cache=True)
def _rehash(old, new):
    """Move the entries of the slot array ``old`` into the empty (``-1``) ``new``, twice or more
    its size. Old slots are read in order and their new homes follow the same order, so this
    writes nearly sequentially and never reads the words' bytes."""
    mask = new.shape[0] - 1
    bits = 0
    while (1 << bits) < new.shape[0]:
        bits += 1
    for p in range(old.shape[0]):
        v = old[p, 0]
        if v >= 0:
            pos = (v >> 33) >> (30 - bits)
            while new[pos, 0] >= 0:
                pos = (pos + 1) & mask
            new[pos, 0] = v
            new[pos, 1] = old[p, 1]


@njit(nogil=True, cache=True)
def _emit(raw, fmap, breaks, carry, out_ids, out_ends):
    """Map one chunk's ids to vocabulary ids and cut its sentences (the reference's pass 2).

    Args:
        raw: int32 the chunk's word ids (its worker's numbering).
        fmap: int32 worker id -> vocabulary id, or -1 (dropped, out of vocabulary).
        breaks: int64 line ends, token offsets in the chunk.
        carry: int64 ``[raw tokens in the open sentence, kept tokens in it, kept tokens so
            far, max_sentence_length]``, carried from chunk to chunk.
        out_ids, out_ends: room for the kept ids (int32) and the ends (int64, offsets in the
            whole encoded corpus) of the sentences that end in this chunk and keep a token.

    Returns:
        ``(ids written, ends written)``. A line is cut into pieces of ``max_sentence_length``
        raw tokens, as :func:`w2vcli.tokenize.iter_sentences` cuts it.
    """
    piece_raw, piece_kept, total, limit = carry[0], carry[1], carry[2], carry[3]
    n_ids = 0
    n_ends = 0
    b = 0
    n = len(raw)
    for i in range(n + 1):
        while b < len(breaks) and breaks[b] == i:
            if piece_kept > 0:
                out_ends[n_ends] = total
                n_ends += 1
            piece_raw = 0
            piece_kept = 0
            b += 1
        if i == n:
            break
        v = fmap[raw[i]]
        if v >= 0:
            out_ids[n_ids] = v
            n_ids += 1
            piece_kept += 1
            total += 1
        piece_raw += 1
        if piece_raw == limit:
            if piece_kept > 0:
                out_ends[n_ends] = total
                n_ends += 1
            piece_raw = 0
            piece_kept = 0
    carry[0] = piece_raw
    carry[1] = piece_kept
    carry[2] = total
    return n_ids, n_ends


# -- tables --------------------------------------------------------------------------------------


def _pow2(n: int) -> int:
    return 1 << max(4, (int(n) - 1).bit_length())


def _spans_of(starts: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """int64 ``(hi - lo, 2)``: the byte spans of words ``lo..hi-1`` of a table."""
    return np.stack((starts[lo:hi], starts[lo + 1:hi + 1]), axis=1)


class _Table:
    """Distinct words as bytes, numbered in order of insertion, with their counts.

    ``slots`` (int64 ``(c, 2)``, ``c`` a power of two, at most 5/8 full): ``(-1, -1)`` or
    ``(tag << 32 | id, first 8 bytes)`` (see the kernels' notes); ``starts`` (int64): word ``i``
    is ``arena[starts[i]:starts[i + 1]]`` (uint8); ``counts`` (int64): occurrences, if
    ``counting``; ``meta``: ``[n, scratch, room]``, ``room`` the words ``starts`` has room for.
    Arrays are replaced, never resized in place, so a reader holding the old ``starts`` and
    ``arena`` still sees every word it was told about.
    """

    def __init__(self, counting: bool = True, words: int = 1 << 12, nbytes: int = 1 << 16) -> None:
        self.counting = counting
        self.slots = np.full((_pow2(2 * words), 2), -1, dtype=np.int64)
        self.starts = np.zeros(words + 1, dtype=np.int64)
        self.counts = np.empty(words if counting else 0, dtype=np.int64)
        self.arena = np.empty(nbytes, dtype=np.uint8)
        self.meta = np.array([0, 0, words], dtype=np.int64)

    def __len__(self) -> int:
        return int(self.meta[0])

    def arrays(self) -> tuple:
        return (self.slots, self.starts, self.arena, self.counts, self.meta)

    def add(self, src: np.ndarray, spans: np.ndarray, ids: np.ndarray, lower: bool = False,
            mode: int = 0) -> None:
        """Ids of the words ``src[spans[j, 0]:spans[j, 1]]`` into ``ids``, new words added,
        growing as needed (see :func:`_add`)."""
        done = 0
        while done < len(spans):
            done += _add(src, spans[done:], lower, mode, self.arrays(), ids[done:])
            if done < len(spans):
                self.reserve(1, int(spans[done, 1] - spans[done, 0]))

    def find(self, src: np.ndarray, spans: np.ndarray) -> np.ndarray:
        """int32: the id of each word ``src[spans[j, 0]:spans[j, 1]]``, -1 if absent."""
        ids = np.empty(len(spans), dtype=np.int32)
        _add(src, spans, False, _FIND, self.arrays(), ids)
        return ids

    def reserve(self, words: int, nbytes: int) -> None:
        """Make room for ``words`` more words of ``nbytes`` bytes in all (sizes double)."""
        n = len(self)
        need = n + int(words)
        if need > self.meta[2]:
            size = max(need, 2 * int(self.meta[2]))
            starts = np.empty(size + 1, dtype=np.int64)
            starts[: n + 1] = self.starts[: n + 1]
            self.starts = starts
            if self.counting:
                counts = np.empty(size, dtype=np.int64)
                counts[:n] = self.counts[:n]
                self.counts = counts
            self.meta[2] = size
        used = int(self.starts[n])
        if used + int(nbytes) > len(self.arena):
            arena = np.empty(max(used + int(nbytes), 2 * len(self.arena)), dtype=np.uint8)
            arena[:used] = self.arena[:used]
            self.arena = arena
        if 8 * need > 5 * len(self.slots):
            size = _pow2(max(2 * need, 2 * len(self.slots)))
            if size > _MAX_SLOTS:
                raise CorpusError(f"the corpus has more than {_MAX_SLOTS * 5 // 8:,} distinct "
                                  "words, more than w2v can count; split it")
            slots = np.full((size, 2), -1, dtype=np.int64)
            _rehash(self.slots, slots)
            self.slots = slots

    def word(self, i: int) -> str:
        return self.arena[self.starts[i]:self.starts[i + 1]].tobytes().decode("utf-8")


def _decode(table: _Table, order: np.ndarray) -> Sequence[str]:
    """Words ``order`` of a table as ``str``: a list, decoded at once (a million words in
    about 0.1 s), or for more, a sequence that decodes on access."""
    if len(order) > (1 << 20):
        return _Words(table, order)
    first, length = table.starts[order], table.starts[order + 1] - table.starts[order]
    end = np.cumsum(length + 1)
    # Source byte of every output byte, a newline after each word (no token has one).
    source = np.arange(int(end[-1]) if len(end) else 0, dtype=np.int64)
    source += np.repeat(first - (end - length - 1), length + 1)
    joined = table.arena[np.minimum(source, len(table.arena) - 1)]
    joined[end - 1] = 10
    return joined.tobytes().decode("utf-8").split("\n")[:-1]


class _Words(Sequence):
    """Words ``order[i]`` of a :class:`_Table` as ``str``, decoded on access."""

    def __init__(self, table: _Table, order: np.ndarray) -> None:
        self._table = table
        self._order = order

    def __len__(self) -> int:
        return len(self._order)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return self._table.word(int(self._order[i]))


# -- chunks, workers and the reader ---------------------------------------------------------------


class _Giant(Exception):
    """A regular file has a run of :data:`GIANT_RUN` non-whitespace bytes: read it as a stream."""


@dataclass
class _Task:
    index: int
    buf: np.ndarray       # uint8, the chunk is buf[:n]
    n: int
    segs: np.ndarray      # int64 (m, 2): (end, complete)
    raw: bool             # bytes of a regular file (stats and giant runs checked by the worker)
    recycle: bool         # give buf back to the reader's pool when done


@dataclass
class _Done:
    worker: int
    ids_at: int           # offset (items) in the worker's ids file
    n_ids: int
    breaks_at: int
    n_breaks: int
    lo: int               # the worker's words first seen in this chunk: lo..hi-1
    hi: int


_NO_LINES = np.zeros((0, 3), dtype=np.int64)


def _nonascii_lines(view: np.ndarray, segs: np.ndarray) -> np.ndarray:
    """int64 ``(k, 3)``: ``(start, end, 0)`` of each line of a chunk with a byte >= 0x80.

    Lines end at ``\\n``, ``\\r`` and segment ends (``segs[:, 0]``), as in :func:`_scan`.
    """
    high = np.flatnonzero(view >= 0x80)
    ends = np.flatnonzero((view == 10) | (view == 13))
    firsts = np.sort(np.concatenate(([0], ends + 1, segs[:, 0])))
    ends = np.sort(np.concatenate((ends, segs[:, 0])))
    first = firsts[np.searchsorted(firsts, high, side="right") - 1]
    last = ends[np.searchsorted(ends, high, side="right")]
    first, at = np.unique(first, return_index=True)
    rows = np.zeros((len(first), 3), dtype=np.int64)
    rows[:, 0] = first
    rows[:, 1] = last[at]
    return rows


def _cut(buf: np.ndarray, m: int, window: int) -> tuple[int, int]:
    """Where to end a chunk of ``buf[:m]``: just after its last newline among the last
    ``window`` bytes, else just after its last whitespace byte; with the run of non-whitespace
    bytes after that cut. Returns ``(cut, run)``; cut 0 when there is no whitespace among the
    last :data:`GIANT_RUN` + 1 bytes."""
    lo = max(m - window, 0)
    newlines = np.flatnonzero(buf[lo:m] == 10)
    if len(newlines):
        return lo + int(newlines[-1]) + 1, 0
    lo = max(m - GIANT_RUN - 1, 0)
    spaces = np.flatnonzero(_CLASS[buf[lo:m]] & _WS)
    if len(spaces):
        cut = lo + int(spaces[-1]) + 1
        return cut, m - cut
    return 0, m


class _Worker:
    """Tokenizes and counts chunks into its own table and files (runs in its own thread)."""

    def __init__(self, number: int, workdir: Path, tokenizer, flags: int) -> None:
        self.number = number
        self.table = _Table()
        self.tokenizer = tokenizer
        self.flags = flags
        self.ids_path = workdir / f"raw{number}.i32"
        self.breaks_path = workdir / f"breaks{number}.i64"
        self.ids_file = open(self.ids_path, "wb")
        self.breaks_file = open(self.breaks_path, "wb")
        self.ids_written = 0
        self.breaks_written = 0
        self.lower = bool(flags & _LOWER)
        self.ids = np.empty(0, dtype=np.int32)
        self.spans = np.empty((0, 2), dtype=np.int64)
        self.breaks = np.empty(0, dtype=np.int64)
        self.replaced = 0
        self.nul = 0
        self.control = 0
        self.has_text = False

    def close(self) -> None:
        self.ids_file.close()
        self.breaks_file.close()

    def _side(self, view: np.ndarray, segs: np.ndarray, raw: bool):
        """The non-ASCII lines of a chunk, tokenized by the Python tokenizer.

        Returns ``(data, lines, tokens)``: the chunk's bytes followed by the tokens' (each
        followed by ``\\n``), the lines (see :func:`_scan`) and how many tokens.

        Raises:
            _Giant: ``raw`` and a line has a run of :data:`GIANT_RUN` non-whitespace characters.
        """
        rows = _nonascii_lines(view, segs)
        data = memoryview(view)
        joined = b"\n".join([data[a:b] for a, b in rows[:, :2].tolist()])
        before = tk._replaced_so_far()
        text = codecs.utf_8_decode(joined, tk._ERRORS, True)[0]
        self.replaced += tk._replaced_so_far() - before
        seen = tk.ReadStats()
        text = tk.replace_controls(text, seen)
        self.nul += seen.nul_chars
        self.control += seen.control_chars
        if not self.has_text and not text.isspace():
            self.has_text = True
        tokenizer = self.tokenizer
        tokens: list[str] = []
        per_line = []
        for line in text.split("\n"):
            if raw and len(line) >= GIANT_RUN and max(
                    map(len, line.split()), default=0) >= GIANT_RUN:
                raise _Giant
            found = tokenizer(line)
            per_line.append(len(found))
            tokens += found
        rows[:, 2] = per_line
        side = ("\n".join(tokens) + "\n").encode("utf-8") if tokens else b""
        data = np.empty(len(view) + len(side), dtype=np.uint8)
        data[: len(view)] = view
        data[len(view):] = np.frombuffer(side, dtype=np.uint8)
        return data, rows, len(tokens)

    def process(self, task: _Task) -> _Done:
        """Tokenize, count and store one chunk. Raises _Giant (see the module docstring)."""
        view = task.buf[: task.n]
        data, lines, side_tokens = view, _NO_LINES, 0
        if task.n and int(view.max()) >= 0x80:
            data, lines, side_tokens = self._side(view, task.segs, task.raw)
        room = task.n // 2 + len(task.segs) + side_tokens + 1
        if len(self.ids) < room:
            self.ids = np.empty(max(room, 2 * len(self.ids)), dtype=np.int32)
            self.spans = np.empty((len(self.ids), 2), dtype=np.int64)
        if len(self.breaks) < task.n + len(task.segs) + 1:
            self.breaks = np.empty(max(task.n + len(task.segs) + 1, 2 * len(self.breaks)),
                                   dtype=np.int64)
        info = np.zeros(_INFO, dtype=np.int64)
        info[_SIDE] = task.n  # where the non-ASCII lines' tokens start in data
        _scan((data, task.segs), lines, (self.spans, self.breaks, info), self.flags)
        if task.raw:
            if info[_MAX_RUN] >= GIANT_RUN:
                raise _Giant
            self.nul += int(info[_NUL])
            self.control += int(info[_CTRL])
            self.has_text = self.has_text or bool(info[_HAS_TEXT])
        n_ids, n_breaks = int(info[_NTOK]), int(info[_NBRK])
        lo = len(self.table)
        self.table.add(data, self.spans[:n_ids], self.ids[:n_ids], self.lower, _COUNT)
        self.ids_file.write(memoryview(self.ids[:n_ids]).cast("B"))
        self.breaks_file.write(memoryview(self.breaks[:n_breaks]).cast("B"))
        done = _Done(self.number, self.ids_written, n_ids, self.breaks_written, n_breaks,
                     lo, len(self.table))
        self.ids_written += n_ids
        self.breaks_written += n_breaks
        return done


def _size(path) -> int:
    """Bytes of a corpus file, or of a :class:`w2vcli.tokenize.ByteRange` of one."""
    if isinstance(path, tk.ByteRange):
        return max(path.stop - path.start, 0)
    return os.path.getsize(path)


def _reopenable(path) -> bool:
    """A regular file, which can be read a second time (not standard input, not a pipe)."""
    name = os.fspath(path)
    if name == "-":
        return False
    try:
        return stat.S_ISREG(os.stat(name).st_mode)
    except OSError:
        return True  # open_checked will say what is wrong with it


class _Run:
    """One attempt at counting the corpus: a reader thread and worker threads."""

    def __init__(self, workdir: Path, paths, tokenizer, flags: int, threads: int,
                 chunk_bytes: int, as_stream: bool, stats: tk.ReadStats) -> None:
        self.paths = [p if isinstance(p, tk.ByteRange) else os.fspath(p) for p in paths]
        self.tokenizer = tokenizer
        self.threads = threads
        self.chunk_bytes = chunk_bytes
        self.as_stream = as_stream
        self.stats = stats
        self.workers = [_Worker(w, workdir, tokenizer, flags) for w in range(threads)]
        self.tasks: queue.Queue = queue.Queue(maxsize=2 * threads + 2)
        self.pool: queue.Queue = queue.Queue()
        self.results: dict[int, object] = {}
        self.ready = threading.Condition()
        self.stop_at = None  # the first chunk index that failed: later chunks are not needed
        self.chunks: list[_Done] = []  # in corpus order
        self.raw_tokens = 0
        self.n_chunks: int | None = None  # set by the reader when it has read everything
        self.next_index = 0  # the reader's next chunk

    # The reader thread -----------------------------------------------------------------------

    def _put(self, task) -> bool:
        while True:
            if self.stop_at is not None and (task is None or task.index > self.stop_at):
                return False
            try:
                self.tasks.put(task, timeout=0.1)
                return True
            except queue.Full:
                continue

    def _post(self, index: int, result) -> None:
        with self.ready:
            self.results[index] = result
            failed = isinstance(result, BaseException)
            if failed and (self.stop_at is None or index < self.stop_at):
                self.stop_at = index
            self.ready.notify_all()

    def _buffer(self, size: int) -> np.ndarray:
        try:
            buf = self.pool.get_nowait()
            if len(buf) >= size:
                return buf
        except queue.Empty:
            pass
        return np.empty(max(size, self.chunk_bytes + NEWLINE_WINDOW), dtype=np.uint8)

    def _read(self) -> None:
        try:
            for name in self.paths:
                if self.stop_at is not None:
                    break
                if self.as_stream:
                    self._read_stream(name)
                else:
                    self._read_raw(name)
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread, in order
            self._post(self.next_index, exc)
        else:
            with self.ready:
                self.n_chunks = self.next_index
                self.ready.notify_all()
        finally:
            for _ in self.workers:
                self._put(None)

    def _send(self, task: _Task) -> bool:
        """Hand a chunk to the workers; False when the run is stopping."""
        if not self._put(task):
            return False
        self.next_index += 1
        return True

    def _read_raw(self, name: str) -> None:
        """Chunks of a regular file's bytes, cut after a newline or other whitespace."""
        _, _, stream, head = tk.open_checked(name)
        try:
            if head.startswith(codecs.BOM_UTF8) and not getattr(name, "start", 0):
                head = head[len(codecs.BOM_UTF8):]
            if head:
                self.stats.chars += 1  # (only "none at all" matters: the empty-corpus message)
            size = self.chunk_bytes
            buf = self._buffer(max(size, len(head)) + NEWLINE_WINDOW)
            buf[: len(head)] = np.frombuffer(head, dtype=np.uint8)
            m = len(head)
            eof = False
            while True:
                while not eof and m < size:
                    got = stream.readinto(memoryview(buf)[m:])
                    if not got:
                        eof = True
                    else:
                        m += got
                        self.stats.chars += got
                if eof:
                    self._send(_Task(self.next_index, buf, m, np.array([[m, 1]], dtype=np.int64),
                                     True, True))
                    return
                cut, run = _cut(buf, m, min(self.chunk_bytes, NEWLINE_WINDOW))
                if run >= GIANT_RUN:
                    raise _Giant
                if cut == 0:  # no whitespace yet: read on
                    size = m + self.chunk_bytes
                    if size > len(buf):
                        bigger = self._buffer(size + NEWLINE_WINDOW)
                        bigger[:m] = buf[:m]
                        buf = bigger
                    continue
                nxt = self._buffer(max(self.chunk_bytes, m - cut) + NEWLINE_WINDOW)
                nxt[: m - cut] = buf[cut:m]
                if not self._send(_Task(self.next_index, buf, cut,
                                        np.array([[cut, 0]], dtype=np.int64), True, True)):
                    return
                buf, m, size = nxt, m - cut, self.chunk_bytes
        except tk.READ_ERRORS as exc:
            raise tk.read_error(os.fspath(name), exc) from None
        finally:
            stream.close()

    def _read_stream(self, name: str) -> None:
        """Chunks of batches from the reference reader, re-encoded as UTF-8."""
        handle = tk.open_text(name)
        try:
            parts: list[bytes] = []
            ends: list[tuple[int, int]] = []
            size = 0
            for text, complete in tk.read_batches(handle, tk.BLOCK_CHARS, self.stats):
                data = text.encode("utf-8")
                parts.append(data)
                size += len(data)
                ends.append((size, int(complete)))
                if size >= self.chunk_bytes:
                    if not self._send(self._stream_task(self.next_index, parts, ends, False)):
                        return
                    parts, ends, size = [], [], 0
            self._send(self._stream_task(self.next_index, parts, ends, True))
        except tk.READ_ERRORS as exc:
            raise tk.read_error(os.fspath(name), exc) from None
        finally:
            handle.close()

    @staticmethod
    def _stream_task(index: int, parts: list[bytes], ends: list, file_end: bool) -> _Task:
        data = bytearray().join(parts)
        if file_end:
            ends = ends + [(len(data), 1)]
        segs = np.array(ends, dtype=np.int64).reshape(-1, 2)
        return _Task(index, np.frombuffer(data, dtype=np.uint8), len(data), segs, False, False)

    # The workers -----------------------------------------------------------------------------

    def _work(self, worker: _Worker) -> None:
        while True:
            try:
                task = self.tasks.get(timeout=0.1)
            except queue.Empty:
                if self.stop_at is not None and self.stop_at < 0:
                    return
                continue
            if task is None:
                return
            if self.stop_at is not None and task.index > self.stop_at:
                continue
            try:
                result = worker.process(task)
            except BaseException as exc:  # noqa: BLE001 - handed to the main thread, in order
                result = exc
            if task.recycle:
                self.pool.put(task.buf)
            self._post(task.index, result)

    # The main thread -------------------------------------------------------------------------

    def run(self) -> None:
        threads = [threading.Thread(target=self._read, name="w2v-read", daemon=True)]
        threads += [threading.Thread(target=self._work, args=(w,), name=f"w2v-encode-{w.number}",
                                     daemon=True) for w in self.workers]
        for t in threads:
            t.start()
        try:
            index = 0
            while True:
                with self.ready:
                    while index not in self.results and (self.n_chunks is None
                                                         or index < self.n_chunks):
                        if not threads[0].is_alive() and self.n_chunks is None and (
                                not self.results or max(self.results) < index):
                            raise RuntimeError(f"the reader stopped before chunk {index}")
                        if not any(t.is_alive() for t in threads[1:]):
                            raise RuntimeError(f"chunk {index} of the corpus was lost")
                        self.ready.wait(timeout=0.1)
                    if index not in self.results:
                        break  # every chunk is in
                    result = self.results.pop(index)
                if isinstance(result, BaseException):
                    raise result
                self.chunks.append(result)
                self.raw_tokens += result.n_ids
                index += 1
        finally:
            with self.ready:
                self.stop_at = -1
            # The reader may be blocked on standard input after a failure elsewhere; it is a
            # daemon thread and stops at its next chunk.
            threads[0].join(timeout=5)
            for t in threads[1:]:
                t.join(timeout=60)
            for w in self.workers:
                w.close()
        for w in self.workers:
            self.stats.replaced_bytes += w.replaced
            self.stats.nul_chars += w.nul
            self.stats.control_chars += w.control
            self.stats.has_text = self.stats.has_text or w.has_text

    def remove_files(self) -> None:
        for w in self.workers:
            w.close()
            for path in (w.ids_path, w.breaks_path):
                path.unlink(missing_ok=True)


@dataclass
class Selection:
    """Some of a corpus's distinct words, found in the workers' tables.

    Attributes:
        words: the words (``str``), in order of first appearance in the corpus.
        counts: int64 ``(n,)``: occurrences of each in the corpus (0 when not asked for).
        local: per worker, int32: word ``i`` of each worker's table is ``words[local[i]]``,
            or none of them (-1).
    """

    words: Sequence[str]
    counts: np.ndarray
    local: list[np.ndarray]

    def __len__(self) -> int:
        return len(self.words)


class Counted:
    """A corpus read and counted by :func:`count_corpus`, its ids stored in ``workdir``.

    Attributes:
        raw_tokens: tokens read.
    """

    def __init__(self, run: _Run) -> None:
        self._run = run
        self.raw_tokens = run.raw_tokens

    def _tables(self) -> list[_Table]:
        return [w.table for w in self._run.workers]

    def _each_table(self, job: Callable[[int, _Table], object]) -> list:
        """``job(w, table)`` for every worker's table, in parallel (the kernels drop the GIL)."""
        tables = self._tables()
        if len(tables) == 1:
            return [job(0, tables[0])]
        results: list = [None] * len(tables)

        def run(w: int) -> None:
            results[w] = job(w, tables[w])

        threads = [threading.Thread(target=run, args=(w,), daemon=True)
                   for w in range(len(tables))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if any(r is None for r in results):
            raise RuntimeError("a lookup thread failed")
        return results

    def select(self, min_count: int) -> Selection:
        """The words seen at least ``min_count`` times, in order of first appearance.

        A word seen that often by ``T`` workers together was seen at least ``min_count / T``
        times by one of them: only those are gathered into one table (each worker's table
        numbers only the words it saw), then looked up in every worker's table for their
        total counts and their first appearance (the earliest chunk, then the rank among the
        chunk's new words, which is position order). With ``min_count <= T`` that is every
        distinct word.
        """
        tables = self._tables()
        if len(tables) == 1:  # one table, numbered in order of first appearance already
            table = tables[0]
            order = np.flatnonzero(table.counts[: len(table)] >= min_count)
            position = np.full(len(table), -1, dtype=np.int32)
            position[order] = np.arange(len(order), dtype=np.int32)
            return Selection(_decode(table, order), table.counts[order], [position])
        least = max(1, -(-int(min_count) // len(tables)))
        merged = _Table(counting=False)
        to_merged = []
        for table in tables:
            local = np.full(len(table), -1, dtype=np.int32)
            some = np.flatnonzero(table.counts[: len(table)] >= least)
            ids = np.empty(len(some), dtype=np.int32)
            merged.add(table.arena, np.stack((table.starts[some], table.starts[some + 1]), axis=1),
                       ids)
            local[some] = ids
            to_merged.append(local)
        n = len(merged)
        if least > 1 and len(tables) > 1:
            spans = _spans_of(merged.starts, 0, n)
            found = self._each_table(lambda w, table: table.find(merged.arena, spans))
            for local, where in zip(to_merged, found):
                present = np.flatnonzero(where >= 0)
                local[where[present]] = present
        totals = np.zeros(n, dtype=np.int64)
        first = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
        for table, local, key in zip(tables, to_merged, self._first_keys()):
            known = np.flatnonzero(local >= 0)
            ids = local[known]
            totals[ids] += table.counts[known]
            first[ids] = np.minimum(first[ids], key[known])
        kept = np.flatnonzero(totals >= min_count)
        order = kept[np.argsort(first[kept], kind="stable")]
        position = np.full(n + 1, -1, dtype=np.int32)  # position[-1]: a word in none
        position[order] = np.arange(len(order), dtype=np.int32)
        local = [position[m] for m in to_merged]
        return Selection(_decode(merged, order), totals[order], local)

    def _first_keys(self) -> list[np.ndarray]:
        """Per worker, int64: ``chunk << 32 | rank`` of each of its words' first appearance."""
        keys = [np.empty(len(t), dtype=np.int64) for t in self._tables()]
        for index, done in enumerate(self._run.chunks):
            keys[done.worker][done.lo:done.hi] = (index << 32) + np.arange(done.hi - done.lo)
        return keys

    def find(self, words: Sequence[str]) -> Selection:
        """``words`` (distinct strings) as a :class:`Selection` (counts not computed)."""
        encoded = [w.encode("utf-8") for w in words]
        starts = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(b) for b in encoded], out=starts[1:])
        arena = np.frombuffer(bytearray().join(encoded), dtype=np.uint8)
        spans = _spans_of(starts, 0, len(encoded))
        local = []
        for table, where in zip(self._tables(),
                                self._each_table(lambda w, table: table.find(arena, spans))):
            here = np.full(len(table), -1, dtype=np.int32)
            present = np.flatnonzero(where >= 0)
            here[where[present]] = present
            local.append(here)
        return Selection(list(words), np.zeros(len(words), dtype=np.int64), local)

    def write(self, maps: Sequence[tuple[Selection, np.ndarray]], max_sentence_length: int,
              ids_path: Path, ends_path: Path) -> tuple[int, int]:
        """Write the encoded corpus as :func:`w2vcli.corpus.read_corpus` stores it.

        Args:
            maps: ``(selection, remap)`` pairs, ``remap`` int32 ``(len(selection),)`` the
                vocabulary id of each of its words, or -1; every other word is dropped.
            max_sentence_length: lines are cut into sentences of at most this many tokens
                (counted before out-of-vocabulary tokens are dropped, as the reference does).
            ids_path, ends_path: where to write the kept ids (int32) and the end offset of each
                sentence that keeps a token (int64).

        Returns:
            ``(kept tokens, sentences)``.

        Raises:
            CorpusError: a stored file of ids is shorter than it was written (deleted).
        """
        run = self._run
        fmaps = [np.full(len(t), -1, dtype=np.int32) for t in self._tables()]
        for selection, remap in maps:
            remap = np.asarray(remap, dtype=np.int32)
            for fmap, local in zip(fmaps, selection.local):
                mapped = np.flatnonzero(local >= 0)
                ids = remap[local[mapped]]
                fmap[mapped[ids >= 0]] = ids[ids >= 0]
        carry = np.array([0, 0, 0, max_sentence_length], dtype=np.int64)
        largest = max((c.n_ids for c in run.chunks), default=0)
        most_breaks = max((c.n_breaks for c in run.chunks), default=0)
        raw = np.empty(largest, dtype=np.int32)
        breaks = np.empty(most_breaks, dtype=np.int64)
        out_ids = np.empty(largest, dtype=np.int32)
        out_ends = np.empty(largest + most_breaks + 1, dtype=np.int64)
        n_sentences = 0
        ids_in = [open(w.ids_path, "rb") for w in run.workers]
        breaks_in = [open(w.breaks_path, "rb") for w in run.workers]
        try:
            with open(ids_path, "wb") as ids_out, open(ends_path, "wb") as ends_out:
                for c in run.chunks:
                    _read_into(ids_in[c.worker], raw, c.ids_at, c.n_ids)
                    _read_into(breaks_in[c.worker], breaks, c.breaks_at, c.n_breaks)
                    k, e = _emit(raw[:c.n_ids], fmaps[c.worker], breaks[:c.n_breaks], carry,
                                 out_ids, out_ends)
                    ids_out.write(memoryview(out_ids[:k]).cast("B"))
                    ends_out.write(memoryview(out_ends[:e]).cast("B"))
                    n_sentences += e
                # The last line ends with the corpus.
                if carry[1] > 0:
                    np.array([carry[2]], dtype=np.int64).tofile(ends_out)
                    n_sentences += 1
        finally:
            for handle in ids_in + breaks_in:
                handle.close()
        return int(carry[2]), n_sentences

    def close(self) -> None:
        """Remove the stored ids (the encoded corpus written by :meth:`write` stays)."""
        self._run.remove_files()


def _read_into(handle, out: np.ndarray, offset: int, count: int) -> None:
    handle.seek(offset * out.itemsize)
    view = memoryview(out[:count]).cast("B")
    got = 0
    while got < len(view):
        n = handle.readinto(view[got:])
        if not n:
            raise CorpusError("a temporary file of the encoded corpus is shorter than expected; "
                              "was it deleted?")
        got += n


def default_threads() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def count_corpus(workdir: Path, paths: Sequence[str | os.PathLike],
                 tokenizer: Callable[[str], list[str]], threads: int | None = None,
                 stats: tk.ReadStats | None = None, chunk_bytes: int | None = None) -> Counted:
    """Read, tokenize and count a corpus on ``threads`` cores; store its word ids in ``workdir``.

    Args:
        paths: corpus files (plain, .gz, .bz2, .xz) or ``"-"`` for standard input.
        tokenizer: made by :func:`w2vcli.tokenize.make_tokenizer` (see
            :func:`w2vcli.tokenize.tokenizer_spec`).
        threads: worker threads (default: every core this process may use); the result does
            not depend on it.
        stats: filled in as :func:`w2vcli.tokenize.iter_sentences` fills it (``chars`` only says
            whether anything was read).
        chunk_bytes: bytes per chunk (default: :data:`CHUNK_BYTES`, less for a small corpus, so
            that every worker has chunks to do); the result does not depend on it.

    Returns:
        A :class:`Counted`; its :meth:`~Counted.close` removes the stored ids.

    Raises:
        CorpusError: as :func:`w2vcli.tokenize.iter_sentences` (a file is missing, unreadable,
            corrupt or not text), for the first such file in order; or one thread met more
            distinct words than a table holds (671M).
        ValueError: ``tokenizer`` was not made by ``make_tokenizer``; ``threads`` or
            ``chunk_bytes`` below 1.
    """
    spec = tk.tokenizer_spec(tokenizer)
    if spec is None:
        raise ValueError("count_corpus needs a tokenizer made by make_tokenizer")
    flags = (_WORDS if spec[0] == "words" else 0) | (_LOWER if spec[1] else 0)
    threads = default_threads() if threads is None else int(threads)
    if threads < 1:
        raise ValueError("threads must be at least 1")
    if stats is None:
        stats = tk.ReadStats()
    as_stream = not all(_reopenable(p) for p in paths)
    if chunk_bytes is None:
        total = sum(_size(p) for p in paths if _reopenable(p) and os.path.isfile(p))
        chunk_bytes = CHUNK_BYTES
        if not as_stream and total:
            chunk_bytes = int(min(CHUNK_BYTES, max(MIN_CHUNK_BYTES, total // (8 * threads))))
    if chunk_bytes < 1:
        raise ValueError("chunk_bytes must be at least 1")
    while True:
        run = _Run(workdir, paths, tokenizer, flags, threads, chunk_bytes, as_stream, stats)
        try:
            run.run()
        except _Giant:
            run.remove_files()
            stats.chars, stats.has_text, stats.replaced_bytes = 0, False, 0
            stats.nul_chars = stats.control_chars = 0
            as_stream = True
            continue
        except BaseException:
            run.remove_files()
            raise
        return Counted(run)
