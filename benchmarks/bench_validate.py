"""`catalog validate` vs the plain baseline (PyYAML SafeLoader + jsonschema Draft202012Validator)
and vs the check-jsonschema CLI, on the same 10,000 records; then the same error set on a
broken corpus.

    python benchmarks/bench_validate.py [--records 10000] [--broken 300]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from common import machine, ratio
from synth import break_records, make_catalog

from catalog.schema_check import load_schema
from catalog.validate import load_catalog

KINDS = {"usecase": "usecases/*/usecase.yaml", "dataset": "datasets/*.yaml", "seminar": "seminars/*/*.yaml"}


def plain_baseline(root: Path) -> tuple[float, set[tuple[str, str]]]:
    """What one would write without this project: pure-Python SafeLoader and jsonschema."""
    started = time.perf_counter()
    errors = set()
    for kind, pattern in KINDS.items():
        validator = jsonschema.Draft202012Validator(load_schema(kind), format_checker=jsonschema.FormatChecker())
        for path in sorted(root.glob(pattern)):
            data = yaml.load(path.read_text(), Loader=yaml.SafeLoader)
            for err in validator.iter_errors(data):
                errors.add((path.relative_to(root).as_posix(), err.json_path))
    return time.perf_counter() - started, errors


def check_jsonschema(root: Path) -> tuple[float, set[tuple[str, str]]]:
    started = time.perf_counter()
    errors = set()
    for kind, pattern in KINDS.items():
        files = [str(p) for p in sorted(root.glob(pattern))]
        schema = Path(__file__).resolve().parent.parent / "catalog" / "schemas" / f"{kind}.schema.json"
        command = [str(Path(sys.executable).parent / "check-jsonschema"), "--schemafile", str(schema), "-o", "json"]
        done = subprocess.run([*command, *files], capture_output=True, text=True)
        for err in json.loads(done.stdout).get("errors", []):
            errors.add((Path(err["filename"]).relative_to(root).as_posix(), err["path"]))
    return time.perf_counter() - started, errors


def ours(root: Path) -> tuple[float, set[tuple[str, str]], int]:
    started = time.perf_counter()
    catalog = load_catalog(root)
    elapsed = time.perf_counter() - started
    schema_codes = {f"KB1{n:02d}" for n in range(1, 10)}
    errors = {(p.file, p.path) for p in catalog.problems if p.code in schema_codes}
    return elapsed, errors, len(catalog.problems)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--broken", type=int, default=300)
    parser.add_argument("--work", type=Path, default=Path("/tmp/kb-bench-validate"))
    args = parser.parse_args()
    print(f"machine: {machine()}")
    clean, broken = args.work / "clean", args.work / "broken"
    make_catalog(clean, args.records)
    make_catalog(broken, args.records)
    break_records(broken, args.broken)
    t_ours, _, n_problems = ours(clean)
    t_plain, _ = plain_baseline(clean)
    t_cj, _ = check_jsonschema(clean)
    print(f"\n{args.records} valid records:")
    print(
        f"  catalog validate (schemas + catalog rules + line numbers) {t_ours:6.2f} s  "
        f"{args.records / t_ours:8.0f} records/s  problems: {n_problems}"
    )
    print(
        f"  plain SafeLoader + Draft202012Validator                 {t_plain:6.2f} s  "
        f"{args.records / t_plain:8.0f} records/s  -> ours is {t_plain / t_ours:.1f}x faster"
    )
    print(
        f"  check-jsonschema CLI                                    {t_cj:6.2f} s  "
        f"{args.records / t_cj:8.0f} records/s  -> ours is {t_cj / t_ours:.1f}x faster"
    )
    b_ours, e_ours, _ = ours(broken)
    b_plain, e_plain = plain_baseline(broken)
    b_cj, e_cj = check_jsonschema(broken)
    print(
        f"\nbroken corpus ({args.broken} defective records): errors found ours {len(e_ours)}, "
        f"plain {len(e_plain)}, check-jsonschema {len(e_cj)}"
    )
    print(
        f"  identical (file, JSON path) sets: ours == plain {e_ours == e_plain}, "
        f"ours == check-jsonschema {e_ours == e_cj}"
    )
    print(
        f"  times: ours {b_ours:.2f} s, plain {b_plain:.2f} s ({ratio(b_plain, b_ours)} of ours), "
        f"check-jsonschema {b_cj:.2f} s"
    )
    result = {
        "records": args.records,
        "ours_s": t_ours,
        "plain_s": t_plain,
        "check_jsonschema_s": t_cj,
        "broken": {
            "ours": len(e_ours),
            "plain": len(e_plain),
            "check_jsonschema": len(e_cj),
            "identical_plain": e_ours == e_plain,
            "identical_check_jsonschema": e_ours == e_cj,
        },
    }
    (args.work / "bench_validate.json").write_text(json.dumps(result, indent=1))
    return 0 if e_ours == e_plain == e_cj else 1


if __name__ == "__main__":
    sys.exit(main())
