"""``report --question ID``: one question's answers, grades, games and the judges' rationales.

For reading why a judge decided as it did without opening JSONL files: the
question's turns (and reference), each model's answer per turn, every single
grade and every pair game of the question with the judge's own text. Only the
latest record of each grade or game is shown, as the report counts them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from judgebench.errors import UsageError
from judgebench.pipeline.panel import PANEL
from judgebench.pipeline.report import ReportJob
from judgebench.storage import load_answers, load_judgments, load_pair_games, load_pair_scores, resolve_bench

__all__ = ["QuestionView", "question_view", "render_question"]


@dataclass(frozen=True)
class QuestionView:
    """One question and everything recorded about it.

    Attributes:
        bench: the bench.
        question_id: the question's id (as text).
        category: its category (``""`` when the bench's questions are unknown).
        turns: the user turns (empty when unknown).
        reference: the reference answer's turns, if any.
        answers: ``{"model", "turn", "text"}`` per model and turn (first choice; ok answers).
            With ``job.models``: only those models' answers and grades, and the games they played.
        grades: ``{"judge", "model", "turn", "score", "status", "rationale"}``.
        games: ``{"judge", "turn", "game", "model_a", "model_b", "winner", "status", "rationale"}``,
            ``model_a`` the model shown first in that game and ``winner`` a model name, ``"tie"`` or ``None``.
        scored: paired-scoring games, ``{"judge", "turn", "game", "model_a", "model_b", "score_a",
            "score_b", "status", "rationale"}``: each model's 1–10 score as shown (``None``: no verdict).
    """

    bench: str
    question_id: str
    category: str = ""
    turns: tuple[str, ...] = ()
    reference: tuple[str, ...] | None = None
    answers: list[dict[str, Any]] = field(default_factory=list)
    grades: list[dict[str, Any]] = field(default_factory=list)
    games: list[dict[str, Any]] = field(default_factory=list)
    scored: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "bench": self.bench,
            "question_id": self.question_id,
            "category": self.category,
            "turns": list(self.turns),
            "reference": list(self.reference) if self.reference is not None else None,
            "answers": self.answers,
            "grades": self.grades,
            "games": self.games,
            "scored": self.scored,
        }


def question_view(job: ReportJob, question_id: str) -> QuestionView:
    """Collect one question's answers and judgments (``job.judges``/``job.models`` filter them).

    Raises:
        UsageError: the bench has no such question and nothing is recorded for it; a ``job.judges``
            or ``job.models`` name the bench has no record of.
        DataError: a bad answer or judgment line (``file:line``).
    """
    from judgebench import stats

    bench, qset = resolve_bench(job.questions, job.results_dir)
    qid = str(question_id).strip()
    question = next((q for q in qset.questions if str(q.question_id) == qid), None) if qset else None
    models, judges = set(job.models), set(job.judges) - {PANEL}  # a panel has no rationale of its own
    seen_models: set[str] = set()  # every model and judge of the bench, to refuse a misspelt -m or -j
    seen_judges: set[str] = set()
    answers: list[dict[str, Any]] = []
    for path in sorted((job.results_dir / bench / "answers").glob("*.jsonl")):
        loaded = load_answers(path)
        seen_models.update(a.model_id for a in loaded.values())
        answer = loaded.get(qid)
        if answer is None or answer.status != "ok" or not answer.choices or (models and answer.model_id not in models):
            continue
        turns = answer.choices[0].turns
        answers += [{"model": answer.model_id, "turn": t, "text": text} for t, text in enumerate(turns, start=1)]
    folder = job.results_dir / bench / "judgments"
    grades = []
    for path in sorted(folder.glob("*_single.jsonl")):
        for j in stats.latest_judgments(load_judgments(path)):
            seen_judges.add(j.judge)
            seen_models.add(j.model)
            if str(j.question_id) == qid and (not judges or j.judge in judges) and (not models or j.model in models):
                grades.append(
                    {"judge": j.judge, "model": j.model, "turn": j.turn, "score": j.score, "status": j.status,
                     "rationale": j.judgment or j.error or ""}
                )  # fmt: skip
    games = []
    for path in sorted(folder.glob("*_pair.jsonl")):
        for g in stats.latest_games(load_pair_games(path)):
            seen_judges.add(g.judge)
            seen_models.update((g.model_1, g.model_2))
            if str(g.question_id) != qid or (judges and g.judge not in judges):
                continue
            if models and not {g.model_1, g.model_2} & models:
                continue
            first, second = (g.model_1, g.model_2) if g.game == 1 else (g.model_2, g.model_1)
            named = {"model_1": g.model_1, "model_2": g.model_2, "tie": "tie"}
            games.append(
                {"judge": g.judge, "turn": g.turn, "game": g.game, "model_a": first, "model_b": second,
                 "winner": named.get(g.winner) if g.winner else None, "status": g.status,
                 "rationale": g.judgment or g.error or ""}
            )  # fmt: skip
    scored = _scored_games(folder, qid, judges, models, seen_judges, seen_models)
    _check_named(judges, seen_judges, "--judge", "judgments by it")
    _check_named(models, seen_models, "--model", "answers or judgments of it")
    if question is None and not answers and not grades and not games and not scored:
        known = f"; questions are {qset.questions[0].question_id}…{qset.questions[-1].question_id}" if qset else ""
        raise UsageError(f"--question {qid}: no such question in {bench} and nothing recorded for it{known}")
    key = lambda r: (r["turn"], r.get("judge", ""), r.get("model", ""), r.get("game", 0))  # noqa: E731
    return QuestionView(
        bench=bench,
        question_id=qid,
        category=question.category if question else "",
        turns=question.turns if question else (),
        reference=question.reference if question else None,
        answers=sorted(answers, key=lambda r: (r["turn"], r["model"])),
        grades=sorted(grades, key=key),
        games=sorted(games, key=key),
        scored=sorted(scored, key=key),
    )


def _check_named(named: set[str], seen: set[str], option: str, what: str) -> None:
    """Refuse names given with ``option`` that the bench has no record of (a typo would show nothing, silently)."""
    missing = sorted(named - seen)
    if missing:
        have = ", ".join(sorted(seen)) or "none"
        raise UsageError(f"{option} {', '.join(missing)}: no {what} in this bench; have: {have}")


def _scored_games(
    folder: Path, qid: str, judges: set[str], models: set[str], seen_judges: set[str], seen_models: set[str]
) -> list[dict[str, Any]]:
    """The question's paired-scoring games (the last record of each), with both scores as shown.

    Adds every judge and model of the files, of any question, to ``seen_judges`` and ``seen_models``.
    """
    latest: dict[tuple[Any, ...], dict[str, Any]] = {}
    for path in sorted(folder.glob("*_pairscore.jsonl")):
        for s in load_pair_scores(path):
            seen_judges.add(s.judge)
            seen_models.update((s.model_1, s.model_2))
            if str(s.question_id) != qid or (judges and s.judge not in judges):
                continue
            if models and not {s.model_1, s.model_2} & models:
                continue
            first, second = (s.model_1, s.model_2) if s.game == 1 else (s.model_2, s.model_1)
            score_a, score_b = (s.score_1, s.score_2) if s.game == 1 else (s.score_2, s.score_1)
            latest[(s.judge, s.prompt, s.turn, first, second)] = {
                "judge": s.judge, "turn": s.turn, "game": s.game, "model_a": first, "model_b": second,
                "score_a": score_a, "score_b": score_b, "status": s.status, "rationale": s.judgment or s.error or "",
            }  # fmt: skip
    return list(latest.values())


def _quote(text: str) -> list[str]:
    return [f"> {line}" if line else ">" for line in text.splitlines()] or [">"]


def render_question(view: QuestionView) -> str:
    """The view as Markdown: the question's turns, then per turn the answers, the grades and the games."""
    title = f"# {view.bench} — question {view.question_id}" + (f" ({view.category})" if view.category else "")
    lines = [title, ""]
    recorded = view.answers + view.grades + view.games + view.scored
    turns = sorted({*range(1, len(view.turns) + 1), *(r["turn"] for r in recorded)})
    for turn in turns:
        lines += [f"## Turn {turn}", ""]
        if turn <= len(view.turns):
            lines += ["**User:**", "", *_quote(view.turns[turn - 1]), ""]
        if view.reference is not None and turn <= len(view.reference):
            lines += ["**Reference answer:**", "", *_quote(view.reference[turn - 1]), ""]
        for a in (r for r in view.answers if r["turn"] == turn):
            lines += [f"### Answer of {a['model']}", "", *_quote(a["text"]), ""]
        for g in (r for r in view.grades if r["turn"] == turn):
            score = "–" if g["score"] is None else f"{g['score']:g}"
            status = "" if g["status"] == "ok" else f" ({g['status']})"
            lines += [f"### Grade of {g['model']} by {g['judge']}: {score}{status}", "", *_quote(g["rationale"]), ""]
        for p in (r for r in view.games if r["turn"] == turn):
            verdict = p["winner"] or p["status"]
            head = f"### Game {p['game']} by {p['judge']}: A = {p['model_a']}, B = {p['model_b']} → {verdict}"
            lines += [head, "", *_quote(p["rationale"]), ""]
        for p in (r for r in view.scored if r["turn"] == turn):
            shown = (
                p["status"]
                if p["score_a"] is None
                else f"A = {p['model_a']}: {p['score_a']:g}, B = {p['model_b']}: {p['score_b']:g}"
            )
            head = f"### Paired scoring, game {p['game']} by {p['judge']}: {shown}"
            if p["score_a"] is None:
                head += f" (A = {p['model_a']}, B = {p['model_b']})"
            lines += [head, "", *_quote(p["rationale"]), ""]
    if not (view.answers or view.grades or view.games or view.scored):
        lines += ["No answers or judgments recorded for this question yet.", ""]
    return "\n".join(lines)
