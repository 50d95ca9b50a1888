"""The message catalogues: every one compiles, and where two areas translate the same English text they
translate it alike (Flask-Babel merges them, and a later one would silently win)."""

from __future__ import annotations

from collections import defaultdict

from babel.messages.pofile import read_po

from registry.web.catalogues import sources


def test_areas_that_share_an_english_text_give_it_one_chinese_translation() -> None:
    translations: dict[str, dict[str, str]] = defaultdict(dict)
    for po in sources():
        with po.open("rb") as f:
            for message in read_po(f, abort_invalid=True):
                if message.id and message.string:
                    translations[str(message.id)][str(po.relative_to(po.parents[3]))] = str(message.string)
    clashes = {text: by for text, by in translations.items() if len(set(by.values())) > 1}
    assert not clashes, clashes


def test_every_catalogue_translates_every_message_it_lists() -> None:
    for po in sources():
        with po.open("rb") as f:
            untranslated = [m.id for m in read_po(f) if m.id and not m.string]
        assert not untranslated, (po, untranslated[:5])
