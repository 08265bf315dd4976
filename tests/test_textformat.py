"""The compiled float32 formatter writes what '%.9g' writes, and every value reads back exactly."""

import numpy as np
import pytest

from w2vcli.textformat import MAX_VALUE_BYTES, format_rows


def _format(values: np.ndarray) -> list[str]:
    rows = values.astype(np.float32).reshape(1, -1)
    out = np.empty(rows.size * MAX_VALUE_BYTES + 1, dtype=np.uint8)
    offsets = format_rows(rows, out)
    text = out[: offsets[-1]].tobytes().decode("ascii")
    assert text.startswith(" ") and text.endswith("\n") and "  " not in text
    return text.split()


def test_matches_percent_9g_and_round_trips_bit_for_bit():
    rng = np.random.default_rng(0)
    bits = rng.integers(0, 2**32, size=100_000, dtype=np.uint64).astype(np.uint32)
    values = np.concatenate([
        bits.view(np.float32),  # every exponent, subnormals, NaN and inf payloads included
        rng.normal(size=20_000).astype(np.float32),
        np.array([0.0, -0.0, 1e9, 1e-4, 99999.9961, 1e-5, 0.5, 1.0, 100.0, 123456789.0,
                  3.4028235e38, 1.4e-45, -2.5e-40, np.inf, -np.inf], dtype=np.float32),
    ])
    tokens = _format(values)
    assert len(tokens) == len(values)
    assert tokens == ["%.9g" % float(v) for v in values]
    back = np.array([float(t) for t in tokens], dtype=np.float32)
    finite = ~np.isnan(values)
    assert np.array_equal(back[finite].view(np.uint32), values[finite].view(np.uint32))


@pytest.mark.parametrize("value,text", [(0.0, "0"), (-0.0, "-0"), (1.5e-5, "1.49999996e-05"),
                                        (1e9, "1e+09"), (123.0, "123"), (-0.25, "-0.25")])
def test_layout(value, text):
    assert _format(np.array([value])) == [text]


def test_rows_and_offsets():
    m = np.arange(6, dtype=np.float32).reshape(3, 2)
    out = np.empty(m.size * MAX_VALUE_BYTES + 3, dtype=np.uint8)
    offsets = format_rows(m, out)
    lines = [out[a:b].tobytes() for a, b in zip(offsets[:-1], offsets[1:])]
    assert lines == [b" 0 1\n", b" 2 3\n", b" 4 5\n"]
