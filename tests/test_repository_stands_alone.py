"""The repository stands alone: nothing in it points at a file outside it.

A reader who clones the repository has only what is in it, so every tracked
text file is scanned for references that would lead outside: `../` paths
that climb above the repository root, absolute paths into the machine it was
written on, the names of the team's private design notes, and relative links
in Markdown files whose target does not exist. The project's own
documentation is docs/.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Written in pieces so that this file does not trip its own check.
PRIVATE_NOTES = re.compile(
    r"\b(?:" + "DESIGN" + r"|" + "STYLE" + r"|" + "LIFECYCLE" + r")\.md\b|\b" + "shared" + r"/",
)
WORK_DIR = "/" + "work"
ABSOLUTE = re.compile(
    r"(?<![\w.~/-])(?:" + re.escape(WORK_DIR) + r"|" + re.escape(str(ROOT)) + r")(?![\w-])"
)
CLIMB = re.compile(r"(?<![\w./-])((?:\.\./)+[\w.@+-][\w./@+-]*)")
MARKDOWN_LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+[\"'][^)]*)?\)")
MARKDOWN_REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.MULTILINE)
HTML_LINK = re.compile(r"<a\s[^>]*href=[\"']([^\"']+)[\"']", re.IGNORECASE)
SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)
SKIPPED_DIRS = {".git", ".venv", "var", "node_modules", "__pycache__"}


def _tracked_files() -> list[Path]:
    """Tracked files and new ones not ignored (git ls-files); outside a git checkout (an
    unpacked archive), every file under the root."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],  # noqa: S607 - git from PATH, as a developer runs it
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
        names = [name for name in out.decode().split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        names = []
        for folder, dirs, files in os.walk(ROOT):
            dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS and not d.endswith(".egg-info")]
            names += [os.path.relpath(os.path.join(folder, f), ROOT) for f in files]
    return [ROOT / name for name in names if (ROOT / name).is_file()]


def _text(path: Path) -> str | None:
    data = path.read_bytes()
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _inside(target: Path) -> bool:
    return target.resolve().is_relative_to(ROOT)


def _line(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def markdown_anchors(text: str) -> set[str]:
    """The anchors GitHub gives a Markdown file's headings (`## Time: three clocks` ->
    `time-three-clocks`; a repeated heading gets -1, -2, ...)."""
    anchors: set[str] = set()
    for heading in HEADING.findall(FENCE.sub("", text)):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        anchor, n = slug, 0
        while anchor in anchors:
            n += 1
            anchor = f"{slug}-{n}"
        anchors.add(anchor)
    return anchors


def _link_problem(path: Path, text: str, target: str) -> str | None:
    """Why a Markdown link target is broken, or None."""
    relative, _, anchor = target.partition("#")
    relative = relative.split("?", 1)[0]
    if not relative:
        linked, linked_text = path, text
    else:
        linked = ROOT / relative.lstrip("/") if relative.startswith("/") else path.parent / relative
        if not _inside(linked) or not linked.resolve().exists():
            return "no such file"
        linked = linked.resolve()
        linked_text = (
            linked.read_text() if linked.suffix.lower() == ".md" and linked.is_file() else ""
        )
    if anchor and linked.suffix.lower() == ".md" and anchor not in markdown_anchors(linked_text):
        return "no such heading"
    return None


def problems_in(path: Path, text: str) -> list[str]:
    """What in one file refers outside the repository: 'path:line: why'."""
    name = path.relative_to(ROOT).as_posix()
    found = []
    for match in PRIVATE_NOTES.finditer(text):
        found.append(
            f"{name}:{_line(text, match.start())}: names {match.group(0)!r} (not here: see docs/)"
        )
    for match in ABSOLUTE.finditer(text):
        found.append(
            f"{name}:{_line(text, match.start())}: absolute path {match.group(0)!r} on this machine"
        )
    for match in CLIMB.finditer(text):
        if not _inside(path.parent / match.group(1)):
            found.append(
                f"{name}:{_line(text, match.start())}: {match.group(1)!r} climbs out of the root"
            )
    if path.suffix.lower() in (".md", ".markdown"):
        links = [
            *MARKDOWN_LINK.finditer(text),
            *MARKDOWN_REFERENCE.finditer(text),
            *HTML_LINK.finditer(text),
        ]
        for match in links:
            target = match.group(1)
            if SCHEME.match(target) or target.startswith("//"):
                continue
            why = _link_problem(path, text, target)
            if why is not None:
                found.append(f"{name}:{_line(text, match.start())}: {why}: link to {target!r}")
    return found


def test_no_file_refers_to_a_path_outside_the_repository():
    problems = []
    files = _tracked_files()
    assert len(files) > 50, "the scan found almost nothing: is this the repository?"
    for path in files:
        text = _text(path)
        if text is not None:
            problems += problems_in(path, text)
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("README.md", "The design is in `../" + "shared" + "/x.md`."),
        ("README.md", "The design is in `" + "../" * 2 + "notes/x.md`."),
        ("README.md", "See " + "DESIGN" + ".md, Layers."),
        ("billing/gateway.py", '"""As ' + "STYLE" + '.md says."""'),
        ("billing/gateway.py", "# from " + WORK_DIR + "/notes/x.txt"),
        (
            "stripe_emulator/README.md",
            "Behaviour follows [the reference](" + "../" * 2 + "elsewhere.md).",
        ),
        ("docs/api.md", "See [operations](operations-missing.md#budgets)."),
        ("docs/api.md", "[ref]: ./nowhere.md"),
        ("docs/api.md", "See [the clocks](architecture.md#four-clocks)."),
        ("docs/api.md", "See [below](#no-such-section)."),
    ],
)
def test_each_kind_of_outside_reference_is_caught(name, text):
    assert problems_in(ROOT / name, text) != []


@pytest.mark.parametrize(
    ("name", "text"),
    [
        (
            "README.md",
            "See [the architecture](docs/architecture.md#layers) and [Stripe](https://docs.stripe.com/webhooks).",
        ),
        ("docs/api.md", "Back to the [README](../README.md); [ids](architecture.md#idempotency)."),
        ("tests/settings.py", "# the worker a test starts (tests/worker.py)"),
        ("billing/tasks.py", "from .services import events  # shared_task"),
    ],
)
def test_references_inside_the_repository_pass(name, text):
    assert problems_in(ROOT / name, text) == []
