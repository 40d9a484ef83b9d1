"""Simulate a sosialisasi event: many villagers go the villager's way on their phones at once.

A SQLite file database is built fresh by learning.cli.run_setup in a temporary folder, with one
officer and one event (learning.events.services.create_event, lessons apa-itu-paspor and
apa-itu-tppo). The app is served as `sadar-imigrasi run` serves it: waitress, 8 threads, on
127.0.0.1 and a free port; production settings (CSRF on, TESTING off). Before serving, the
bench adds one route of its own, POST /bench/insert (public, CSRF-exempt): one row into a
small table of the same database, then a commit: the floor of a request that writes.

The load comes from a separate process (so its threads do not take the server's GIL): one
thread, one keep-alive connection and one cookie jar per participant, like a phone. Each
participant joins by code (/j/<code>), consents, registers (a unique name), starts the
pre-test, answers its 10 questions through the JSON autosave endpoint (as static/js/quiz.js
does: a fresh client_answer_id each, a choice among the page's options), submits, reads every
lesson card, takes the post-test the same way (reading each answer's feedback page, since the
post-test shows feedback after each question), submits, looks at the result and resets. CSRF
tokens come from each form's hidden input. Like a browser, it loads the CSS, scripts and
images a page references the first time, and revalidates them (If-None-Match) on later pages
when the server said `Cache-Control: no-cache`. A request that fails with a 5xx is tried again
(the user presses reload) up to twice; every failure counts as an error.

Phases, on the same server and database:
  first visit      one empty-cache visit of the kiosk welcome page: bytes of HTML and assets
  realistic        --participants at once, think time 1-3 s before every step (a real event)
  stress           --participants at once, no think time
  answer save      --participants clients at once, JSON answers only, 50 each (open pre-test
                   attempts made before serving)
  bare insert      --participants clients at once, POST /bench/insert, 50 each
                   (the two alternate, in halves of 25: answers, inserts, answers, inserts)
Then every answer acknowledged with a 200 must be a row of quiz_answer (answers lost: 0).

    /work/venv/bin/python bench/event_sim.py [--participants N] [--skip-realistic]
        [--skip-stress]

Everything is made in a temporary folder, removed on exit, failure or Ctrl+C; it listens on
127.0.0.1 only. Exits 1 when there were errors, lost answers or participants who could not
finish.
"""

import argparse
import datetime as dt
import gc
import http.client
import json
import logging
import multiprocessing
import os
import platform
import random
import re
import shutil
import signal
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections import Counter, defaultdict
from html.parser import HTMLParser
from pathlib import Path

HOST = "127.0.0.1"
SERVER_THREADS = 8  # `sadar-imigrasi run` serves with waitress and 8 threads
LESSONS = ["apa-itu-paspor", "apa-itu-tppo"]
VILLAGE = "15.06.11.2004"  # Pembengis, in the office's default work area
PRETEST = "pre-test-warga"
THINK = (1.0, 3.0)  # seconds before each step of the realistic run
USER_RETRIES = 2  # a 5xx page: the user presses reload this many times before giving up
STRESS_PAUSE = 0.2  # seconds before such a reload in the stress run
BURST_PER_CLIENT = 50  # requests per client in the answer-save and bare-insert bursts
AIM_P95_MS = 100.0
AIM_RATIO = 0.5  # answer save throughput / bare insert throughput
ADULT_AGES = ("18-25", "26-35", "36-45", "46-55", ">55")
BARE_TABLE = (
    "CREATE TABLE bench_insert (id INTEGER NOT NULL PRIMARY KEY,"
    " client_id VARCHAR(36) NOT NULL UNIQUE, created_at VARCHAR(32) NOT NULL)"
)
REDIRECTS = {301, 302, 303, 307, 308}
UA = "Mozilla/5.0 (Linux; Android 10) bench-event-sim"
HTML_ACCEPT = "text/html,application/xhtml+xml,*/*;q=0.8"
# Request kinds: paths with ids, numbers and codes folded, so each kind is one row.
KINDS = (
    (re.compile(r"/j/[^/]+"), "/j/<code>"),
    (re.compile(r"/quizzes/attempts/[^/]+/answers"), "/quizzes/attempts/<id>/answers (JSON)"),
    (re.compile(r"/quizzes/attempts/[^/]+/submit"), "/quizzes/attempts/<id>/submit"),
    (re.compile(r"/quizzes/attempts/[^/]+/finish"), "/quizzes/attempts/<id>/finish"),
    (re.compile(r"/quizzes/attempts/[^/]+/\d+/feedback"), "/quizzes/attempts/<id>/<n>/feedback"),
    (re.compile(r"/quizzes/attempts/[^/]+/\d+"), "/quizzes/attempts/<id>/<n>"),
    (re.compile(r"/kiosk/lesson/\d+/\d+"), "/kiosk/lesson/<i>/<c>"),
)
STATIC_FIRST = "GET /static/* (first load)"
STATIC_AGAIN = "GET /static/* (revalidated)"


def kind_of(method: str, path: str) -> str:
    path = path.split("?")[0]
    for pattern, label in KINDS:
        if pattern.fullmatch(path):
            return f"{method} {label}"
    return f"{method} {path}"


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    """p50, p95, p99 of `samples` (seconds), in milliseconds."""
    if len(samples) == 1:
        return (samples[0] * 1000,) * 3
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[94] * 1000, cuts[98] * 1000


# ---- the load side: runs in a child process ---------------------------------------------------


class FlowError(Exception):
    """The participant cannot go on: the page is not the one the way leads to."""


class Recorder:
    """What one participant (or a whole phase, merged) saw."""

    def __init__(self):
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: Counter = Counter()
        self.samples: list[str] = []
        self.acked: list[str] = []  # client ids answered 200 {"saved": true}
        self.answers_sent = 0
        self.finished = 0
        self.abandoned: list[str] = []
        self.way_seconds: list[float] = []

    def add(self, kind: str, elapsed: float, status: int, detail: str = "") -> None:
        self.latencies[kind].append(elapsed)
        if status == 0 or status >= 400:
            self.errors[kind] += 1
            if len(self.samples) < 5:
                self.samples.append(f"{kind} -> {status or 'no reply'} {detail}".strip())

    def merge(self, other: "Recorder") -> None:
        for kind, values in other.latencies.items():
            self.latencies[kind].extend(values)
        self.errors.update(other.errors)
        self.samples.extend(other.samples[: max(0, 5 - len(self.samples))])
        self.acked.extend(other.acked)
        self.answers_sent += other.answers_sent
        self.finished += other.finished
        self.abandoned.extend(other.abandoned)
        self.way_seconds.extend(other.way_seconds)


class Page(HTMLParser):
    """The parts of an HTML page a participant acts on: forms, links, referenced assets."""

    def __init__(self, path: str, html: str):
        super().__init__(convert_charrefs=True)
        self.path, self.html = path, html
        self.forms: list[dict] = []
        self.links: list[str] = []
        self.assets: list[tuple[str, bool]] = []  # (url, is the favicon)
        self._form = self._select = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"action": a.get("action") or self.path, "attrs": a, "fields": []}
            self.forms.append(self._form)
        elif tag == "input" and self._form is not None and a.get("name"):
            self._form["fields"].append(
                {
                    "name": a["name"],
                    "type": (a.get("type") or "text").lower(),
                    "value": a.get("value") or "",
                    "checked": "checked" in a,
                }
            )
        elif tag == "select" and self._form is not None:
            self._select = {"name": a.get("name"), "type": "select", "value": None, "options": []}
            self._form["fields"].append(self._select)
        elif tag == "option" and self._select is not None:
            self._select["options"].append(a.get("value"))
            if "selected" in a or self._select["value"] is None:
                self._select["value"] = a.get("value")
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])
        url = a.get("src") if tag in ("script", "img") else None
        if tag == "link" and (a.get("rel") or "").lower() in ("stylesheet", "icon"):
            url = a.get("href")
        if url and url.startswith("/static/") and all(url != u for u, _ in self.assets):
            self.assets.append((url, (a.get("rel") or "").lower() == "icon"))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None

    def form(self, action_pattern: str) -> dict:
        for form in self.forms:
            if re.search(action_pattern, form["action"]):
                return form
        raise FlowError(f"{self.path}: no form posting to {action_pattern}")

    def link(self, pattern: str) -> str | None:
        return next((href for href in self.links if re.fullmatch(pattern, href)), None)


def field(form: dict, name: str) -> str:
    for item in form["fields"]:
        if item["name"] == name:
            return item["value"]
    raise FlowError(f"form {form['action']}: no field {name}")


def options(form: dict, name: str) -> list[str]:
    return [i["value"] for i in form["fields"] if i["name"] == name and i["type"] != "hidden"]


class Response:
    def __init__(self, status, headers, body, elapsed, head_bytes):
        self.status, self.headers, self.body = status, headers, body
        self.elapsed, self.head_bytes = elapsed, head_bytes


class Browser:
    """A phone: one keep-alive connection, a cookie jar and a cache of static files."""

    def __init__(self, port: int, recorder: Recorder, trace: list | None = None):
        self.port, self.rec, self.trace = port, recorder, trace
        self.conn = http.client.HTTPConnection(HOST, port, timeout=60)
        self.cookies: dict[str, str] = {}
        self.cache: dict[str, dict] = {}  # static URL -> validators and Cache-Control

    def close(self) -> None:
        self.conn.close()

    def _store_cookies(self, headers) -> None:
        for line in headers.get_all("Set-Cookie") or []:
            pair, *attrs = [part.strip() for part in line.split(";")]
            name, _, value = pair.partition("=")
            expired = any(
                a.lower() == "max-age=0" or a.lower().startswith("expires=thu, 01 jan 1970")
                for a in attrs
            )
            if expired or not value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    def request(self, method, path, body=None, headers=None, kind=None) -> Response:
        """Send one request on the keep-alive connection; record it; return the reply."""
        headers = {"User-Agent": UA, "Accept-Encoding": "gzip, deflate", **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        kind = kind or kind_of(method, path)
        for transport_try in range(2):
            reused = self.conn.sock is not None
            start = time.perf_counter()
            try:
                self.conn.request(method, path, body=body, headers=headers)
                reply = self.conn.getresponse()
                data = reply.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                if reused and transport_try == 0:
                    continue  # a keep-alive connection the server closed: open a new one
                self.rec.add(kind, time.perf_counter() - start, 0, "connection lost")
                return Response(0, http.client.HTTPMessage(), b"", 0.0, 0)
            except (OSError, http.client.HTTPException) as exc:
                self.conn.close()
                self.rec.add(kind, time.perf_counter() - start, 0, repr(exc))
                return Response(0, http.client.HTTPMessage(), b"", 0.0, 0)
            elapsed = time.perf_counter() - start
            break
        head_bytes = len(f"HTTP/1.1 {reply.status} {reply.reason}\r\n\r\n") + sum(
            len(k) + len(v) + 4 for k, v in reply.msg.items()
        )
        self._store_cookies(reply.msg)
        detail = ""
        if reply.status >= 400:
            detail = re.sub(r"\s+", " ", data[:300].decode("utf-8", "replace"))[:120]
        self.rec.add(kind, elapsed, reply.status, detail)
        if self.trace is not None:
            self.trace.append((method, path, reply, len(data), head_bytes))
        return Response(reply.status, reply.msg, data, elapsed, head_bytes)

    def load_assets(self, page: Page) -> None:
        """Fetch what the page references, as a browser with a cache does."""
        for url, is_icon in page.assets:
            cached = self.cache.get(url)
            if cached is None:
                reply = self.request("GET", url, headers={"Accept": "*/*"}, kind=STATIC_FIRST)
                if reply.status == 200:
                    self.cache[url] = {
                        "etag": reply.headers.get("ETag"),
                        "modified": reply.headers.get("Last-Modified"),
                        "control": (reply.headers.get("Cache-Control") or "").lower(),
                    }
                continue
            control = cached["control"]
            if is_icon or ("max-age" in control and "no-cache" not in control):
                continue  # favicons are not revalidated per page; fresh copies are used as is
            conditional = {"Accept": "*/*"}
            if cached["etag"]:
                conditional["If-None-Match"] = cached["etag"]
            if cached["modified"]:
                conditional["If-Modified-Since"] = cached["modified"]
            self.request("GET", url, headers=conditional, kind=STATIC_AGAIN)

    def go(self, method, path, data=None, pause=0.0) -> Page:
        """A navigation: the request, its redirects, the page and its assets.

        A 5xx or a lost connection is reloaded (the page that failed, after `pause`) up to
        USER_RETRIES times, as a user would; anything else that is not a page ends the way.
        """
        body, headers = None, {"Accept": HTML_ACCEPT}
        if data is not None:
            body = urllib.parse.urlencode(data, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        retries = USER_RETRIES
        for _hop in range(20):
            reply = self.request(method, path, body, headers)
            if reply.status in REDIRECTS:
                location = urllib.parse.urlsplit(reply.headers["Location"])
                path = location.path + (f"?{location.query}" if location.query else "")
                method, body, headers = "GET", None, {"Accept": HTML_ACCEPT}
                continue
            if reply.status == 200:
                page = Page(path, reply.body.decode("utf-8"))
                self.load_assets(page)
                return page
            if (reply.status == 0 or reply.status >= 500) and retries:
                retries -= 1
                time.sleep(pause)
                continue
            raise FlowError(f"{kind_of(method, path)} answered {reply.status or 'nothing'}")
        raise FlowError(f"too many redirects from {path}")

    def answer(self, path, token, question, choices, pause=0.0) -> None:
        """Autosave one answer as quiz.js does; a failure is retried with a fresh id."""
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-Attempt-Token": token,
        }
        for try_no in range(USER_RETRIES + 1):
            client_answer_id = str(uuid.uuid4())
            body = json.dumps(
                {"question": question, "choices": choices, "client_answer_id": client_answer_id}
            )
            self.rec.answers_sent += 1
            reply = self.request("POST", path, body, headers)
            if reply.status == 200:
                if json.loads(reply.body).get("saved"):
                    self.rec.acked.append(client_answer_id)
                    return
                raise FlowError(f"answer replied 200 without saved: {reply.body[:100]!r}")
            if 0 < reply.status < 500 or try_no == USER_RETRIES:
                raise FlowError(f"answer answered {reply.status or 'nothing'}")
            time.sleep(pause)


def name_for(k: int) -> str:
    """A unique name in letters (names are compared without digits for duplicates)."""
    letters = ""
    k += 26 * 26  # at least three letters
    while k:
        k, r = divmod(k, 26)
        letters = chr(ord("a") + r) + letters
    return f"Warga {letters.title()}"


def take_test(b: Browser, page: Page, think, rng, pause) -> Page:
    """Answer every question of the attempt the page shows, then submit; return the next page."""
    while re.fullmatch(r"/quizzes/attempts/[^/]+/\d+", page.path):
        form = page.form(r"/answers$")
        n = int(field(form, "n"))
        total = len([h for h in page.links if re.fullmatch(r"/quizzes/attempts/[^/]+/\d+", h)])
        choices = options(form, "choice")
        kinds = {i["type"] for i in form["fields"] if i["name"] == "choice"}
        if not choices:
            raise FlowError(f"{page.path}: no options")
        if "checkbox" in kinds:
            picked = rng.sample(choices, rng.randint(1, len(choices)))
        else:
            picked = [rng.choice(choices)]
        think()
        b.answer(form["action"], field(form, "token"), field(form, "question"), picked, pause)
        base = page.path.rsplit("/", 1)[0]
        if "data-autosave" not in form["attrs"]:  # feedback after each answer (post-test)
            page = b.go("GET", f"{base}/{n}/feedback", pause=pause)
            think()  # reading the explanation
            following = page.link(r"/quizzes/attempts/[^/]+/(\d+|finish)")
            if following is None:
                raise FlowError(f"{page.path}: no way on")
            page = b.go("GET", following, pause=pause)
        else:
            page = b.go("GET", f"{base}/{n + 1}" if n < total else f"{base}/finish", pause=pause)
    if not page.path.endswith("/finish"):
        raise FlowError(f"expected the finish page, got {page.path}")
    form = page.form(r"/submit$")
    think()
    return b.go("POST", form["action"], {"token": field(form, "token")}, pause=pause)


def villager_way(b: Browser, code: str, name: str, think, rng, pause) -> None:
    think()
    page = b.go("GET", f"/j/{code}", pause=pause)
    if page.path != "/kiosk/":
        raise FlowError(f"joining led to {page.path}")
    think()
    page = b.go("GET", page.link(r"/kiosk/consent") or "/kiosk/consent", pause=pause)
    form = page.form(r"^/kiosk/consent$")
    think()
    data = {"csrf_token": field(form, "csrf_token"), "who": "self", "agree": "y"}
    page = b.go("POST", form["action"], data, pause=pause)
    form = next((f for f in page.forms if any(i["name"] == "new-name" for i in f["fields"])), None)
    if page.path != "/kiosk/register" or form is None:
        raise FlowError(f"consent led to {page.path}, not the registration form")
    think()
    data = {
        "new-csrf_token": field(form, "new-csrf_token"),
        "new-name": name,
        "new-village": field(form, "new-village"),
        "new-age_group": rng.choice([a for a in options(form, "new-age_group") if a in ADULT_AGES]),
        "new-gender": rng.choice(options(form, "new-gender")),
        "new-phone": "",
        "new-submit": "Daftar",
    }
    page = b.go("POST", "/kiosk/register", data, pause=pause)
    if page.path != "/kiosk/card":
        raise FlowError(f"registration led to {page.path}")
    think()
    page = b.go("GET", page.link(r"/kiosk/next") or "/kiosk/next", pause=pause)
    form = page.form(r"/kiosk/test/pre$")
    think()
    page = b.go("POST", form["action"], {"csrf_token": field(form, "csrf_token")}, pause=pause)
    page = take_test(b, page, think, rng, pause)
    if page.path != "/kiosk/lesson/0/0":
        raise FlowError(f"the pre-test led to {page.path}")
    while (following := page.link(r"/kiosk/lesson/\d+/\d+")) is not None:
        think()
        page = b.go("GET", following, pause=pause)
    form = page.form(r"/kiosk/test/post$")
    think()
    page = b.go("POST", form["action"], {"csrf_token": field(form, "csrf_token")}, pause=pause)
    page = take_test(b, page, think, rng, pause)
    if page.path != "/kiosk/result" or "jawaban benar" not in page.html:
        raise FlowError(f"the post-test led to {page.path}, without a score")
    form = page.form(r"/kiosk/reset$")
    think()
    page = b.go("POST", form["action"], {"csrf_token": field(form, "csrf_token")}, pause=pause)
    if page.path != "/kiosk/" or "Lanjutkan" in page.html or name in page.html:
        raise FlowError("after the reset the welcome page still knows the participant")


def load_event(port, code, participants, realistic, first, seed) -> tuple[Recorder, float]:
    """Run `participants` villagers at once; return what they saw and the wall time."""
    recorders = [Recorder() for _ in range(participants)]
    barrier = threading.Barrier(participants + 1)

    def work(k):
        rec, rng = recorders[k], random.Random(seed * 100_003 + k)

        def think():
            if realistic:
                time.sleep(rng.uniform(*THINK))

        browser = Browser(port, rec)
        try:
            barrier.wait(timeout=60)
            start = time.perf_counter()
            villager_way(
                browser, code, name_for(first + k), think, rng, 0 if realistic else STRESS_PAUSE
            )
            rec.way_seconds.append(time.perf_counter() - start)
            rec.finished += 1
        except FlowError as exc:
            rec.abandoned.append(str(exc))
        except Exception as exc:  # keep the others going; the report says what happened
            rec.abandoned.append(repr(exc))
        finally:
            browser.close()

    threads = [threading.Thread(target=work, args=(k,), daemon=True) for k in range(participants)]
    for thread in threads:
        thread.start()
    gc.collect()
    barrier.wait(timeout=60)
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    total = Recorder()
    for rec in recorders:
        total.merge(rec)
    return total, wall


def load_burst(port, shares: list[list[dict | None]]) -> tuple[Recorder, float]:
    """Clients at once, each on its own connection: JSON answers (dicts) or bare inserts (None)."""
    recorders = [Recorder() for _ in shares]
    browsers = [Browser(port, rec) for rec in recorders]
    for browser in browsers:  # open the connections before the clock starts
        browser.request("GET", "/healthz", kind="warm-up")
    barrier = threading.Barrier(len(shares) + 1)

    def work(k):
        browser, rec = browsers[k], recorders[k]
        barrier.wait(timeout=60)
        for item in shares[k]:
            if item is None:
                client_id = str(uuid.uuid4())
                reply = browser.request(
                    "POST",
                    "/bench/insert",
                    json.dumps({"id": client_id}),
                    {"Content-Type": "application/json", "Accept": "application/json"},
                )
                if reply.status == 200:
                    rec.acked.append(client_id)
            else:
                try:
                    browser.answer(item["path"], item["token"], item["question"], item["choices"])
                except FlowError as exc:
                    rec.abandoned.append(str(exc))

    threads = [threading.Thread(target=work, args=(k,), daemon=True) for k in range(len(shares))]
    try:
        for thread in threads:
            thread.start()
        gc.collect()
        barrier.wait(timeout=60)
        start = time.perf_counter()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - start
    finally:
        for browser in browsers:
            browser.close()
    total = Recorder()
    for rec in recorders:
        rec.latencies.pop("warm-up", None)
        rec.errors.pop("warm-up", None)
        total.merge(rec)
    return total, wall


# ---- the server side: this process ------------------------------------------------------------


class ServerLog(logging.Handler):
    """Count what the server logs instead of printing it: app exceptions, waitress queue depth."""

    def __init__(self):
        super().__init__()
        self.lock_ = threading.Lock()
        self.exceptions: Counter = Counter()
        self.queue_warnings = 0
        self.max_queue = 0

    def emit(self, record):
        with self.lock_:
            if record.name.startswith("waitress.queue"):
                self.queue_warnings += 1
                depth = record.args[0] if record.args else 0
                self.max_queue = max(self.max_queue, int(depth))
                return
            cause = ""
            if record.exc_info and record.exc_info[1] is not None:
                exc = record.exc_info[1]
                cause = f"{type(exc).__name__}: {str(getattr(exc, 'orig', exc))[:60]}"
                if getattr(exc, "statement", None):  # which SQL statement met the error
                    cause += f" at {' '.join(exc.statement.split())[:40]}"
            where = record.getMessage()
            found = re.fullmatch(r"Exception on (\S+) \[(\w+)\]", where)
            if found:  # one line per kind of request, as in the tables
                where = f"on {kind_of(found.group(2), found.group(1))}"
            self.exceptions[f"{where} {cause}".strip()] += 1

    def snapshot(self):
        with self.lock_:
            return Counter(self.exceptions), self.queue_warnings, self.max_queue


class Probe:
    """Count, per kind of request, the requests served and the SQL statements they ran."""

    def __init__(self, app):
        from flask import has_request_context, request
        from sqlalchemy import event

        from learning.extensions import db

        self.lock = threading.Lock()
        self.requests: Counter = Counter()
        self.statements: Counter = Counter()

        def kind():
            if request.path.startswith("/static/"):
                return "GET /static/*"
            return kind_of(request.method, request.path)

        def on_statement(*_args):
            if has_request_context():
                with self.lock:
                    self.statements[kind()] += 1

        def on_teardown(_exc):
            with self.lock:
                self.requests[kind()] += 1

        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", on_statement)
        app.teardown_request(on_teardown)

    def snapshot(self) -> tuple[Counter, Counter]:
        with self.lock:
            return Counter(self.requests), Counter(self.statements)

    @staticmethod
    def per_request(before, after) -> dict[str, float]:
        """SQL statements per request of each kind between two snapshots."""
        requests, statements = after[0] - before[0], after[1] - before[1]
        return {k: statements[k] / n for k, n in requests.items() if n}


def make_app(url: str):
    """The app as production builds it, plus the bench-only POST /bench/insert."""
    from flask import jsonify, request
    from sqlalchemy import text

    from learning import create_app
    from learning.config import Defaults
    from learning.core.access import public
    from learning.extensions import csrf, db

    app = create_app(
        {
            "SECRET_KEY": "bench-only-secret",
            "DEVICE_ID": "bench-device",
            "SQLALCHEMY_DATABASE_URI": url,
            "REGIONS_DATA_DIR": Defaults.REGIONS_DATA_DIR,
            "SERVER_NAME": None,
            "REDIS_URL": None,
            "HOST": HOST,
            "PORT": 5000,
            "PUBLIC_URL": "http://127.0.0.1:5000",
        }
    )

    @public
    def bench_insert():
        data = request.get_json(silent=True) or {}
        db.session.execute(
            text("INSERT INTO bench_insert (client_id, created_at) VALUES (:c, :t)"),
            {"c": str(data.get("id")), "t": dt.datetime.now(dt.UTC).isoformat()},
        )
        db.session.commit()
        return jsonify(saved=True)

    app.add_url_rule("/bench/insert", "bench_insert", csrf.exempt(bench_insert), methods=["POST"])
    return app


def prepare(app, clients: int) -> tuple[str, list[list[dict]]]:
    """Build the database; make the officer, the event, the bench table and burst attempts.

    Returns the event's join code and, per burst client, the answers it will send.
    """
    from sqlalchemy import text

    from learning.accounts import services as accounts
    from learning.accounts.models import Role
    from learning.cli import run_setup
    from learning.core.database import write_intent
    from learning.events import services as events
    from learning.extensions import db
    from quizzes import services as quizzes

    with app.app_context():
        logging.disable(logging.INFO)  # alembic's per-revision INFO lines
        try:
            run_setup(echo=lambda *_: None)
        finally:
            logging.disable(logging.NOTSET)
        with write_intent():
            officer = accounts.create_user(
                username="petugas.bench",
                display_name="Petugas Bench",
                role=Role.OFFICER,
                password="kata-sandi-bench-1",  # noqa: S106  (a throwaway database)
                must_change_password=False,
            )
            event = events.create_event(
                title="Sosialisasi Bench",
                village_code=VILLAGE,
                held_on=dt.date.today(),
                place="Balai Desa",
                officer_ids=[officer.id],
                lesson_slugs=LESSONS,
                actor=officer,
            )
            code = event.join_code
            db.session.execute(text(BARE_TABLE))
            quiz = quizzes.get_quiz(PRETEST)
            shares, count = [], 0
            for _client in range(clients):
                share = []
                while len(share) < BURST_PER_CLIENT:
                    count += 1  # one open attempt per user, quiz and context
                    attempt, token = quizzes.start_attempt(
                        officer, quiz, context=f"bench-burst-{count}", rng=random.Random(count)
                    )
                    share.extend(
                        {
                            "path": f"/quizzes/attempts/{attempt.id}/answers",
                            "token": token,
                            "question": item["v"],
                            "choices": item["o"][:1],
                        }
                        for item in attempt.items
                    )
                shares.append(share[:BURST_PER_CLIENT])
            db.session.commit()
            db.session.remove()
    return code, shares


class Server:
    """The app under waitress in a thread, on 127.0.0.1 and a free port."""

    def __init__(self, app):
        import waitress

        self.server = waitress.create_server(
            app, host=HOST, port=0, threads=SERVER_THREADS, ident="sadar-imigrasi"
        )
        self.port = self.server.effective_port
        self.thread = threading.Thread(target=self.server.run, name="waitress", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        from waitress import wasyncore

        # Close the listener and every channel from the server's own loop thread: its map
        # empties and run() returns. Then stop the worker threads.
        self.server.trigger.pull_trigger(lambda: wasyncore.close_all(self.server._map))
        self.thread.join(timeout=5)
        self.server.task_dispatcher.shutdown(timeout=5)


def first_visit(port: int, code: str) -> list[tuple]:
    """One empty-cache phone opens the join link: every request of its first page view."""
    trace: list = []
    browser = Browser(port, Recorder(), trace)
    try:
        browser.go("GET", f"/j/{code}")
    finally:
        browser.close()
    return trace


def stored_ids(app) -> set[str]:
    """The client_answer_id of every row of quiz_answer."""
    from sqlalchemy import text

    from learning.extensions import db

    with app.app_context():
        rows = db.session.execute(text("SELECT client_answer_id FROM quiz_answer")).scalars()
        found = {str(uuid.UUID(str(value))) for value in rows}  # Uuid on SQLite: 32 hex digits
        db.session.remove()
    return found


def bare_ids(app) -> set[str]:
    from sqlalchemy import text

    from learning.extensions import db

    with app.app_context():
        found = set(db.session.execute(text("SELECT client_id FROM bench_insert")).scalars())
        db.session.remove()
    return found


# ---- report -----------------------------------------------------------------------------------


def mark(ok: bool) -> str:
    return "met" if ok else "NOT MET"


HEADER = (
    f"{'request':<52} {'count':>6} {'per s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}"
    f" {'errors':>6} {'SQL/req':>7}"
)


def table_row(label, latencies, wall, errors, sql=None) -> str:
    p50, p95, p99 = percentiles(latencies)
    return (
        f"{label:<52} {len(latencies):>6,} {len(latencies) / wall:>7.1f} {p50:>7.1f} {p95:>7.1f}"
        f" {p99:>7.1f} {errors:>6} {'' if sql is None else f'{sql:.1f}':>7}"
    )


def sql_of(kind: str, sql: dict[str, float]):
    return sql.get("GET /static/*" if "/static/" in kind else kind)


def print_first_visit(trace) -> None:
    print("First visit of the kiosk welcome page (phone with an empty cache, join link):")
    body_total = head_total = 0
    for method, path, reply, body, head in trace:
        control = reply.getheader("Cache-Control") or "-"
        encoding = reply.getheader("Content-Encoding") or "identity"
        ctype = (reply.getheader("Content-Type") or "-").split(";")[0]
        print(
            f"  {method} {path:<34} {reply.status} {body:>8,} B body {head:>5,} B headers"
            f"  {ctype:<16} {encoding:<8} Cache-Control: {control}"
        )
        body_total += body
        head_total += head
    print(
        f"  total: {len(trace)} requests, {body_total:,} B of bodies + {head_total:,} B of"
        f" headers = {body_total + head_total:,} B (gzip was accepted by the client)"
    )
    print()


def print_event(label, rec: Recorder, wall, participants, stored, aim_p95, sql) -> list[str]:
    """Print one run's table and checks; return the failed checks."""
    print(f"{label}: {participants} participants at once; wall time {wall:.1f} s")
    print(HEADER)
    print("-" * len(HEADER))
    everything = []
    for kind in sorted(rec.latencies, key=lambda k: (k.split(" ", 1)[1], k)):
        print(table_row(kind, rec.latencies[kind], wall, rec.errors[kind], sql_of(kind, sql)))
        everything.extend(rec.latencies[kind])
    print("-" * len(HEADER))
    print(table_row("all requests", everything, wall, sum(rec.errors.values())))
    acked = set(rec.acked)
    lost = len(acked - stored)
    errors = sum(rec.errors.values())
    ways = sorted(rec.way_seconds)
    print(
        f"participants who finished the way: {rec.finished} of {participants}"
        + (
            f"; time per participant: median {statistics.median(ways):.1f} s, max {ways[-1]:.1f} s"
            if ways
            else ""
        )
    )
    print(
        f"answers: {rec.answers_sent:,} sent, {len(acked):,} acknowledged 200, of which in"
        f" quiz_answer {len(acked & stored):,}: answers lost {lost} (aim 0): {mark(not lost)}"
    )
    print(f"errors (non-2xx/3xx or no reply): {errors} (aim 0): {mark(not errors)}")
    failed = []
    if aim_p95:
        p95 = percentiles(everything)[1]
        worst = max(rec.latencies, key=lambda k: percentiles(rec.latencies[k])[1])
        worst_p95 = percentiles(rec.latencies[worst])[1]
        print(
            f"p95 of all requests {p95:.1f} ms (aim < {AIM_P95_MS:.0f} ms):"
            f" {mark(p95 < AIM_P95_MS)};"
            f" slowest kind at p95: {worst} {worst_p95:.1f} ms ({mark(worst_p95 < AIM_P95_MS)})"
        )
    for sample in rec.samples:
        print(f"  error e.g. {sample}")
    for reason, n in Counter(rec.abandoned).most_common(5):
        print(f"  gave up ({n}x): {reason}")
    print()
    if lost:
        failed.append(f"{label}: {lost} acknowledged answers are not in quiz_answer")
    if errors:
        failed.append(f"{label}: {errors} errors")
    if rec.finished < participants:
        failed.append(f"{label}: {participants - rec.finished} participants could not finish")
    return failed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--participants", type=int, default=60, help="participants at once (default 60)"
    )
    parser.add_argument("--skip-realistic", action="store_true", help="no run with think time")
    parser.add_argument("--skip-stress", action="store_true", help="no run without think time")
    args = parser.parse_args(argv)
    if not 1 <= args.participants <= 90:
        parser.error("--participants must be between 1 and 90 (waitress keeps 100 connections)")

    # SIGTERM ends the run like Ctrl+C does: through the finally below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    tmp = Path(tempfile.mkdtemp(prefix="bench_event_"))
    # The app must not read or write the project's instance folder.
    os.environ["INSTANCE_PATH"] = str(tmp / "instance")
    app = server = pool = None
    try:
        from importlib.metadata import version

        import sqlalchemy

        n = args.participants
        started = time.perf_counter()
        app = make_app(f"sqlite:///{tmp / 'bench_event.db'}")
        code, shares = prepare(app, n)
        # After the setup: alembic's fileConfig in the migrations' env.py disables the loggers
        # that exist when it runs (waitress's among them). Count instead of printing.
        log = ServerLog()
        for logger in (
            app.logger,
            logging.getLogger("waitress"),
            logging.getLogger("waitress.queue"),
        ):
            logger.handlers[:] = [log]
            logger.propagate = False
            logger.disabled = False
        print(f"database set up ({time.perf_counter() - started:.1f} s)", file=sys.stderr)
        # The load generator: a process of its own (spawned: this one runs threads already).
        pool = multiprocessing.get_context("spawn").Pool(1)
        pool.apply(kind_of, ("GET", "/"))  # start it now, not inside a timed phase
        probe = Probe(app)
        server = Server(app)

        print(
            f"Sosialisasi event simulation: waitress, {SERVER_THREADS} threads, {HOST}; SQLite"
            f" file built by run_setup; event lessons {', '.join(LESSONS)}; join by code"
        )
        print(
            f"Python {platform.python_version()}, Flask {version('flask')}, SQLAlchemy"
            f" {sqlalchemy.__version__}, waitress {version('waitress')}, SQLite"
            f" {sqlite3.sqlite_version}; {os.cpu_count()} CPU(s); load from a separate process"
        )
        print()
        print_first_visit(first_visit(server.port, code))

        failed: list[str] = []
        results = {}
        runs = []
        if not args.skip_realistic:
            runs.append(("Realistic run (think time 1-3 s before each step)", True))
        if not args.skip_stress:
            runs.append(("Stress run (no think time)", False))
        for index, (label, realistic) in enumerate(runs):
            print(f"{label}: running", file=sys.stderr)
            before = probe.snapshot()
            rec, wall = pool.apply(load_event, (server.port, code, n, realistic, index * n, index))
            sql = Probe.per_request(before, probe.snapshot())
            results[realistic] = (rec, wall, sql)
            failed += print_event(label, rec, wall, n, stored_ids(app), realistic, sql)

        print("answer save and bare insert bursts: running", file=sys.stderr)
        # Alternate halves (answers, inserts, answers, inserts): the state of the database
        # and of the machine weighs on both alike.
        answers, bare = Recorder(), Recorder()
        walls = {"answers": 0.0, "bare": 0.0}
        totals = {"answers": (Counter(), Counter()), "bare": (Counter(), Counter())}
        half = BURST_PER_CLIENT // 2
        for part in (slice(0, half), slice(half, BURST_PER_CLIENT)):
            for name, rec, work in (
                ("answers", answers, [share[part] for share in shares]),
                ("bare", bare, [[None] * (part.stop - part.start)] * n),
            ):
                before = probe.snapshot()
                got, wall = pool.apply(load_burst, (server.port, work))
                after = probe.snapshot()
                rec.merge(got)
                walls[name] += wall
                for total, a, b in zip(totals[name], after, before, strict=True):
                    total.update(a - b)
        answers_wall, bare_wall = walls["answers"], walls["bare"]
        empty = (Counter(), Counter())
        sql = Probe.per_request(empty, totals["answers"]) | Probe.per_request(empty, totals["bare"])
        stored, bare_stored = stored_ids(app), bare_ids(app)

        print(
            f"Answer save against a bare insert: {n} clients at once on their own connections,"
            f" {BURST_PER_CLIENT} requests each"
        )
        print(HEADER)
        print("-" * len(HEADER))
        answer_kind = "POST /quizzes/attempts/<id>/answers (JSON)"
        for label, rec, wall in (
            ("answer save alone (JSON, open pre-test attempts)", answers, answers_wall),
            ("bare insert: POST /bench/insert, 1 row + commit", bare, bare_wall),
        ):
            kind = next(iter(rec.latencies))
            print(table_row(label, rec.latencies[kind], wall, rec.errors[kind], sql.get(kind)))
        if False in results:
            rec, wall, in_sql = results[False]
            print(
                table_row(
                    "answer save within the stress run",
                    rec.latencies[answer_kind],
                    wall,
                    rec.errors[answer_kind],
                    in_sql.get(answer_kind),
                )
            )
        answer_rate = len(answers.acked) / answers_wall
        bare_rate = len(bare.acked) / bare_wall
        ratio = answer_rate / bare_rate if bare_rate else 0.0
        lost = len(set(answers.acked) - stored)
        bare_lost = len(set(bare.acked) - bare_stored)
        errors = sum(answers.errors.values()) + sum(bare.errors.values())
        print(
            f"answer save / bare insert throughput: {answer_rate:.0f} / {bare_rate:.0f} per s ="
            f" {ratio:.2f} (aim >= {AIM_RATIO}): {mark(ratio >= AIM_RATIO)}"
        )
        print(
            f"answers acknowledged 200 {len(answers.acked):,}, lost {lost}; bare inserts"
            f" acknowledged {len(bare.acked):,}, missing rows {bare_lost}; errors {errors}"
            f" (aim 0): {mark(not (lost or bare_lost or errors))}"
        )
        for sample in answers.samples + bare.samples:
            print(f"  error e.g. {sample}")
        print()
        if lost or bare_lost:
            failed.append(f"bursts: {lost} answers and {bare_lost} inserts lost")
        if errors:
            failed.append(f"bursts: {errors} errors")

        exceptions, queue_warnings, max_queue = log.snapshot()
        print(
            f"Server side: {sum(exceptions.values())} exceptions logged by the app; waitress"
            f" task queue warnings {queue_warnings} (deepest queue {max_queue} requests)"
        )
        for message, count in exceptions.most_common():
            print(f"  {count}x {message}")
        print()
        print("ms = client-side latency of one request (send to last byte), keep-alive; a")
        print("redirect and the page it leads to are two requests. per s = requests / wall time")
        print("of the run. Static files are loaded once per phone and then revalidated on each")
        print("page when the server says Cache-Control: no-cache, as browsers do.")
        for problem in failed:
            print(f"FAILED: {problem}", file=sys.stderr)
        return 1 if failed else 0
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
        if server is not None:
            server.stop()
        if app is not None:
            from learning.extensions import db

            with app.app_context():
                db.engine.dispose()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
