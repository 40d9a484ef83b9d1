"""The English catalogue: complete, compiled, and with the same placeholders as the source."""

import re
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

CATALOG = Path(__file__).resolve().parents[2] / "learning" / "translations" / "en" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def test_every_message_has_an_english_translation_with_the_same_placeholders():
    with open(CATALOG / "messages.po", "rb") as fh:
        catalog = read_po(fh)
    missing, mismatched = [], []
    for message in catalog:
        if not message.id:
            continue
        if not message.string or message.fuzzy:
            missing.append(message.id)
        elif sorted(PLACEHOLDER.findall(message.id)) != sorted(PLACEHOLDER.findall(message.string)):
            mismatched.append(message.id)
    assert missing == [] and mismatched == []


def test_the_compiled_catalogue_matches_the_source():
    """pybabel compile must be run after editing messages.po (the .mo is what the app reads)."""
    with open(CATALOG / "messages.po", "rb") as fh:
        source = {m.id: m.string for m in read_po(fh) if m.id}
    with open(CATALOG / "messages.mo", "rb") as fh:
        compiled = {m.id: m.string for m in read_mo(fh) if m.id}
    assert compiled == source


def test_every_interface_string_is_in_the_catalogue(tmp_path, monkeypatch):
    """Run `pybabel extract` and `pybabel update` after adding strings (see the README)."""
    from babel.messages.frontend import CommandLineInterface

    pot = tmp_path / "messages.pot"
    monkeypatch.chdir(CATALOG.parents[3])
    CommandLineInterface().run(
        [
            "pybabel",
            "-q",
            "extract",
            "-F",
            "pyproject.toml",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            ".",
        ]
    )
    with open(pot, "rb") as fh:
        extracted = {m.id for m in read_po(fh) if m.id}
    with open(CATALOG / "messages.po", "rb") as fh:
        known = {m.id for m in read_po(fh) if m.id}
    assert sorted(extracted - known) == []
