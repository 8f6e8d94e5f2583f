"""Schema stage: JSON Schema errors turned into `Problem`s placed at `file:line:col`.

Valid records, the vast majority, pass a compiled Rust validator (jsonschema-rs); only a record
it rejects goes through `jsonschema`, whose error objects say precisely what and where.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import jsonschema_rs

from .loader import JsonPath, LineMap, json_path
from .problems import Problem
from .public_host import url_host_problem

if TYPE_CHECKING:  # imported where a record is rejected: a build of valid records never needs it
    import jsonschema
    from jsonschema.exceptions import ValidationError

KINDS = ("usecase", "dataset", "seminar", "event")


def orcid_checksum_ok(value: object) -> bool:
    """ISO 7064 MOD 11-2, as ORCID specifies for its last character."""
    if not isinstance(value, str):
        return True
    digits = value.replace("-", "")
    if len(digits) != 16 or not digits[:15].isdigit():
        return True  # the pattern reports malformed ids
    total = 0
    for char in digits[:15]:
        total = (total + int(char)) * 2
    check = (12 - total % 11) % 11
    return digits[15] == ("X" if check == 10 else str(check))


def _date_ok(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


FORMATS = {"orcid": orcid_checksum_ok, "date": _date_ok}


@cache
def load_schema(kind: str) -> dict[str, Any]:
    text = resources.files("catalog").joinpath(f"schemas/{kind}.schema.json").read_text("utf-8")
    return json.loads(text)


def _format_checker() -> jsonschema.FormatChecker:
    import jsonschema

    checker = jsonschema.FormatChecker(formats=())
    for name, func in FORMATS.items():
        checker.checks(name)(func)
    return checker


@cache
def precise_validator(kind: str) -> jsonschema.Draft202012Validator:
    import jsonschema

    return jsonschema.Draft202012Validator(load_schema(kind), format_checker=_format_checker())


@cache
def fast_validator(kind: str) -> Any:
    return jsonschema_rs.validator_for(load_schema(kind), formats=FORMATS, validate_formats=True)


def check_against_schema(kind: str, data: Any, lines: LineMap, file: str) -> list[Problem]:
    """All schema problems of one record (empty when valid)."""
    if fast_validator(kind).is_valid(data):
        return []
    validator = precise_validator(kind)
    return [_to_problem(err, lines, file) for err in _leaf_errors(validator.iter_errors(data))]


def _leaf_errors(errors: Iterable[ValidationError]) -> Iterable[ValidationError]:
    for err in errors:
        if err.validator in ("anyOf", "oneOf") and err.context:
            # anyOf of required-alternatives ("doi or arxiv or url") is clearer said whole
            if all(sub.validator == "required" for sub in err.context):
                yield err
                continue
            yield min(err.context, key=_branch_priority)
        else:
            yield err


# Which failing anyOf branch to show: a date that is no date beats "or the word unknown";
# "not in the license list" (with a did-you-mean) beats "nor a LicenseRef- pattern".
_PRIORITY = {"format": 0, "enum": 1, "pattern": 2, "type": 3, "const": 5}


def _branch_priority(err: ValidationError) -> tuple[int, int]:
    return (_PRIORITY.get(str(err.validator), 4), -len(err.absolute_path))


def _schema_hint(schema: dict[str, Any]) -> str:
    parts = []
    if "description" in schema:
        parts.append(schema["description"].rstrip("."))
    if schema.get("examples"):
        parts.append("e.g. " + json.dumps(schema["examples"][0], ensure_ascii=False))
    return "; ".join(parts)


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    match = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f"did you mean {match[0]!r}?" if match else ""


def _to_problem(err: ValidationError, lines: LineMap, file: str) -> Problem:
    # jsonschema's stubs type these loosely (a schema may be a bool, values may be unset)
    schema: Any = err.schema
    instance: Any = err.instance
    validator_value: Any = err.validator_value
    parts: JsonPath = tuple(err.absolute_path)
    kind = err.validator
    code, message, hint = "KB109", err.message, _schema_hint(err.schema if isinstance(err.schema, dict) else {})
    key_pos = False
    if kind == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        prop_schema = schema.get("properties", {}).get(missing, {})
        code, message = "KB101", f"missing required field {missing!r}"
        hint = _schema_hint(resolve_ref(prop_schema)) or hint
    elif kind == "additionalProperties":
        extras = [k for k in instance if k not in schema.get("properties", {})]
        field = extras[0] if extras else "?"
        parts = (*parts, field)
        key_pos = True
        code, message = "KB102", f"unknown field {field!r}"
        hint = _did_you_mean(field, schema.get("properties", {})) or (
            "allowed fields: " + ", ".join(sorted(schema.get("properties", {})))
        )
    elif kind == "type":
        code = "KB103"
        expected = validator_value
        message = f"expected {expected}, got {type(instance).__name__} {instance!r}"
        raw = lines.raw(parts)
        if expected == "string" and raw is not None:
            hint = f'YAML read {raw!r} as a {type(instance).__name__}; write it in quotes: "{raw}"'
    elif kind in ("enum", "const"):
        allowed = validator_value if kind == "enum" else [validator_value]
        code, message = "KB104", f"{instance!r} is not one of the allowed values"
        hint = _did_you_mean(instance, map(str, allowed)) or "allowed: " + ", ".join(map(str, allowed))
    elif kind == "pattern":
        code, message = "KB105", f"{instance!r} does not have the required form"
        internal = url_host_problem(instance) if str(validator_value).startswith("^https://") else None
        if internal:
            code, message = "KB110", f"{instance!r} does not point at a public host: {internal}"
            hint = "link the resource by its public host name; the link checker never contacts internal addresses"
    elif kind == "format":
        if validator_value == "orcid":
            code, message = "KB108", f"ORCID iD {instance!r} has a wrong check digit"
            hint = "copy the iD from the person's orcid.org page"
        else:
            code, message = "KB107", f"{instance!r} is not a valid {validator_value}"
            hint = "use a real calendar date, YYYY-MM-DD"
    elif kind in ("anyOf", "oneOf"):
        options = [sub.message.split("'")[1] for sub in err.context if sub.validator == "required"]
        code, message = "KB101", "needs at least one of: " + ", ".join(options)
    elif kind in (
        "minItems",
        "maxItems",
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "uniqueItems",
        "minProperties",
    ):
        code = "KB106"
    line, col = lines.locate(parts, key=key_pos)
    return Problem(code, message, file, line, col, json_path(parts), hint=hint)


def resolve_ref(schema: dict[str, Any]) -> dict[str, Any]:
    """Follow a local `$ref`, keeping the referring schema's own keywords (description, examples)."""
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        # every record schema carries the same $defs (tests/test_schemas.py keeps them equal)
        target = dict(load_schema("usecase")["$defs"].get(ref.rsplit("/", 1)[1], {}))
        target.update({k: v for k, v in schema.items() if k != "$ref"})
        return target
    return schema
