"""The training session: resume restores every setting, positions survive thread changes,
paths survive a change of directory, and the saved-model layout reads back what it wrote."""

import json
import signal

import numpy as np
import pytest
from click.testing import CliRunner

import w2vcli.training
from w2vcli.cli import cli
from w2vcli.model import load_model
from w2vcli.session import Interrupted, OptionError, TrainingSession, options_from_meta

WORDS = ["cat", "dog", "cow", "red", "blue", "green", "rome", "oslo", "paris"]
ARGS = ["--dim", "16", "--min-count", "1", "--seed", "7", "--epochs", "2"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    rng = np.random.default_rng(5)
    lines = [" ".join(WORDS[3 * g + i] for i in rng.integers(0, 3, size=int(n)))
             for g, n in zip(rng.integers(0, 3, size=3000), rng.integers(3, 20, size=3000))]
    path = tmp_path_factory.mktemp("session") / "corpus.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def _interrupt_after(calls: int):
    """A progress callback that presses Ctrl-C after ``calls`` kernel calls."""
    seen = []

    def progress(_):
        seen.append(1)
        if len(seen) == calls:
            signal.raise_signal(signal.SIGINT)

    return progress


def test_plain_resume_restores_the_thread_count_and_writes_the_same_bytes(corpus, tmp_path,
                                                                          monkeypatch):
    full = tmp_path / "full.txt"
    assert run("train", corpus, "-o", full, *ARGS, "--threads", "1").exit_code == 0
    real_save = w2vcli.model.save_model

    def save_then_die(path, model):
        real_save(path, model)
        raise KeyboardInterrupt  # killed right after the epoch-1 checkpoint

    monkeypatch.setattr(w2vcli.model, "save_model", save_then_die)
    out, ckpt = tmp_path / "out.txt", tmp_path / "ckpt"
    result = run("train", corpus, "-o", out, *ARGS, "--threads", "1", "--save-model", ckpt,
                 "--checkpoint-every", "1")
    assert result.exit_code == 130
    monkeypatch.setattr(w2vcli.model, "save_model", real_save)
    assert load_model(ckpt).meta["config"]["threads"] == 1

    result = run("train", "--resume", ckpt)  # no --threads: the checkpoint's 1 is restored
    assert result.exit_code == 0, result.output
    assert "Resuming with" not in result.output
    assert "(1 thread)" in result.output or "words/s, 1 thread)" in result.output
    assert out.read_bytes() == full.read_bytes()


def test_an_override_on_resume_is_said_in_one_line(corpus, tmp_path):
    ckpt = tmp_path / "m"
    assert run("train", corpus, "-o", tmp_path / "v.txt", *ARGS, "--epochs", "1",
               "--threads", "1", "--save-model", ckpt).exit_code == 0
    result = run("train", "--resume", ckpt, "--threads", "2", "--epochs", "2")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "Resuming with --threads 2 (the checkpoint's run had 1)." in lines
    assert "Resuming with --epochs 2 (the checkpoint's run had 1)." in lines
    assert load_model(ckpt).meta["config"]["threads"] == 2  # the run as it ended


def test_a_mid_epoch_position_resumes_across_1_2_1_threads(corpus, tmp_path, monkeypatch):
    """Stopped at 2 threads, resumed at 1, stopped, resumed at 2: every sentence of the epoch
    is trained exactly once (with no subsampling and fixed windows the epoch's prediction count
    is the same whatever the batches and threads)."""
    monkeypatch.setattr(w2vcli.training, "BATCH_WORDS_PER_THREAD", 1500)  # many batches
    options = dict(dim=16, min_count=1, seed=3, epochs=1, sample=0.0, shrink_windows=False)
    reference = TrainingSession.prepare([corpus], output=str(tmp_path / "ref.txt"), threads=2,
                                        **options)
    reference.read()
    expected = reference.train().epochs[0]

    ckpt = str(tmp_path / "ckpt")
    positions = []
    first = TrainingSession.prepare([corpus], output=str(tmp_path / "v.txt"), save_model=ckpt,
                                    threads=2, **options)
    first.read()
    with pytest.raises(Interrupted):
        first.train(progress=_interrupt_after(3))
    positions.append(load_model(ckpt).meta["position"]["sentence"])

    second = TrainingSession.prepare(resume=ckpt, threads=1)
    assert second.notes == ["Resuming with --threads 1 (the checkpoint's run had 2)."]
    second.read()
    with pytest.raises(Interrupted):
        second.train(progress=_interrupt_after(3))  # 3 one-thread batches: off the 2-thread cuts
    positions.append(load_model(ckpt).meta["position"]["sentence"])

    third = TrainingSession.prepare(resume=ckpt, threads=2)
    third.read()
    epoch = third.train().epochs[0]
    assert 0 < positions[0] < positions[1] < reference.encoded.n_sentences
    assert epoch.pairs == expected.pairs
    # The resumed epoch's words/s is over what this process trained of it, not the whole epoch.
    left = len(reference.encoded) - reference.encoded.sentence_start(positions[1])
    assert epoch.trained_words == left < epoch.words
    assert epoch.words_per_sec == pytest.approx(left / epoch.seconds)
    assert np.isfinite(epoch.mean_loss)
    saved = load_model(ckpt)
    assert saved.meta["epochs_done"] == 1 and "position" not in saved.meta
    assert saved.meta["words_done"] == len(reference.encoded)


def test_resume_works_from_another_directory(corpus, tmp_path, monkeypatch):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "corpus.txt").write_bytes(corpus.read_bytes())
    monkeypatch.chdir(tmp_path / "a")
    assert run("train", "corpus.txt", "-o", "v.txt", *ARGS, "--epochs", "1", "--threads", "1",
               "--save-model", "m", "--loss-log", "loss.csv").exit_code == 0
    meta = json.loads((tmp_path / "a" / "m" / "model.json").read_text())
    assert meta["corpus"]["paths"] == [str(tmp_path / "a" / "corpus.txt")]
    assert meta["output"]["path"] == str(tmp_path / "a" / "v.txt")
    monkeypatch.chdir(tmp_path / "b")
    result = run("train", "--resume", tmp_path / "a" / "m", "--epochs", "2")
    assert result.exit_code == 0, result.output
    assert load_model(tmp_path / "a" / "m").meta["epochs_done"] == 2
    rows = (tmp_path / "a" / "loss.csv").read_text().splitlines()
    assert len(rows) == 3  # header + 2 epochs, the first read back from the checkpoint
    for row in rows[1:]:  # written alike: integer epoch, words and words/s
        epoch, words, _, _, rate = row.split(",")
        assert epoch.isdigit() and words.isdigit() and rate.isdigit(), row
    assert not list((tmp_path / "b").iterdir())  # nothing written here


def test_the_layout_reads_back_what_it_wrote(corpus, tmp_path):
    session = TrainingSession.prepare([corpus], output=str(tmp_path / "v.bin"),
                                      save_model=str(tmp_path / "m"), threads=1, dim=16,
                                      min_count=1, neg=3, window=2, epochs=1, kernel="pair",
                                      lowercase=False, max_vocab=7)
    session.read()
    session.train()
    stored = options_from_meta(load_model(tmp_path / "m").meta)
    for name, value in session.options.items():
        assert stored[name] == value, name
    assert stored["fmt"] == "binary" and stored["output"] == str(tmp_path / "v.bin")


def test_a_format_1_batch_position_is_read_as_a_sentence(corpus):
    from w2vcli.corpus import read_corpus
    from w2vcli.session import position_from_meta
    from w2vcli.tokenize import make_tokenizer

    _, encoded = read_corpus([corpus], make_tokenizer(), min_count=1)
    meta = {"config": {"threads": 1}, "epochs_done": 0,
            "position": {"epoch": 1, "batch": 1, "loss": 2.0, "pairs": 10}}
    position = position_from_meta(meta, encoded)
    assert position.sentence == int(encoded.plan(w2vcli.training.BATCH_WORDS_PER_THREAD)[1])
    assert (position.epoch, position.loss, position.pairs) == (1, 2.0, 10)


def test_session_option_errors_name_the_option(corpus, tmp_path):
    with pytest.raises(OptionError, match="unknown training option 'dims'"):
        TrainingSession.prepare([corpus], dims=3)
    with pytest.raises(OptionError) as err:
        TrainingSession.prepare([corpus], alpha=0.01, min_alpha=0.1)
    assert err.value.option == "--min-alpha"
    with pytest.raises(OptionError, match="--resume and --init cannot be combined"):
        TrainingSession.prepare([corpus], resume="x", init="y")


def test_info_shows_settings_in_words(corpus, tmp_path):
    model = tmp_path / "m"
    assert run("train", corpus, "-o", tmp_path / "v.txt", *ARGS, "--epochs", "1", "--threads",
               "1", "--save-model", model).exit_code == 0
    result = CliRunner(env={"COLUMNS": "200"}).invoke(cli, ["info", str(model)])
    assert result.exit_code == 0, result.output
    cells = {}
    for line in result.output.splitlines():
        parts = [p.strip() for p in line.strip("│ ").split("│")]
        if len(parts) == 2:
            cells[parts[0]] = parts[1]
    assert cells["lowercase"] == "yes (the words tokenizer's default)"
    assert cells["max_vocab"] == "no limit" and cells["shrink_windows"] == "yes"
    assert cells["output"] == f"format: text; path: {tmp_path / 'v.txt'}"
    assert "{" not in result.output  # no raw JSON
