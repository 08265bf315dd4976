"""Training progress for programs: JSON lines to a file, plain lines when stderr is no terminal."""

import json

from click.testing import CliRunner

from w2vcli.cli import cli
from w2vcli.progress import PlainLines, epoch_record, progress_record
from w2vcli.training import EpochStats, Progress

ARGS = ["--dim", "16", "--min-count", "1", "--threads", "1", "--epochs", "3", "--sample", "0"]


def _corpus(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("the cat sat on the mat\nthe dog sat on the log\n" * 200)
    return path


def test_jsonl_log_file_has_progress_and_one_record_per_epoch(tmp_path):
    log = tmp_path / "log.jsonl"
    result = CliRunner().invoke(cli, ["train", str(_corpus(tmp_path)), "-o",
                                      str(tmp_path / "v.txt"), *ARGS, "--log-file", str(log)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in log.read_text().splitlines()]
    epochs = [r for r in records if r["event"] == "epoch"]
    assert [r["epoch"] for r in epochs] == [1, 2, 3]
    assert {"words", "predictions", "alpha", "loss", "seconds", "words_per_sec"} <= set(epochs[0])
    progress = [r for r in records if r["event"] == "progress"]
    assert progress and progress[0]["total_words"] == 3 * 2400
    assert {"epoch", "words_done", "words_per_sec", "alpha", "loss", "eta_s"} <= set(progress[0])
    assert epochs[-1]["loss"] < epochs[0]["loss"]


def test_plain_lines_when_stderr_is_not_a_terminal(tmp_path):
    result = CliRunner().invoke(cli, ["train", str(_corpus(tmp_path)), "-o",
                                      str(tmp_path / "v.txt"), *ARGS])
    assert result.exit_code == 0, result.output
    assert "\x1b[" not in result.output and "━" not in result.output  # no bar, no control codes
    lines = result.output.splitlines()
    assert [line.split(" done:")[0] for line in lines if " done:" in line] == \
        ["epoch 1", "epoch 2", "epoch 3"]


def test_records_replace_non_finite_numbers_with_null():
    p = Progress(epoch=1, epochs=2, words_done=0, total_words=10, alpha=0.025,
                 epoch_loss=float("nan"), words_per_sec=0.0, elapsed=0.0)
    record = progress_record(p)
    assert record["loss"] is None and record["eta_s"] is None
    stats = EpochStats(epoch=1, words=10, pairs=0, alpha=0.02, mean_loss=float("nan"),
                       seconds=0.0)
    assert epoch_record(stats)["loss"] is None and epoch_record(stats)["words_per_sec"] is None
    assert "ETA -" in PlainLines.progress_line(p)
