"""The site's URL layout and the links of external identifiers: one home for each.

A page is named by its source URI, the path MkDocs knows it by (`usecases/jet-gnn.md`); MkDocs
serves it at a directory URL (`usecases/jet-gnn/`, see `url_of`). Rendering, exports, the search
entries, the `kb` plugin and the tests ask this module where a page or file lives; nothing else
spells the layout out.
"""

from __future__ import annotations

import posixpath

from .model import KIND_FOLDERS, Record

HOME = "index.md"
REPRODUCIBILITY = "reproducibility.md"
MINUTES = "seminars/minutes.md"  # the seminars' minutes, compiled on one page
TAGS_INDEX = "tags/index.md"
CATALOG_JSON = "catalog.json"
SEMINARS_ICS = "seminars.ics"
FEED = "feed.xml"


def listing_uri(kind: str) -> str:
    """The index page of one kind of record (`usecases/index.md`)."""
    return f"{KIND_FOLDERS[kind]}/index.md"


# Index pages stay in the navigation; record, tag and notebook pages are reached through them
# (a global nav of thousands of records would be copied into every page).
NAV_PAGES = (HOME, *(listing_uri(kind) for kind in KIND_FOLDERS), REPRODUCIBILITY)  # in this order
IN_NAV = frozenset(NAV_PAGES)


def page_uri(record: Record) -> str:
    """A record's page: `<kind folder>/<id>.md`; a seminar's sits in its year folder, as its YAML does."""
    folder = KIND_FOLDERS[record.kind]
    if record.kind == "seminar":
        return f"{folder}/{record.path.parent.name}/{record.id}.md"
    return f"{folder}/{record.id}.md"


def usecase_folder(usecase_id: str) -> str:
    """A use case's folder, in the repository and on the site (its notebooks' pages are under it)."""
    return f"{KIND_FOLDERS['usecase']}/{usecase_id}"


def notebook_uri(usecase_id: str, notebook_path: str) -> str:
    """A notebook's page: its path in the repository (`usecases/<id>/<path>.ipynb`)."""
    return f"{usecase_folder(usecase_id)}/{notebook_path}"


def tag_uri(group: str, slug: str) -> str:
    return f"tags/{group}/{slug}.md"


def field_reference_uri(kind: str) -> str:
    return f"reference/{kind}.md"


def schema_file(kind: str) -> str:
    """Where the site serves a JSON Schema (`schemas/<kind>.schema.json`)."""
    return f"schemas/{kind}.schema.json"


def url_of(uri: str) -> str:
    """The directory URL MkDocs serves a page at (use_directory_urls)."""
    stem = uri.removesuffix(".md").removesuffix(".ipynb")
    if stem == "index" or stem.endswith("/index"):
        return stem.removesuffix("index")
    return stem + "/"


def index_page(uri: str) -> str:
    """The same page as a folder's `index.md` (`reproducibility.md` → `reproducibility/index.md`,
    `usecases/x/a.ipynb` → `usecases/x/a/index.md`): served at the same URL, and its source folder is
    that URL, which is how `catalog export pages` writes generated pages (see `exports/pages.py`)."""
    return url_of(uri) + "index.md"


def download_uri(notebook_page: str) -> str:
    """Where the committed .ipynb is served: beside the notebook's page, under its own name."""
    return url_of(notebook_page) + posixpath.basename(notebook_page)


def download_href(from_uri: str, notebook_page: str) -> str:
    """The link from a page to a notebook's download (see `download_uri`)."""
    return posixpath.relpath(download_uri(notebook_page), url_of(from_uri))


def absolute_url(site_url: str, uri: str) -> str:
    """A page's (or, for a file's path, that file's) address on the published site."""
    return f"{site_url.rstrip('/')}/{url_of(uri) if uri.endswith(('.md', '.ipynb')) else uri}"


def repository_url(repository: str, branch: str, path: str) -> str:
    """A folder of the catalog's repository on its forge (GitHub's and GitLab's `tree` URLs)."""
    return f"{repository}/tree/{branch}/{path}"


def doi_url(doi: str) -> str:
    return f"https://doi.org/{doi}"


def arxiv_url(arxiv_id: str) -> str:
    return f"https://arxiv.org/abs/{arxiv_id}"


def orcid_url(orcid: str) -> str:
    return f"https://orcid.org/{orcid}"


def ror_url(ror: str) -> str:
    return f"https://ror.org/{ror}"
