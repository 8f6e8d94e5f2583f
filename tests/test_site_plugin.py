"""The `kb` MkDocs plugin: typed settings, refused settings, and link checks on generated pages."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from mkdocs.config import load_config
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from catalog.model import Catalog
from catalog.render.document import Document
from catalog.render.launch import SiteSettings
from catalog.site_plugin import BuildState, DocumentPage, KnowledgeBasePlugin, read_settings

from .conftest import build, copy_site_fixture


def fixture_config(tmp_path: Path, edit: str = "") -> Path:
    config = copy_site_fixture(tmp_path / "kb")
    if edit:
        config.write_text(config.read_text() + edit)
    return config


def test_generated_pages_have_their_links_checked(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = load_config(str(fixture_config(tmp_path)))
    config.plugins._current_plugin = "kb"  # what MkDocs sets while it runs a plugin's event
    target = File.generated(config, "datasets/jets.md", content="x")
    Page(None, target, config)
    source = File.generated(config, "usecases/demo.md", content="x")
    doc = Document("Demo")
    doc.heading(1, "Demo")
    doc.add(
        '<p><a href="../../datasets/jets/#files">ok</a> <a href="../../nowhere/">bad</a> <a href="#demo">top</a></p>'
    )
    state = BuildState(tmp_path, Catalog(root=tmp_path), SiteSettings.from_mapping({}), {}, {}, {})
    state.urls = {f.url: f for f in Files([target, source])}
    page = DocumentPage(source, config, doc, state)
    page.read_source(config)
    with caplog.at_level(logging.WARNING, logger="mkdocs.plugins.kb"):
        page.render(config, Files([target, source]))
    warnings = [r.getMessage() for r in caplog.records]
    assert warnings == ["usecases/demo.md links to '../../nowhere/', which is not a page or file of the site"]
    assert page.links_to_anchors == {target: {"files": "../../datasets/jets/#files"}}  # MkDocs checks the anchor
    assert state.search_entries and page.toc.items[0].title == "Demo"


def test_settings_are_typed(tmp_path: Path) -> None:
    config = load_config(str(fixture_config(tmp_path)))
    config.extra["catalog"]["hub"] = 5
    with pytest.raises(PluginError, match=r"extra\.catalog in mkdocs\.yml: hub"):
        read_settings(config)
    config.extra["catalog"]["hub"] = "https://hub.example.org"
    config.extra["catalog"]["engines"] = {"slurm": {}}  # another command's section is left alone
    assert read_settings(config).hub == "https://hub.example.org"


def test_flat_urls_are_refused_with_a_reason(tmp_path: Path) -> None:
    config = load_config(str(fixture_config(tmp_path, "use_directory_urls: false\n")))
    with pytest.raises(PluginError, match=r"use_directory_urls: true"):
        KnowledgeBasePlugin().on_config(config)


def test_the_site_is_built_by_the_plugin_and_the_hook_file_holds_no_logic(tmp_path: Path) -> None:
    hook = Path(__file__).parents[1] / "hooks" / "kb_site.py"
    code = re.sub(r'"""[\s\S]*?"""', "", hook.read_text()).strip()
    assert code == ""  # documentation only: the place for a site's own small adjustments
    config = fixture_config(tmp_path)
    done = build(config, tmp_path / "site")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "site" / "usecases" / "jet-gnn" / "index.html").is_file()
