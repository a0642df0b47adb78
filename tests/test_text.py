"""French analysis: folding, elisions, stop words, Snowball stems (PyStemmer) and their quirks."""

from __future__ import annotations

from watcher.text import USES_PYSTEMMER, content_stems, fold, stem, tokenize


def test_pystemmer_backs_snowball() -> None:
    assert USES_PYSTEMMER


def test_folding_expands_ligatures_and_drops_accents() -> None:
    assert fold("Œuvre sœur Hôpital ÉTÉ") == "oeuvre soeur hopital ete"


def test_elisions_are_split_and_stop_words_flagged() -> None:
    tokens = tokenize("L'hôpital d'Orléans qu'on ferme, aujourd'hui")
    assert [t.surface for t in tokens][:4] == ["L", "hôpital", "d", "Orléans"]
    assert "aujourd'hui" in [t.surface for t in tokens]
    assert content_stems("l'hôpital et les urgences") == ["hopital", "urgenc"]


def test_gender_number_and_accent_variants_share_a_stem() -> None:
    # Snowball alone gives « infirmier » for the unaccented plural and « infirmi » for the others.
    variants = {stem(word) for word in ("infirmier", "infirmiers", "infirmière", "infirmières", "INFIRMIERES")}
    assert len(variants) == 1
    assert stem("hôpitaux") == stem("hôpital")
    assert stem("étrangers") == stem("étranger") == stem("étrangère")


def test_colliding_stems_are_kept_apart() -> None:
    assert stem("urgentistes") != stem("urgente")
    assert stem("généralistes") != stem("général")
    assert stem("soignants") == stem("soignante") != stem("soigner")
    assert stem("effectifs") == stem("effectif") != stem("effectivement")


def test_the_per_word_caches_stop_at_their_bound() -> None:
    # A service that runs for years keeps meeting new words: its caches per word must not grow with them.
    from datetime import UTC, datetime

    from watcher import search, stories, text

    words = [f"mot{n:x}q" for n in range(text.WORD_CACHE_SIZE + 500)]  # letters and digits: one word each
    lines = [" ".join(words[n : n + 50]) for n in range(0, len(words), 50)]
    at = datetime(2026, 3, 2, tzinfo=UTC)
    caches = (text._token, stories._word_hash)
    try:
        stories.story_docs([(line, "", at, None) for line in lines])
        for line in lines:
            search.search_stems(line)
        assert [cache.cache_info().currsize <= text.WORD_CACHE_SIZE for cache in caches] == [True, True]
        assert text._token.cache_info().currsize == text.WORD_CACHE_SIZE  # full: the bound, not the words, stopped it
    finally:
        for cache in caches:
            cache.cache_clear()  # the made-up words would crowd out the real ones for the tests that follow
