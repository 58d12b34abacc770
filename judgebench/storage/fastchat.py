"""Import and export of FastChat's ``llm_judge`` data layout.

FastChat keeps a bench as::

    <bench>/question.jsonl
    <bench>/model_answer/<model>.jsonl          one answer a line
    <bench>/model_judgment/<judge>_single.jsonl  one grade a line, score -1 when unparsed
    <bench>/model_judgment/<judge>_pair.jsonl    one comparison a line: both games (g1_*, g2_*)
    <bench>/reference_answer/<model>.jsonl

and judgebench keeps it as ``results/<bench>/question.jsonl``,
``answers/<model-slug>.jsonl``, ``judgments/<judge-slug>_single.jsonl`` and
``_pair.jsonl`` (one :class:`~judgebench.records.PairGame` a line, two per
FastChat row) and ``reference_answer/<name>.jsonl`` (copied as is).

Mapping choices:

- A model is named by its answers *file*, as FastChat names it (its
  ``load_model_answers`` keys answers by file name, and its judgment files use
  that name): ``model_answer/vicuna-13b-v1.3.jsonl`` is filed as
  ``vicuna-13b-v1.3`` even though its records say ``vicuna-13b-hao-0515``.
  The inner id is kept in each record's ``fastchat_model_id`` (and ``model``)
  and written back on export; a summary note lists each such file.
- FastChat's unscored verdicts (``score: -1``, winner ``"error"``) become
  records with status ``unparsed``, or ``failed`` when the judge reply is
  FastChat's ``$ERROR$`` (the call itself failed, so a rerun retries it);
  both export back to ``-1``/``"error"`` with the text kept.
- On export, file names are the model name (the records' ``model_id``) or
  judge id with ``/`` replaced by ``__`` (and other unsafe characters by
  ``_``), as in :func:`judgebench.storage.model_slug`; the answers' ``model_id``
  field is the imported inner id where there was one, else the name. Repeated
  records of one key (retries) export once, the last one.
- FastChat's scripts write ``json.dumps`` defaults (``\\uXXXX`` escapes), but
  some published files hold raw UTF-8; import lists those in
  ``results/<bench>/fastchat.json`` (:data:`STYLE_FILE`) and export writes
  them the same way, so the round trip is byte-identical.

Both directions read and check everything first (a bad line raises
:class:`~judgebench.errors.DataError` citing ``file:line``), then write each
file whole through a temporary file and ``os.replace``, so a failure never
leaves a half-written file. An existing file with different content is
replaced only with ``overwrite=True``. Files are replaced, not appended to:
do not import into a bench that a judgebench run is writing at that moment.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from judgebench import __version__
from judgebench.errors import DataError, UsageError
from judgebench.records import Answer, Judgment, PairGame, RecordError
from judgebench.storage import (
    FilePlan,
    JudgeMode,
    answers_path,
    judgments_path,
    load_answers,
    load_judgments,
    load_pair_games,
    load_questions,
    model_slug,
    read_jsonl,
)

__all__ = [
    "FASTCHAT_CALL_ERROR",
    "STYLE_FILE",
    "ExportSummary",
    "ImportSummary",
    "export_fastchat",
    "import_fastchat",
]

FASTCHAT_CALL_ERROR = "$ERROR$"
"""The judge reply FastChat stores when the API call failed after its retries."""

_T = TypeVar("_T")

_FIX = "fix or delete this line (FastChat's llm_judge layout)"


@dataclass(frozen=True)
class ImportSummary:
    """What :func:`import_fastchat` read and wrote.

    Attributes:
        questions: questions copied (0 when ``question.jsonl`` is absent).
        answers: answer records per model (named by file, as FastChat does).
        single: single-grade records per judge (from the file name).
        pair_rows: FastChat pairwise rows per judge; each became two games.
        pair_games: pair-game records written per judge.
        unscored: single rows and games without a verdict (``-1``/``"error"``).
        references: reference answers per file name.
        files: every results file written (or already identical).
        notes: things worth telling the user (renamed models, ignored files).
    """

    questions: int
    answers: Mapping[str, int]
    single: Mapping[str, int]
    pair_rows: Mapping[str, int]
    pair_games: Mapping[str, int]
    unscored: int
    references: Mapping[str, int]
    files: tuple[Path, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class ExportSummary:
    """What :func:`export_fastchat` wrote.

    Attributes:
        questions: questions copied (0 when the bench has none).
        answers: ``ok`` answers written per model.
        answers_skipped: failed answers left out per model (FastChat has no
            form for them).
        single: single-grade rows written per judge.
        pair_rows: pairwise rows written per judge.
        unscored: rows written with ``score: -1`` or a winner ``"error"``.
        references: reference answers copied per file name.
        files: every file written (or already identical).
        notes: things worth telling the user.
    """

    questions: int
    answers: Mapping[str, int]
    answers_skipped: Mapping[str, int]
    single: Mapping[str, int]
    pair_rows: Mapping[str, int]
    unscored: int
    references: Mapping[str, int]
    files: tuple[Path, ...]
    notes: tuple[str, ...]


def _ours(records: Iterable[Mapping[str, Any]]) -> bytes:
    """Our JSONL form (as :class:`~judgebench.storage.JsonlAppender` writes it)."""
    return b"".join((json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8") for r in records)


def _theirs(records: Iterable[Mapping[str, Any]], *, raw_utf8: bool = False) -> bytes:
    """FastChat's JSONL form: ``json.dumps`` defaults, as its scripts write, or
    ``ensure_ascii=False`` where the imported file was written that way (``raw_utf8``)."""
    return b"".join((json.dumps(r, ensure_ascii=not raw_utf8) + "\n").encode("utf-8") for r in records)


STYLE_FILE = "fastchat.json"
"""``results/<bench>/fastchat.json``: how the imported files were written, for a byte-identical export.

``{"raw_utf8": ["model_judgment/gpt-4_pair.jsonl", …]}`` lists the files whose
non-ASCII text was written as raw UTF-8 (``json.dumps(..., ensure_ascii=False)``)
rather than FastChat's default ``\\uXXXX`` escapes."""


def _raw_utf8(path: Path) -> bool:
    """Whether a JSONL file holds raw (unescaped) non-ASCII text."""
    return not path.read_bytes().isascii()


def _read_style(root: Path) -> set[str]:
    path = root / STYLE_FILE
    if not path.is_file():
        return set()
    try:
        listed = json.loads(path.read_text(encoding="utf-8")).get("raw_utf8", [])
    except (ValueError, AttributeError):
        raise DataError(path, None, "not a JSON object", "delete it (exports then use json.dumps defaults)") from None
    return {str(x) for x in listed}


def _unscored_status(reply: str) -> dict[str, Any]:
    if reply.strip() == FASTCHAT_CALL_ERROR:
        return {"status": "failed", "error": f"the judge call failed in FastChat (reply {FASTCHAT_CALL_ERROR})"}
    return {"status": "unparsed"}


def _single(obj: Mapping[str, Any], category: str) -> Judgment:
    judgment = Judgment.from_dict(obj)
    if "schema" not in obj and judgment.status == "unparsed":
        judgment = replace(judgment, **_unscored_status(judgment.judgment))
    return replace(judgment, category=judgment.category or category, judgebench_version=__version__)


def _games(obj: Mapping[str, Any], category: str) -> tuple[PairGame, PairGame]:
    """The two games of one FastChat pairwise row."""
    games = []
    for n in (1, 2):
        winner = obj.get(f"g{n}_winner")
        if winner not in ("model_1", "model_2", "tie", "error"):
            raise RecordError(f"field 'g{n}_winner' must be model_1, model_2, tie or error, got {winner!r}")
        reply = obj.get(f"g{n}_judgment")
        if not isinstance(reply, str):
            raise RecordError(f"field 'g{n}_judgment' must be a string (the judge's reply)")
        game = {
            **{k: obj[k] for k in ("question_id", "model_1", "model_2", "turn", "judge", "tstamp") if k in obj},
            "game": n,
            "winner": None if winner == "error" else winner,
            "user_prompt": obj.get(f"g{n}_user_prompt"),
            "judgment": reply,
            "category": category,
            "judgebench_version": __version__,
            **(_unscored_status(reply) if winner == "error" else {"status": "ok"}),
        }
        games.append(PairGame.from_dict(game))
    return games[0], games[1]


def _validated(path: Path, number: int, build: Callable[..., _T], *args: Any) -> _T:
    """``build(*args)``, its errors cited at ``path:number``."""
    try:
        return build(*args)
    except (ValueError, TypeError) as exc:  # RecordError, or a field that float() refuses
        raise DataError(path, number, str(exc), _FIX) from None


def _answer_file(path: Path) -> tuple[str | None, list[dict[str, Any]]]:
    """The inner model_id and our records of one ``model_answer/<name>.jsonl`` file.

    Records are filed under the file's name (FastChat's rule); an inner
    ``model_id`` other than that name is kept as ``fastchat_model_id``.
    """
    records, model_id = [], None
    for number, obj in read_jsonl(path):
        answer = _validated(path, number, Answer.from_dict, obj)
        if model_id is not None and answer.model_id != model_id:
            raise DataError(path, number, f"model_id {answer.model_id!r} in a file of {model_id!r}", _FIX)
        model_id = answer.model_id
        inner = answer.fastchat_model_id or answer.model_id
        named = replace(
            answer,
            model_id=path.stem,
            fastchat_model_id=inner if inner != path.stem else None,
            judgebench_version=__version__,
        )
        records.append(named.to_dict())
    return model_id, records


def _judgment_file(path: Path, mode: JudgeMode, categories: Mapping[str, str]) -> tuple[list[PairGame | Judgment], int]:
    """Our records of one ``model_judgment`` file, and how many lines it had."""
    out: list[PairGame | Judgment] = []
    lines = 0
    for number, obj in read_jsonl(path):
        category = categories.get(str(obj.get("question_id")), "")
        if mode == "single":
            out.append(_validated(path, number, _single, obj, category))
        else:
            out += _validated(path, number, _games, obj, category)
        lines += 1
    return out, lines


def _import_answers(
    src: Path, results_dir: Path, bench: str, plan: FilePlan, notes: list[str], raw_utf8: list[str]
) -> Counter[str]:
    """Plan the answers files of ``src/model_answer``, each under its file's name; answers per model."""
    answers: Counter[str] = Counter()
    for path in sorted((src / "model_answer").glob("*.jsonl")):
        model_id, records = _answer_file(path)
        if model_id is None:
            notes.append(f"{path}: empty, skipped")
            continue
        name = path.stem
        if model_id != name:
            notes.append(
                f"{path.name}: model {name!r} (FastChat names models by file); inner model_id {model_id!r} kept"
            )
        if model_slug(name) != name:
            raise UsageError(f"{path}: model name {name!r} is not a safe file name — rename the file")
        plan.add(answers_path(results_dir, bench, name), _ours(records), str(path))
        answers[name] += len(records)
        if _raw_utf8(path):
            raw_utf8.append(f"model_answer/{path.name}")
    return answers


def import_fastchat(src: Path, results_dir: Path, bench: str, *, overwrite: bool = False) -> ImportSummary:
    """Bring a FastChat ``llm_judge`` bench folder into ``results_dir/bench``.

    Args:
        src: the folder holding ``question.jsonl``, ``model_answer/``,
            ``model_judgment/`` and ``reference_answer/`` (each optional).
        results_dir: the results root.
        bench: the bench name to file the results under.
        overwrite: replace results files that exist with other content.

    Raises:
        UsageError: ``src`` holds no FastChat data, two inputs map to one
            results file, or a results file differs and ``overwrite`` is off.
        DataError: a bad line, citing ``file:line``; nothing is written.
        ResultsError: a results file cannot be written.
    """
    if not src.is_dir():
        raise UsageError(f"{src}: not a folder — give a FastChat bench folder such as data/mt_bench")
    root = results_dir / bench
    plan, notes = FilePlan(), list[str]()
    categories: dict[str, str] = {}
    if (src / "question.jsonl").is_file():
        questions = load_questions(src / "question.jsonl", bench).questions
        categories = {str(q.question_id): q.category for q in questions}
        plan.add(root / "question.jsonl", (src / "question.jsonl").read_bytes(), str(src / "question.jsonl"))
    elif (root / "question.jsonl").is_file():  # imported before: its categories still apply
        categories = {str(q.question_id): q.category for q in load_questions(root / "question.jsonl", bench).questions}
    elif (src / "model_judgment").is_dir() or (src / "model_answer").is_dir():
        notes.append(
            f"{src}: no question.jsonl — the questions' categories are unknown, so per-category breakdowns are "
            "unavailable for this bench; add FastChat's question.jsonl there and import again"
        )

    raw_utf8: list[str] = []
    answers = _import_answers(src, results_dir, bench, plan, notes, raw_utf8)

    counts: dict[str, Counter[str]] = {"single": Counter(), "pair_rows": Counter(), "pair_games": Counter()}
    judged: set[str] = set()
    unscored = 0
    for path in sorted((src / "model_judgment").glob("*.jsonl")):
        mode: JudgeMode | None = next((m for m in ("single", "pair") if path.name.endswith(f"_{m}.jsonl")), None)
        if mode is None:
            notes.append(f"{path}: not <judge>_single.jsonl or <judge>_pair.jsonl, ignored")
            continue
        judge = path.name.removesuffix(f"_{mode}.jsonl")
        made, lines = _judgment_file(path, mode, categories)
        plan.add(judgments_path(results_dir, bench, judge, mode), _ours(r.to_dict() for r in made), str(path))
        if _raw_utf8(path):
            raw_utf8.append(f"model_judgment/{path.name}")
        for r in made:
            judged.update((r.model,) if isinstance(r, Judgment) else (r.model_1, r.model_2))
            unscored += r.status != "ok"
        if mode == "single":
            counts["single"][judge] += lines
        else:
            counts["pair_rows"][judge] += lines
            counts["pair_games"][judge] += len(made)

    references: Counter[str] = Counter()
    for path in sorted((src / "reference_answer").glob("*.jsonl")):
        for number, obj in read_jsonl(path):
            _validated(path, number, Answer.from_dict, obj)
            references[path.stem] += 1
        plan.add(root / "reference_answer" / path.name, path.read_bytes(), str(path))

    if raw_utf8:
        plan.add(root / STYLE_FILE, (json.dumps({"raw_utf8": raw_utf8}, indent=1) + "\n").encode(), "file styles")
    if not plan.files:
        raise UsageError(f"{src}: no FastChat data (question.jsonl, model_answer/, model_judgment/, reference_answer/)")
    if answers and judged - set(answers):
        notes.append(
            f"judgments name models without answers here: {', '.join(sorted(judged - set(answers)))} "
            f"(answers are filed under: {', '.join(sorted(answers))})"
        )
    return ImportSummary(
        questions=len(categories),
        answers=dict(answers),
        single=dict(counts["single"]),
        pair_rows=dict(counts["pair_rows"]),
        pair_games=dict(counts["pair_games"]),
        unscored=unscored,
        references=dict(references),
        files=plan.write(overwrite=overwrite),
        notes=tuple(notes),
    )


def _fastchat_grade(j: Judgment) -> dict[str, Any]:
    """FastChat's single row: ``score`` -1 without a verdict; a whole grade as an int (``[[8]]`` → 8)."""
    score = -1 if j.status != "ok" or j.score is None else int(j.score) if j.score.is_integer() else j.score
    return {
        "question_id": j.question_id,
        "model": j.model,
        "judge": [j.judge, j.prompt],
        "user_prompt": j.user_prompt,
        "judgment": j.judgment,
        "score": score,
        "turn": j.turn,
        "tstamp": j.tstamp,
    }


def _export_answers(
    root: Path, dest: Path, plan: FilePlan, notes: list[str], raw: set[str]
) -> tuple[Counter[str], Counter[str]]:
    """Plan ``dest/model_answer/<name>.jsonl`` for each answers file; answers written and skipped per model."""
    answers: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    for path in sorted((root / "answers").glob("*.jsonl")):
        loaded = list(load_answers(path).values())
        rows = [
            {
                "question_id": a.question_id,
                "answer_id": a.answer_id,
                "model_id": a.fastchat_model_id or a.model_id,
                "choices": [{"index": c.index, "turns": list(c.turns)} for c in a.choices],  # FastChat's fields only
                "tstamp": a.tstamp,
            }
            for a in loaded
            if a.status == "ok"
        ]
        for a in loaded:
            skipped[a.model_id] += a.status != "ok"
        if not rows:
            if loaded:
                notes.append(f"{path}: no finished answer to export")
            continue
        model_id = loaded[0].model_id
        answers[model_id] = len(rows)
        name = f"{model_slug(model_id)}.jsonl"
        plan.add(dest / "model_answer" / name, _theirs(rows, raw_utf8=f"model_answer/{name}" in raw), str(path))
    for model_id, n in skipped.items():
        if n:
            notes.append(f"{model_id}: {n} failed answer(s) left out (FastChat has no form for them)")
    return answers, skipped


def export_fastchat(
    results_dir: Path, bench: str, dest: Path, *, questions: Path | None = None, overwrite: bool = False
) -> ExportSummary:
    """Write ``results_dir/bench`` as a FastChat ``llm_judge`` bench folder at ``dest``.

    Args:
        results_dir: the results root.
        bench: the bench to export.
        dest: the FastChat bench folder to write (e.g. ``data/mt_bench``).
        questions: a question file to write as ``dest/question.jsonl``;
            default: the bench's own ``question.jsonl``, if it has one.
        overwrite: replace files in ``dest`` that exist with other content.

    Raises:
        UsageError: no such bench, or a file in ``dest`` differs and
            ``overwrite`` is off.
        DataError: a bad line in the results, citing ``file:line``.
        ResultsError: a file cannot be written.
    """
    from judgebench.stats import FASTCHAT_ERROR, latest_judgments, pair_rows_from_games  # pandas: on use only

    root = results_dir / bench
    if not root.is_dir():
        raise UsageError(f"{root}: no such bench — check --results-dir and the bench name")
    plan, notes = FilePlan(), list[str]()
    raw = _read_style(root)
    if questions is not None and not questions.is_file():
        raise UsageError(f"{questions}: no such question file — check the path")
    question_file = questions if questions is not None else root / "question.jsonl"
    n_questions = 0
    if question_file.is_file():
        n_questions = len(load_questions(question_file, bench).questions)
        plan.add(dest / "question.jsonl", question_file.read_bytes(), str(question_file))

    answers, skipped = _export_answers(root, dest, plan, notes, raw)

    judgments = latest_judgments(
        j for p in sorted((root / "judgments").glob("*_single.jsonl")) for j in load_judgments(p)
    )
    by_judge: dict[str, list[dict[str, Any]]] = {}
    unscored = 0
    for j in judgments:
        unscored += j.status != "ok"
        by_judge.setdefault(j.judge, []).append(_fastchat_grade(j))
    single = {judge: len(rows) for judge, rows in by_judge.items()}
    for judge, rows in by_judge.items():
        name = f"{model_slug(judge)}_single.jsonl"
        data = _theirs(rows, raw_utf8=f"model_judgment/{name}" in raw)
        plan.add(dest / "model_judgment" / name, data, f"{judge} grades")

    games = [g for p in sorted((root / "judgments").glob("*_pair.jsonl")) for g in load_pair_games(p)]
    by_judge = {}
    for row in pair_rows_from_games(games):
        unscored += FASTCHAT_ERROR in (row["g1_winner"], row["g2_winner"])
        by_judge.setdefault(row["judge"][0], []).append(row)
    pair_rows = {judge: len(rows) for judge, rows in by_judge.items()}
    for judge, rows in by_judge.items():
        name = f"{model_slug(judge)}_pair.jsonl"
        data = _theirs(rows, raw_utf8=f"model_judgment/{name}" in raw)
        plan.add(dest / "model_judgment" / name, data, f"{judge} pair games")

    references: Counter[str] = Counter()
    for path in sorted((root / "reference_answer").glob("*.jsonl")):
        references[path.stem] = sum(1 for _ in read_jsonl(path))
        plan.add(dest / "reference_answer" / path.name, path.read_bytes(), str(path))

    if not plan.files:
        notes.append(f"{root}: nothing to export")
    return ExportSummary(
        questions=n_questions,
        answers=dict(answers),
        answers_skipped={m: n for m, n in skipped.items() if n},
        single=single,
        pair_rows=pair_rows,
        unscored=unscored,
        references=dict(references),
        files=plan.write(overwrite=overwrite),
        notes=tuple(notes),
    )
