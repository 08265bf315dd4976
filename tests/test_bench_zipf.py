"""The generator of the large-vocabulary benchmark (benchmarks/zipf.py): its figures are right."""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path

import pytest

ZIPF = Path(__file__).resolve().parents[1] / "benchmarks" / "zipf.py"


@pytest.fixture(scope="module")
def zipf():
    spec = importlib.util.spec_from_file_location("bench_zipf", ZIPF)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


def test_every_rank_gets_its_own_spelling(zipf):
    letters, lengths = zipf.word_table(12_000)
    words = [bytes(letters[i, : lengths[i]]) for i in range(len(lengths))]
    assert len(set(words)) == len(words)
    assert words[:2] == [b"ba", b"be"] and words[100] == b"baba"
    assert all(w.isalpha() and w.islower() for w in words)
    assert list(lengths) == sorted(lengths)  # frequent ranks are never longer


def test_generated_corpus_matches_its_figures_and_is_reused(zipf, tmp_path):
    params = zipf.ZipfParams(tokens=50_000, types=20_000, seed=3, sentence_mean=8.0)
    made = zipf.corpus_for(params, min_count=5, directory=tmp_path)
    assert not made.reused
    lines = made.path.read_bytes().split(b"\n")
    assert lines[-1] == b""  # ends with a line feed
    tokens = [w for line in lines[:-1] for w in line.split(b" ")]
    assert all(tokens)  # single spaces, no empty words
    counts = Counter(tokens)
    assert len(tokens) == made.tokens == 50_000
    assert len(lines) - 1 == made.sentences
    assert len(counts) == made.distinct
    assert sum(c >= 5 for c in counts.values()) == made.kept
    again = zipf.corpus_for(params, min_count=5, directory=tmp_path)
    assert again.reused and again.path == made.path and again.kept == made.kept
    other = zipf.corpus_for(zipf.ZipfParams(tokens=50_000, types=20_000, seed=3,
                                            sentence_mean=8.0), 5, tmp_path / "other")
    assert other.path.read_bytes() == made.path.read_bytes()  # seeded: the same bytes
