"""`catalog import indico`: golden records from a category export, idempotence, maintainers'
edits kept, conflicts reported, and every failure of a real server (against 127.0.0.1) a clear
error that writes nothing."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import icalendar
import pytest

from catalog import load_catalog
from catalog.exports.ical import seminars_ics
from catalog.http import HttpPolicy
from catalog.indico_parse import IndicoError, parse_export
from catalog.indico_source import export_url, read_source, shown_url
from catalog.netguard import allow_loopback_for_tests
from catalog.render.events import event_page
from catalog.render.home import home_page

from .conftest import FIXTURES, TESTS, snapshot

INDICO = FIXTURES / "indico"
GOLDEN = TESTS / "golden" / "indico"
CATEG = str(INDICO / "categ-1467.json")
CHANGED = str(INDICO / "categ-1467-changed.json")
TOKEN = "indp_" + "s3cr3t" * 7
GNN = "seminars/2025/2025-03-12-graph-neural-networks-for-particle-tracking.yaml"
FLOWS = "seminars/2025/2025-05-07-normalizing-flows-for-fast-simulation.yaml"


def imported(root: Path) -> dict[str, str]:
    """The records an import wrote (the base catalog's own demo seminar left out)."""
    files = [*root.glob("events/*.yaml"), *root.glob("seminars/20*/*.yaml")]
    return {p.name: p.read_text() for p in files if p.name != "2024-03-12-demo-seminar.yaml"}


def test_category_export_creates_the_golden_records(base_catalog: Path, run_cli) -> None:
    code, out, err = run_cli("import", "indico", CATEG, "--root", str(base_catalog))
    assert code == 0, err
    assert "5 talk(s) and 1 event(s)" in out and "6 created, 0 updated, 0 unchanged, 0 conflict(s)" in out
    golden = {p.name: p.read_text() for p in GOLDEN.glob("*.yaml")}
    assert imported(base_catalog) == golden
    # valid, strictly: the only warnings of the real today are "past seminar without minutes yet"
    code, out, _ = run_cli("validate", "--root", str(base_catalog), "--strict", "--today", "2025-01-01")
    assert code == 0 and out.strip() == "0 error(s), 0 warning(s)", out
    catalog = load_catalog(base_catalog)
    assert {p.code for p in catalog.problems} == {"KB209"}
    school = catalog.events["2025-09-15-ml-infn-school-on-anomaly-detection-test-fixture"]
    assert school.data["kind"] == "school" and school.data["end"] == "2025-09-17"
    assert [s.id for s in catalog.related(school, "seminar")] == [
        "2025-09-15-autoencoders-for-anomaly-detection",
        "2025-09-16-weakly-supervised-searches",
    ]
    assert "Autoencoders for anomaly detection" in event_page(school, catalog).body


def test_second_import_changes_nothing(base_catalog: Path, run_cli) -> None:
    assert run_cli("import", "indico", CATEG, "--root", str(base_catalog))[0] == 0
    before = snapshot(base_catalog)
    code, out, _ = run_cli("import", "indico", CATEG, "--root", str(base_catalog))
    assert code == 0 and "0 created, 0 updated, 6 unchanged, 0 conflict(s)" in out
    assert snapshot(base_catalog) == before


def test_reimport_keeps_maintainers_work_and_reports_conflicts(base_catalog: Path, run_cli) -> None:
    assert run_cli("import", "indico", CATEG, "--root", str(base_catalog))[0] == 0
    code, _, err = run_cli(
        "new", "minutes", "2025-05-07-normalizing-flows-for-fast-simulation", "--root", str(base_catalog),
        "--summary", "Flows as fast simulators.", "--discussion", "Speed.", "--suggestion", "Try coupling layers",
    )  # fmt: skip
    assert code == 0, err
    gnn = base_catalog / GNN
    corrected = gnn.read_text().replace(
        "title: Graph neural networks for particle tracking", "title: Graph networks for tracking (corrected)"
    )
    gnn.write_text(corrected.replace("duration_minutes: 60\n", "duration_minutes: 60\nusecases: [demo-usecase]\n"))

    code, out, _ = run_cli("import", "indico", CHANGED, "--root", str(base_catalog), "--dry-run")
    assert code == 0 and "dry run: nothing was written" in out
    assert '-time: "15:30"\n+time: "15:45"' in out  # a per-record diff
    code, out, _ = run_cli("import", "indico", CHANGED, "--root", str(base_catalog))
    assert code == 0
    assert f'conflict {GNN}: title — the record says "Graph networks for tracking (corrected)"' in out
    assert 'Indico says "Graph neural networks for charged-particle tracking"' in out
    catalog = load_catalog(base_catalog)
    flows = catalog.seminars["2025-05-07-normalizing-flows-for-fast-simulation"].data
    assert flows["minutes"]["suggestions"] == ["Try coupling layers"]  # the maintainer's minutes survive
    assert flows["time"] == "15:45" and flows["title"] == "Normalising flows for fast simulation"
    gnn_data = catalog.seminars["2025-03-12-graph-neural-networks-for-particle-tracking"].data
    assert gnn_data["title"] == "Graph networks for tracking (corrected)" and gnn_data["usecases"] == ["demo-usecase"]
    assert "recording" not in gnn_data  # gone from Indico and untouched here: removed
    assert "title" not in gnn_data["indico"]["fields"] or gnn_data["indico"]["fields"]["title"] != ""
    before = snapshot(base_catalog)
    code, out, _ = run_cli("import", "indico", CHANGED, "--root", str(base_catalog))
    assert code == 0 and "0 created, 0 updated" in out and snapshot(base_catalog) == before


def test_a_hand_written_record_is_matched_by_its_event_page(base_catalog: Path, run_cli) -> None:
    (base_catalog / "seminars/2025").mkdir()
    (base_catalog / FLOWS).write_text(
        "# written by hand\nid: 2025-05-07-normalizing-flows-for-fast-simulation\ntitle: Flows (our title)\n"
        'date: "2025-05-07"\nevent_page: https://indico.example.org/event/1202/contributions/50001/\n'
    )
    code, out, _ = run_cli("import", "indico", str(INDICO / "event-1202.json"), "--root", str(base_catalog))
    assert code == 0 and "0 created, 1 updated" in out and "conflict" in out
    text = (base_catalog / FLOWS).read_text()
    assert text.startswith("# written by hand\n") and "title: Flows (our title)" in text and "time:" in text


def test_dated_seminars_reach_home_and_calendar(base_catalog: Path, run_cli) -> None:
    assert run_cli("import", "indico", CATEG, "--root", str(base_catalog))[0] == 0
    catalog = load_catalog(base_catalog)
    home = home_page(catalog, dt.date(2026, 11, 28)).body
    upcoming, latest = home.split('id="latest-seminars"')
    assert "Foundation models for physics" in upcoming and "None scheduled yet" not in upcoming
    assert "Weakly supervised searches" in latest.split("</ul>")[0] and "No dated seminars yet" not in latest
    calendar = icalendar.Calendar.from_ical(seminars_ics(catalog, "https://kb.example.org"))
    starts = {str(e["summary"]): e.decoded("dtstart") for e in calendar.walk("VEVENT")}
    assert starts["Graph neural networks for particle tracking"].isoformat() == "2025-03-12T16:00:00+01:00"
    assert starts["Foundation models for physics"].tzinfo is not None and len(starts) == 6


def test_parse_rejects_what_is_not_an_export() -> None:
    for raw, message in (
        (b"<html>login</html>", "is not JSON"),
        (b'{"count": 0}', "no 'results' list"),
        (b'{"results": [{"_type": "Category"}]}', "not an Indico event"),
        (b'{"results": [{"_type": "Conference", "url": "https://i.example.org/event/1/", "title": "T"}]}', "startDate"),
        (INDICO.joinpath("truncated.json").read_bytes(), "is not JSON"),
    ):
        with pytest.raises(IndicoError, match=message):
            parse_export(raw, "x.json")


def test_urls_become_export_api_calls() -> None:
    assert export_url("https://agenda.infn.it/category/1467/") == (
        "https://agenda.infn.it/export/categ/1467.json?detail=contributions"
    )
    assert export_url("https://agenda.infn.it/event/25855/timetable/", "2021-01-01") == (
        "https://agenda.infn.it/export/event/25855.json?detail=contributions&from=2021-01-01"
    )
    given = "https://agenda.infn.it/export/categ/1467.json?from=2024-01-01&to=today&detail=contributions"
    assert export_url(given) == given
    with pytest.raises(IndicoError, match="not an Indico category"):
        export_url("https://agenda.infn.it/news/")
    assert "s3cr3t" not in shown_url("https://x.org/export/event/1.json?ak=s3cr3t&signature=s3cr3t&from=today")


# --- a real HTTP server on 127.0.0.1 ------------------------------------------------------------


class IndicoHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: list[tuple[str, str]]
    hits: dict[str, int]

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, code: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
            self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        type(self).seen.append((self.path, self.headers.get("Authorization", "")))
        hits = type(self).hits
        hits[path] = hits.get(path, 0) + 1
        error = json.dumps({"message": "Not authenticated"}).encode()
        if path == "/export/categ/1467.json":
            self._send(200, INDICO.joinpath("categ-1467.json").read_bytes())
        elif path == "/export/event/1202.json":
            self._send(200, INDICO.joinpath("event-1202.json").read_bytes())
        elif path == "/export/categ/401.json":
            self._send(401, error)
        elif path == "/export/categ/403.json":
            self._send(403, json.dumps({"message": f"Token {self.headers.get('Authorization')} refused"}).encode())
        elif path == "/export/categ/429.json":
            self._send(429, b'{"message": "slow down"}', {"Retry-After": "3600"})
        elif path == "/export/categ/4291.json":
            if hits[path] == 1:
                self._send(429, b"{}", {"Retry-After": "2"})
            else:
                self._send(200, INDICO.joinpath("event-1202.json").read_bytes())
        elif path == "/export/categ/888.json":
            time.sleep(1.5)
            self._send(200, b"{}")
        elif path == "/export/categ/999.json":
            self._send(200, INDICO.joinpath("truncated.json").read_bytes())
        else:
            self._send(404, b'{"message": "no such thing"}')


@contextmanager
def indico_server() -> Iterator[tuple[str, type[IndicoHandler]]]:
    handler = type("Handler", (IndicoHandler,), {"seen": [], "hits": {}})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    try:
        with allow_loopback_for_tests(port):  # the network guard refuses loopback otherwise
            yield f"http://127.0.0.1:{port}", handler
    finally:
        server.shutdown()
        server.server_close()


def test_import_from_url_sends_the_token_and_never_writes_it(base_catalog: Path, run_cli, monkeypatch) -> None:
    monkeypatch.setenv("INDICO_TOKEN", TOKEN)
    with indico_server() as (base, handler):
        code, out, err = run_cli("import", "indico", f"{base}/category/1467/", "--root", str(base_catalog))
        assert code == 0, err
        assert handler.seen == [("/export/categ/1467.json?detail=contributions", f"Bearer {TOKEN}")]
        code, out2, err2 = run_cli("import", "indico", f"{base}/export/categ/403.json", "--root", str(base_catalog))
    assert code == 1
    assert imported(base_catalog) == {p.name: p.read_text() for p in GOLDEN.glob("*.yaml")}
    for text in [out, err, out2, err2, *(p.read_text() for p in base_catalog.rglob("*.yaml"))]:
        assert TOKEN not in text
    assert "Indico refused access (403: Token Bearer *** refused)" in err2


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/export/categ/401.json", "Indico refused access (401: Not authenticated); set INDICO_TOKEN"),
        ("/export/categ/403.json", "Indico refused access (403"),
        ("/export/categ/999.json", "is not JSON"),
        ("/export/categ/404.json", "Indico answered 404: no such thing"),
    ],
)
def test_server_failures_are_clear_errors_that_write_nothing(base_catalog: Path, run_cli, path, message) -> None:
    before = snapshot(base_catalog)
    with indico_server() as (base, _):
        code, out, err = run_cli("import", "indico", base + path, "--root", str(base_catalog))
    assert code == 1 and message in err and "nothing was written" in err, err
    assert "Traceback" not in err and out == ""
    assert snapshot(base_catalog) == before


def test_timeout_and_429_retry_after_go_through_the_http_layer() -> None:
    waits: list[float] = []
    quick = HttpPolicy(connect_timeout=1, read_timeout=0.5, retries=1, backoff=0.01, budget=10)
    with indico_server() as (base, handler):
        with pytest.raises(IndicoError, match=r"no answer within 0.5 s after 2 tries"):
            read_source(f"{base}/export/categ/888.json", None, policy=quick, sleep=waits.append)
        assert waits == [0.01]  # one retry after the first timeout, with the policy's backoff
        waits.clear()
        with pytest.raises(IndicoError, match=r"rate limiting this client \(429, Retry-After: 3600\)"):
            read_source(f"{base}/export/categ/429.json", None, policy=quick, sleep=waits.append)
        assert waits == []  # an hour is past the time budget: no waiting, an error at once
        fetched = read_source(f"{base}/export/categ/4291.json", None, policy=quick, sleep=waits.append)
    assert waits[-1] == 2.0  # the server's Retry-After, honoured
    assert parse_export(fetched.raw, fetched.source).talks[0].fields["title"] == "Normalizing flows for fast simulation"
    assert handler.hits["/export/categ/4291.json"] == 2


def test_internal_addresses_are_refused_by_the_network_guard(base_catalog: Path, run_cli) -> None:
    with indico_server() as (base, _):
        port = base.rsplit(":", 1)[1]  # a real server was there; the guard refuses before connecting
    code, _, err = run_cli("import", "indico", f"http://127.0.0.1:{port}/event/1202/", "--root", str(base_catalog))
    assert code == 1 and "refused: 127.0.0.1 is a" in err and "nothing was written" in err


def test_token_is_not_sent_over_plain_http_to_other_hosts() -> None:
    with pytest.raises(IndicoError, match="refusing to send the Indico token over plain http"):
        read_source("http://indico.example.org/event/1/", TOKEN)


def test_unscheduled_talks_and_event_material() -> None:
    """A talk outside the timetable gets its event's day and no hour; a school's own attachments
    are not handed to each of its talks, while a one-talk meeting's are the talk's."""
    document = json.loads(INDICO.joinpath("categ-1467.json").read_text())
    school = document["results"][3]
    school["contributions"][0]["startDate"] = None
    school["folders"] = document["results"][0]["folders"]  # a lecture's slides and video, on the school
    meeting = document["results"][1]
    meeting["folders"], meeting["contributions"][0]["folders"] = document["results"][0]["folders"], []
    export = parse_export(json.dumps(document).encode(), "x.json")
    by_title = {t.fields["title"]: t.fields for t in export.talks}
    autoencoders = by_title["Autoencoders for anomaly detection"]
    assert autoencoders["date"] == "2025-09-15" and "time" not in autoencoders and "slides" not in autoencoders
    flows = by_title["Normalizing flows for fast simulation"]
    assert flows["slides"].endswith("/gnn-tracking.pdf") and flows["recording"].startswith("https://videos.")


def test_hostile_indico_content_stays_text(base_catalog: Path, run_cli, tmp_path: Path) -> None:
    document = json.loads(INDICO.joinpath("event-1202.json").read_text())
    contrib = document["results"][0]["contributions"][0]
    contrib["title"] = "<script>alert(1)</script> flows"
    contrib["description"] = '<p>Hi<script>alert("x")</script><img src=x onerror=alert(2)> [c](javascript:alert(3))</p>'
    contrib["speakers"][1]["fullName"] = "<b>Eve</b>"
    saved = tmp_path / "hostile.json"
    saved.write_text(json.dumps(document))
    assert run_cli("import", "indico", str(saved), "--root", str(base_catalog))[0] == 0
    catalog = load_catalog(base_catalog)
    seminar = next(s for s in catalog.seminars.values() if "indico" in s.data)
    assert seminar.data["abstract"] == "Hi [c](javascript:alert(3))"
    assert [p["name"] for p in seminar.data["speakers"]] == ["Bruno Sample"]  # a name with markup is left out
    from catalog.render.pages import seminar_page

    body = seminar_page(seminar, catalog).body
    assert "<script>" not in body and "&#60;script&#62;alert" in body and 'href="javascript' not in body
