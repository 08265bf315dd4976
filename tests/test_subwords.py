"""Character n-grams and their hashes, as fastText computes them."""

import numpy as np
import pytest

from w2vcli.subwords import EOS, compose, fnv1a, ngram_rows, ngrams, subword_table

WORDS = ["king", "café", "東京", "naïve", "a", "</s>x", "Ünïcödé-wörd", "x" * 40]


def test_fnv1a_sign_extends_bytes_as_fasttext():
    assert fnv1a(b"") == 2166136261
    assert fnv1a(b"a") == 0xE40C292C  # the published FNV-1a 32-bit test vector
    # A byte >= 0x80 enters as a sign-extended signed char, not as itself.
    plain = (2166136261 ^ 0xC3) * 16777619 & 0xFFFFFFFF
    assert fnv1a(b"\xc3") == (2166136261 ^ 0xFFFFFFC3) * 16777619 & 0xFFFFFFFF != plain


def test_ngrams_by_utf8_character():
    assert ngrams("king", 3, 4) == [b"<ki", b"<kin", b"kin", b"king", b"ing", b"ing>", b"ng>"]
    assert ngrams("東京", 1, 2) == [g.encode() for g in ("<東", "東", "東京", "京", "京>")]
    assert ngrams(EOS) == [] and ngrams("king", 3, 0) == []
    assert b"<" not in ngrams("ab", 1, 1) and b">" not in ngrams("ab", 1, 1)


def test_the_same_ngrams_and_hashes_as_gensim():
    fasttext_inner = pytest.importorskip("gensim.models.fasttext_inner")
    for word in WORDS:
        assert ngrams(word, 3, 6) == fasttext_inner.compute_ngrams_bytes(word, 3, 6), word
        assert [fnv1a(g) for g in ngrams(word)] == \
            [fasttext_inner.ft_hash_bytes(g) for g in ngrams(word)], word


def test_subword_table_and_compose():
    words = ["king", "queen", "a"]
    offsets, rows = subword_table(words, 3, 6, bucket=100)
    assert offsets.dtype == np.int64 and rows.dtype == np.int32 and offsets[0] == 0
    for i, word in enumerate(words):
        mine = rows[offsets[i]:offsets[i + 1]].tolist()
        assert mine == [i, *ngram_rows(word, 3, 3, 6, 100)]
        assert all(3 <= r < 103 for r in mine[1:])
    matrix = np.random.default_rng(0).standard_normal((103, 4)).astype(np.float32)
    index = {w: i for i, w in enumerate(words)}
    np.testing.assert_allclose(compose("king", index, matrix, 3, 6, 100),
                               matrix[rows[offsets[0]:offsets[1]]].mean(axis=0), rtol=1e-6)
    oov = compose("kingdom", index, matrix, 3, 6, 100)
    np.testing.assert_allclose(oov, matrix[ngram_rows("kingdom", 3, 3, 6, 100)].mean(axis=0),
                               rtol=1e-6)
    assert compose("x", {}, matrix, 4, 6, 100) is None  # "<x>" has no 4-gram
