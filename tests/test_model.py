"""The saved-model directory: what is written reads back, and damaged directories fail with a
message naming the file."""

import json

import numpy as np
import pytest

from w2vcli.errors import W2VError
from w2vcli.model import (VERSION, ModelFormatError, SavedModel, load_model, loss_csv_text,
                          save_model)


def _model(words=("the", "cat", "sat"), dim=4, seed=0, loss=True):
    rng = np.random.default_rng(seed)
    rows = [{"epoch": e, "words": 600, "alpha": 0.025 / e, "mean_loss": 3.0 / e,
             "words_per_sec": 1e6 + e} for e in (1, 2)] if loss else []
    return SavedModel(list(words), np.arange(len(words), 0, -1, dtype=np.int64) * 10,
                      rng.standard_normal((len(words), dim)).astype(np.float32),
                      rng.standard_normal((len(words), dim)).astype(np.float32),
                      {"config": {"dim": dim}, "epochs_done": 2}, rows)


def test_a_saved_model_reads_back_whole(tmp_path):
    model = _model(words=("the", "café", "naïve", "東京"))
    save_model(tmp_path / "m", model)
    back = load_model(tmp_path / "m")
    assert back.words == model.words
    np.testing.assert_array_equal(back.counts, model.counts)
    np.testing.assert_array_equal(back.w_in, model.w_in)
    np.testing.assert_array_equal(back.w_out, model.w_out)
    assert back.meta["version"] == VERSION and back.meta["vocab_size"] == 4
    assert back.meta["vector_size"] == 4 and back.meta["epochs_done"] == 2
    assert back.loss == model.loss
    assert [type(back.loss[0][k]) for k in ("epoch", "words", "alpha")] == [int, int, float]


def test_loss_rows_are_written_alike_whatever_their_types():
    fresh = {"epoch": 2, "words": 600, "alpha": 0.0125, "mean_loss": 1.5,
             "words_per_sec": 1234.4}
    read_back = {k: float(v) for k, v in fresh.items()}  # as a CSV reader would give them
    assert loss_csv_text([fresh]) == loss_csv_text([read_back])
    assert loss_csv_text([fresh]).splitlines()[1] == "2,600,0.0125,1.5,1234"


def test_saving_over_a_model_replaces_it_and_over_other_things_refuses(tmp_path):
    save_model(tmp_path / "m", _model(seed=1))
    save_model(tmp_path / "m", _model(seed=2))
    np.testing.assert_array_equal(load_model(tmp_path / "m").w_in, _model(seed=2).w_in)
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.txt").write_text("keep me")
    with pytest.raises(W2VError, match="not a w2v model directory"):
        save_model(tmp_path / "notes", _model())
    assert (tmp_path / "notes" / "a.txt").read_text() == "keep me"


@pytest.mark.parametrize("damage, message", [
    (lambda d: (d / "model.json").unlink(), "is not a w2v model directory"),
    (lambda d: (d / "model.json").write_text("{"), "model.json: cannot read it"),
    (lambda d: (d / "model.json").write_text('{"format": "other"}'), "not a w2v-model file"),
    (lambda d: (d / "model.json").write_text(json.dumps({"format": "w2v-model",
                                                         "version": VERSION + 1})),
     "written by a newer w2v"),
    (lambda d: (d / "vocab.tsv").write_text("the 3\n"), "line 1: expected 'word<TAB>count'"),
    (lambda d: (d / "w_in.npy").write_bytes(b"junk"), "cannot read the weight matrices"),
    (lambda d: (d / "vocab.tsv").write_text("the\t3\n"), "does not match 1 words"),
])
def test_a_damaged_directory_names_what_is_wrong(tmp_path, damage, message):
    save_model(tmp_path / "m", _model())
    damage(tmp_path / "m")
    with pytest.raises(ModelFormatError, match=message):
        load_model(tmp_path / "m")


def test_mapped_matrices_are_read_only(tmp_path):
    save_model(tmp_path / "m", _model())
    mapped = load_model(tmp_path / "m", mmap=True)
    assert not mapped.w_in.flags.writeable
    np.testing.assert_array_equal(mapped.w_in, _model().w_in)
