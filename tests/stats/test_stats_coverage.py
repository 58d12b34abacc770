"""The coverage simulation (~30 s; run with `make test-long` or `pytest -m long`)."""

from __future__ import annotations

import sys

import pytest
from builders import REPO

sys.path.insert(0, str(REPO / "bench"))

from stats_coverage import rating_coverage, win_rate_coverage


@pytest.mark.long
def test_95_percent_intervals_cover_the_truth_93_to_97_percent_of_the_time() -> None:
    clustered, naive = win_rate_coverage(1000)  # 3,000 intervals: the binomial SE of the rate is 0.4 %
    assert 0.93 <= clustered <= 0.97, clustered
    assert naive < clustered  # ignoring the question clusters gives intervals that are too narrow
    assert 0.93 <= rating_coverage(250) <= 0.97  # 750 intervals
