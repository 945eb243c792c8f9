"""OpenSCENARIO ``${...}`` expressions: a tokenizer, a Pratt parser and an evaluator.

Never ``eval``: the text is tokenized, parsed into a small tree of frozen nodes and evaluated
by walking that tree. The language is the one of OpenSCENARIO 1.1+ (section "Expressions"):

- numbers (``1``, ``2.5``, ``1e-3``), ``true`` / ``false``, parameter references ``$name``;
- arithmetic ``+ - * / %`` and unary ``-``; comparison ``== != < <= > >=``;
- logical ``and``, ``or``, ``not``; parentheses;
- functions ``sqrt pow sin cos tan asin acos atan sign abs max min round floor ceil``
  (angles in rad).

Precedence, lowest first: ``or``, ``and``, ``not``, comparison, ``+ -``, ``* / %``, unary
``-``. As an esmini-compatible extension a bare word (``BrakeCondition_HWT``) is a string
literal and ``+`` joins strings, so that ``${Name + _ + $Value}`` builds an element name.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

Value = float | int | bool | str

_FUNCTIONS: dict[str, tuple[int, int]] = {
    # name: (min args, max args)
    "sqrt": (1, 1),
    "pow": (2, 2),
    "sin": (1, 1),
    "cos": (1, 1),
    "tan": (1, 1),
    "asin": (1, 1),
    "acos": (1, 1),
    "atan": (1, 1),
    "sign": (1, 1),
    "abs": (1, 1),
    "max": (2, 2),
    "min": (2, 2),
    "round": (1, 1),
    "floor": (1, 1),
    "ceil": (1, 1),
}
FUNCTION_NAMES = tuple(sorted(_FUNCTIONS))
_MAX_DEPTH = 200


class ExpressionError(Exception):
    """A malformed or failing expression; ``position`` is the 0-based column in the text."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


@dataclass(frozen=True)
class Token:
    kind: str  # "num", "ref", "word", "op", "end"
    text: str
    position: int


_OPERATORS = ("==", "!=", "<=", ">=", "&&", "||", "<", ">", "+", "-", "*", "/", "%", "(", ")", ",")


def tokenize(text: str) -> list[Token]:
    """Split ``text`` (the part inside ``${...}``) into tokens; raise ExpressionError."""
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch.isdigit() or (ch == "." and i + 1 < len(text) and text[i + 1].isdigit()):
            j = i
            while j < len(text) and (text[j].isdigit() or text[j] == "."):
                j += 1
            if j < len(text) and text[j] in "eE":
                k = j + 1
                if k < len(text) and text[k] in "+-":
                    k += 1
                if k < len(text) and text[k].isdigit():
                    j = k
                    while j < len(text) and text[j].isdigit():
                        j += 1
            literal = text[i:j]
            if literal.count(".") > 1:
                raise ExpressionError(f"malformed number {literal!r}", i)
            tokens.append(Token("num", literal, i))
            i = j
            continue
        if ch == "$":
            j = i + 1
            while j < len(text) and (text[j].isalnum() or text[j] == "_"):
                j += 1
            if j == i + 1:
                raise ExpressionError("'$' must be followed by a parameter name", i)
            tokens.append(Token("ref", text[i + 1 : j], i))
            i = j
            continue
        if ch.isalpha() or ch == "_":
            j = i
            while j < len(text) and (text[j].isalnum() or text[j] == "_"):
                j += 1
            tokens.append(Token("word", text[i:j], i))
            i = j
            continue
        for op in _OPERATORS:
            if text.startswith(op, i):
                tokens.append(Token("op", op, i))
                i += len(op)
                break
        else:
            raise ExpressionError(f"unexpected character {ch!r}", i)
    tokens.append(Token("end", "", len(text)))
    return tokens


@dataclass(frozen=True)
class Node:
    position: int


@dataclass(frozen=True)
class Literal(Node):
    value: Value


@dataclass(frozen=True)
class Reference(Node):
    name: str


@dataclass(frozen=True)
class Unary(Node):
    operator: str
    operand: Node


@dataclass(frozen=True)
class Binary(Node):
    operator: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Call(Node):
    function: str
    arguments: tuple[Node, ...]


# Binding powers of infix operators (higher binds tighter).
_INFIX: dict[str, int] = {
    "or": 10,
    "||": 10,
    "and": 20,
    "&&": 20,
    "==": 40,
    "!=": 40,
    "<": 40,
    "<=": 40,
    ">": 40,
    ">=": 40,
    "+": 50,
    "-": 50,
    "*": 60,
    "/": 60,
    "%": 60,
}
_NOT_POWER = 30
_NEG_POWER = 70


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0

    def peek(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expect(self, text: str) -> Token:
        token = self.advance()
        if token.text != text or token.kind not in ("op", "word"):
            found = token.text or "end of expression"
            raise ExpressionError(f"expected {text!r}, found {found!r}", token.position)
        return token

    def parse(self) -> Node:
        node = self.expression(0)
        token = self.peek()
        if token.kind != "end":
            raise ExpressionError(f"unexpected {token.text!r} after expression", token.position)
        return node

    def expression(self, min_power: int) -> Node:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise ExpressionError("expression nested too deeply", self.peek().position)
        left = self.prefix()
        while True:
            token = self.peek()
            operator = token.text if token.kind in ("op", "word") else ""
            power = _INFIX.get(operator)
            if power is None or power <= min_power:
                break
            self.advance()
            # comparison operators do not chain: a < b < c is an error
            right = self.expression(power)
            left = Binary(token.position, _canonical(operator), left, right)
            if power == 40 and _INFIX.get(self.peek().text) == 40:
                raise ExpressionError("comparisons cannot be chained", self.peek().position)
        self.depth -= 1
        return left

    def prefix(self) -> Node:
        token = self.advance()
        if token.kind == "num":
            text = token.text
            if "." in text or "e" in text or "E" in text or len(text) > 15:
                number = float(text)
                if not math.isfinite(number):
                    raise ExpressionError(f"number {text!r} is out of range", token.position)
                return Literal(token.position, number)
            return Literal(token.position, int(text))
        if token.kind == "ref":
            return Reference(token.position, token.text)
        if token.kind == "op" and token.text == "-":
            return Unary(token.position, "-", self.expression(_NEG_POWER))
        if token.kind == "op" and token.text == "(":
            inner = self.expression(0)
            self.expect(")")
            return inner
        if token.kind == "word":
            word = token.text
            if word in ("not",):
                return Unary(token.position, "not", self.expression(_NOT_POWER))
            if word == "true":
                return Literal(token.position, True)
            if word == "false":
                return Literal(token.position, False)
            if word in ("and", "or"):
                raise ExpressionError(f"operator {word!r} needs a left operand", token.position)
            if self.peek().text == "(":
                return self.call(token)
            return Literal(token.position, word)
        found = token.text or "end of expression"
        raise ExpressionError(f"expected a value, found {found!r}", token.position)

    def call(self, name: Token) -> Node:
        if name.text not in _FUNCTIONS:
            raise ExpressionError(
                f"unknown function {name.text!r}{_did_you_mean(name.text, FUNCTION_NAMES)}; "
                f"allowed: {', '.join(FUNCTION_NAMES)}",
                name.position,
            )
        self.expect("(")
        arguments: list[Node] = []
        if self.peek().text != ")":
            arguments.append(self.expression(0))
            while self.peek().text == ",":
                self.advance()
                arguments.append(self.expression(0))
        self.expect(")")
        low, high = _FUNCTIONS[name.text]
        if not low <= len(arguments) <= high:
            raise ExpressionError(
                f"{name.text}() takes {low} argument{'s' if low > 1 else ''}, "
                f"got {len(arguments)}",
                name.position,
            )
        return Call(name.position, name.text, tuple(arguments))


def _canonical(operator: str) -> str:
    return {"&&": "and", "||": "or"}.get(operator, operator)


def _did_you_mean(name: str, choices: tuple[str, ...] | list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def parse_expression(text: str) -> Node:
    """Parse the inside of ``${...}`` into a tree; raise ExpressionError with the column."""
    return _Parser(text).parse()


def references(node: Node) -> list[str]:
    """The parameter names a tree refers to, in order of appearance."""
    if isinstance(node, Reference):
        return [node.name]
    if isinstance(node, Unary):
        return references(node.operand)
    if isinstance(node, Binary):
        return references(node.left) + references(node.right)
    if isinstance(node, Call):
        return [name for argument in node.arguments for name in references(argument)]
    return []


Lookup = Callable[[str, int], Value]


def evaluate(text: str, lookup: Lookup) -> Value:
    """Evaluate the inside of ``${...}``; ``lookup(name, position)`` resolves ``$name``."""
    return evaluate_node(parse_expression(text), lookup)


def _number(value: Value, position: int, what: str) -> float | int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str):
        raise ExpressionError(f"{what} needs a number, found the string {value!r}", position)
    return value


def _truth(value: Value, position: int) -> bool:
    if isinstance(value, str):
        raise ExpressionError(f"a logical operator needs a boolean, found {value!r}", position)
    return bool(value)


def format_value(value: Value) -> str:
    """A value as text, the way it is substituted into an attribute."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    return str(value)


def _finite(value: float | int, position: int) -> float | int:
    if isinstance(value, float) and not math.isfinite(value):
        raise ExpressionError("the result is not a finite number", position)
    return value


def evaluate_node(node: Node, lookup: Lookup) -> Value:
    """Evaluate a parsed tree; raise ExpressionError at the failing node's column."""
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Reference):
        return lookup(node.name, node.position)
    if isinstance(node, Unary):
        operand = evaluate_node(node.operand, lookup)
        if node.operator == "not":
            return not _truth(operand, node.position)
        return -_number(operand, node.position, "unary '-'")
    if isinstance(node, Binary):
        return _binary(node, lookup)
    if isinstance(node, Call):
        return _call(node, lookup)
    raise ExpressionError("unknown expression node", node.position)  # pragma: no cover


def _binary(node: Binary, lookup: Lookup) -> Value:
    operator = node.operator
    if operator in ("and", "or"):
        left_truth = _truth(evaluate_node(node.left, lookup), node.position)
        if operator == "and" and not left_truth:
            return False
        if operator == "or" and left_truth:
            return True
        return _truth(evaluate_node(node.right, lookup), node.position)
    left = evaluate_node(node.left, lookup)
    right = evaluate_node(node.right, lookup)
    if operator == "+" and (isinstance(left, str) or isinstance(right, str)):
        return format_value(left) + format_value(right)
    if operator in ("==", "!="):
        if isinstance(left, str) != isinstance(right, str):
            equal = format_value(left) == format_value(right)
        else:
            equal = left == right
        return equal if operator == "==" else not equal
    a = _number(left, node.position, f"operator {operator!r}")
    b = _number(right, node.position, f"operator {operator!r}")
    if operator == "<":
        return a < b
    if operator == "<=":
        return a <= b
    if operator == ">":
        return a > b
    if operator == ">=":
        return a >= b
    if operator == "+":
        return _finite(a + b, node.position)
    if operator == "-":
        return _finite(a - b, node.position)
    if operator == "*":
        return _finite(a * b, node.position)
    if b == 0:
        raise ExpressionError(f"division by zero in {operator!r}", node.position)
    if operator == "/":
        return _finite(a / b, node.position)
    return _finite(math.fmod(a, b) if isinstance(a, float) or isinstance(b, float) else a % b,
                   node.position)


def _call(node: Call, lookup: Lookup) -> Value:
    args = [
        _number(evaluate_node(argument, lookup), argument.position, f"{node.function}()")
        for argument in node.arguments
    ]
    name = node.function
    try:
        if name == "sign":
            return (args[0] > 0) - (args[0] < 0)
        if name == "abs":
            return abs(args[0])
        if name == "max":
            return max(args[0], args[1])
        if name == "min":
            return min(args[0], args[1])
        if name == "round":
            # the standard rounds half away from zero
            return math.floor(abs(args[0]) + 0.5) * (1 if args[0] >= 0 else -1)
        if name == "floor":
            return math.floor(args[0])
        if name == "ceil":
            return math.ceil(args[0])
        result = math.pow(args[0], args[1]) if name == "pow" else getattr(math, name)(args[0])
    except (ValueError, OverflowError) as error:
        raise ExpressionError(f"{name}() cannot take {args}: {error}", node.position) from None
    return _finite(float(result), node.position)
