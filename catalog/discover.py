"""Where records live: usecases/<id>/usecase.yaml, datasets/<id>.yaml, seminars/<year>/<id>.yaml,
events/<id>.yaml."""

from __future__ import annotations

from pathlib import Path

from .problems import Problem, relative_name

SEMINAR_UNDATED_FOLDER = "undated"


def find_record_files(root: Path) -> tuple[list[tuple[str, Path]], list[Problem]]:
    """(kind, path) of every record file, and problems for files in the wrong place."""
    found: list[tuple[str, Path]] = []
    problems: list[Problem] = []

    def misplaced(path: Path, hint: str) -> None:
        problems.append(Problem("KB211", "file is not where its kind belongs", relative_name(path, root), hint=hint))

    usecases = root / "usecases"
    if usecases.is_dir():
        for folder in sorted(p for p in usecases.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
            record = folder / "usecase.yaml"
            if record.is_file():
                found.append(("usecase", record))
            elif (folder / "usecase.yml").is_file():
                misplaced(folder / "usecase.yml", "rename it to usecase.yaml")
            else:
                misplaced(folder, "a use case folder needs a usecase.yaml (catalog new usecase ID makes one)")
    datasets = root / "datasets"
    if datasets.is_dir():
        for path in sorted(datasets.iterdir()):
            if path.suffix == ".yaml" and path.is_file():
                found.append(("dataset", path))
            elif path.suffix == ".yml":
                misplaced(path, "rename it to .yaml")
    seminars = root / "seminars"
    if seminars.is_dir():
        for path in sorted(seminars.rglob("*.y*ml")):
            if path.suffix == ".yaml" and path.parent.parent == seminars:
                found.append(("seminar", path))
            else:
                misplaced(path, "seminars go in seminars/<year>/<date>-<slug>.yaml")
    events = root / "events"
    if events.is_dir():
        for path in sorted(events.iterdir()):
            if path.suffix == ".yaml" and path.is_file():
                found.append(("event", path))
            elif path.suffix == ".yml":
                misplaced(path, "rename it to .yaml")
    return found, problems
