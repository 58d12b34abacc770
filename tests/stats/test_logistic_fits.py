"""The logistic fit against scikit-learn's, recorded before scikit-learn was dropped.

``data/logistic_fits.npz`` holds every ``fit_logistic`` call (features, successes, trials,
penalty) made by ``judgebench report --ratings --length-control`` and the coefficients that
scikit-learn's ``LogisticRegression`` (the implementation before this one; ``newton-cholesky``
for dense features, ``lbfgs`` with ``tol=1e-8`` for the sparse, penalised instruction effects)
returned, on three benches:

- ``stef*``: the real FastChat judgments of ``../shared/mtbench/third_party/Stefanstud_FastChat``
  (Bradley–Terry, and length control against ``phi-3``);
- ``kor*``: the real judgments of ``SFMI-Byeongsu_mtbench-question-korean`` (Bradley–Terry);
- ``bigall*``/``big*``: ``bench/scale_data.py``'s 36 models × 80 questions (Bradley–Terry on all
  630 pairs; with ``--baseline model-00``: ratings, the joint sparse fit of 160 instruction
  effects and the 35 per-model length GLMs).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import sparse
from scipy.special import expit

from judgebench.stats.logistic import fit_logistic

FITS = np.load(Path(__file__).with_name("data") / "logistic_fits.npz")
NAMES = sorted({key.rsplit("_", 1)[0] for key in FITS.files})


def recorded(name: str) -> tuple[np.ndarray | sparse.csr_matrix, np.ndarray, np.ndarray, float, np.ndarray]:
    if f"{name}_x" in FITS:
        x: np.ndarray | sparse.csr_matrix = FITS[f"{name}_x"]
    else:
        coo = (FITS[f"{name}_val"], (FITS[f"{name}_row"], FITS[f"{name}_col"]))
        x = sparse.coo_matrix(coo, shape=tuple(FITS[f"{name}_shape"])).tocsr()
    return x, FITS[f"{name}_s"], FITS[f"{name}_t"], float(FITS[f"{name}_penalty"]), FITS[f"{name}_coef"]


def gradient(
    x: np.ndarray | sparse.csr_matrix, s: np.ndarray, t: np.ndarray, penalty: float, beta: np.ndarray
) -> float:
    """Largest component of the penalised log-likelihood's gradient (zero at the exact optimum)."""
    return float(np.abs(x.T @ (t * expit(x @ beta) - s) + penalty * beta).max())


def test_the_recording_covers_every_kind_of_fit() -> None:
    assert len(NAMES) == 41
    assert sum(n.startswith("stef") for n in NAMES) == 2 and sum(n.startswith("kor") for n in NAMES) == 1
    assert [n for n in NAMES if f"{n}_x" not in FITS] == ["big01"]  # the one sparse, penalised fit
    assert recorded("bigall00")[0].shape == (630, 35)


@pytest.mark.parametrize("name", [n for n in NAMES if n != "big01"])
def test_dense_fits_equal_scikit_learns(name: str) -> None:
    x, s, t, penalty, want = recorded(name)
    got = fit_logistic(x, s, t, penalty=penalty)
    assert got is not None
    assert got == pytest.approx(want, abs=1e-6, rel=0)


def test_the_sparse_penalised_fit_is_scikit_learns_to_its_tolerance_and_closer_to_the_optimum() -> None:
    x, s, t, penalty, want = recorded("big01")
    assert penalty == 1.0 and x.shape == (5600, 196)
    got = fit_logistic(x, s, t, penalty=penalty)
    assert got is not None
    # scikit-learn's lbfgs stopped at tol=1e-8 on its mean loss: 4e-5 of gradient left, so 6e-6 apart.
    assert got == pytest.approx(want, abs=1e-5, rel=0)
    assert gradient(x, s, t, penalty, got) < 1e-7 < gradient(x, s, t, penalty, want)


def test_separated_and_one_class_data_have_no_estimate() -> None:
    x = np.column_stack([np.ones(20), np.linspace(-1, 1, 20)])
    above = (x[:, 1] > 0).astype(float)
    assert fit_logistic(x, above, np.ones(20)) is None  # separated: the slope runs off to infinity
    assert fit_logistic(x, np.ones(20), np.ones(20)) is None
    overlap = above.copy()
    overlap[[9, 10]] = [1.0, 0.0]
    coef = fit_logistic(x, overlap, np.ones(20))
    assert coef is not None and coef[1] == pytest.approx(12.4460318, abs=1e-6)  # scikit-learn's figure
    assert fit_logistic(x, above, np.ones(20), penalty=1.0) is not None  # a penalty keeps it finite


def test_ratings_and_length_control_import_no_scikit_learn() -> None:
    code = (
        "import sys, numpy as np\n"
        "from judgebench.stats.logistic import fit_logistic\n"
        "x = np.column_stack([np.ones(4), [-1.0, -0.5, 0.5, 1.0]])\n"
        "assert fit_logistic(x, np.array([0.0, 1.0, 0.0, 1.0]), np.ones(4)) is not None\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sklearn'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
