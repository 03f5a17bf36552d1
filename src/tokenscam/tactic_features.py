"""The numbers the model reads off a message's tactics: shared by training and scoring."""

from __future__ import annotations

import math

from .tactics import TACTICS, Tagging

__all__ = ["tactic_feature_names", "tactic_feature_values"]


def tactic_feature_names() -> list[str]:
    names = [f"tactic:{t.name}" for t in TACTICS]
    return (
        names
        + [
            "context:quoted_hits",
            "context:negated_hits",
            "context:warning_words",
            "context:distinct_tactics",
            "context:tactics_with_warning",
            "context:quoted_with_warning",
            "context:subject_words",
            "context:tactics_on_subject",
            "length:log",
            "length:le_8",
            "length:le_16",
            "length:le_32",
        ]
        + [f"pitch:{t.name}" for t in TACTICS]
    )


_INDEX = {t.name: i for i, t in enumerate(TACTICS)}
_N = len(TACTICS)
_NOTHING = [0.0] * (_N + 8)  # no tactic, quote, negation, warning or subject
_NO_PITCH = [0.0] * _N
_log1p = math.log1p


def tactic_feature_values(tagging: Tagging, length: int) -> list[float]:
    """One row of tactic features. Counts are log-damped: the fifth 加微信 adds little.

    ``length`` is the normalised text's length. The ``pitch:`` block is each tactic *on an
    investment subject without a warning around it*: the conjunction that separates a pitch from
    a fruit-stall ad (tactic, no subject) and from a police notice (tactic and subject, in a
    warning). A linear model cannot form it by itself.
    """
    # A four-character line has few n-grams, each weighing a lot after l2 normalisation; these
    # let the model learn how much a short message without tactics should count.
    lengths = [_log1p(length), float(length <= 8), float(length <= 16), float(length <= 32)]
    if not tagging.hits and not tagging.warnings and not tagging.subjects:
        return _NOTHING + lengths + _NO_PITCH  # most messages: skip the arithmetic
    counts = [0] * _N
    quoted = negated = 0
    for h in tagging.hits:
        if h.negated:
            negated += 1
        elif h.quoted:
            quoted += 1
        else:
            counts[_INDEX[h.tactic]] += 1
    distinct = sum(1 for c in counts if c)
    warned = 1.0 if tagging.warnings else 0.0
    damped = [_log1p(c) for c in counts]
    on_subject = 1.0 if tagging.subjects and not tagging.warnings else 0.0
    return (
        damped
        + [
            _log1p(quoted),
            _log1p(negated),
            _log1p(len(tagging.warnings)),
            float(distinct),
            float(distinct) * warned,
            _log1p(quoted) * warned,
            _log1p(len(tagging.subjects)),
            float(distinct) * on_subject,
        ]
        + lengths
        + [d * on_subject for d in damped]
    )
