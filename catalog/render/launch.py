"""Launch links for a notebook: JupyterHub via nbgitpuller, Binder, Colab.

Formats follow each service's documentation: nbgitpuller's link generator (repo, urlpath, branch
as URL-encoded query parameters; urlpath includes the clone folder), mybinder's
`/v2/gh/<owner>/<repo>/<ref>?urlpath=lab/tree/<path>` (GitLab: `/v2/gl/<namespace%2Fproject>/<ref>`),
Colab's `/github/<owner>/<repo>/blob/<ref>/<path>`. A service that cannot serve the repository's
host gets no button; a notebook that needs a GPU gets no Binder button (Binder has no GPUs), and
`launch_notes` says so on the page.

What makes the buttons work: Binder builds from `binder/` (`catalog env binder`), and each shipped
notebook starts with a setup cell that installs what a hub image or Colab lacks
(catalog/reproduce/setup_cell.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode, urlsplit


@dataclass(frozen=True)
class SiteSettings:
    """The catalog's settings from mkdocs.yml `extra.catalog` (all optional)."""

    repository: str = ""
    branch: str = "main"
    hub: str = ""
    launch: dict[str, bool] = field(default_factory=lambda: {"jupyterhub": True, "binder": True, "colab": True})
    site_url: str = ""

    @classmethod
    def from_mapping(cls, data: dict[str, Any] | None, site_url: str = "") -> SiteSettings:
        data = data or {}
        launch = {"jupyterhub": True, "binder": True, "colab": True} | dict(data.get("launch") or {})
        return cls(
            repository=str(data.get("repository") or "").rstrip("/").removesuffix(".git"),
            branch=str(data.get("branch") or "main"),
            hub=str(data.get("hub") or "").rstrip("/"),
            launch={k: bool(v) for k, v in launch.items()},
            site_url=site_url,
        )


@dataclass(frozen=True)
class LaunchLink:
    service: str
    label: str
    url: str


def github_owner_repo(repository: str) -> tuple[str, str] | None:
    parts = urlsplit(repository)
    segments = [s for s in parts.path.split("/") if s]
    if parts.scheme == "https" and parts.hostname == "github.com" and len(segments) == 2:
        return segments[0], segments[1]
    return None


def clone_folder(repository: str) -> str:
    """The folder `git clone` creates: the last path segment without .git."""
    return urlsplit(repository).path.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")


def nbgitpuller_url(hub: str, repository: str, branch: str, repo_path: str) -> str:
    query = urlencode(
        {"repo": repository, "urlpath": f"lab/tree/{clone_folder(repository)}/{repo_path}", "branch": branch}
    )
    return f"{hub.rstrip('/')}/hub/user-redirect/git-pull?{query}"


def gitlab_project(repository: str) -> str | None:
    """`namespace/project` of a gitlab.com repository URL (subgroups included), else None."""
    parts = urlsplit(repository)
    segments = [s for s in parts.path.split("/") if s]
    if parts.scheme == "https" and parts.hostname == "gitlab.com" and len(segments) >= 2 and "-" not in segments:
        return "/".join(segments)
    return None


def binder_url(owner: str, repo: str, branch: str, repo_path: str) -> str:
    return (
        f"https://mybinder.org/v2/gh/{quote(owner)}/{quote(repo)}/{quote(branch, safe='')}"
        f"?urlpath={quote('lab/tree/' + repo_path, safe='/')}"
    )


def binder_gitlab_url(project: str, branch: str, repo_path: str) -> str:
    return (
        f"https://mybinder.org/v2/gl/{quote(project, safe='')}/{quote(branch, safe='')}"
        f"?urlpath={quote('lab/tree/' + repo_path, safe='/')}"
    )


def colab_url(owner: str, repo: str, branch: str, repo_path: str) -> str:
    return (
        f"https://colab.research.google.com/github/{quote(owner)}/{quote(repo)}/blob/"
        f"{quote(branch, safe='')}/{quote(repo_path, safe='/')}"
    )


def launch_links(settings: SiteSettings, repo_path: str, gpu: str = "none", hub: str | None = None) -> list[LaunchLink]:
    """The buttons for one notebook at `repo_path` (relative to the repository root); `gpu` is
    the notebook's `gpu` field (a notebook that requires one gets no Binder button); `hub` is the
    use case's own JupyterHub (its `environment.hub`), where it has one."""
    links: list[LaunchLink] = []
    if not settings.repository:
        return links
    hub = hub or settings.hub
    if settings.launch.get("jupyterhub") and hub:
        links.append(
            LaunchLink(
                "jupyterhub",
                "Launch on JupyterHub",
                nbgitpuller_url(hub, settings.repository, settings.branch, repo_path),
            )
        )
    github = github_owner_repo(settings.repository)
    gitlab = gitlab_project(settings.repository)
    if settings.launch.get("binder") and gpu != "required":
        if github:
            links.append(LaunchLink("binder", "Launch on Binder", binder_url(*github, settings.branch, repo_path)))
        elif gitlab:
            url = binder_gitlab_url(gitlab, settings.branch, repo_path)
            links.append(LaunchLink("binder", "Launch on Binder", url))
    if github and settings.launch.get("colab"):
        links.append(LaunchLink("colab", "Open in Colab", colab_url(*github, settings.branch, repo_path)))
    return links


def launch_notes(settings: SiteSettings, gpu: str = "none") -> list[str]:
    """Why a button the reader may look for is not there (plain text)."""
    binder_host = github_owner_repo(settings.repository) or gitlab_project(settings.repository)
    if gpu == "required" and settings.launch.get("binder") and binder_host:
        return ["No Binder button: this notebook needs a GPU and Binder has none."]
    return []
