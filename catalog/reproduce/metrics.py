"""Declared metrics: what a notebook reports with `mlinfn_data.report_metric`, compared with the
value and tolerance (or bound) its record declares. Numbers that jitter across hardware pass
within their tolerance, where nbval's byte comparison would fail them."""

from __future__ import annotations

import math
from typing import Any

SPEC_KEYS = ("expected", "abs_tol", "rel_tol", "min", "max")


def declared_metrics(usecase: dict[str, Any], notebook: dict[str, Any]) -> list[dict[str, Any]]:
    """The use case's metrics (shared by its notebooks) overridden by name by the notebook's own."""
    by_name = {m["name"]: m for m in usecase.get("metrics", [])}
    by_name.update({m["name"]: m for m in notebook.get("metrics", [])})
    return list(by_name.values())


def allowed_deviation(spec: dict[str, Any]) -> float:
    return max(float(spec.get("abs_tol", 0.0)), float(spec.get("rel_tol", 0.0)) * abs(float(spec["expected"])))


def within(spec: dict[str, Any], measured: float) -> bool:
    if not math.isfinite(measured):
        return False
    if "expected" in spec and abs(measured - spec["expected"]) > allowed_deviation(spec) * (1 + 1e-9) + 1e-12:
        return False
    if "min" in spec and measured < spec["min"]:
        return False
    return not ("max" in spec and measured > spec["max"])


def expectation(spec: dict[str, Any]) -> str:
    """`0.97 ± 0.02`, `0.97 ± 5% (relative)`, `≥ 0.9`, or several joined by `and`."""
    parts = []
    if "expected" in spec:
        tolerances = []
        if "abs_tol" in spec:
            tolerances.append(f"± {spec['abs_tol']:g}")
        if "rel_tol" in spec:
            tolerances.append(f"± {spec['rel_tol'] * 100:g}% (relative)")
        parts.append(f"{spec['expected']:g} " + (" or ".join(tolerances) if tolerances else "exactly"))
    if "min" in spec:
        parts.append(f"≥ {spec['min']:g}")
    if "max" in spec:
        parts.append(f"≤ {spec['max']:g}")
    return " and ".join(parts)


def compare(declared: list[dict[str, Any]], reported: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One result per declared metric (the last value a notebook reported for it), then the
    reported ones nobody declared (kept, shown, never failing)."""
    measured: dict[str, Any] = {}
    for item in reported:
        measured[item["name"]] = item.get("value")
    results = []
    for spec in declared:
        value = measured.pop(spec["name"], None)
        number = float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
        result: dict[str, Any] = {"name": spec["name"], **{k: spec[k] for k in SPEC_KEYS if k in spec}}
        result["measured"] = number if number is None or math.isfinite(number) else None
        result["passed"] = number is not None and within(spec, number)
        results.append(result)
    for name, value in measured.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            results.append({"name": name, "measured": float(value), "passed": True, "declared": False})
    return results


def metric_problem(result: dict[str, Any]) -> str:
    """Why a metric failed: its name, expected value and tolerance, and the measured value."""
    if result.get("measured") is None:
        return (
            f"metric {result['name']}: expected {expectation(result)}, but the notebook reported no finite value "
            f'(add mlinfn_data.report_metric("{result["name"]}", value))'
        )
    return f"metric {result['name']}: expected {expectation(result)}, measured {result['measured']:.6g}"
