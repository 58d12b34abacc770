"""Replicate fits where a replicate's data separate: its coefficients run off (the sigmoid's exp overflows
quietly: the suite runs with ``-W error``) and it comes back as NaN; the others are the library's fits."""

from __future__ import annotations

import numpy as np
import pytest

from judgebench.stats.logistic import fit_logistic, newton_replicates


def test_a_separated_replicate_is_nan_without_a_warning_and_the_rest_are_the_library_fits() -> None:
    rng = np.random.default_rng(1)
    x = np.column_stack([np.ones(300), rng.normal(size=300)])
    y = (rng.random(300) < 1 / (1 + np.exp(-(0.5 - x[:, 1])))).astype(float)
    start = fit_logistic(x, y, np.ones(300))
    assert start is not None
    weights = rng.multinomial(300, np.full(300, 1 / 300), size=4).astype(float)
    separated = (((y == 1) & (x[:, 1] < 0)) | ((y == 0) & (x[:, 1] > 0))).astype(float)
    weights = np.vstack([weights, separated])  # the last replicate: y = 1 exactly where x₁ < 0
    with np.errstate(all="raise"):  # numpy's own reports too, not only Python warnings
        reps = newton_replicates(x, weights * y, weights, start)
    assert np.isnan(reps[-1]).all()
    for w, rep in zip(weights[:-1], reps[:-1], strict=True):
        direct = fit_logistic(x, w * y, w)
        assert direct is not None
        assert rep == pytest.approx(direct, abs=1e-6)
