"""Training on a Dask cluster (``--cluster``): a LocalCluster of 2 worker processes, 1 thread
each, tiny corpora. Tests skip where Dask is not installed (``pip install 'w2vcli[cluster]'``).

Every wait has a timeout and no test asserts on wall-clock time; clusters are shut down by their
fixtures.
"""

from __future__ import annotations

import gzip
import logging
import os
import signal
import socket
import subprocess
import sys
import threading

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

from conftest import (CHILD_TIMEOUT, assert_one_line_error, child_env, run_cli,  # noqa: E402
                      wait_for)
from w2vcli import cluster as clusters  # noqa: E402
from w2vcli.corpus import read_corpus  # noqa: E402
from w2vcli.tokenize import ByteRange, make_tokenizer  # noqa: E402

GROUPS = {
    "animal": ["cat", "dog", "horse", "cow", "sheep", "goat"],
    "colour": ["red", "green", "blue", "yellow", "purple", "orange"],
    "fruit": ["apple", "pear", "plum", "grape", "melon", "cherry"],
    "tool": ["hammer", "saw", "drill", "wrench", "chisel", "pliers"],
}
FILLER = ["the", "a", "of", "and", "to", "in"]
#: Training options of every run here: one kernel (dim 20, skip-gram NS), compiled once.
OPTIONS = dict(dim=20, window=3, neg=5, sample=0, min_count=1, seed=3, threads=1)
#: Seconds any one cluster operation here may take before the test fails.
TIMEOUT = 120


@pytest.fixture(autouse=True)
def _every_round_has_a_timeout(monkeypatch):
    """A round or reading step that hangs fails the test instead of hanging it."""
    monkeypatch.setattr(clusters, "ROUND_TIMEOUT", TIMEOUT)


def _local_cluster():
    from distributed import LocalCluster

    return LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                        dashboard_address=":0", silence_logs=logging.ERROR)


@pytest.fixture(scope="module")
def scheduler():
    """The address of a LocalCluster of 2 worker processes, shut down after the module."""
    from distributed import Client

    with _local_cluster() as cluster, Client(cluster) as client:
        client.wait_for_workers(2, timeout=TIMEOUT)
        yield cluster.scheduler_address


def _planted_lines(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    names = list(GROUPS)
    lines = []
    for _ in range(n):
        group = GROUPS[names[rng.integers(len(names))]]
        words = [group[i] if rng.random() < 0.7 else FILLER[rng.integers(len(FILLER))]
                 for i in rng.integers(0, len(group), size=12)]
        lines.append(" ".join(words))
    return lines


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """Sentences whose content words come from one group each, plus shared filler."""
    path = tmp_path_factory.mktemp("cluster") / "planted.txt"
    path.write_text("\n".join(_planted_lines(3000)) + "\n")
    return path


def _group_recall(wv, k: int = 5) -> float:
    hits = total = 0
    for members in GROUPS.values():
        for word in members:
            neighbours = {w for w, _ in wv.most_similar(word, topn=k)}
            hits += len(neighbours & set(members))
            total += k
    return hits / total


# -- shards and the vocabulary ----------------------------------------------------------------


def test_shards_cover_the_files_in_order_cut_after_newlines(tmp_path):
    a = tmp_path / "a.txt"
    a.write_bytes(b"one two three\nfour five\n" * 500)
    b = tmp_path / "b.txt.gz"
    b.write_bytes(gzip.compress(b"six seven\n" * 10))
    long = tmp_path / "long.txt"
    long.write_bytes(b" ".join([b"word"] * 20000) + b"\n")  # one line: cut after a space
    shards = clusters.split_corpus([a, b, long], 4)
    pieces = [p for shard in shards for p in shard]
    assert str(b) in pieces  # a compressed file is never cut
    for path in (a, long):
        ranges = [p for p in pieces if isinstance(p, ByteRange) and p.path == str(path)]
        whole = [p for p in pieces if p == str(path)]
        spans = [(r.start, r.stop) for r in ranges] or [(0, path.stat().st_size)] * len(whole)
        assert spans[0][0] == 0 and spans[-1][1] == path.stat().st_size
        assert all(x[1] == y[0] for x, y in zip(spans, spans[1:]))
        data = path.read_bytes()
        for start, _ in spans[1:]:
            assert data[start - 1:start] in (b"\n", b" ")
    assert 2 <= len(shards) <= 4


def _corpus_files(tmp_path):
    """Three files, one compressed, with ties in the counts, words first seen in later
    shards, a line longer than a shard and words under min-count."""
    rng = np.random.default_rng(5)
    words = [f"w{i:03d}" for i in range(300)]
    counts = {}
    lines = []
    for n in range(1200):
        line = [words[j] for j in rng.zipf(1.3, size=int(rng.integers(1, 15))) % 300]
        lines.append(" ".join(line))
    first = tmp_path / "one.txt"
    first.write_text("\n".join(lines[:600]) + "\n")
    second = tmp_path / "two.txt.gz"
    second.write_bytes(gzip.compress(("\n".join(lines[600:900]) + "\n").encode()))
    third = tmp_path / "three.txt"
    # Ties: words seen exactly as often, first seen in this file, and one very long line.
    tie_words = [f"tie{i}" for i in range(8)]
    third.write_text("\n".join(lines[900:]) + "\n" + " ".join(tie_words * 5) + " "
                     + " ".join(lines[:200]) + "\nnew1 new2 new2\n")
    del counts
    return [first, second, third]


@pytest.mark.parametrize("min_count,max_vocab", [(1, None), (5, None), (5, 40), (2, 57)])
@pytest.mark.parametrize("shards", [2, 3])
def test_vocabulary_equals_the_single_process_one(scheduler, tmp_path, min_count, max_vocab,
                                                  shards):
    files = _corpus_files(tmp_path)
    tokenizer = make_tokenizer("words")
    vocab, encoded = read_corpus(files, tokenizer, min_count, max_vocab)
    with clusters.ClusterRun(scheduler, threads=1, layout={"shards": shards}) as run:
        got, corpus = run.read_corpus(files, tokenizer, min_count, max_vocab)
        assert len(corpus.shards) == shards
        assert got.words == vocab.words  # same words, ids and order, ties included
        assert np.array_equal(got.counts, vocab.counts)
        assert len(corpus) == len(encoded) and corpus.raw_tokens == encoded.raw_tokens
        # The sentences are the same unless a shard boundary cut a line: here one.
        assert corpus.n_sentences - encoded.n_sentences in (0, 1, 2)


# -- training ------------------------------------------------------------------------------


def test_finds_planted_neighbours(scheduler, planted, tmp_path):
    import w2vcli

    model = w2vcli.train(planted, cluster=scheduler, epochs=4, output=tmp_path / "v.txt",
                         **OPTIONS)
    assert _group_recall(model.wv) > 0.9
    losses = [row["mean_loss"] for row in model.loss_history]
    # With 30 words every row is changed by both shards every round, so the summed deltas
    # overshoot a little and the last epoch's loss need not be the lowest (README).
    assert len(losses) == 4 and np.isfinite(losses).all() and min(losses[1:]) < losses[0]
    assert (tmp_path / "v.txt").stat().st_size > 0


def test_a_second_training_on_one_cluster_run_trains_anew(scheduler, planted):
    """Two trainings on one ClusterRun (seeds 1 then 2) give for seed 2 the bits that seed 2
    gives on a fresh run: no task of the first is taken for the second's."""
    from w2vcli.training import TrainConfig

    config = dict(dim=20, window=3, negative=5, sample=0, seed=1, threads=1, epochs=2)
    tokenizer = make_tokenizer("words")
    with clusters.ClusterRun(scheduler, threads=1) as run:
        vocab, corpus = run.read_corpus([planted], tokenizer, 1)
        first = run.train(vocab, corpus, TrainConfig(**config)).w_in
        second = run.train(vocab, corpus, TrainConfig(**dict(config, seed=2))).w_in
    with clusters.ClusterRun(scheduler, threads=1) as run:
        vocab, corpus = run.read_corpus([planted], tokenizer, 1)
        fresh = run.train(vocab, corpus, TrainConfig(**dict(config, seed=2))).w_in
    assert not np.array_equal(first, second)
    assert np.array_equal(second, fresh)


def test_merge_rules_divide_by_a_power_of_the_shards_that_changed_a_row():
    from w2vcli._rows import from_bfloat16, to_bfloat16

    parts = [(np.array([0, 2]), to_bfloat16(np.ones((2, 2), np.float32))),
             (np.array([2, 3]), to_bfloat16(np.full((2, 2), 3, np.float32)))]
    rows, delta = clusters.merge_deltas(parts, "sum")
    assert rows.tolist() == [0, 2, 3] and from_bfloat16(delta)[:, 0].tolist() == [1, 4, 3]
    rows, delta = clusters.merge_deltas(parts, "mean")
    assert rows.tolist() == [0, 2, 3] and from_bfloat16(delta)[:, 0].tolist() == [1, 2, 3]
    rows, delta = clusters.merge_deltas(parts, "sqrt")  # the sum over sqrt(shards)
    assert np.allclose(from_bfloat16(delta)[:, 0], [1, 4 / np.sqrt(2), 3], rtol=2.0 ** -8)
    with pytest.raises(ValueError, match="merge rule"):
        clusters.merge_deltas(parts, "median")


def test_deltas_travel_as_bfloat16_rounded_to_nearest_even():
    from w2vcli._rows import from_bfloat16, to_bfloat16

    rng = np.random.default_rng(0)
    x = (rng.standard_normal((50, 7)) * 10.0 ** rng.integers(-30, 30, (50, 7))).astype(
        np.float32)
    back = from_bfloat16(to_bfloat16(x))
    assert np.all(np.abs(back - x) <= np.abs(x) * 2.0 ** -8)  # half a unit in the 8th bit
    # Ties go to the even neighbour; infinities and NaNs survive.
    ties = np.array([[1 + 2.0 ** -8, 1 + 3 * 2.0 ** -8, np.inf, -np.inf, np.nan]], np.float32)
    back = from_bfloat16(to_bfloat16(ties))[0]
    assert back[:4].tolist() == [1.0, 1 + 2.0 ** -6, np.inf, -np.inf] and np.isnan(back[4])


def test_the_default_merge_rule_follows_the_number_of_shards(scheduler, planted):
    for shards, rule in ((2, "sum"), (4, "sqrt"), (5, "mean")):
        with clusters.ClusterRun(scheduler, threads=1, layout={"shards": shards}) as run:
            _, corpus = run.read_corpus([planted], make_tokenizer("words"), 1)
            assert len(corpus.shards) == shards and run.merge == rule


def test_a_worker_killed_mid_training_does_not_fail_the_run(planted, tmp_path):
    """The worker that starts shard 0's task of round 2 kills itself as the task begins: Dask
    runs the task again on the other worker (which encodes the lost shard itself) and the run
    completes."""
    from distributed import Client, WorkerPlugin

    import w2vcli

    marker = tmp_path / "killed"

    class KillOnce(WorkerPlugin):
        def transition(self, key, start, finish, **kwargs):
            if finish == "executing" and str(key).endswith("-1-1-0-0") and \
                    str(key).startswith("w2v-slice-") and not marker.exists():
                marker.write_text(str(os.getpid()))
                os.kill(os.getpid(), signal.SIGKILL)

    with _local_cluster() as cluster, Client(cluster) as client:
        client.wait_for_workers(2, timeout=TIMEOUT)
        client.register_plugin(KillOnce())
        done = {}

        def train() -> None:
            try:
                done["model"] = w2vcli.train(planted, cluster=cluster.scheduler_address,
                                             epochs=3, **OPTIONS)
            except BaseException as exc:  # noqa: BLE001 - reported by the test
                done["error"] = exc

        thread = threading.Thread(target=train, daemon=True)
        thread.start()
        thread.join(timeout=3 * TIMEOUT)
        assert not thread.is_alive(), "training did not finish"
        assert "error" not in done, done.get("error")
        assert marker.exists()  # a worker was killed in round 2 of epoch 1
        model = done["model"]
        assert len(model.loss_history) == 3
        assert np.isfinite(model.wv.vectors).all()
        assert _group_recall(model.wv) > 0.9


def test_rounds_started_again_after_lost_data_give_the_same_bytes(scheduler, planted,
                                                                   monkeypatch):
    """When a round's data is lost with a worker (its tasks find the workers' models at
    another round), the client starts the rounds in flight again from its own model: with one
    thread per task, the same vectors, bit for bit, as a run that lost nothing."""
    from w2vcli.training import TrainConfig

    config = TrainConfig(dim=20, window=3, negative=5, sample=0, seed=4, threads=1, epochs=2)
    tokenizer = make_tokenizer("words")
    with clusters.ClusterRun(scheduler, threads=1) as run:
        vocab, corpus = run.read_corpus([planted], tokenizer, 1)
        clean = run.train(vocab, corpus, config)
        calls = []
        wait = clusters.ClusterRun._wait

        def lose_the_third_round(self, futures, stop):
            calls.append(1)
            result = wait(self, futures, stop)
            return clusters._Stale("lost in a test") if len(calls) == 3 else result

        monkeypatch.setattr(clusters.ClusterRun, "_wait", lose_the_third_round)
        again = run.train(vocab, corpus, config)
    assert np.array_equal(clean.w_in, again.w_in) and np.array_equal(clean.w_out, again.w_out)
    assert [e.mean_loss for e in clean.epochs] == [e.mean_loss for e in again.epochs]
    assert len(calls) >= 2 * run.rounds + 1, calls  # the third round was taken in twice


def test_a_round_the_scheduler_cancelled_is_submitted_again(scheduler, planted, monkeypatch):
    """Dask cancels a task whose dependencies it has lost (a round's futures cancelled under
    the client): the client submits the round again instead of waiting for it forever."""
    from w2vcli.training import TrainConfig

    config = TrainConfig(dim=20, window=3, negative=5, sample=0, seed=5, threads=1, epochs=1)
    with clusters.ClusterRun(scheduler, threads=1) as run:
        vocab, corpus = run.read_corpus([planted], make_tokenizer("words"), 1)
        clean = run.train(vocab, corpus, config)
        submit = clusters.ClusterRun._submit_round
        cancelled = []

        def cancel_round_3(self, g, layout):
            futures = submit(self, g, layout)
            if g == 3 and not cancelled:
                cancelled.append(g)
                self.client.cancel(futures)
            return futures

        monkeypatch.setattr(clusters.ClusterRun, "_submit_round", cancel_round_3)
        again = run.train(vocab, corpus, config)
    assert cancelled
    assert np.array_equal(clean.w_in, again.w_in) and np.array_equal(clean.w_out, again.w_out)


def test_a_worker_model_at_another_round_is_stale():
    from w2vcli._rows import to_bfloat16

    w = np.zeros((3, 2), np.float32)
    base = clusters._Base(1, 4, w, w)
    state = clusters._RunState()
    assert state.model(base, 4, (), 0)[0].tolist() == w.tolist()
    one = np.array([1], np.int64)
    merged = clusters._Merged(one, to_bfloat16(np.ones((1, 2), np.float32)), one,
                              to_bfloat16(np.ones((1, 2), np.float32)), [], 0.0)
    w_in, _, copy_in, _ = state.model(base, 5, (merged,), 0)  # round 4's blocks: now at 5
    assert w_in[1].tolist() == [1, 1] and copy_in.tolist() == w_in.tolist()
    assert state.model(base, 5, (merged,), 1)[0][1].tolist() == [1, 1]  # not added twice
    assert state.model(base, 4, (), 0) is None and state.model(base, 7, (merged,), 0) is None
    assert state.model(clusters._Base(2, 7, w, w), 7, (), 0)[0].tolist() == w.tolist()
    assert state.model(base, 4, (), 0) is None  # an older base cannot take the replica back


def test_a_delay_of_one_round_finds_planted_neighbours(scheduler, planted):
    from w2vcli.keyedvectors import KeyedVectors
    from w2vcli.training import TrainConfig

    with clusters.ClusterRun(scheduler, threads=1, delay=1) as run:
        vocab, corpus = run.read_corpus([planted], make_tokenizer("words"), 1)
        result = run.train(vocab, corpus, TrainConfig(
            dim=20, window=3, negative=5, sample=0, seed=3, threads=1, epochs=4))
        assert corpus.layout()["delay"] == 1
    assert _group_recall(KeyedVectors(vocab.words, result.w_in, vocab.counts)) > 0.9


def test_frequent_words_synced_every_round_find_planted_neighbours(scheduler, planted,
                                                                     tmp_path):
    """--sync-words 12: the 12 most frequent words' rows (the filler words and a few more)
    sync every round, the others every 5 rounds and at each epoch's end."""
    import w2vcli
    from w2vcli.model import load_model

    model = w2vcli.train(planted, cluster=scheduler, epochs=4, sync_words=12,
                         save_model=tmp_path / "m", **OPTIONS)
    assert _group_recall(model.wv) > 0.9
    layout = load_model(tmp_path / "m").meta["cluster"]
    assert layout["hot_words"] == 12 and layout["full_sync_every"] == 5


def test_sync_words_needs_a_cluster(planted, tmp_path):
    result = run_cli("train", planted, "--sync-words", "5", "-o", tmp_path / "v.txt")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.output.endswith("Error: Invalid value for --sync-words: syncs the rounds of "
                                  "a cluster run: give --cluster too, or drop it\n")
    assert not (tmp_path / "v.txt").exists()


def test_only_the_frequent_rows_are_refreshed_between_full_syncs():
    w = np.zeros((4, 2), np.float32)
    base = clusters._Base(1, 0, w, w + 1)
    state = clusters._RunState()
    hot = (2, 2)
    none = np.empty(0, np.int64)
    nothing = (clusters._Merged(none, np.empty((0, 2), np.uint16), none,
                                np.empty((0, 2), np.uint16), [], 0.0),)
    _, _, copy_in, copy_out = state.model(base, 0, (), 0, None, hot, True)
    assert copy_out.tolist() == (w + 1).tolist()
    copy_in[:] = 7  # the shard's own changes, to frequent and rare rows
    _, _, copy_in, _ = state.model(base, 1, nothing, 0, None, hot, False)
    assert copy_in[:, 0].tolist() == [0, 0, 7, 7]  # frequent rows from the replica, rare kept
    _, _, copy_in, _ = state.model(base, 2, nothing, 0, None, hot, True)
    assert copy_in[:, 0].tolist() == [0, 0, 0, 0]  # after a full sync: every row
    # A shard whose last round ran elsewhere has its rare rows' changes there: stale.
    assert state.model(base, 2, (), 1, None, hot, False) is None
    assert state.model(base, 4, (), 0, None, hot, False) is None


def _session(cluster, corpus, output, save_model=None, **extra):
    from w2vcli.session import TrainingSession

    return TrainingSession.prepare([corpus] if corpus else [], output=str(output),
                                   save_model=save_model, cluster=cluster,
                                   **dict(OPTIONS, epochs=3, **extra))


def test_a_cluster_run_resumes_to_the_same_bytes(scheduler, planted, tmp_path):
    """Stopped (as by Ctrl-C) at a round boundary in epoch 2, then resumed from the
    checkpoint: the same vectors, bit for bit, as a run that was never stopped (one thread per
    task: the merge adds the shards' rows in shard order)."""
    from w2vcli.model import load_model
    from w2vcli.session import Interrupted, TrainingSession

    full = tmp_path / "full.txt"
    with _session(scheduler, planted, full) as session:
        session.read()
        session.train()
    rounds = []

    def stop_in_epoch_2(progress) -> None:
        rounds.append(progress.epoch)
        if rounds.count(2) == 2:
            os.kill(os.getpid(), signal.SIGINT)  # the run stops at the next round's start

    out, ckpt = tmp_path / "resumed.txt", tmp_path / "ckpt"
    with _session(scheduler, planted, out, save_model=str(ckpt)) as session:
        session.read()
        with pytest.raises(Interrupted):
            session.train(progress=stop_in_epoch_2)
    saved = load_model(ckpt)
    assert saved.meta["position"]["epoch"] == 2 and saved.meta["position"]["round"] == 2
    assert saved.meta["cluster"]["shards"] == 2
    assert not out.exists()
    with TrainingSession.prepare((), resume=str(ckpt)) as session:
        assert session.cluster == scheduler  # restored from the checkpoint
        session.read()
        session.train()
    assert out.read_bytes() == full.read_bytes()
    assert load_model(ckpt).meta["epochs_done"] == 3


def test_an_unreachable_scheduler_is_a_one_line_error(planted, tmp_path):
    import dask

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the socket is
    address = f"tcp://127.0.0.1:{port}"
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        result = run_cli("train", planted, "--cluster", address, "-o", tmp_path / "v.txt")
    assert_one_line_error(
        result, f"cannot reach the Dask scheduler at {address} within 2 s (OSError); check "
        "the address and that 'dask scheduler' runs there")
    assert not (tmp_path / "v.txt").exists()


def test_standard_input_is_refused_before_any_cluster_starts():
    result = run_cli("train", "-", "--cluster", "local:2", input="a b c\n")
    assert_one_line_error(result, "--cluster reads corpus files where they are, on every "
                          "worker; standard input cannot be shared: save it to a file they "
                          "can all read")


@pytest.mark.parametrize("spec", ["local:0", "local:x", "somehost"])
def test_a_malformed_cluster_is_a_usage_error(planted, spec):
    result = run_cli("train", planted, "--cluster", spec)
    assert result.exit_code == 2
    assert "--cluster" in result.output


def test_local_cluster_from_the_command_line(planted, tmp_path):
    out = tmp_path / "v.txt"
    result = run_cli("train", planted, "--cluster", "local:2", "--dim", "20", "--window", "3",
                     "--sample", "0", "--min-count", "1", "--epochs", "2", "--threads", "1",
                     "-o", out)
    assert result.exit_code == 0, result.output
    assert "Cluster local:2: 2 workers, 1 thread each; 2 shards, 5 rounds per epoch, " \
           "merge sum." in result.output
    assert out.read_text().startswith("30 20\n")


def test_dask_is_not_imported_without_cluster(planted, tmp_path):
    code = ("import sys\nfrom click.testing import CliRunner\nfrom w2vcli.cli import cli\n"
            "r = CliRunner().invoke(cli, ['--help'])\n"
            f"r = CliRunner().invoke(cli, ['train', {str(planted)!r}, '--dim', '20', "
            f"'--epochs', '1', '--min-count', '1', '-o', {str(tmp_path / 'v.txt')!r}])\n"
            "assert r.exit_code == 0, r.output\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('dask', 'distributed')))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=child_env(), timeout=CHILD_TIMEOUT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_one_machine_checkpoint_is_not_resumed_on_a_cluster(planted, tmp_path):
    ckpt = tmp_path / "ckpt"
    result = run_cli("train", planted, "--dim", "20", "--min-count", "1", "--epochs", "1",
                     "--save-model", ckpt, "-o", tmp_path / "v.txt")
    assert result.exit_code == 0, result.output
    result = run_cli("train", "--resume", ckpt, "--cluster", "local:2")
    assert_one_line_error(result, f"{ckpt} is a checkpoint of a one-machine run; resume it "
                          "without --cluster")


@pytest.fixture
def own_scheduler(tmp_path):
    """A ``dask scheduler`` process and a ``dask worker`` process (2 workers) of this test's
    own, so that the test can kill the scheduler; both ended afterwards."""

    port_file = tmp_path / "scheduler.json"
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    scheduler = subprocess.Popen([*dask, "--port", "0", "--dashboard-address", ":0",
                                  "--scheduler-file", str(port_file)], env=child_env(),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = None
    try:
        wait_for(port_file.exists, scheduler, "the scheduler's address file", TIMEOUT)
        import json

        address = json.loads(port_file.read_text())["address"]
        worker = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address,
                                   "--nthreads", "1", "--nworkers", "2"], env=child_env(),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        yield address, scheduler
    finally:
        for proc in (worker, scheduler):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(timeout=TIMEOUT)


def test_a_lost_scheduler_is_a_one_line_error_with_a_checkpoint(own_scheduler, planted,
                                                                 tmp_path):
    import dask
    from distributed import Client

    from w2vcli.errors import W2VError
    from w2vcli.model import load_model

    address, scheduler = own_scheduler
    with Client(address, timeout=TIMEOUT) as client:
        client.wait_for_workers(2, timeout=TIMEOUT)

    def kill_the_scheduler(progress) -> None:
        if scheduler.poll() is None:
            scheduler.kill()
            scheduler.wait(timeout=TIMEOUT)

    ckpt = tmp_path / "ckpt"
    with dask.config.set({"distributed.comm.timeouts.connect": "3s"}), \
            _session(address, planted, tmp_path / "v.txt", save_model=str(ckpt)) as session:
        session.read()
        with pytest.raises(W2VError) as error:
            session.train(progress=kill_the_scheduler)
    message = str(error.value)
    assert message.startswith(f"lost the Dask scheduler at {address} in epoch 1, round 2 of 5")
    assert message.endswith(f"saved the last complete round to {ckpt}: continue with "
                            f"'w2v train --resume {ckpt}'")
    assert "\n" not in message
    assert load_model(ckpt).meta["position"]["round"] == 1


def test_a_cluster_run_of_a_subword_model_is_refused_before_any_work(tmp_path):
    from w2vcli.session import OptionError, TrainingSession

    corpus = tmp_path / "c.txt"
    corpus.write_text("the cat sat\n")
    with pytest.raises(OptionError, match="cluster runs train word models only"):
        TrainingSession.prepare([corpus], cluster="local:2", subwords=True)
