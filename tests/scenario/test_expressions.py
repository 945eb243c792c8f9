"""Expressions: precedence, functions, errors with positions, no eval."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simhub.scenario.expressions import (
    ExpressionError,
    Value,
    evaluate,
    parse_expression,
    references,
)

PARAMETERS: dict[str, Value] = {"a": 2.0, "b": 3, "flag": True, "name": "x"}


def lookup(name: str, position: int) -> Value:
    if name not in PARAMETERS:
        raise ExpressionError(f"unknown ${name}", position)
    return PARAMETERS[name]


def ev(text: str) -> Value:
    return evaluate(text, lookup)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("10 - 4 - 3", 3),
        ("2 * 3 % 4", 2),
        ("-2 * 3", -6),
        ("- -2", 2),
        ("7 / 2", 3.5),
        ("7 % 3", 1),
        ("$a * $b", 6.0),
        ("250/3.6", 250 / 3.6),
        ("1 + 2 == 3", True),
        ("1 < 2 and 2 < 1", False),
        ("1 < 2 or 2 < 1", True),
        ("not 1 > 2", True),
        ("not $flag or true", True),
        ("true and false or true", True),
        ("$a >= 2 and $b != 3", False),
        ("1e3 + .5", 1000.5),
    ],
)
def test_arithmetic_logic_and_precedence(text: str, expected: Value) -> None:
    result = ev(text)
    assert result == pytest.approx(expected) if isinstance(expected, float) else result == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sqrt(16)", 4.0),
        ("pow(2, 10)", 1024.0),
        ("sin(0)", 0.0),
        ("cos(0)", 1.0),
        ("tan(0)", 0.0),
        ("asin(1)", math.pi / 2),
        ("acos(1)", 0.0),
        ("atan(1)", math.pi / 4),
        ("sign(-3)", -1),
        ("abs(-3.5)", 3.5),
        ("max(2, $b)", 3),
        ("min(2, $b)", 2),
        ("round(2.5)", 3),
        ("round(-2.5)", -3),
        ("floor(-1.5)", -2),
        ("ceil(1.2)", 2),
        ("max(1, min(5, 3)) * 2", 6),
    ],
)
def test_functions(text: str, expected: float) -> None:
    assert ev(text) == pytest.approx(expected)


def test_string_concatenation_esmini_extension() -> None:
    assert ev("Brake_HWT + _ + $a") == "Brake_HWT_2"


@pytest.mark.parametrize(
    ("text", "position", "words"),
    [
        ("1 +", 3, "expected a value"),
        ("(1 + 2", 6, "expected ')'"),
        ("sqr(2)", 0, "did you mean 'sqrt'"),
        ("1 / 0", 2, "division by zero"),
        ("sqrt(-1)", 0, "sqrt"),
        ("2 # 3", 2, "unexpected character"),
        ("$missing + 1", 0, "unknown $missing"),
        ("pow(2)", 0, "takes 2 arguments"),
        ("1 < 2 < 3", 6, "chained"),
        ("1e999", 0, "out of range"),
        ("pow(10, 400)", 0, "cannot take"),
        ("'a'", 0, "unexpected character"),
        ("$name * 2", 6, "needs a number"),
    ],
)
def test_errors_carry_position(text: str, position: int, words: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        ev(text)
    assert words in caught.value.message
    assert caught.value.position == position


def test_never_eval() -> None:
    for text in ("__import__('os').system('true')", "open('x')", "[1]", "a.b", "lambda: 1"):
        with pytest.raises(ExpressionError):
            ev(text)


def test_references_listed() -> None:
    assert references(parse_expression("$a + max($b, $a)")) == ["a", "b", "a"]


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(ExpressionError):
        ev("(" * 500 + "1" + ")" * 500)


@given(st.text(alphabet="0123456789+-*/%() .e$abnotrueflsqi,<>=!", max_size=40))
def test_any_text_evaluates_or_fails_cleanly(text: str) -> None:
    try:
        ev(text)
    except ExpressionError as error:
        assert 0 <= error.position <= len(text)


@given(st.integers(-1000, 1000), st.integers(-1000, 1000), st.integers(1, 1000))
def test_integer_arithmetic_matches_python(a: int, b: int, c: int) -> None:
    assert ev(f"{a} + {b} * {c}") == a + b * c
    assert ev(f"({a} - {b}) % {c}") == (a - b) % c
