"""Length-controlled win rate against a baseline (AlpacaEval 2's definition).

Dubois et al. (2024), *Length-Controlled AlpacaEval*, model the judge's
preference for model ``m`` over baseline ``b`` on instruction ``x`` as a
logistic GLM::

    P(m ≻ b | x) = σ( (θ_m − θ_b)                                  model
                      + φ_m · tanh( (len_m(x) − len_b(x)) / sd_m )  length
                      + (ψ_m − ψ_b) · γ_x )                         instruction difficulty

and define the length-controlled win rate as the GLM's prediction with the
length term set to zero, averaged over the instructions::

    LC(m, b) = mean_x σ( (θ_m − θ_b) + (ψ_m − ψ_b) · γ_x )

Here an instruction ``x`` is one (question, turn); ``len`` is the answer's
length in characters; ``sd_m`` is the standard deviation (``ddof=1``) of the
length differences over ``m``'s comparisons; the outcome of a comparison is
ours (both position-swapped games reconciled: win 1, tie ½, loss 0), so
``LC`` is on the scale of the adjusted win rate. ``φ_m`` (the length
coefficient, log-odds per unit of the tanh term) is reported as a diagnostic:
positive means the judge favours ``m`` when its answer is the longer one.

Fitting, as in the paper: ``γ_x`` is estimated first, jointly over all
models (a logistic regression of the outcomes on model indicators, the length
term and one indicator per instruction, with an L2 penalty ½·|β|² (scikit-learn's default C = 1)
so that instructions every model won or lost stay finite), and then held
fixed; each model's ``θ_m − θ_b``, ``φ_m`` and ``ψ_m − ψ_b`` are then an
unpenalised logistic regression on that model's comparisons. (The paper also
cross-validates an L2 penalty and adds a regulariser towards the baseline; we
fit unpenalised, which is the estimate that penalty shrinks.)

Because ``sd_m`` is the spread of ``m``'s own length differences, ``φ_m`` is
learnt from how ``m``'s wins vary with *its* length differences: a model whose
answers are always longer by about the same amount has a nearly constant
length term, indistinguishable from ``θ_m``, and is not corrected. Real
answer lengths vary widely, so this is rarely the case; ``mean_length_diff``
is shown to judge it.

**Minimal variant.** With fewer than :data:`MIN_MODELS_FOR_DIFFICULTY`
models besides the baseline, ``γ_x`` cannot be told apart from each model's
own outcomes on ``x``, so the instruction term is dropped (AlpacaEval's
``length_controlled_minimal``): ``P = σ(θ + φ·tanh(Δ/sd))`` and
``LC = σ(θ)``.

**Intervals** resample questions (both turns together) and refit each
model's GLM per replicate, with ``γ_x`` and ``sd_m`` held at their full-data
values; replicates whose fit does not converge are left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from judgebench.stats.arrays import FloatArray, IntArray
from judgebench.stats.bootstrap import DEFAULT_BOOTSTRAP, Bootstrap
from judgebench.stats.games import Comparisons
from judgebench.stats.logistic import fit_logistic, newton_replicates

__all__ = ["MIN_MODELS_FOR_DIFFICULTY", "LengthControl", "LengthKey", "length_controlled"]

MIN_MODELS_FOR_DIFFICULTY = 4
"""Models besides the baseline needed to estimate instruction difficulty (else the minimal variant)."""

LengthKey = tuple[str, str, int]
"""``(model, str(question_id), turn)``."""

Variant = Literal["auto", "full", "minimal"]


@dataclass(frozen=True, eq=False)
class LengthControl:
    """Length-controlled win rates against one baseline.

    Attributes:
        table: one row per model (index ``model``), best LC first:
            ``lc_win_rate`` (+ ``_lo``/``_hi``), ``win_rate_adjusted`` (the raw
            mean outcome of the same comparisons), ``length_coef`` (φ, + ``_lo``/``_hi``),
            ``mean_length_diff`` (characters, model − baseline), ``n`` and
            ``n_no_length`` (comparisons left out for an unknown length).
        baseline: the baseline.
        variant: ``full`` or ``minimal``.
        replicates: bootstrap replicates drawn.
        note: why a model or the whole table has no figures, if so.
    """

    table: pd.DataFrame
    baseline: str
    variant: Literal["full", "minimal"]
    replicates: int
    note: str = ""


def _sigmoid(x: FloatArray) -> FloatArray:
    from scipy.special import expit

    return np.asarray(expit(x), dtype=np.float64)


def _length_diffs(
    comp: Comparisons,
    other: IntArray,
    question: IntArray,
    turn: IntArray,
    lengths: Mapping[LengthKey, int],
    baseline: str,
) -> FloatArray:
    """Model's minus baseline's answer length per comparison; NaN when either is unknown."""
    diff = np.full(len(other), np.nan)
    for i, (m, q, t) in enumerate(zip(other, question, turn, strict=True)):
        qid = comp.questions[q]
        mine, theirs = lengths.get((comp.models[m], qid, int(t))), lengths.get((baseline, qid, int(t)))
        if mine is not None and theirs is not None:
            diff[i] = mine - theirs
    return diff


def _difficulty(
    instruction: IntArray,
    known: npt.NDArray[np.bool_],
    other: IntArray,
    codes: list[int],
    squashed: FloatArray,
    y: FloatArray,
) -> FloatArray:
    """γ_x per comparison: instruction effects of a joint, L2-penalised fit over all models (0 where unknown)."""
    from scipy import sparse

    n = int(known.sum())
    inst_ids, inst_code = np.unique(instruction[known], return_inverse=True)
    model_code = np.searchsorted(np.array(codes), other[known])  # codes are increasing
    rows = np.arange(n)
    # Columns: one per model, the length term, one per instruction (sparse: thousands of instructions).
    joint = sparse.csr_matrix(
        (
            np.concatenate([np.ones(n), squashed[known], np.ones(n)]),
            (
                np.concatenate([rows, rows, rows]),
                np.concatenate([model_code, np.full(n, len(codes)), inst_code + len(codes) + 1]),
            ),
        ),
        shape=(n, len(codes) + 1 + len(inst_ids)),
    )
    coef = fit_logistic(joint, y[known], np.ones(n), penalty=1.0)
    gamma = np.zeros(len(y))
    if coef is not None:
        gamma[known] = coef[len(codes) + 1 :][inst_code]
    return gamma


def _fit_model(
    record: dict[str, float],
    squash: FloatArray,
    difficulty: FloatArray | None,
    outcome: FloatArray,
    q: IntArray,
    weights: FloatArray,
    bootstrap: Bootstrap,
) -> str:
    """Fit one model's GLM into ``record``; a note when it cannot be fitted."""
    n = len(outcome)
    x = np.column_stack([np.ones(n), squash] + ([difficulty] if difficulty is not None else []))
    coef = fit_logistic(x, outcome, np.ones(n))
    if coef is None:
        return "the GLM did not converge (outcomes separated by length)"
    zeroed = x.copy()
    zeroed[:, 1] = 0.0
    record["lc_win_rate"] = float(_sigmoid(zeroed @ coef).mean())
    record["length_coef"] = float(coef[1])
    if bootstrap.replicates:
        from scipy.special import expit

        w = weights[:, q]
        rep = newton_replicates(x, w * outcome, w, coef)
        ok = np.isfinite(rep).all(axis=1)
        kept, w_kept = (rep, w) if ok.all() else (rep[ok], w[ok])
        # LC per replicate: the replicate's weighted mean over its own rows (replicates × rows, in place).
        shown = kept @ zeroed.T
        expit(shown, out=shown)
        lc = np.einsum("rn,rn->r", w_kept, shown) / w_kept.sum(axis=1)
        lo, hi = bootstrap.interval(np.column_stack([lc, rep[ok, 1]]))
        record["lc_win_rate_lo"], record["lc_win_rate_hi"] = float(lo[0]), float(hi[0])
        record["length_coef_lo"], record["length_coef_hi"] = float(lo[1]), float(hi[1])
    return ""


def length_controlled(
    comp: Comparisons,
    lengths: Mapping[LengthKey, int],
    baseline: str,
    *,
    variant: Variant = "auto",
    bootstrap: Bootstrap = DEFAULT_BOOTSTRAP,
) -> LengthControl:
    """LC win rate of every model against ``baseline`` (see the module docs).

    Args:
        comp: reconciled comparisons (:func:`~judgebench.stats.comparisons`);
            only those involving ``baseline`` are used.
        lengths: answer length in characters by ``(model, str(question_id), turn)``.
        baseline: the baseline model.
        variant: ``auto`` (full when there are enough models), ``full`` or ``minimal``.
        bootstrap: interval settings.
    """
    columns = ["lc_win_rate", "lc_win_rate_lo", "lc_win_rate_hi", "win_rate_adjusted", "length_coef"]
    columns += ["length_coef_lo", "length_coef_hi", "mean_length_diff", "n", "n_no_length"]
    if baseline not in comp.models:
        table = pd.DataFrame(columns=columns, index=pd.Index([], name="model", dtype=object))
        return LengthControl(table, baseline, "minimal", bootstrap.replicates, f"no comparisons with {baseline}")
    b = comp.models.index(baseline)
    involved = (comp.model_1 == b) | (comp.model_2 == b)
    first_is_b = comp.model_1 == b
    other = np.where(first_is_b, comp.model_2, comp.model_1)[involved]
    y = np.where(first_is_b, 1.0 - comp.outcome, comp.outcome)[involved]
    question = comp.question[involved]
    turn = comp.turn[involved]
    diff = _length_diffs(comp, other, question, turn, lengths, baseline)
    known = ~np.isnan(diff)
    models = sorted({comp.models[m] for m in other}, key=comp.models.index)
    codes = [comp.models.index(m) for m in models]
    if variant == "auto":
        variant = "full" if len(models) >= MIN_MODELS_FOR_DIFFICULTY else "minimal"

    # Standardised, squashed length term per model.
    squashed = np.zeros(len(y))
    for code in codes:
        rows = known & (other == code)
        sd = float(np.std(diff[rows], ddof=1)) if rows.sum() > 1 else 0.0
        if sd > 0:
            squashed[rows] = np.tanh(diff[rows] / sd)

    gamma = _difficulty(question * 1000 + turn, known, other, codes, squashed, y) if variant == "full" else None
    weights = bootstrap.weights(len(comp.questions))

    out: dict[str, dict[str, float]] = {}
    notes: list[str] = []
    for name, code in zip(models, codes, strict=True):
        rows = known & (other == code)
        n = int(rows.sum())
        record = {
            "win_rate_adjusted": float(y[other == code].mean()),
            "mean_length_diff": float(diff[rows].mean()) if n else float("nan"),
            "n": float(n),
            "n_no_length": float(int((other == code).sum()) - n),
        }
        nan = float("nan")
        record |= dict.fromkeys([*columns[:3], "length_coef", "length_coef_lo", "length_coef_hi"], nan)
        out[name] = record
        if n < 3:
            notes.append(f"{name}: too few comparisons with known lengths")
            continue
        difficulty = None if gamma is None else gamma[rows]
        note = _fit_model(record, squashed[rows], difficulty, y[rows], question[rows], weights, bootstrap)
        if note:
            notes.append(f"{name}: {note}")
    table = pd.DataFrame.from_dict(out, orient="index")[columns] if out else pd.DataFrame(columns=columns)
    table.index = pd.Index(list(table.index), name="model", dtype=object)
    table[["n", "n_no_length"]] = table[["n", "n_no_length"]].astype("int64")
    table = table.reset_index().sort_values(
        ["lc_win_rate", "model"], ascending=[False, True], na_position="last", kind="stable"
    )
    return LengthControl(table.set_index("model"), baseline, variant, bootstrap.replicates, "; ".join(notes))
