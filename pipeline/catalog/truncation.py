"""Messages cut at their tail: the fields a wording completed before the text ran out.

Ticket systems, terminals and mail clients cut long lines (`... Sending cookies.  Check SNMP
count`, a window-shrink line cut inside its second number). A wording matches such a text
*partially* when the text ends before the pattern does; the `regex` module reports exactly that.
A named group that ends where the text ends may have been cut, so it is dropped; the others are
complete. Only families whose keyword the text holds are tried (the keyword names the family
without doubt), and the text must end inside the wording: prose that goes on after a message's
name (`Treason uncloaked in my logs`) diverges from every wording and gives nothing.

Off the hot path: only texts no wording matches whole come here.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Annotated, Any, cast

import regex
from pydantic import ValidationError, create_model

from pipeline.catalog.base import Family, KernelMessage, Wording


def partial_fields(wording: Wording, text: str) -> dict[str, Any] | None:
    """The complete fields of `text` read as `wording` cut at its tail, or None.

    None when the text is not a strict prefix of the wording (it matches whole, or diverges).
    """
    m = _partial_regex(wording.regex).fullmatch(text, partial=True)
    if m is None or not m.partial:
        return None
    end = len(text)
    complete = {
        name: value
        for name, value in m.groupdict().items()
        if value is not None and m.end(name) < end
    }
    try:
        return wording.fields(complete)
    except KeyError:  # the converter needs a group the cut removed: keep the raw ones
        fields = dict(complete)
        fields.update(wording.fixed)
        fields["variant"] = wording.variant
        return fields


def truncated_message(family: Family, text: str) -> tuple[Wording, KernelMessage] | None:
    """The first wording of `family` that `text` is a cut-off prefix of, as a model."""
    for wording in family.wordings:
        fields = partial_fields(wording, text)
        if fields is None:
            continue
        try:
            return wording, truncated_model(family.model).model_validate(fields)
        except ValidationError:
            continue
    return None


# A lazy quantifier's `?` (`*?`, `+?`, `??`, `{m,n}?`). Laziness picks among matches but never
# changes what a pattern can match, and `regex` reports false partial matches with lazy
# quantifiers, so they are made greedy for the partial test.
_LAZY_RE = re.compile(r"(?<!\\)([*+?}])\?")


@cache
def _partial_regex(pattern: re.Pattern[str]) -> regex.Pattern[str]:
    return regex.compile(_LAZY_RE.sub(r"\1", pattern.pattern), pattern.flags & ~re.UNICODE)


@cache
def truncated_model(model: type[KernelMessage]) -> type[KernelMessage]:
    """`model` with every required field optional: a cut line may have lost any of them."""
    overrides: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if not info.is_required():
            continue
        annotation: Any = info.annotation
        if info.metadata:
            annotation = Annotated[(annotation, *info.metadata)]
        overrides[name] = (annotation | None, None)
    if not overrides:
        return model
    truncated: Any = create_model(f"Truncated{model.__name__}", __base__=model, **overrides)
    return cast(type[KernelMessage], truncated)
