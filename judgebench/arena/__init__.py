"""The arena: a second front end beside :mod:`judgebench.cli`, where people vote on pairs of answers.

- :mod:`judgebench.arena.session`: the voting session (pairs to show, votes appended as ``HumanVote`` records).
- :mod:`judgebench.arena.web`: the web app and server (the only module importing starlette and uvicorn);
  its page and script are in ``assets/``.
"""
