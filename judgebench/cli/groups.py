"""Option groups: options that several commands take, declared once with their defaults, and building jobs from them.

typer reads a command's options from its signature, one parameter each. A :data:`Group` is a run of
such parameters (an ``Annotated`` option type and the default, read off the job dataclass it sets);
:func:`takes` adds groups to a command's signature, so typer shows and parses them, and the command
receives them in its ``**options``. :func:`build` then makes the job from the values by field name,
so an option is written once: its type, its default (the job's), and no hand-written pass-through.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import fields
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = ["Group", "build", "group", "takes"]

Group = tuple[inspect.Parameter, ...]
"""Command parameters (keyword-only, each with its ``Annotated`` option type and default), in help order."""

Job = TypeVar("Job", bound="DataclassInstance")
Command = TypeVar("Command", bound=Callable[..., None])


def group(**declared: tuple[object, object]) -> Group:
    """A group from ``name=(AnnotatedOptionType, default)``, in that order; ``name`` is the job field it sets.

    >>> [(p.name, p.default) for p in group(limit=(int, 3), seed=(int | None, None))]
    [('limit', 3), ('seed', None)]
    """
    return tuple(
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default)
        for name, (annotation, default) in declared.items()
    )


def takes(*groups: Group) -> Callable[[Command], Command]:
    """Decorate a command so that it also takes every option of ``groups``, after its own, in its ``**options``.

    Raises:
        TypeError: two parameters of the same name (a command's own and a group's, or two groups').
    """

    def add(command: Command) -> Command:
        own = inspect.signature(command, eval_str=True)
        params = [p for p in own.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
        params += [p for g in groups for p in g]
        names = [p.name for p in params]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise TypeError(f"{command.__name__}: parameters named twice: {', '.join(twice)}")
        command.__signature__ = own.replace(parameters=params)  # type: ignore[attr-defined]  # what typer reads
        command.__annotations__ = {p.name: p.annotation for p in params} | {"return": own.return_annotation}
        return command

    return add


def build(cls: type[Job], params: Mapping[str, Any], **given: object) -> Job:
    """A job (or settings) dataclass made from a command's parameters, so that no option is passed on by hand.

    Each field of ``cls`` named like one of ``params`` takes that parameter's value (a command's
    parameter is named like the field it sets); ``given`` sets the rest and overrides (values the
    command converts first: lists to tuples, ``--question-ids`` split…). Fields in neither keep the
    dataclass's default, which is also the option's.

    Args:
        cls: a dataclass, e.g. :class:`~judgebench.pipeline.answers.AnswerJob`.
        params: the command's parameters by name, its own and its groups'.
        given: field values that win over ``params``.

    >>> from judgebench.providers.options import RetryPolicy
    >>> build(RetryPolicy, {"max_attempts": 3, "verbose": True}).max_attempts
    3
    """
    names = {f.name for f in fields(cls) if f.init}
    values = {name: value for name, value in params.items() if name in names}
    return cls(**(values | given))
