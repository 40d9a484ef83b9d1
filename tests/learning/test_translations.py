"""The English catalogue: complete, compiled, and with the same placeholders as the source."""

import re
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

CATALOG = Path(__file__).resolve().parents[2] / "learning" / "translations" / "en" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def forms(value) -> tuple[str, ...]:
    """A message id or string as a tuple of its forms (plural messages have several)."""
    return tuple(value) if isinstance(value, list | tuple) else (value,)


def test_every_message_has_an_english_translation_with_the_same_placeholders():
    with open(CATALOG / "messages.po", "rb") as fh:
        catalog = read_po(fh)
    missing, mismatched = [], []
    for message in catalog:
        if not message.id:
            continue
        ids, strings = forms(message.id), forms(message.string)
        if not all(strings) or message.fuzzy:
            missing.append(message.id)
        elif any(
            sorted(PLACEHOLDER.findall(ids[min(i, len(ids) - 1)])) != sorted(PLACEHOLDER.findall(s))
            for i, s in enumerate(strings)
        ):
            mismatched.append(message.id)
    assert missing == [] and mismatched == []


def test_the_compiled_catalogue_matches_the_source():
    """pybabel compile must be run after editing messages.po (the .mo is what the app reads)."""
    with open(CATALOG / "messages.po", "rb") as fh:
        source = {forms(m.id): forms(m.string) for m in read_po(fh) if m.id}
    with open(CATALOG / "messages.mo", "rb") as fh:
        compiled = {forms(m.id): forms(m.string) for m in read_mo(fh) if m.id}
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
        extracted = {forms(m.id) for m in read_po(fh) if m.id}
    with open(CATALOG / "messages.po", "rb") as fh:
        known = {forms(m.id) for m in read_po(fh) if m.id}
    assert sorted(extracted - known) == []
