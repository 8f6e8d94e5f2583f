"""The one YAML loader used by validation and rendering alike.

Safe and strict: libyaml parses (fast, with line marks), our own small constructor builds plain
data so that duplicate keys, tags, anchors/aliases and YAML 1.1 surprises become problems
instead of silent conversions. Every value's position is kept in a `LineMap` keyed by JSON path.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .cache import ParsedRecords
from .limits import MAX_NESTING_DEPTH, MAX_RECORD_BYTES, quote
from .problems import Problem

MAX_FILE_BYTES = MAX_RECORD_BYTES
# C0 and C1 control characters other than tab and line breaks: they break XML feeds, CFF and terminals
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

try:  # libyaml's parser is ~8x faster than the pure one; both give line marks
    from yaml._yaml import CParser as _Parser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml.composer import Composer
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Parser(Reader, Scanner, Parser, Composer):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            Composer.__init__(self)


# what a parse depends on: this module's code, its limits, PyYAML's version and parser (C or Python);
# a cached parse made by another version is not used
_PARSER_CODE = b"".join((Path(__file__).read_bytes(), Path(__file__).with_name("limits.py").read_bytes()))
PARSER_VERSION = f"{hashlib.sha256(_PARSER_CODE).hexdigest()[:16]}-pyyaml-{yaml.__version__}-{_Parser.__module__}"


STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
BOOL = "tag:yaml.org,2002:bool"
NULL = "tag:yaml.org,2002:null"
SEQ = "tag:yaml.org,2002:seq"
MAP = "tag:yaml.org,2002:map"


_IMPLICIT = re.compile(
    r"(?P<bool>true|True|TRUE|false|False|FALSE)"
    r"|(?P<null>~|null|Null|NULL|)"
    r"|(?P<int>[-+]?(?:0|[1-9][0-9]*))"
    r"|(?P<float>[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|[-+]?[0-9]+[eE][-+]?[0-9]+)"
)
_IMPLICIT_TAGS = {"bool": BOOL, "null": NULL, "int": INT, "float": FLOAT}


class StrictResolver(yaml.resolver.BaseResolver):
    """Implicit types limited to what JSON has: no dates, no yes/no/on/off, no octal or sexagesimal.

    One compiled pattern instead of PyYAML's resolver tables: it runs for every plain scalar.
    """

    def resolve(self, kind: type, value: str, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            if implicit[0]:
                match = _IMPLICIT.fullmatch(value)
                if match:
                    return _IMPLICIT_TAGS[match.lastgroup or "null"]
            return STR
        return SEQ if kind is yaml.SequenceNode else MAP


class _StrictComposer(_Parser, StrictResolver):
    def __init__(self, text: str) -> None:
        _Parser.__init__(self, text)
        StrictResolver.__init__(self)


JsonPath = tuple[str | int, ...]


def json_path(parts: JsonPath) -> str:
    """`("notebooks", 0, "path")` → `$.notebooks[0].path`."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", part):
            out += f".{part}"
        else:
            out += "[" + repr(part) + "]"
    return out


class LineMap:
    """Where each value (and each mapping key) of a record sits in its file, 1-based.

    Positions are looked up only when a problem needs one: the text is composed again then (well
    under a millisecond), so a valid record keeps neither a node tree nor a position table, and
    ten thousand records do not burden memory or the garbage collector.
    """

    def __init__(self, text: str | None = None) -> None:
        self._text = text
        self._root: yaml.Node | None = None

    @property
    def root(self) -> yaml.Node | None:
        if self._root is None and self._text is not None:
            composer = _StrictComposer(self._text)
            try:
                self._root = composer.get_single_node()
            except yaml.YAMLError:
                self._text = None
            finally:
                composer.dispose()
        return self._root

    def _walk(self, parts: JsonPath) -> tuple[yaml.Node | None, yaml.Node | None, int]:
        """(value node, key node, how many parts were matched) for the longest matching prefix."""
        node, key, matched = self.root, None, 0
        for part in parts:
            found = None
            if isinstance(node, yaml.MappingNode) and isinstance(part, str):
                found = next(((k, v) for k, v in node.value if k.value == part), None)
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
                found = (None, node.value[part])
            if found is None:
                break
            key, node = found
            matched += 1
        return node, key, matched

    def locate(self, parts: JsonPath, *, key: bool = False) -> tuple[int, int]:
        """The closest known position: the path itself, else its nearest ancestor."""
        if self.root is None:
            return (1, 1)
        node, key_node, matched = self._walk(parts)
        target = key_node if key and key_node is not None and matched == len(parts) else node
        assert target is not None
        return (target.start_mark.line + 1, target.start_mark.column + 1)

    def raw(self, parts: JsonPath) -> str | None:
        """Source text of a non-string scalar (to suggest quoting `1.10` and the like)."""
        node, _, matched = self._walk(parts)
        if matched == len(parts) and isinstance(node, yaml.ScalarNode) and node.tag != STR:
            return str(node.value)
        return None


@dataclass
class Loaded:
    """A parsed YAML file: its data (None when unreadable), positions and problems."""

    path: Path
    data: Any
    lines: LineMap
    problems: list[Problem]


class _Build:
    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self._seen: set[int] = set()
        self._alias_reported = False
        self._depth_reported = False

    def problem(self, code: str, node: yaml.Node, message: str, parts: JsonPath, hint: str = "") -> None:
        mark = node.start_mark
        self.problems.append(
            Problem(code, message, self.file, mark.line + 1, mark.column + 1, json_path(parts), hint=hint)
        )

    def node(self, node: yaml.Node, parts: JsonPath) -> Any:
        if id(node) in self._seen:
            # libyaml resolves an alias to the very node its anchor named: seeing it twice means an alias.
            # One report is enough (an alias bomb would otherwise yield thousands).
            if not self._alias_reported:
                self._alias_reported = True
                self.problem("KB005", node, "anchors/aliases are not allowed", parts, "write the value out in full")
            return None
        self._seen.add(id(node))
        if len(parts) >= MAX_NESTING_DEPTH and isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            if not self._depth_reported:
                self._depth_reported = True
                self.problem(
                    "KB008",
                    node,
                    f"values nest deeper than {MAX_NESTING_DEPTH} levels",
                    parts,
                    "records are shallow: flatten this list or mapping",
                )
            return None
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, parts)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != SEQ:
                self._tag(node, parts)
            return [self.node(item, (*parts, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        return self.scalar(node, parts)

    def _tag(self, node: yaml.Node, parts: JsonPath) -> None:
        self.problem(
            "KB004",
            node,
            f"YAML tag {node.tag.replace('tag:yaml.org,2002:', '!!')!r} is not allowed",
            parts,
            "remove the tag; records hold plain strings, numbers, lists and mappings",
        )

    def mapping(self, node: yaml.MappingNode, parts: JsonPath) -> dict[str, Any] | None:
        if node.tag != MAP:
            self._tag(node, parts)
            return None
        out: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.problem("KB005", key_node, "merge keys (<<) are not allowed", parts, "write the keys out")
                continue
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in (STR, INT, BOOL, NULL, FLOAT):
                self.problem("KB007", key_node, "keys must be plain strings", parts)
                continue
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key in first_line:
                self.problem(
                    "KB003",
                    key_node,
                    f"duplicate key {key!r} (first on line {first_line[key]}, again on line {line})",
                    (*parts, key),
                    "keep one of the two; YAML parsers silently keep the last",
                )
                continue
            first_line[key] = line
            out[key] = self.node(value_node, (*parts, key))
        return out

    def scalar(self, node: yaml.ScalarNode, parts: JsonPath) -> Any:
        tag, value = node.tag, node.value
        if tag == STR:
            control = _CONTROL.search(value)
            if control:
                self.problem(
                    "KB009",
                    node,
                    f"the text holds the control character U+{ord(control.group()):04X}",
                    parts,
                    "delete it (it is invisible in most editors; it breaks feeds and citation files)",
                )
            return value
        if tag == INT:
            try:
                return int(value)
            except ValueError:  # longer than Python converts (4,300 digits)
                self.problem("KB012", node, f"a number of {len(value):,} digits", parts, "write it as a string")
                return None
        if tag == FLOAT:
            return float(value)
        if tag == BOOL:
            return value.lower() == "true"
        if tag == NULL:
            return None
        self._tag(node, parts)
        return None


def parse_yaml(text: str, file: str, path: Path | None = None) -> Loaded:
    """Parse one YAML document strictly; never raises for bad input."""
    build = _Build(file)
    try:
        composer = _StrictComposer(text)
        try:
            root = composer.get_single_node()
        finally:
            composer.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        return Loaded(
            path or Path(file),
            None,
            LineMap(),
            [
                Problem(
                    "KB002", f"YAML syntax error: {message}", file, line, col, hint=_syntax_hint(text, line, message)
                )
            ],
        )
    except yaml.YAMLError as exc:
        return Loaded(path or Path(file), None, LineMap(), [Problem("KB002", f"YAML error: {exc}", file)])
    if root is None:
        return Loaded(path or Path(file), None, LineMap(), [Problem("KB006", "the file is empty", file)])
    data = build.node(root, ())
    if not isinstance(data, dict) and not build.problems:
        build.problem("KB006", root, "a record must be a YAML mapping of field: value", ())
    fatal = any(p.code not in ("KB003", "KB009") for p in build.problems)  # KB012 too: the value is gone
    return Loaded(path or Path(file), None if fatal else data, LineMap(text), build.problems)


def _syntax_hint(text: str, line: int, message: str) -> str:
    hint = _source_line(text, line)
    if "mapping values are not allowed" in message:
        hint += '; a value that contains ": " must be quoted, e.g. title: "Jets: a review"'
    return hint


def _source_line(text: str, line: int) -> str:
    lines = text.splitlines()
    return f"line {line} reads: {quote(lines[line - 1])}" if 0 < line <= len(lines) else ""


def load_yaml_file(path: Path, file: str, parsed: ParsedRecords | None = None) -> Loaded:
    """Read and parse a record file with a size cap; unreadable files and links become problems.
    `parsed`: earlier parses of the same text (only problem-free ones are kept there)."""
    if path.is_symlink():
        return Loaded(
            path,
            None,
            LineMap(),
            [Problem("KB010", "the record is a symbolic link", file, hint="commit the file itself, not a link")],
        )
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return Loaded(
                path,
                None,
                LineMap(),
                [Problem("KB001", f"file is {size} bytes; records are capped at {MAX_FILE_BYTES}", file)],
            )
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return Loaded(path, None, LineMap(), [Problem("KB001", f"cannot read file: {exc}", file)])
    if parsed is None:
        return parse_yaml(text, file, path)
    digest = parsed.digest(text)
    data = parsed.get(digest)
    if data is not None:
        return Loaded(path, data, LineMap(text), [])
    loaded = parse_yaml(text, file, path)
    if loaded.data is not None and not loaded.problems:
        parsed.put(digest, loaded.data)
    return loaded
