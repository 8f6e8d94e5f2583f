"""One Markdown page per record. Every function returns a string and touches no file."""

from __future__ import annotations

import posixpath
from typing import Any

from ..model import Catalog, Record
from ..results import NEVER_RUN, NotebookStatus, StatusMap
from .launch import SiteSettings, launch_links
from .markup import (
    attr,
    external_link,
    front_matter,
    markdown_block,
    markdown_inline,
    plain,
    relative,
    safe_url,
    table,
    url_of,
)
from .tags import tags_of


def page_uri(record: Record) -> str:
    if record.kind == "usecase":
        return f"usecases/{record.id}.md"
    if record.kind == "dataset":
        return f"datasets/{record.id}.md"
    return f"seminars/{record.path.parent.name}/{record.id}.md"


def notebook_uri(usecase: Record, notebook_path: str) -> str:
    """The notebook page's source URI: its path in the repository."""
    return f"usecases/{usecase.id}/{notebook_path}"


def record_link(from_uri: str, record: Record) -> str:
    return f"[{plain(record.title)}]({relative(from_uri, page_uri(record))})"


def person(entry: dict[str, Any]) -> str:
    text = plain(entry["name"])
    if entry.get("orcid"):
        text = external_link(entry["name"], f"https://orcid.org/{entry['orcid']}")
    if entry.get("affiliation"):
        text += f" ({plain(entry['affiliation'])})"
    return text


def reference_line(ref: dict[str, Any]) -> str:
    parts = [f"**{plain(ref['title'])}**"]
    if ref.get("authors"):
        parts.append(plain(", ".join(ref["authors"])))
    if ref.get("venue"):
        parts.append(f"*{plain(ref['venue'])}*")
    if ref.get("year"):
        parts.append(str(ref["year"]))
    links = []
    if ref.get("doi"):
        links.append(external_link(f"doi:{ref['doi']}", f"https://doi.org/{ref['doi']}"))
    if ref.get("arxiv"):
        links.append(external_link(f"arXiv:{ref['arxiv']}", f"https://arxiv.org/abs/{ref['arxiv']}"))
    if ref.get("url"):
        links.append(external_link("link", ref["url"]))
    if ref.get("cited_as") and not links:
        links.append(f"cited as: {plain(ref['cited_as'])}")
    return "- " + ". ".join(parts) + (". " + " · ".join(links) if links else "")


def references_section(refs: list[dict[str, Any]], heading: str = "## References") -> str:
    if not refs:
        return ""
    return f"{heading}\n\n" + "\n".join(reference_line(r) for r in refs) + "\n\n"


def tags_line(from_uri: str, record: Record) -> str:
    tags = tags_of(record)
    if not tags:
        return ""
    links = [f"[{plain(t.label)}]({relative(from_uri, t.uri)})" for t in tags]
    return "**Tags:** " + " · ".join(links) + "\n\n"


def provenance_note(record: Record) -> str:
    prov = record.data.get("provenance")
    if not prov:
        return ""
    state = prov["verification"].replace("_", " ")
    body = f"Facts in this record: **{plain(state)}**."
    if prov.get("notes"):
        body += "\n" + markdown_block(prov["notes"])
    if prov.get("sources"):
        body += "\n\nSources: " + "; ".join(plain(s) for s in prov["sources"])
    return '??? note "Provenance"\n\n' + "\n".join("    " + line for line in body.splitlines()) + "\n\n"


def badge(status: NotebookStatus) -> str:
    """A reproducibility badge: verdict, date, hardware, runtime (or 'not run yet')."""
    details = []
    if status.started:
        details.append(status.started[:10])
    if status.hardware:
        details.append(status.hardware)
    if status.duration_s is not None:
        details.append(f"{status.duration_s:.1f} s")
    title = " · ".join(details) or status.reason
    suffix = f" — {plain(title)}" if title else ""
    return (f'<span class="kb-badge kb-{attr(status.facet)}" title="{attr(title)}">'
            f"{plain(status.label)}</span>{suffix}")


def usecase_page(record: Record, catalog: Catalog, settings: SiteSettings, statuses: StatusMap) -> str:
    data, uri = record.data, page_uri(record)
    facets = usecase_facets(record, statuses)
    out = [front_matter(record.title, kb_kind="usecase", kb_facets=facets), f"# {plain(record.title)}\n",
           f"*{plain(data['summary'])}*\n\n", tags_line(uri, record)]
    rows = [["Domain", plain(data["domain"])],
            ["Techniques", ", ".join(plain(t) for t in data["techniques"])]]
    for key, label in (("science_field", "Science field"), ("ml_technology", "ML technology")):
        if data.get(key):
            rows.append([label, plain(data[key])])
    for key, label in (("experiments", "Experiments"), ("toolset", "Toolset"),
                       ("additional_libraries", "Additional libraries"),
                       ("suggested_environments", "Suggested environments")):
        if data.get(key):
            rows.append([label, ", ".join(plain(v) for v in data[key])])
    if data.get("data"):
        d = data["data"]
        rows += [[f"Data {k}", plain(d[k] if isinstance(d[k], str) else ", ".join(d[k]))]
                 for k in ("type", "size", "sources") if d.get(k)]
    rows.append(["License", plain(data.get("license", "not recorded"))])
    if data.get("code"):
        rows.append(["Code", external_link(data["code"], data["code"])])
    out.append(table(["Property", "Value"], rows) + "\n")
    if data.get("description"):
        out.append("## Description\n" + markdown_block(data["description"]) + "\n")
    out.append("## Authors\n\n" + "\n".join("- " + person(a) for a in data["authors"]) + "\n\n")
    if data.get("contacts"):
        out.append("## Contacts\n\n" + "\n".join("- " + person(a) for a in data["contacts"]) + "\n\n")
    out.append(notebooks_section(record, settings, statuses))
    out.append(environment_section(data))
    out.append(related_section(uri, catalog, record))
    out.append(references_section(data.get("references", [])))
    out.append(citation_section(record, settings))
    out.append(provenance_note(record))
    return "".join(out)


def usecase_facets(record: Record, statuses: StatusMap) -> dict[str, list[str]]:
    data = record.data
    gpu = sorted({n.get("gpu", "none") for n in data["notebooks"]})
    status = sorted({statuses.get((record.id, n["path"]), NEVER_RUN).facet for n in data["notebooks"]})
    return {"domain": [data["domain"]], "technique": list(data["techniques"]),
            "experiment": list(data.get("experiments", [])), "gpu": gpu, "status": status,
            "license": [data.get("license", "unknown")]}


def notebooks_section(record: Record, settings: SiteSettings, statuses: StatusMap) -> str:
    uri = page_uri(record)
    out = ["## Notebooks\n\n"]
    for nb in record.data["notebooks"]:
        target = notebook_uri(record, nb["path"])
        status = statuses.get((record.id, nb["path"]), NEVER_RUN)
        gpu = {"none": "CPU only", "optional": "GPU optional", "required": "needs a GPU"}[nb.get("gpu", "none")]
        if nb.get("gpu_memory_gb"):
            gpu += f" ({nb['gpu_memory_gb']} GB)"
        out.append(f"### [{plain(nb['title'])}]({relative(uri, target)})\n\n")
        out.append(f"Reproducibility: {badge(status)}\n\n")
        # the schema restricts paths to [A-Za-z0-9_./-]: safe verbatim in a code span
        out.append(f"`{nb['path']}` · {gpu} · nbval {plain(nb.get('nbval', 'lax'))} · "
                   f"cell timeout {nb.get('cell_timeout', 300)} s\n\n")
        buttons = []
        if nb.get("launch", True):
            buttons = [f"[{plain(link.label)}]({safe_url(link.url)}){{ .md-button .kb-launch-{link.service} }}"
                       for link in launch_links(settings, record.data, target)]
        buttons.append(f'<a class="md-button" href="{attr(download_href(uri, target))}" download>Download</a>')
        out.append(" ".join(buttons) + "\n\n")
    return "".join(out)


def download_href(from_uri: str, notebook: str) -> str:
    """mkdocs-jupyter (include_source) copies the .ipynb into the rendered notebook page's folder;
    raw HTML links are not rewritten by MkDocs, so the href is relative between served URLs."""
    return posixpath.relpath(url_of(notebook) + posixpath.basename(notebook), url_of(from_uri))


def environment_section(data: dict[str, Any]) -> str:
    env = data.get("environment")
    if not env:
        return ""
    labels = {"python": "Python", "requirements": "Requirements file", "image": "Image",
              "profile": "JupyterHub profile", "hub": "JupyterHub"}
    rows = [[labels[k], plain(v) if k != "hub" else external_link(v, v)] for k, v in env.items()]
    return "## Environment\n\n" + table(["Property", "Value"], rows) + "\n"


def related_section(uri: str, catalog: Catalog, record: Record) -> str:
    out = []
    for kind, heading in (("dataset", "Datasets"), ("seminar", "Seminars"), ("usecase", "Use cases")):
        if kind == record.kind:
            continue
        related = catalog.related(record, kind)
        if related:
            lines = []
            for other in related:
                extra = ""
                if kind == "dataset":
                    extra = f" — access: {plain(other.data['access'])}, license: {plain(other.data['license'])}"
                lines.append(f"- {record_link(uri, other)}{extra}")
            out.append(f"## {heading}\n\n" + "\n".join(lines) + "\n\n")
    return "".join(out)


def citation_section(record: Record, settings: SiteSettings) -> str:
    from ..exports.citation import bibtex_entry

    return "## Cite this use case\n\n```bibtex\n" + bibtex_entry(record, settings).replace("`", "'") + "```\n\n"


def link_status_section(record: Record, link_history: dict[str, list[dict[str, Any]]]) -> str:
    """Each URL of the record with its last checked state (from `catalog links`)."""
    from ..links import record_urls, verdict

    rows = []
    for use in record_urls(record):
        runs = link_history.get(use.url, [])
        checked = runs[-1]["checked"][:10] if runs else "never"
        rows.append([external_link(use.url, use.url), plain(verdict(runs)), plain(checked)])
    if not rows:
        return ""
    return "## Link status\n\n" + table(["Link", "State", "Last checked"], rows) + "\n"


def dataset_page(record: Record, catalog: Catalog, link_history: dict[str, list[dict[str, Any]]] | None = None) -> str:
    data, uri = record.data, page_uri(record)
    facets = {"domain": [data["domain"]], "access": [data["access"]], "license": [data["license"]],
              "year": [str(data["year"])] if data.get("year") else []}
    out = [front_matter(record.title, kb_kind="dataset", kb_facets=facets), f"# {plain(record.title)}\n",
           f"*{plain(data['summary'])}*\n\n", tags_line(uri, record)]
    rows = [["Domain", plain(data["domain"])], ["Access", plain(data["access"])],
            ["License", plain(data["license"])]]
    if data.get("doi"):
        rows.append(["DOI", external_link(data["doi"], f"https://doi.org/{data['doi']}")])
    if data.get("landing_page"):
        rows.append(["Landing page", external_link(data["landing_page"], data["landing_page"])])
    for key, label in (("publisher", "Publisher"), ("year", "Year"), ("version", "Version"), ("size", "Size")):
        if data.get(key):
            rows.append([label, plain(data[key])])
    for key, label in (("creators", "Creators"), ("formats", "Formats"), ("keywords", "Keywords")):
        if data.get(key):
            rows.append([label, ", ".join(plain(v) for v in data[key])])
    if data.get("code"):
        rows.append(["Code", external_link(data["code"], data["code"])])
    out.append(table(["Property", "Value"], rows) + "\n")
    for key, heading in (("description", "Description"), ("content", "Content")):
        if data.get(key):
            out.append(f"## {heading}\n" + markdown_block(data[key]) + "\n")
    out.append(files_section(data.get("files", [])))
    if data.get("citation"):
        out.append(f"## Citation\n\n> {plain(data['citation'])}\n\n")
    if data.get("reference_paper"):
        out.append(references_section([data["reference_paper"]], "## Reference paper"))
    out.append(references_section(data.get("related_records", []), "## Related records"))
    out.append(related_section(uri, catalog, record))
    out.append(link_status_section(record, link_history or {}))
    out.append(provenance_note(record))
    return "".join(out)


def files_section(files: list[dict[str, Any]]) -> str:
    if not files:
        return ""
    rows = []
    for f in files:
        name = external_link(f["name"], f["url"]) if f.get("url") else plain(f["name"])
        size = f"{f['size_bytes']:,} B" if "size_bytes" in f else "not recorded"
        checksum = (f"sha256 `{f['sha256']}`" if f.get("sha256") else "") + (
            f"<br>md5 `{f['md5']}`" if f.get("md5") else "")
        where = f"bundled in {plain(f['bundled']['package'])}" if f.get("bundled") else ""
        rows.append([name, plain(f.get("description", "")), size, checksum or "not recorded", where])
    return "## Files\n\n" + table(["File", "Content", "Size", "Checksums", "Copy"], rows) + "\n"


def seminar_when(data: dict[str, Any]) -> str:
    if data["date"] == "unknown":
        return "date not recorded"
    when = data["date"]
    if data.get("time"):
        when += f" {data['time']} ({data.get('timezone', 'Europe/Rome')})"
    if data.get("duration_minutes"):
        when += f", {data['duration_minutes']} min"
    return when


def seminar_page(record: Record, catalog: Catalog) -> str:
    data, uri = record.data, page_uri(record)
    year = data["date"][:4] if data["date"] != "unknown" else "undated"
    facets = {"year": [year], "domain": [data["domain"]] if data.get("domain") else [],
              "technique": list(data.get("techniques", [])),
              "minutes": ["with minutes" if data.get("minutes") else "no minutes"]}
    out = [front_matter(record.title, kb_kind="seminar", kb_facets=facets), f"# {plain(record.title)}\n",
           f"**When:** {plain(seminar_when(data))}\n\n", tags_line(uri, record)]
    if data.get("speakers"):
        out.append("## Speakers\n\n" + "\n".join("- " + person(s) for s in data["speakers"]) + "\n\n")
    else:
        out.append("*Speakers not recorded.*\n\n")
    if data.get("abstract"):
        out.append("## Abstract\n" + markdown_block(data["abstract"]) + "\n")
    links = [external_link(label, data[key]) for key, label in
             (("slides", "Slides"), ("recording", "Recording"), ("event_page", "Event page")) if data.get(key)]
    if links:
        out.append(" · ".join(links) + "\n\n")
    out.append(minutes_section(data))
    out.append(references_section(data.get("references", [])))
    out.append(related_section(uri, catalog, record))
    out.append(provenance_note(record))
    return "".join(out)


def minutes_section(data: dict[str, Any]) -> str:
    minutes = data.get("minutes")
    if not minutes:
        return "## Minutes\n\n*No minutes recorded.*\n\n"
    out = ["## Minutes\n\n"]
    if minutes.get("topic_summary"):
        out.append("### Summary of the topic\n" + markdown_block(minutes["topic_summary"]) + "\n")
    if minutes.get("discussion"):
        out.append("### Discussion\n" + markdown_block(minutes["discussion"]) + "\n")
    if minutes.get("suggestions"):
        items = "".join(f"<li>{markdown_inline(s)}</li>" for s in minutes["suggestions"])
        out.append(f'### Suggestions from the audience\n\n<ul class="kb-suggestions">{items}</ul>\n\n')
    if minutes.get("attendance") is not None:
        out.append(f"Attendance: {minutes['attendance']}\n\n")
    return "".join(out)
