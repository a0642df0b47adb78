"""Near-duplicate search: same wire copy in several outlets is one story; different events stay apart."""

from __future__ import annotations

from datetime import UTC, datetime

from watcher.stories import StoryIndex, signature, signature_bytes, signature_from_bytes, story_doc, story_words

AT = datetime(2026, 11, 20, 8, tzinfo=UTC)

WIRE = (
    "Grève des médecins libéraux : les cabinets fermés du 1er au 7 décembre",
    "L'intersyndicale des médecins libéraux appelle à fermer les cabinets une semaine pour protester "
    "contre le budget de la Sécurité sociale, ont annoncé les syndicats mardi.",
)
RETITLED = (
    "Les cabinets médicaux fermés une semaine : les médecins libéraux en grève du 1er au 7 décembre",
    "L'intersyndicale des médecins libéraux appelle à fermer les cabinets une semaine pour protester "
    "contre le budget de la Sécurité sociale, ont annoncé les syndicats mardi.",
)
OTHER_TOWN = (
    "Mayenne : les urgences de Laval fermées la nuit",
    "Faute de médecins urgentistes, le service des urgences de l'hôpital de Laval fermera chaque nuit.",
)
SIMILAR_OTHER_TOWN = (
    "Creuse : les urgences de Guéret fermées le week-end",
    "Faute de médecins urgentistes, le service des urgences de l'hôpital de Guéret fermera le week-end.",
)


def _add(index: StoryIndex, key: str, story: str, text: tuple[str, str]) -> None:
    index.add(key, story, story_doc(*text, AT))


def _find(index: StoryIndex, text: tuple[str, str]) -> object:
    return index.find_story(story_doc(*text, AT))


def test_retitled_wire_copy_joins_the_story() -> None:
    index = StoryIndex()
    _add(index, "a", "s1", WIRE)
    _add(index, "b", "s2", OTHER_TOWN)
    assert _find(index, RETITLED) == "s1"


def test_a_similar_event_elsewhere_stays_apart() -> None:
    index = StoryIndex()
    _add(index, "b", "s2", OTHER_TOWN)
    assert _find(index, SIMILAR_OTHER_TOWN) is None


def test_short_texts_never_merge() -> None:
    index = StoryIndex()
    _add(index, "a", "s1", ("Grève", ""))
    assert len(index) == 0 and _find(index, ("Grève", "")) is None


def test_signature_round_trips_through_storage() -> None:
    words = story_words(*WIRE)
    original = signature(words)
    restored = signature_from_bytes(signature_bytes(original))
    assert restored.jaccard(original) == 1.0
    index = StoryIndex()
    index.add("a", "s1", story_doc(*WIRE, AT, restored))
    assert _find(index, RETITLED) == "s1"
