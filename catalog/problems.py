"""Problems are values: every defect a user sees is one `Problem` with a place, a code and a hint."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from enum import Enum
from pathlib import Path


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


# Stable codes: documented in docs/contributing.md; never reuse a retired number.
CODES: dict[str, str] = {
    "KB001": "file cannot be read or is too large",
    "KB002": "YAML syntax error",
    "KB003": "duplicate key",
    "KB004": "YAML tags are not allowed",
    "KB005": "YAML anchors/aliases are not allowed",
    "KB006": "a record must be a YAML mapping",
    "KB007": "keys must be plain strings",
    "KB008": "values nest too deeply",
    "KB009": "text holds a control character",
    "KB010": "symbolic link where the site reads files",
    "KB011": "build cache committed",
    "KB101": "required field missing",
    "KB102": "unknown field",
    "KB103": "wrong type",
    "KB104": "value not in the controlled vocabulary",
    "KB105": "value does not match the required form",
    "KB106": "value out of bounds",
    "KB107": "invalid date or time",
    "KB108": "invalid ORCID check digit",
    "KB109": "schema rule violated",
    "KB110": "URL host is an IP address or an internal name",
    "KB201": "id does not match the file or folder name",
    "KB202": "duplicate id",
    "KB203": "reference does not resolve",
    "KB204": "use case has no notebook",
    "KB205": "use case has no public dataset",
    "KB206": "notebook file missing",
    "KB207": "notebook is not a valid nbformat-4 notebook",
    "KB208": "notebook kernel is not Python",
    "KB209": "past seminar without minutes",
    "KB210": "future seminar with minutes",
    "KB211": "file is not where its kind belongs",
    "KB212": "path leaves the use case folder",
    "KB213": "file named by the record is missing",
    "KB214": "binder/ is out of date with the CPU use cases' requirements",
    "KB250": "scaffold placeholder not replaced",
    "KB251": "notebook installs packages at run time",
    "KB240": "notebook over a size, cell-count or nesting limit",
    "KB241": "notebook does not match nbformat's schema",
    "KB242": "notebook kernel metadata has the wrong type",
    "KB230": "provenance source is not a URL or owner/repo path",
    "KB231": "event ends before it starts",
    "KB220": "checked notebook cell has no stored output",
    "KB221": "notebook checks nothing (no checked output, no metric)",
    "KB222": "declared metric never reported by the notebook",
    # `catalog links` (catalog/links.py): an error only once a link failed CONFIRM_RUNS runs in a row
    "KB301": "link answers with an HTTP error or cannot be reached",
    "KB302": "link refused by the outbound guard (internal address)",
    "KB303": "link redirects too many times",
    "KB304": "link does not answer in time",
    "KB305": "link is rate-limited (HTTP 429)",
    "KB306": "link refuses automated requests (HTTP 401/403)",
    # `catalog links --verify-files`
    "KB310": "dataset file does not match its checksum or size",
    "KB311": "dataset file could not be downloaded",
    "KB312": "dataset file not verified (no URL or checksum, or over the size cap)",
}


# C0 and C1 control characters, DEL and the Unicode line/paragraph separators, as Python escapes
_VISIBLE_CONTROLS = {c: repr(chr(c))[1:-1] for c in (*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029)}


@dataclass(frozen=True)
class Problem:
    """One defect, anchored at `file:line:col` and a JSON path inside the record."""

    code: str
    message: str
    file: str
    line: int = 1
    column: int = 1
    path: str = "$"
    severity: Severity = Severity.ERROR
    hint: str = ""
    related: tuple[str, ...] = field(default=())

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def as_text(self) -> str:
        """One line: control characters from the input (a URL's line break, a terminal escape) are
        shown escaped, so a record cannot forge a second problem line or recolour a terminal."""
        hint = f" (hint: {self.hint})" if self.hint else ""
        where = f" at {self.path}" if self.path and self.path != "$" else ""
        text = f"{self.file}:{self.line}:{self.column}: {self.severity.value} {self.code} {self.message}{where}{hint}"
        return text.translate(_VISIBLE_CONTROLS)

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["severity"] = self.severity.value
        data["related"] = list(self.related)
        return data

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.file, self.line, self.column, self.code)


def has_errors(problems: list[Problem], *, strict: bool = False) -> bool:
    return any(p.is_error or strict for p in problems)


def format_text(problems: list[Problem]) -> str:
    lines = [p.as_text() for p in problems]
    errors = sum(p.is_error for p in problems)
    warnings = len(problems) - errors
    lines.append(f"{errors} error(s), {warnings} warning(s)")
    return "\n".join(lines) + "\n"


def format_json(problems: list[Problem]) -> str:
    return json.dumps([p.as_dict() for p in problems], indent=2, ensure_ascii=False) + "\n"


def _github_escape(text: str, *, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def format_github(problems: list[Problem]) -> str:
    """GitHub Actions workflow commands: one annotation per problem on the PR diff."""
    out = []
    for p in problems:
        level = "error" if p.is_error else "warning"
        message = p.message + (f" at {p.path}" if p.path != "$" else "") + (f" (hint: {p.hint})" if p.hint else "")
        out.append(
            f"::{level} file={_github_escape(p.file, prop=True)},line={p.line},col={p.column},"
            f"title={_github_escape(p.code, prop=True)}::{_github_escape(message)}"
        )
    return "\n".join(out) + ("\n" if out else "")


def format_gitlab(problems: list[Problem]) -> str:
    """GitLab Code Quality report (a JSON array of CodeClimate issues)."""
    issues = []
    for p in problems:
        fingerprint = hashlib.sha256(f"{p.code}|{p.file}|{p.path}|{p.message}".encode()).hexdigest()
        issues.append(
            {
                "description": f"{p.code} {p.message}" + (f" (hint: {p.hint})" if p.hint else ""),
                "check_name": p.code,
                "fingerprint": fingerprint,
                "severity": "major" if p.is_error else "minor",
                "location": {"path": p.file, "lines": {"begin": p.line}},
            }
        )
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"


FORMATTERS = {"text": format_text, "json": format_json, "github": format_github, "gitlab": format_gitlab}


def relative_name(path: Path, root: Path) -> str:
    """A path as users see it in messages: relative to the catalog root when inside it."""
    try:
        return path.relative_to(root).as_posix()  # the common case, without touching the disk
    except ValueError:
        pass
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
