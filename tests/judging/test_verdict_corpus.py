"""A corpus of real-world judge reply shapes, each with the one right reading.

Shapes seen from GPT-4-class judges, reasoning models (DeepSeek-R1, Qwen3, QwQ), small local
judges and structured-output APIs: reasoning blocks (closed, unclosed, template-opened),
restated formats, quoted answers holding fake verdicts, markdown, other languages and scales,
truncation, JSON. ``None`` means no verdict: the reply is re-asked, never guessed at.
"""

from __future__ import annotations

import pytest

from judgebench.judging.verdicts import (
    FIVE_LEVEL,
    GRADE_10,
    JSON_GRADE,
    JSON_WINNER,
    SCORE_PAIR,
    WINNER_ABC,
    VerdictFormat,
)

Expected = float | str | tuple[float, float] | None

CORPUS: list[tuple[str, VerdictFormat, str, Expected]] = [
    # --- plain MT-Bench grades -------------------------------------------------------------------
    ("plain", GRADE_10, "The answer is accurate and concise.\n\nRating: [[8]]", 8.0),
    ("decimal", GRADE_10, "Good but verbose.\n\n[[7.5]]", 7.5),
    ("decimal comma in brackets", GRADE_10, "Solide Antwort.\n\nBewertung: [[7,5]]", 7.5),
    ("decimal comma near-miss", GRADE_10, "Accurate, a little plain.\nRating: 7,5", 7.5),
    ("spaces inside", GRADE_10, "[[ 9 ]]", 9.0),
    ("out of ten inside", GRADE_10, "Verdict: [[8/10]]", 8.0),
    ("bold", GRADE_10, "### Evaluation\n- correct\n- clear\n\n**Rating: [[9]]**", 9.0),
    ("bold near-miss", GRADE_10, "Mostly right.\n\n**Rating:** 6", 6.0),
    ("single brackets", GRADE_10, "Decent overall. [7]", 7.0),
    ("final x/10", GRADE_10, "All told I would give it 8/10.", 8.0),
    ("French, out of ten", GRADE_10, "Réponse exacte et claire. Je donne 8 sur 10.", 8.0),
    ("German, decimal comma out of ten", GRADE_10, "Gute Antwort: 7,5 von 10", 7.5),
    ("Spanish, five-point scale", GRADE_10, "Buena respuesta. Puntuación: 4 de 5", None),
    ("json-ish in text", GRADE_10, 'My assessment: {"score": 6}', 6.0),
    # --- other scales and malformed final verdicts are no verdict --------------------------------
    ("five-point scale", GRADE_10, "Vivid and correct, with one awkward phrase.\nRating: 4 out of 5", None),
    ("five-point scale in brackets", GRADE_10, "[[4/5]]", None),
    ("hundred-point scale", GRADE_10, "Score: 85/100", None),
    ("above the scale", GRADE_10, "Exceptional! [[11]]", None),
    ("zero", GRADE_10, "Off-topic entirely. [[0]]", None),
    ("words", GRADE_10, "Rating: [[seven]]", None),
    ("final off-scale after a quoted grade", GRADE_10, "It claims it deserves [[10]].\nRating: 3 out of 5", None),
    ("final malformed after an earlier grade", GRADE_10, "First I thought [[8]]. Final: [[8 out of 5]]", None),
    ("refusal", GRADE_10, "I'm sorry, I can't evaluate this content.", None),
    ("empty", GRADE_10, "", None),
    # --- quoting and restated formats -----------------------------------------------------------
    ("quoted fake verdict first", GRADE_10, 'The reply ends with "[[10]]" to game the grader.\nRating: [[2]]', 2.0),
    ("placeholder after the grade", GRADE_10, "[[6]]\n(Format reminder: [[rating]])", 6.0),
    ("format restated, no grade", GRADE_10, "I will answer in the form [[N]], e.g. [[7]] or [[4.5]].", None),
    ("format restated in English list", WINNER_ABC, "My verdict will be one of [[A]], [[B]] or [[C]].", None),
    ("quoted fake verdict, pairwise", WINNER_ABC, "B's reply says '[[A]]' to trick you.\n\n[[B]]", "B"),
    ("verdict said twice", WINNER_ABC, "**Final verdict:** [[B]]\n\n[[B]]", "B"),
    ("grade said twice", GRADE_10, "Rating: [[7]]\n[[7]]", 7.0),
    ("three verdicts separated by prose", WINNER_ABC, "A says [[A]]; B says [[B]]. Both wrong, [[C]]", "tie"),
    # --- reasoning models ------------------------------------------------------------------------
    ("closed think block", GRADE_10, "<think>\nMaybe [[3]]? No, it is right.\n</think>\n\nCorrect.\n[[9]]", 9.0),
    (
        "think cut off after restating",
        GRADE_10,
        "<think>\nI must end with the grade alone as [[N]], e.g. [[7]] or [[4.5]]. Let me look. It",
        None,
    ),
    (
        "think cut off, pairwise",
        WINNER_ABC,
        "<think>\nI have to finish with exactly one of [[A]], [[B]] or [[C]]. Comparing: the better one is the",
        None,
    ),
    ("template-opened think", GRADE_10, "Hmm, [[2]] seems harsh.\n</think>\n\nRating: [[6]]", 6.0),
    ("thinking tag", WINNER_ABC, "<thinking>A is vague, [[B]]?</thinking>\nB is concrete.\n[[B]]", "B"),
    ("think with verdict only inside", GRADE_10, "<think>\nFinal: [[8]]\n</think>\n", None),
    # --- pairwise shapes --------------------------------------------------------------------------
    ("pairwise plain", WINNER_ABC, "Assistant B follows the constraint.\n\n[[B]]", "B"),
    ("pairwise tie word", WINNER_ABC, "Equally good.\n[[Tie]]", "tie"),
    ("pairwise bold", WINNER_ABC, "**Final verdict: [[A]]**", "A"),
    ("pairwise single brackets", WINNER_ABC, "Overall, A is better. [A]", "A"),
    ("pairwise malformed final", WINNER_ABC, "Leaning [[A]]... final answer: [[A or B]]", None),
    ("pairwise unknown letter", WINNER_ABC, "[[D]]", None),
    ("pairwise no verdict", WINNER_ABC, "Both replies are fine.", None),
    ("pairwise Chinese", WINNER_ABC, "助手B的回答更准确。\n\n最终裁决：[[B]]", "B"),
    ("pairwise Spanish restated", WINNER_ABC, "Debo responder [[A]], [[B]] o [[C]].", None),
    # --- Arena-Hard five levels -----------------------------------------------------------------
    ("five strong A", FIVE_LEVEL, "Assistant A is significantly better: [[A>>B]]", "A>>B"),
    ("five slight B", FIVE_LEVEL, "My final verdict is Assistant B is slightly better: [[B>A]].", "B>A"),
    ("five tie", FIVE_LEVEL, "My final verdict is tie: [[A=B]]", "A=B"),
    ("five spaced", FIVE_LEVEL, "[[ B >> A ]]", "B>>A"),
    ("five restated", FIVE_LEVEL, "Choose from [[A>>B]], [[A>B]], [[A=B]], [[B>A]], [[B>>A]].", None),
    ("five given ABC", FIVE_LEVEL, "I prefer A.\n[[A]]", None),
    # --- structured output ------------------------------------------------------------------------
    ("json grade", JSON_GRADE, '{"reasoning": "Accurate and vivid.", "verdict": 8}', 8.0),
    ("json grade fenced", JSON_GRADE, '```json\n{"reasoning": "ok", "verdict": 6.5}\n```', 6.5),
    ("json grade as string", JSON_GRADE, '{"reasoning": "ok", "verdict": "7"}', 7.0),
    ("json grade off scale", JSON_GRADE, '{"reasoning": "ok", "verdict": 85}', None),
    ("json grade not json", JSON_GRADE, "Rating: [[8]]", None),
    ("json winner", JSON_WINNER, '{"reasoning": "B is concrete.", "verdict": "B"}', "B"),
    ("json winner tie", JSON_WINNER, 'Here you go: {"reasoning": "even", "verdict": "C"}', "tie"),
    ("json winner after think", JSON_WINNER, '<think>{"verdict": "A"}</think>{"reasoning": "x", "verdict": "B"}', "B"),
    ("json winner bad value", JSON_WINNER, '{"reasoning": "?", "verdict": "A>B"}', None),
    # --- paired scoring: two grades in one verdict, A's first -------------------------------------
    ("score pair plain", SCORE_PAIR, "A is complete; B skips the second step.\n\n[[8, 6]]", (8.0, 6.0)),
    ("score pair decimals, bold", SCORE_PAIR, "**Scores: [[7.5, 9]]**", (7.5, 9.0)),
    ("score pair semicolon", SCORE_PAIR, "[[ 6 ; 6 ]]", (6.0, 6.0)),
    ("score pair quoted fake first", SCORE_PAIR, "B ends with '[[10, 1]]' to game you.\n[[7, 2]]", (7.0, 2.0)),
    ("score pair restated", SCORE_PAIR, "I will end with [[score A, score B]], e.g. [[8, 6]] or [[7.5, 9]].", None),
    ("score pair one grade", SCORE_PAIR, "A is better.\n[[8]]", None),
    ("score pair two tokens", SCORE_PAIR, "Assistant A: [[8]]\nAssistant B: [[6]]", None),
    ("score pair out of ten", SCORE_PAIR, "[[8/10, 6/10]]", None),
    ("score pair off scale", SCORE_PAIR, "[[8, 11]]", None),
    ("score pair decimal comma", SCORE_PAIR, "[[7,5, 8]]", None),
    ("score pair loose numbers", SCORE_PAIR, "Scores: A 8, B 6.", None),
    ("score pair inside think only", SCORE_PAIR, "<think>\n[[8, 6]]\n</think>\n", None),
    ("score pair after think", SCORE_PAIR, "<think>maybe [[3, 9]]</think>\nOn reflection:\n[[5, 9]]", (5.0, 9.0)),
]


def reading_of(fmt: VerdictFormat, text: str) -> Expected:
    reading = fmt.read(text)
    if reading.value is None:
        assert reading.problem, "a reply without a verdict says why"
        return None
    return reading.token if fmt is FIVE_LEVEL else reading.value


@pytest.mark.parametrize(("shape", "fmt", "text", "expected"), CORPUS, ids=[c[0] for c in CORPUS])
def test_each_reply_shape_is_read_right(shape: str, fmt: VerdictFormat, text: str, expected: Expected) -> None:
    assert reading_of(fmt, text) == expected


def test_the_corpus_covers_every_kind_of_shape() -> None:
    assert len(CORPUS) >= 40
    texts = [c[2] for c in CORPUS]
    assert sum("<think" in t or "</think>" in t for t in texts) >= 5
    assert sum(c[3] is None for c in CORPUS) >= 15
    assert {c[1].name for c in CORPUS} == {"grade-10", "abc", "five-level", "json", "score-pair"}


def test_strong_five_level_verdicts_are_marked() -> None:
    assert [FIVE_LEVEL.read(f"[[{v}]]").strong for v in ("A>>B", "A>B", "A=B", "B>A", "B>>A")] == [
        True,
        False,
        False,
        False,
        True,
    ]
