"""Synthetic catalogs for benchmarks: N valid records with realistic field sizes, cross references
and small notebooks; optionally the same pages written as plain Markdown for a hook-free baseline.

    python benchmarks/synth.py OUT --records 1000 [--markdown-site DIR] [--broken 50]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WORDS = """detector jet calorimeter muon trigger graph network transformer flow anomaly simulation
reconstruction vertex track energy boson quark gluon neutrino wave signal background training
validation inference latency gpu cluster dataset feature embedding attention likelihood posterior
uncertainty calibration luminosity collision event cross section""".split()  # noqa: SIM905
DOMAINS = ["hep", "gravitational-waves", "astroparticle", "nuclear", "medical", "computing", "other"]
TECHNIQUES = ["mlp", "cnn", "gnn", "transformer", "autoencoder", "gan", "normalizing-flow", "bdt"]
MIX = {"usecase": 0.2, "dataset": 0.5, "seminar": 0.3}


def words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def sentence(rng: random.Random, n: int) -> str:
    return words(rng, n).capitalize() + "."


def paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(sentence(rng, rng.randint(10, 18)) for _ in range(sentences))


def counts(records: int) -> dict[str, int]:
    out = {kind: max(1, int(records * share)) for kind, share in MIX.items()}
    out["dataset"] += records - sum(out.values())
    return out


def notebook(rng: random.Random, title: str) -> str:
    value = rng.randint(1, 99)
    cells = [
        {"cell_type": "markdown", "id": "intro", "metadata": {}, "source": [f"# {title}\n", "\n", paragraph(rng, 2)]},
        {
            "cell_type": "code",
            "id": "check",
            "metadata": {},
            "execution_count": 1,
            "source": [f"# NBVAL_CHECK_OUTPUT\nprint({value} + 1)"],
            "outputs": [{"output_type": "stream", "name": "stdout", "text": [f"{value + 1}\n"]}],
        },
    ]
    from catalog.scaffold import python_notebook

    return json.dumps(python_notebook(cells), indent=1)


def person(rng: random.Random, i: int) -> str:
    name, place = words(rng, 1).capitalize(), rng.choice(WORDS).capitalize()
    return f"  - name: Author {i} {name}\n    affiliation: INFN Sezione {place}\n"


def write_dataset(root: Path, rng: random.Random, i: int) -> str:
    ident = f"dataset-{i:05d}"
    files = "".join(
        f"  - name: part{j}.h5\n    url: https://example.org/{ident}/part{j}.h5\n"
        f"    size_bytes: {rng.randint(10**6, 10**9)}\n    sha256: {rng.getrandbits(256):064x}\n"
        for j in range(3)
    )
    (root / "datasets" / f"{ident}.yaml").write_text(
        f"id: {ident}\ntitle: {words(rng, 5).title()} dataset {i}\nsummary: {sentence(rng, 20)}\n"
        f"description: |\n  {paragraph(rng, 6)}\n\n  {paragraph(rng, 5)}\n"
        f"domain: {rng.choice(DOMAINS)}\nkeywords: [{rng.choice(WORDS)}, {rng.choice(WORDS)}-data]\n"
        f"doi: 10.5281/zenodo.{1000000 + i}\nlanding_page: https://example.org/{ident}\npublisher: Zenodo\n"
        f"license: CC-BY-4.0\naccess: open\ncreators: [{{name: Creator {i}}}, {{name: Creator {i + 1}}}]\n"
        f"year: {rng.randint(2010, 2025)}\n"
        f"formats: [HDF5]\nfiles:\n{files}"
    )
    return ident


def write_seminar(root: Path, rng: random.Random, i: int, usecases: list[str], datasets: list[str]) -> str:
    day = dt.date(2019, 1, 1) + dt.timedelta(days=(i * 7) % 2500)
    ident = f"{day.isoformat()}-seminar-{i:05d}"
    folder = root / "seminars" / str(day.year)
    folder.mkdir(parents=True, exist_ok=True)
    suggestions = "".join(f"    - {sentence(rng, 12)}\n" for _ in range(3))
    related = f"usecases: [{rng.choice(usecases)}]\n" if usecases else ""
    (folder / f"{ident}.yaml").write_text(
        f'id: {ident}\ntitle: {words(rng, 7).capitalize()}\ndate: "{day.isoformat()}"\ntime: "16:00"\n'
        f"timezone: Europe/Rome\nduration_minutes: 60\nspeakers:\n{person(rng, i)}abstract: |\n  {paragraph(rng, 5)}\n"
        f"minutes:\n  topic_summary: |\n    {paragraph(rng, 4)}\n  discussion: |\n    {paragraph(rng, 3)}\n"
        f"  suggestions:\n{suggestions}{related}datasets: [{rng.choice(datasets)}]\ndomain: {rng.choice(DOMAINS)}\n"
    )
    return ident


def write_usecase(root: Path, rng: random.Random, i: int, datasets: list[str]) -> str:
    ident = f"usecase-{i:05d}"
    folder = root / "usecases" / ident
    (folder / "notebooks").mkdir(parents=True, exist_ok=True)
    (folder / "notebooks" / "main.ipynb").write_text(notebook(rng, f"Use case {i}"))
    techniques = ", ".join(sorted(set(rng.sample(TECHNIQUES, 2))))
    refs = "".join(
        f'  - title: {words(rng, 8).capitalize()}\n    arxiv: "{2000 + i % 500:04d}.{10000 + j:05d}"\n'
        for j in range(2)
    )
    (folder / "usecase.yaml").write_text(
        f"id: {ident}\ntitle: {words(rng, 6).capitalize()} use case {i}\nsummary: {sentence(rng, 25)}\n"
        f"description: |\n  {paragraph(rng, 7)}\n\n  {paragraph(rng, 6)}\n"
        f"domain: {rng.choice(DOMAINS)}\nexperiments: [EXP{i % 7}]\ntechniques: [{techniques}]\n"
        f"toolset: [PyTorch]\nauthors:\n{person(rng, i)}{person(rng, i + 1)}"
        f"datasets: [{rng.choice(datasets)}, {rng.choice(datasets)}]\n".replace(", ]", "]")
        + "notebooks:\n  - path: notebooks/main.ipynb\n    title: Main notebook\n"
        + f"    gpu: {rng.choice(['none', 'none', 'optional', 'required'])}\n"
        + f'references:\n{refs}license: Apache-2.0\ncreated: "2024-{1 + i % 12:02d}-{1 + i % 28:02d}"\n'
    )
    return ident


def dedupe_datasets(root: Path) -> None:
    """rng.choice may pick the same dataset twice; ids in a list must be unique."""
    for record in (root / "usecases").glob("*/usecase.yaml"):
        lines = record.read_text().splitlines()
        for n, line in enumerate(lines):
            if line.startswith("datasets: ["):
                ids = list(dict.fromkeys(x.strip() for x in line[len("datasets: [") : -1].split(",")))
                lines[n] = f"datasets: [{', '.join(ids)}]"
        record.write_text("\n".join(lines) + "\n")


def make_catalog(out: Path, records: int, seed: int = 1) -> dict[str, int]:
    rng = random.Random(seed)
    if out.exists():
        shutil.rmtree(out)
    for folder in ("usecases", "datasets", "seminars"):
        (out / folder).mkdir(parents=True)
    n = counts(records)
    datasets = [write_dataset(out, rng, i) for i in range(n["dataset"])]
    usecases = [write_usecase(out, rng, i, datasets) for i in range(n["usecase"])]
    dedupe_datasets(out)
    for i in range(n["seminar"]):
        write_seminar(out, rng, i, usecases, datasets)
    return n


def break_records(root: Path, count: int, seed: int = 2) -> int:
    """Inject schema defects that any JSON Schema validator must find (for identical-error checks)."""
    rng = random.Random(seed)
    files = sorted((root / "datasets").glob("*.yaml"))
    chosen = rng.sample(files, min(count, len(files)))
    for n, path in enumerate(chosen):
        text = path.read_text()
        if n % 3 == 0:
            text = text.replace("access: open", "access: sometimes")
        elif n % 3 == 1:
            text = text.replace("license: CC-BY-4.0\n", "")
        else:
            text = text.replace("landing_page: https://", "landing_page: http://")
        path.write_text(text)
    return len(chosen)


JUPYTER_PLUGIN = """  - mkdocs-jupyter:
      include: ["usecases/*/notebooks/*.ipynb"]
      ignore: ["*.md"]  # without it mkdocs-jupyter parses every Markdown page with jupytext
      execute: false
      include_source: true
      include_requirejs: false
      ignore_h1_titles: true
"""


def write_site_config(root: Path, hooks: bool, docs_dir: str | None = None) -> Path:
    """mkdocs.yml with the shipped theme and plugins; with our hooks, or plain for the baseline."""
    text = (REPO / "mkdocs.yml").read_text()
    head, _, _ = text.partition("\nextra:\n")
    head = head.replace("docs_dir: docs", f"docs_dir: {docs_dir or REPO / 'docs'}")
    head = head.replace("  - hooks/kb_site.py", f"  - {REPO / 'hooks' / 'kb_site.py'}")
    head = head.replace("custom_dir: overrides", f"custom_dir: {REPO / 'overrides'}")
    if not hooks:  # plain MkDocs: mkdocs-jupyter's plugin renders the notebooks
        head = head.replace(f"hooks:\n  - {REPO / 'hooks' / 'kb_site.py'}\n", "")
        head = re.sub(r"\n  - kb\n", "\n", head)
        head = re.sub(r"(plugins:\n(?:(?:  |    ).*\n)*)", lambda m: m.group(1) + JUPYTER_PLUGIN, head, count=1)
    config = root / "mkdocs.yml"
    extra = (
        "\nextra:\n  catalog:\n    repository: https://github.com/example-org/kb\n    hub: https://hub.example.org\n"
    )
    config.write_text(head.replace('!ENV [KB_SITE_URL, ""]', '""') + (extra if hooks else "\n"))
    return config


def write_markdown_site(catalog_root: Path, out: Path) -> Path:
    """The same pages our hooks generate, as plain files in a docs/ folder (the baseline site)."""
    sys.path.insert(0, str(REPO))
    from catalog.render.launch import SiteSettings
    from catalog.render.notebooks import prepare_notebooks
    from catalog.render.site import render_site
    from catalog.validate import load_catalog

    catalog = load_catalog(catalog_root)
    settings = SiteSettings.from_mapping(
        {"repository": "https://github.com/example-org/kb", "hub": "https://hub.example.org"}
    )
    site = render_site(catalog, settings, {}, dt.date(2026, 11, 26))
    docs = out / "docs"
    if docs.exists():
        shutil.rmtree(docs)  # the rest (mkdocs-jupyter's cache) may be reused
    shutil.copytree(REPO / "docs", docs)  # the hand-written pages and assets, as in our site
    for uri, content in site.sources().items():
        (docs / uri).parent.mkdir(parents=True, exist_ok=True)
        (docs / uri).write_text(content)
    for uri, data in site.files.items():
        (docs / uri).parent.mkdir(parents=True, exist_ok=True)
        (docs / uri).write_bytes(data)
    for notebook in prepare_notebooks(catalog, out / ".nb"):
        (docs / notebook.uri).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(notebook.display_path, docs / notebook.uri)
    return write_site_config(out, hooks=False, docs_dir=str(docs))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--broken", type=int, default=0, help="inject this many schema defects")
    parser.add_argument("--markdown-site", type=Path, help="also write the baseline plain-Markdown site here")
    args = parser.parse_args()
    n = make_catalog(args.out, args.records, args.seed)
    write_site_config(args.out, hooks=True)
    if args.broken:
        break_records(args.out, args.broken)
    if args.markdown_site:
        write_markdown_site(args.out, args.markdown_site)
    print(json.dumps(n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
