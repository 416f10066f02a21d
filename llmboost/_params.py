"""Declarative parameter checks: every estimator and prior lists its parameters' constraints.

A class sets ``_parameter_constraints = {"name": [constraint, ...]}``; a value is valid
when it meets any constraint of its list. :func:`check_params` runs once at the top of
``fit`` and raises :class:`InvalidParameterError` naming the class, parameter and value.
"""

from __future__ import annotations

import numbers
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._columns import _magnitude, _plain


class InvalidParameterError(ValueError, TypeError):
    """A constructor parameter has a value its class does not accept."""


@dataclass(frozen=True)
class Interval:
    """Numbers of ``kind`` (``numbers.Integral`` or ``numbers.Real``) between bounds.

    ``low_open`` / ``high_open`` exclude a bound; ``None`` bounds are infinite.
    Booleans and non-finite reals never match, nor do numbers beyond float64 unless
    ``kind`` is ``numbers.Integral``.
    """

    kind: type
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def __call__(self, value) -> bool:
        if isinstance(value, bool | np.bool_) or not isinstance(value, self.kind):
            return False
        try:  # a number read as a float has none beyond 1.8e308 (an integer needs none)
            if self.kind is not numbers.Integral and not np.isfinite(float(value)):
                return False
        except OverflowError:
            return False
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return not (
            self.high is not None and (value >= self.high if self.high_open else value > self.high)
        )

    def __str__(self) -> str:
        what = "an integer" if self.kind is numbers.Integral else "a number"
        bounds = []
        if self.low is not None:
            bounds.append(f"{'>' if self.low_open else '>='} {self.low}")
        if self.high is not None:
            bounds.append(f"{'<' if self.high_open else '<='} {self.high}")
        return f"{what} {' and '.join(bounds)}".strip()


@dataclass(frozen=True)
class Options:
    """One of the listed values (strings, or any hashable)."""

    values: tuple

    def __call__(self, value) -> bool:
        try:
            hash(value)  # an array compares element-wise: "in" raised or matched ["auto"]
            return value in self.values and not isinstance(value, bool | np.bool_)
        except TypeError:  # unhashable values (lists, arrays) are never options
            return False

    def __str__(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)


@dataclass(frozen=True)
class Instance:
    """An instance of one of ``types``; ``what`` names them in messages."""

    types: tuple
    what: str

    def __call__(self, value) -> bool:
        if isinstance(value, bool | np.bool_) and bool not in self.types:
            return False
        return isinstance(value, self.types)

    def __str__(self) -> str:
        return self.what


@dataclass(frozen=True)
class Check:
    """Any value ``test`` accepts; ``what`` describes them."""

    test: Callable[[Any], bool]
    what: str

    def __call__(self, value) -> bool:
        return bool(self.test(value))

    def __str__(self) -> str:
        return self.what


def _matches(constraint, value) -> bool:
    if constraint is None:
        return value is None
    return constraint(value)


def _describe(constraints: list) -> str:
    parts = [str(c) for c in constraints if c is not None]
    if None in constraints:
        parts.append("None")
    return " or ".join(parts)


def check_params(obj, constraints: Mapping[str, list]) -> None:
    """Raise :class:`InvalidParameterError` for the first parameter no constraint accepts."""
    params = obj.get_params(deep=False)
    for name, allowed in constraints.items():
        value = params[name]
        if not any(_matches(c, value) for c in allowed):
            raise InvalidParameterError(
                f"{type(obj).__name__}: {name} must be {_describe(allowed)}, got {brief(value)}."
            )


def brief(value) -> str:
    """``repr(value)`` for a message, on one line and cut to 80 characters; an integer
    beyond float64 by its size (``1.15e+602 (about 603 digits)``), not its digits."""
    huge = isinstance(value, numbers.Integral) and abs(value) > sys.float_info.max
    try:
        text = _magnitude(value) if huge else re.sub(r"\s*\n\s*", " ", repr(_plain(value)))
    except ValueError:  # Python prints no integer over sys.get_int_max_str_digits() digits
        text = f"a {type(value).__name__} holding an integer too long to print"
    return text if len(text) <= 80 else f"{text[:77]}..."


def is_torch_device(value) -> bool:
    """Whether ``value`` is a ``torch.device`` (read as its text; torch is not imported)."""
    return type(value).__module__ == "torch" and type(value).__name__ == "device"


def filled_text(value) -> bool:
    """Whether ``value`` is a str with something besides whitespace (for :class:`Check`)."""
    return isinstance(value, str) and value.strip() != ""


#: Shorthands for the most common constraints.
POSITIVE_INT = Interval(numbers.Integral, 1)
NON_NEGATIVE_INT = Interval(numbers.Integral, 0)
POSITIVE_REAL = Interval(numbers.Real, 0, low_open=True)
DICT = Instance((dict,), "a dict")
BOOL = Instance((bool, np.bool_), "True or False")
RANDOM_STATE = [
    Interval(numbers.Integral, 0, 2**32 - 1),
    Instance((np.random.RandomState,), "a numpy RandomState"),
    None,
]
DEVICE = [
    Instance((str,), "a device name such as 'auto', 'cpu' or 'cuda'"),
    Check(is_torch_device, "a torch.device"),
]
TASK = [Options(("classification", "regression"))]

__all__ = [
    "BOOL",
    "DEVICE",
    "DICT",
    "NON_NEGATIVE_INT",
    "POSITIVE_INT",
    "POSITIVE_REAL",
    "RANDOM_STATE",
    "TASK",
    "Check",
    "Instance",
    "Interval",
    "InvalidParameterError",
    "Options",
    "brief",
    "check_params",
    "filled_text",
    "is_torch_device",
]
