"""The records judgebench reads and writes, and their only wire form.

Every record is a frozen dataclass with ``to_dict()``/``from_dict()``; files on
disk are JSON Lines of those dicts, in FastChat's field layout wherever one
exists, plus ``schema`` and ``judgebench_version``.

- :mod:`judgebench.records.answers`: :class:`Question`, :class:`Answer` and
  what they are made of.
- :mod:`judgebench.records.decoding`: :class:`Decoding` and :class:`ResponseSchema`,
  how one model call is made.
- :mod:`judgebench.records.manifest`: :class:`RunManifest`, what one run did.
- :mod:`judgebench.records.judgments`: :class:`JudgePrompt`,
  :class:`Judgment` (a 1–10 grade) and :class:`PairGame` (one of the two
  position-swapped games of a pairwise comparison).
- :mod:`judgebench.records.votes`: :class:`HumanVote` (one person's verdict,
  MT-Bench's human-judgment format).
- :mod:`judgebench.records.counts`: :func:`counted`, ``1 question`` / ``2 questions``
  in every message.
"""

from judgebench.records.answers import (
    ANSWER_SCHEMA,
    Answer,
    AnswerStatus,
    Choice,
    Message,
    Question,
    QuestionId,
    RecordError,
    Usage,
    content_hash,
)
from judgebench.records.counts import counted
from judgebench.records.decoding import Decoding, ResponseSchema
from judgebench.records.judgments import (
    JUDGE_PROMPT_SCHEMA,
    JUDGMENT_SCHEMA,
    PAIR_GAME_SCHEMA,
    UNREADABLE,
    UNREADABLE_FIX,
    JudgePrompt,
    Judgment,
    JudgmentStatus,
    PairGame,
    Reask,
    Winner,
)
from judgebench.records.manifest import MANIFEST_SCHEMA, RunKind, RunManifest, RunStatus
from judgebench.records.pair_scores import PAIR_SCORE_SCHEMA, PairScore
from judgebench.records.votes import HUMAN_VOTE_SCHEMA, VOTE_WINNERS, HumanVote, VoteWinner

__all__ = [
    "ANSWER_SCHEMA",
    "HUMAN_VOTE_SCHEMA",
    "JUDGE_PROMPT_SCHEMA",
    "JUDGMENT_SCHEMA",
    "MANIFEST_SCHEMA",
    "PAIR_GAME_SCHEMA",
    "PAIR_SCORE_SCHEMA",
    "UNREADABLE",
    "UNREADABLE_FIX",
    "VOTE_WINNERS",
    "Answer",
    "AnswerStatus",
    "Choice",
    "Decoding",
    "HumanVote",
    "JudgePrompt",
    "Judgment",
    "JudgmentStatus",
    "Message",
    "PairGame",
    "PairScore",
    "Question",
    "QuestionId",
    "Reask",
    "RecordError",
    "ResponseSchema",
    "RunKind",
    "RunManifest",
    "RunStatus",
    "Usage",
    "VoteWinner",
    "Winner",
    "content_hash",
    "counted",
]
