"""``validate-judge``: a judge's agreement with MT-Bench's human experts, beside GPT-4's and the experts' own.

Reads the MT-Bench human-judgment release as ``datasets pull mt-bench-human``
leaves it (``votes/human.jsonl``: expert and author votes; ``votes/gpt4_pair.jsonl``:
GPT-4's verdicts) and the judge's verdicts on the bench ``mt-bench-human`` (made
by ``judge --pairs-from``, in both orders; or single grades turned into pair
verdicts: the higher grade wins unless the two differ by no more than
``tie_threshold``). Every figure is computed on the same items — the (question,
model pair, turn) items the judge has a verdict on — so the judge, GPT-4 and the
experts are compared like for like:

- the judge vs the humans, GPT-4 vs the humans, and the humans with each other
  (two different voters on one item): FastChat's agreement with and without
  ties and Cohen's κ, per turn and overall, with question-clustered intervals
  (:func:`judgebench.stats.agreement.agreement`);
- the judge's position consistency (pairwise: both games agree), its tie rate
  (share of its verdicts that are ties), and its spend over every run;
- a verdict (:func:`judgebench.stats.validation.as_good_as`): agreement with
  ties, the judge minus GPT-4, paired question bootstrap, margin ``margin``.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from judgebench.errors import UsageError
from judgebench.pipeline.provenance import spend_totals
from judgebench.pipeline.validation_release import HUMAN_BENCH, human_votes_path
from judgebench.pipeline.validation_votes import Item, judge_records, unreadable_items, votes_of
from judgebench.records import UNREADABLE_FIX, HumanVote, Judgment, PairGame, counted
from judgebench.stats.validation import DEFAULT_MARGIN
from judgebench.storage import load_manifests, load_votes

__all__ = [
    "ValidateJob",
    "Validation",
    "agreement_rows",
    "compare_votes",
    "judge_spend",
    "release_source",
    "validate_judge",
    "validation_inputs",
    "validation_rows",
]


@dataclass(frozen=True)
class ValidateJob:
    """What ``validate_judge`` compares.

    Attributes:
        judge: the judge's model id (its verdicts on ``bench`` are read).
        mode: ``pairwise`` (its pair games) or ``single`` (its grades, as pair verdicts).
        results_dir: root of the results tree.
        bench: the bench holding the voted answers.
        votes: the human votes (default: the pulled release's ``human`` split).
        reference: the reference judge's votes (default: its ``gpt4_pair`` split).
        voters: glob of the human voters to compare with (``expert_*``; default all).
        tie_threshold: single mode: grades no further apart than this are a tie.
        margin: how far below the reference's agreement still counts as "as often" (a share;
            default :data:`judgebench.stats.validation.DEFAULT_MARGIN`).
        bootstrap: question-bootstrap replicates (0: no intervals, and no verdict).
        seed: the bootstrap's seed.
    """

    judge: str
    mode: Literal["pairwise", "single"] = "pairwise"
    results_dir: Path = Path("results")
    bench: str = HUMAN_BENCH
    votes: Path | None = None
    reference: Path | None = None
    voters: str = "*"
    tie_threshold: float = 0.0
    margin: float = DEFAULT_MARGIN
    bootstrap: int = 1000
    seed: int = 0


@dataclass(frozen=True)
class Validation:
    """The comparison (JSON-able fields).

    Attributes:
        judge, mode, bench: what was validated.
        reference: the reference judge's name (``gpt4_pair``).
        items / questions: items and questions compared (those the judge has verdicts on).
        agreement: one row per (who, turn): ``who`` is ``judge``, ``reference`` or
            ``humans``; the rest as :class:`judgebench.stats.agreement.Agreement` rows.
        consistency: the judge's position consistency (pairwise; ``None`` for single).
        tie_rate: share of the judge's verdicts that are ties.
        spend: the judge's runs on the bench, summed (calls, tokens, ``cost_usd``).
        verdict: :func:`judgebench.stats.validation.as_good_as`'s result on the items the reference
            also has verdicts on, plus their ``items`` and ``questions`` counts.
        tie_threshold: single mode's threshold.
        unreadable: the judge's latest verdicts on voted items that could not be
            read (``unparsed``/``truncated``): left out of every figure.
        release: where the pulled release came from, when the votes are its files
            (its ``SOURCE.json``: ``verified``, ``from``, ``unverified`` files).
        covered: the items compared (not in the JSON form; a panel's references are on
            every row's items).
    """

    judge: str
    mode: str
    bench: str
    reference: str
    items: int
    questions: int
    agreement: list[dict[str, Any]]
    consistency: dict[str, Any] | None
    tie_rate: float | None
    spend: dict[str, Any] | None
    verdict: dict[str, Any]
    tie_threshold: float | None = None
    unreadable: int = 0
    release: dict[str, Any] | None = None
    covered: frozenset[Item] = field(default=frozenset(), repr=False, compare=False)

    @property
    def unverified_line(self) -> str | None:
        """A loud line when the release's files are not the published ones (``datasets pull --no-verify``)."""
        if not self.release or self.release.get("verified", True):
            return None
        files = ", ".join(sorted(self.release.get("unverified", {}))) or "some files"
        return (
            f"UNVERIFIED release: {files} from {self.release.get('from', 'a local copy')} differ from the published "
            "MT-Bench human judgments (datasets pull --no-verify) — these figures are not the paper's"
        )

    @property
    def verdict_line(self) -> str:
        """``agrees with experts as often as GPT-4 did: yes, n=… items (… questions)`` plus the figures."""
        from judgebench.stats.validation import MIN_QUESTIONS

        v = self.verdict
        n = f"n={counted(self.items, 'item')} ({counted(self.questions, 'question')})"
        head = f"agrees with experts as often as GPT-4 did: {v['verdict']}, {n}"
        if v["difference"] is None:
            return head
        figures = f"agreement with ties {v['judge_rate']:.3f} vs GPT-4's {v['reference_rate']:.3f}"
        if v["difference_lo"] is not None:
            figures += f", difference {v['difference']:+.3f} [{v['difference_lo']:+.3f}, {v['difference_hi']:+.3f}]"
        few = v["verdict"] == "can't tell" and v.get("n_questions", 0) < MIN_QUESTIONS
        needs = f" (a yes or no needs votes on at least {MIN_QUESTIONS} questions)" if few else ""
        shared = v.get("items", self.items)
        if shared < self.items:  # the judge's rate here is on the shared items, not the table's
            figures = (
                f"on the {counted(shared, 'item')} ({counted(v['questions'], 'question')}) GPT-4 also has a verdict "
                f"on, {figures}"
            )
        return f"{head} — {figures}; margin {v['margin']:.2f}{needs}"

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "judge": self.judge,
            "mode": self.mode,
            "bench": self.bench,
            "reference": self.reference,
            "items": self.items,
            "questions": self.questions,
            "tie_threshold": self.tie_threshold,
            "unreadable": self.unreadable,
            "release": self.release,
            "agreement": self.agreement,
            "consistency": self.consistency,
            "tie_rate": self.tie_rate,
            "spend": self.spend,
            "verdict": {**self.verdict, "line": self.verdict_line},
        }


def _load(path: Path, what: str, *, given: bool = False) -> list[HumanVote]:
    if not path.is_file():
        fix = "check the path" if given else "run 'judgebench datasets pull mt-bench-human' (or pass the file)"
        raise UsageError(f"{what}: {path} not found — {fix}")
    return load_votes(path)


def validation_inputs(job: ValidateJob, *, votes_given: bool = False) -> tuple[list[HumanVote], list[HumanVote]]:
    """The human votes (of ``job.voters``) and the reference judge's votes, read and checked before judging.

    ``validate-judge`` calls this before it buys a verdict, so a missing or
    malformed votes file, or a ``--voters`` glob matching nobody, costs nothing.
    ``votes_given``: ``job.votes`` was named by the user (a missing file is a
    wrong path, not an unpulled release).

    Returns:
        ``(human votes of the matching voters, reference votes)``.

    Raises:
        UsageError: a file is missing, or no voter matches ``job.voters``.
        DataError: a bad vote line (``file:line``).
    """
    what = "--votes" if votes_given else "human votes"
    humans = _load(job.votes or human_votes_path("human"), what, given=votes_given)
    humans = [v for v in humans if fnmatch.fnmatchcase(v.judge, job.voters)]
    if not humans:
        raise UsageError(f"--voters {job.voters!r}: no human vote by a matching voter")
    ref_given = job.reference is not None
    reference = _load(job.reference or human_votes_path("gpt4_pair"), "--reference" if ref_given else "GPT-4's votes",
                      given=ref_given)  # fmt: skip
    return humans, reference


def release_source(job: ValidateJob) -> dict[str, Any] | None:
    """The pulled release's ``SOURCE.json`` when the votes compared are its files, else ``None``."""
    import json

    folder = human_votes_path("human").parent.parent
    used = [p for p in (job.votes, job.reference) if p is not None]
    if any(folder.resolve() not in p.resolve().parents for p in used) or not (folder / "SOURCE.json").is_file():
        return None
    try:
        info = json.loads((folder / "SOURCE.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None


def validate_judge(
    job: ValidateJob,
    *,
    inputs: tuple[list[HumanVote], list[HumanVote]] | None = None,
    records: list[Judgment] | list[PairGame] | None = None,
) -> Validation:
    """Compare the judge's verdicts with the human votes, beside the reference judge's and the humans' own.

    Args:
        job: what to compare.
        inputs: the human and reference votes, already read (default: :func:`validation_inputs`).
        records: the judge's latest records, already read (default: :func:`judge_records`).

    Raises:
        UsageError: the release is not pulled, the judge has no verdicts on
            the bench, or none on a voted item; no voter matches ``voters``.
        DataError: a bad vote or judgment line (``file:line``).
    """
    from judgebench.stats.validation import item_of

    humans, reference = validation_inputs(job) if inputs is None else inputs
    if records is None:
        records = judge_records(job.results_dir, job.bench, job.judge, job.mode)
    mine, consistency = votes_of(records, job.judge, job.mode, job.tie_threshold)
    unread = sum(map(unreadable_items(records), {item_of(v) for v in humans}))
    return compare_votes(job, job.judge, mine, humans, reference, consistency=consistency, unreadable=unread,
                         spend=judge_spend(job))  # fmt: skip


def judge_spend(job: ValidateJob) -> dict[str, Any] | None:
    """The judge's runs on the bench in ``job.mode``, summed: ``runs``, ``calls``, tokens, ``cost_usd``.

    ``None`` when no run manifest of it is found; ``cost_usd`` is ``None`` when no run's price is known.
    """
    spent = [
        r
        for r in spend_totals(  # this mode's runs only: a single-grade run of the same model is another judge
            [m for m in load_manifests(job.results_dir, job.bench) if m.judge == job.judge and m.mode == job.mode]
        )
        if r["kind"] == "judge"
    ]
    if not spent:
        return None
    spend: dict[str, Any] = {k: sum(r[k] for r in spent) for k in ("runs", "calls", "input_tokens", "output_tokens")}
    known = [r["cost_usd"] for r in spent if r["cost_usd"] is not None]
    spend["cost_usd"] = sum(known) if known else None
    return spend


def compare_votes(
    job: ValidateJob,
    name: str,
    mine: list[HumanVote],
    humans: list[HumanVote],
    reference: list[HumanVote],
    *,
    consistency: dict[str, Any] | None,
    unreadable: int,
    spend: dict[str, Any] | None,
) -> Validation:
    """The :class:`Validation` of one judge's verdicts (as votes), on the voted items it has verdicts on.

    The judge of a single ``validate-judge`` and each member and the panel of
    ``validate-judge -j A -j B`` are compared here, so every row gets the same figures.

    Args:
        job: what is compared (mode, bench, bootstrap, margin, tie threshold).
        name: the judge's name in the result (``job.judge``, a panel member, or ``panel``).
        mine: the judge's verdicts as votes.
        humans: the human votes (of ``job.voters``).
        reference: the reference judge's votes.
        consistency: its position consistency (pairwise; ``None`` for single).
        unreadable: voted items left out because its verdict on them could not be read (counted, shown).
        spend: its runs summed (:func:`judge_spend`), or ``None``.

    Raises:
        UsageError: none of its verdicts is on a voted item (``unreadable`` says whether they could not be read).
    """
    from judgebench.stats import Bootstrap
    from judgebench.stats.agreement import agreement
    from judgebench.stats.validation import as_good_as, item_of, on_items

    reference_name = reference[0].judge if reference else "gpt4_pair"
    items = {item_of(v) for v in mine} & {item_of(v) for v in humans}
    if not items and unreadable:
        raise UsageError(
            f"--judge {name}: its verdicts on all {counted(unreadable, 'voted item')} it judged "
            f"could not be read — {UNREADABLE_FIX}"
        )
    if not items:
        raise UsageError(
            f"--judge {name}: none of its verdicts on {job.bench} is on a voted item — judge them with "
            "'judgebench validate-judge' (without --dry-run)"
        )
    mine, humans, reference = on_items(mine, items), on_items(humans, items), on_items(reference, items)
    boot = Bootstrap(replicates=job.bootstrap, seed=job.seed)
    # The verdict pairs the judge with the reference question by question: only on the items both have verdicts
    # on (a --reference, or a trimmed release, may lack some of the judge's; the published release lacks none).
    shared = items & {item_of(v) for v in reference}
    verdict = as_good_as(on_items(mine, shared), reference, on_items(humans, shared), bootstrap=boot, margin=job.margin)
    verdict |= {"items": len(shared), "questions": len({i[0] for i in shared})}
    rows: list[dict[str, Any]] = []
    for who, result in (
        ("judge", agreement(mine, humans, a=name, b="humans", bootstrap=boot)),
        ("reference", agreement(reference, humans, a=reference_name, b="humans", bootstrap=boot)),
        ("humans", agreement(humans, None, a="humans", bootstrap=boot)),
    ):
        rows += [{"who": who, **row} for row in result.rows]
    return Validation(
        judge=name,
        mode=job.mode,
        bench=job.bench,
        reference=reference_name,
        items=len(items),
        questions=len({i[0] for i in items}),
        agreement=rows,
        consistency=consistency,
        tie_rate=sum(v.is_tie for v in mine) / len(mine) if mine else None,
        spend=spend,
        verdict=verdict,
        tie_threshold=job.tie_threshold if job.mode == "single" else None,
        unreadable=unreadable,
        release=release_source(job),
        covered=frozenset(items),
    )


_SHOWN = ("turn", "n", "rate", "kappa", "n_no_tie", "rate_no_tie", "kappa_no_tie")


def validation_rows(result: Validation, turn: int | str | None = None) -> list[dict[str, Any]]:
    """The agreement rows labelled for people (``who``: the judge, ``gpt4_pair (release)``, humans…).

    Args:
        result: the comparison.
        turn: only this scope (``1``, ``2``, ``"all"``); default every scope.
    """
    return agreement_rows(result.agreement, result.judge, result.reference, turn)


def agreement_rows(
    agreement: list[dict[str, Any]], judge: str, reference: str, turn: int | str | None = None
) -> list[dict[str, Any]]:
    """Agreement rows (``who``: ``judge``, ``reference`` or ``humans``) labelled for people, in their order.

    Args:
        agreement: the rows (:attr:`Validation.agreement`).
        judge: the judge's label.
        reference: the reference judge's name (shown as ``<name> (release)``).
        turn: only this scope (``1``, ``2``, ``"all"``); default every scope.
    """
    label = {"judge": judge, "reference": f"{reference} (release)", "humans": "humans with each other"}
    rows = []
    for row in agreement:
        if turn is not None and row["turn"] != turn:
            continue
        shown = {k: row.get(k) for k in _SHOWN}
        for k in ("rate", "kappa", "rate_no_tie", "kappa_no_tie"):
            shown[f"{k}_lo"], shown[f"{k}_hi"] = row.get(f"{k}_lo"), row.get(f"{k}_hi")
        rows.append({"who": label[row["who"]], **shown})
    return rows
