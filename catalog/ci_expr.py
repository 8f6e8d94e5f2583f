"""Parsers for the two condition languages CI gates are written in, so gates are judged on
their structure, never on substrings: GitHub Actions expressions (`if:`) and GitLab `rules: if:`.

Both parse to the same small tree of tuples:

    ("or", a, b) · ("and", a, b) · ("not", x) · ("cmp", op, left, right)
    ("call", name, (args...)) · ("ref", "dotted.context.path") · ("lit", value) · ("var", NAME)

`ParseError` is raised for anything else; callers treat an unparsable condition as no gate.
"""

from __future__ import annotations

import re
from typing import Any

Node = tuple[Any, ...]


class ParseError(ValueError):
    pass


_GITHUB_TOKEN = re.compile(
    r"""\s*(?:
      (?P<str>'(?:[^']|'')*')
    | (?P<num>-?(?:0x[0-9a-fA-F]+|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?))
    | (?P<op>&&|\|\||==|!=|<=|>=|<|>|!|\(|\)|\[|\]|,|\.\*|\.|\*)
    | (?P<name>[A-Za-z_][A-Za-z0-9_-]*)
    )""",
    re.X,
)


def _tokens(text: str, pattern: re.Pattern[str]) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        match = pattern.match(text, pos)
        if not match or match.end() == pos:
            raise ParseError(f"cannot read {text[pos : pos + 20]!r}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise ParseError(f"expected {value or 'more'}, found {token[1] if token else 'the end'}")
        self.i += 1
        return token

    def at(self, *values: str) -> bool:
        token = self.peek()
        return token is not None and token[0] == "op" and token[1] in values

    def done(self) -> Node:
        node = self.or_()
        if self.peek() is not None:
            raise ParseError(f"unexpected {self.peek()}")
        return node

    def or_(self) -> Node:
        node = self.and_()
        while self.at("||"):
            self.take()
            node = ("or", node, self.and_())
        return node

    def and_(self) -> Node:
        node = self.cmp()
        while self.at("&&"):
            self.take()
            node = ("and", node, self.cmp())
        return node

    def cmp(self) -> Node:
        node = self.unary()
        while self.at("==", "!=", "<", "<=", ">", ">=", "=~", "!~"):
            op = self.take()[1]
            node = ("cmp", op, node, self.unary())
        return node

    def unary(self) -> Node:
        if self.at("!"):
            self.take()
            return ("not", self.unary())
        return self.primary()

    def primary(self) -> Node:
        token = self.take()
        kind, text = token
        if kind == "op" and text == "(":
            node = self.or_()
            self.take(")")
            return node
        if kind == "str":
            return ("lit", text[1:-1].replace("''", "'") if text[0] == "'" else text[1:-1])
        if kind == "num":
            return ("lit", float(int(text, 16)) if text.lower().startswith(("0x", "-0x")) else float(text))
        if kind == "regex":
            return ("lit", text)
        if kind == "var":
            return ("var", text[1:].strip("{}"))
        if kind == "name":
            if text in ("true", "false"):
                return ("lit", text == "true")
            if text == "null":
                return ("lit", None)
            if self.at("("):
                self.take()
                args: list[Node] = []
                while not self.at(")"):
                    args.append(self.or_())
                    if not self.at(")"):
                        self.take(",")
                self.take(")")
                return ("call", text.lower(), tuple(args))
            path = [text]
            while self.at(".", ".*", "["):
                op = self.take()[1]
                if op == ".*":
                    path.append("*")
                elif op == ".":
                    path.append(self.take()[1])
                else:
                    inner = self.take()
                    path.append(inner[1].strip("'") if inner[0] == "str" else inner[1])
                    self.take("]")
            return ("ref", ".".join(path))
        raise ParseError(f"unexpected {text!r}")


def strip_braces(text: str) -> str:
    """The expression of an `if:` value, with an optional `${{ }}` wrapper removed."""
    text = text.strip()
    if text.startswith("${{") and text.endswith("}}") and text.count("${{") == 1:
        return text[3:-2].strip()
    if "${{" in text:
        raise ParseError("text mixed with ${{ }} is a string, always true")
    return text


def parse_github(text: str) -> Node:
    """A GitHub Actions expression (an `if:` value, with or without `${{ }}`)."""
    return _Parser(_tokens(strip_braces(str(text)), _GITHUB_TOKEN)).done()


def expressions_in(text: str) -> list[str]:
    """The `${{ ... }}` expressions inside a string (e.g. a `with:` or `run:` value)."""
    return [m.group(1) for m in re.finditer(r"\$\{\{(.*?)\}\}", text, re.S)]


def refs(node: Node) -> set[str]:
    """Every context path a tree refers to (for `secrets.X`, `github.event.pull_request.head.sha`, ...)."""
    found: set[str] = set()

    def walk(n: Any) -> None:
        if isinstance(n, tuple) and n:
            if n[0] == "ref":
                found.add(n[1])
                return
            for part in n[1:]:
                walk(part)

    walk(node)
    return found


_GITLAB_TOKEN = re.compile(
    r"""\s*(?:
      (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<regex>/(?:[^/\\]|\\.)*/[a-z]*)
    | (?P<var>\$\{?[A-Za-z_][A-Za-z0-9_]*\}?)
    | (?P<op>&&|\|\||==|!=|=~|!~|\(|\))
    | (?P<name>null)
    )""",
    re.X,
)


def parse_gitlab(text: str) -> Node:
    """A GitLab `rules: if:` expression."""
    return _Parser(_tokens(str(text), _GITLAB_TOKEN)).done()
