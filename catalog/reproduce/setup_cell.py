"""The first code cell of a shipped notebook: installs the use case's packages where they are
missing (a JupyterHub image with only Jupyter, Colab with the notebook alone) and does nothing
when all are present, so CI runs are not slowed down.

Generated from the record's requirements file (`catalog env setup-cells` rewrites it); presence
is checked by import name only, without starting pip. `MLINFN_SETUP_INSTALL=0` (set by
`catalog reproduce`) turns installing off, so that a missing package fails as it would in CI.
`MLINFN_DATA_HELPER` replaces the pip requirement of the data helper (e.g. a mirror or a local
path).
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

from ..model import Record

MARKER = "# Setup: installs this use case's packages if they are missing"
HELPER_REQUIREMENT = "mlinfn-data @ git+{repository}#subdirectory=packages/mlinfn-data"
IMPORT_NAMES = {  # distributions whose import name is not their name
    "scikit-learn": "sklearn",
    "pyyaml": "yaml",
    "pillow": "PIL",
    "opencv-python": "cv2",
    "opencv-python-headless": "cv2",
    "beautifulsoup4": "bs4",
    "protobuf": "google.protobuf",
    "tensorflow-cpu": "tensorflow",
    "mlinfn-data": "mlinfn_data",
}


def import_name(requirement: str) -> str:
    name = re.split(r"[<>=!~;\[ @]", requirement.strip(), maxsplit=1)[0].lower()
    return IMPORT_NAMES.get(name, name.replace("-", "_"))


def requirement_lines(usecase: Record) -> list[str]:
    name = (usecase.data.get("environment") or {}).get("requirements")
    if not name or not (usecase.folder / name).is_file():
        return []
    lines = []
    for raw in (usecase.folder / name).read_text(encoding="utf-8").splitlines():
        line = raw.split(" #", 1)[0].strip()
        if line and not line.startswith(("#", "-")):
            lines.append(line)
    return lines


def setup_source(usecase: Record, repository: str) -> str:
    needs = {import_name(line): line for line in requirement_lines(usecase)}
    needs.setdefault("mlinfn_data", "")
    body = ",\n".join(
        f"    {json.dumps(module)}: {json.dumps(spec)}" if spec else f"    {json.dumps(module)}: HELPER"
        for module, spec in needs.items()
    )
    helper = HELPER_REQUIREMENT.format(repository=repository.rstrip("/"))
    return (
        f"{MARKER}; does nothing when all are present\n"
        "import importlib.util, os, subprocess, sys\n"
        "\n"
        f'HELPER = os.environ.get("MLINFN_DATA_HELPER", {json.dumps(helper)})\n'
        f"NEEDS = {{\n{body},\n}}\n"
        "missing = [spec for module, spec in NEEDS.items() if importlib.util.find_spec(module) is None]\n"
        'if missing and os.environ.get("MLINFN_SETUP_INSTALL", "1") != "0":\n'
        '    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *missing], check=True)\n'
        "    importlib.invalidate_caches()"
    )


def _source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def with_setup_cell(notebook: dict[str, Any], source: str) -> dict[str, Any]:
    """The notebook with its setup cell replaced (or inserted before the first code cell)."""
    cells = notebook.get("cells", [])
    lines = source.splitlines(keepends=True)
    for cell in cells:
        if cell.get("cell_type") == "code" and _source(cell).startswith(MARKER):
            cell["source"] = lines
            return notebook
    first_code = next((i for i, c in enumerate(cells) if c.get("cell_type") == "code"), len(cells))
    cell = {
        "cell_type": "code",
        "execution_count": None,
        "id": uuid.uuid4().hex[:8],
        "metadata": {},
        "outputs": [],
        "source": lines,
    }
    cells.insert(first_code, cell)
    return notebook


def setup_cell_of(path: Path) -> str | None:
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "code":
            text = _source(cell)
            return text if text.startswith(MARKER) else None
    return None


def write_setup_cells(usecase: Record, repository: str) -> list[Path]:
    """Rewrite the setup cell of every notebook of `usecase`; the paths that changed."""
    changed = []
    source = setup_source(usecase, repository)
    for entry in usecase.data.get("notebooks", []):
        path = usecase.folder / entry["path"]
        if setup_cell_of(path) == source:
            continue
        notebook = with_setup_cell(json.loads(path.read_text(encoding="utf-8")), source)
        path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        changed.append(path)
    return changed
