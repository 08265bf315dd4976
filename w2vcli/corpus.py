"""The encoded corpus: every in-vocabulary token as an int32 id, with sentence boundaries.

Reading is one pass over the text, so standard input works and the slow part (tokenizing) is
done once. While reading, each distinct word gets a provisional id in order of first appearance
and the provisional ids are stored; the vocabulary (:class:`~w2vcli.vocab.Vocab`) is then built
from the counts (pass 1), and the stored ids are mapped to vocabulary ids with out-of-vocabulary
tokens removed, as word2vec.c and gensim do before windowing (pass 2, vectorised in NumPy).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from w2vcli.errors import CorpusError
from w2vcli.tokenize import iter_sentences
from w2vcli.vocab import Vocab

_FLUSH_TOKENS = 1 << 20


@dataclass
class Corpus:
    """A corpus encoded against a vocabulary.

    Attributes:
        ids: int32 ``(N,)`` vocabulary ids of the in-vocabulary tokens, in corpus order.
        sentence_ends: int64 ``(S,)`` exclusive end offset of each sentence in ``ids``; strictly
            increasing, last element ``N`` (empty sentences are not stored).
        raw_tokens: tokens read, including those dropped as out of vocabulary.
    """

    ids: np.ndarray
    sentence_ends: np.ndarray
    raw_tokens: int

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def n_sentences(self) -> int:
        return len(self.sentence_ends)

    def sentence_starts(self) -> np.ndarray:
        """int64 ``(S,)`` start offset of each sentence."""
        starts = np.empty_like(self.sentence_ends)
        starts[:1] = 0
        starts[1:] = self.sentence_ends[:-1]
        return starts


def read_corpus(
    paths: Sequence[str | os.PathLike],
    tokenizer: Callable[[str], list[str]],
    min_count: int = 5,
    max_vocab: int | None = None,
    max_sentence_length: int = 10000,
) -> tuple[Vocab, Corpus]:
    """Tokenize the corpus files, build the vocabulary and encode the corpus.

    Args:
        paths: corpus files (plain, .gz, .bz2, .xz) or ``"-"`` for standard input.
        tokenizer: string -> tokens (see :func:`w2vcli.tokenize.make_tokenizer`).
        min_count: words seen fewer times are left out of the vocabulary.
        max_vocab: keep at most this many of the most frequent words.
        max_sentence_length: longer lines are cut into pieces of this many tokens.

    Returns:
        ``(vocab, corpus)``.

    Raises:
        CorpusError: a file cannot be read, has no tokens, or no word reaches ``min_count``.
    """
    index: dict[str, int] = {}
    setdefault = index.setdefault
    chunks: list[np.ndarray] = []
    buffer: list[int] = []
    lengths: list[int] = []
    for tokens in iter_sentences(paths, tokenizer, max_sentence_length):
        buffer.extend([setdefault(t, len(index)) for t in tokens])
        lengths.append(len(tokens))
        if len(buffer) >= _FLUSH_TOKENS:
            chunks.append(np.array(buffer, dtype=np.int32))
            buffer.clear()
    chunks.append(np.array(buffer, dtype=np.int32))
    provisional = np.concatenate(chunks)
    del chunks, buffer

    if len(provisional) == 0:
        names = ", ".join(os.fspath(p) for p in paths)
        raise CorpusError(
            f"the corpus ({names}) has no tokens; check the file, "
            "or try --tokenizer whitespace if it is not made of letters and digits"
        )
    counts = np.bincount(provisional, minlength=len(index)).astype(np.int64)
    vocab, remap = Vocab.from_counts(list(index), counts, min_count, max_vocab)
    del index

    mapped = remap[provisional]
    keep = mapped >= 0
    ids = np.ascontiguousarray(mapped[keep], dtype=np.int32)
    # Kept tokens before each raw sentence end give the new ends; drop emptied sentences.
    kept_before = np.concatenate(([0], np.cumsum(keep, dtype=np.int64)))
    raw_ends = np.cumsum(np.asarray(lengths, dtype=np.int64))
    ends = kept_before[raw_ends]
    starts = np.concatenate(([0], ends[:-1]))
    ends = ends[ends > starts]
    return vocab, Corpus(ids=ids, sentence_ends=ends, raw_tokens=len(provisional))
