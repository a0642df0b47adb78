"""Near-duplicate search: same wire copy in several outlets is one story; different events stay apart."""

from __future__ import annotations

import pickle
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from watcher.minhash import MinHash
from watcher.stories import (
    MINHASH_SCHEME,
    StoryIndex,
    _beside_text,
    _cosine_ceiling,
    _Idf,
    _out_of_reach,
    _Query,
    _text_cosine,
    signature,
    signature_bytes,
    signature_from_bytes,
    signatures,
    story_doc,
    story_docs,
    story_words,
)
from watcher.story_evidence import Evidence, shipped_scorer

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
    # The LSH bands hash the values' bytes: they must have the dtype a MinHash is built with.
    built = MinHash(num_perm=128, scheme=MINHASH_SCHEME, hashvalues=np.frombuffer(signature_bytes(original), np.uint32))
    assert restored.hashvalues.dtype == built.hashvalues.dtype and restored == built
    with pytest.raises(ValueError, match="64 values where 128"):
        signature_from_bytes(signature_bytes(original)[:256])
    index = StoryIndex()
    index.add("a", "s1", story_doc(*WIRE, AT, restored))
    assert _find(index, RETITLED) == "s1"


def test_signatures_made_together_are_those_of_update_batch() -> None:
    # Stored signatures are read back and compared with new ones: the values must not depend on how they are made.
    rng = random.Random(7)
    vocabulary = [f"mot{n}é" for n in range(2000)]
    sets = [frozenset(rng.sample(vocabulary, rng.randrange(0, 90))) for _ in range(150)] + [frozenset()]
    for words, made in zip(sets, signatures(sets), strict=True):
        reference = MinHash(num_perm=128)
        reference.update_batch([word.encode() for word in sorted(words)])
        assert signature_bytes(made) == signature_bytes(reference)
        assert made.hashvalues.dtype == reference.hashvalues.dtype and made == reference


def test_story_docs_are_the_story_doc_of_each_item() -> None:
    together = story_docs([(*WIRE, AT, None), (*RETITLED, AT, None), ("", "", AT, None)])
    alone = [story_doc(*WIRE, AT), story_doc(*RETITLED, AT), story_doc("", "", AT)]
    assert [signature_bytes(doc.minhash) for doc in together] == [signature_bytes(doc.minhash) for doc in alone]
    assert [doc.terms for doc in together] == [doc.terms for doc in alone]


# --- stage 2: same event within the window ------------------------------------------------------

ANNOUNCEMENT = (
    "Hôpital de Laval : l'ARS annonce la fermeture nocturne des urgences dès lundi",
    "Faute d'urgentistes, l'agence régionale de santé des Pays de la Loire ferme les urgences du centre "
    "hospitalier de Laval la nuit ; le maire, Florian Bercault, dénonce « un abandon ».",
)
REACTION = (
    "Urgences fermées la nuit à Laval : Florian Bercault réclame un moratoire à l'ARS",
    "Le maire de Laval demande au ministre de revenir sur la fermeture nocturne décidée par l'agence "
    "régionale de santé des Pays de la Loire, qui invoque le manque d'urgentistes.",
)
STRIKE_DAY_ONE = (
    "Grève des infirmiers libéraux le 5 mars : cabinets fermés dans toute la France",
    "Les syndicats d'infirmiers libéraux appellent à fermer les cabinets contre la baisse des indemnités.",
)
STRIKE_DAY_TWO = (
    "Grève des infirmiers libéraux le 12 mars : cabinets fermés dans toute la France",
    "Les syndicats d'infirmiers libéraux appellent à fermer les cabinets contre la baisse des indemnités.",
)


def test_a_follow_up_with_other_words_joins_its_event() -> None:
    index = StoryIndex()
    index.add("a", "s1", story_doc(*ANNOUNCEMENT, AT))
    index.add("b", "s2", story_doc(*OTHER_TOWN, AT))
    assert index.find_story(story_doc(*REACTION, AT + timedelta(hours=20))) == "s1"


def test_a_follow_up_after_the_window_starts_a_new_story() -> None:
    index = StoryIndex()
    index.add("a", "s1", story_doc(*ANNOUNCEMENT, AT))
    assert index.find_story(story_doc(*REACTION, AT + timedelta(hours=80))) is None
    assert len(index) == 0  # the old item left the window: memory does not grow with history


def test_two_strike_days_in_the_same_words_stay_apart() -> None:
    index = StoryIndex()
    index.add("a", "s1", story_doc(*STRIKE_DAY_ONE, AT))
    assert index.find_story(story_doc(*STRIKE_DAY_TWO, AT + timedelta(hours=2))) is None


def test_index_size_is_capped() -> None:
    index = StoryIndex(max_items=3)
    for number in range(5):
        index.add(f"k{number}", f"s{number}", story_doc(f"Titre {number} urgences hôpital Laval", f"Texte {number} "
                                                         "fermeture nuit médecins", AT))  # fmt: skip
    assert len(index) == 3


# --- vetoes: what tells two events apart ------------------------------------------------------------

CONTROLLERS = (
    "Grève à la SNCF : les contrôleurs maintiennent leur préavis pour Noël",
    "SUD-Rail et la CGT ont confirmé lundi le mouvement des contrôleurs de la SNCF pour le week-end de Noël ; "
    "la direction prévoit d'annuler un TGV sur trois.",
)
CONTROLLERS_FOLLOW_UP = (
    "Grèves des trains : le gouvernement demande aux contrôleurs de renoncer",
    "À la veille du week-end de Noël, le ministre des transports appelle SUD-Rail et la CGT à lever le préavis "
    "des contrôleurs de la SNCF.",
)


def test_a_plural_kicker_is_not_another_place() -> None:
    # « Grèves des trains » and « Grève à la SNCF » head the same strike: the kicker veto is for places.
    index = StoryIndex()
    index.add("a", "s1", story_doc(*CONTROLLERS, AT))
    assert index.find_story(story_doc(*CONTROLLERS_FOLLOW_UP, AT + timedelta(hours=30))) == "s1"


LAVAL_NIGHTS = (
    "Laval : les urgences fermées la nuit faute de médecins",
    "Le centre hospitalier réoriente les patients vers le Samu de 18 heures à 8 heures jusqu'à nouvel ordre, "
    "faute d'urgentistes.",
)
VIRE_NIGHTS = (
    "Vire : les urgences fermées la nuit faute de médecins",
    "Le centre hospitalier réoriente les patients vers le Samu de 18 heures à 8 heures jusqu'à nouvel ordre, "
    "faute d'urgentistes.",
)


def test_two_towns_in_the_same_words_stay_apart() -> None:
    # Near-duplicate text, yet two closures: the place in the kicker vetoes stage 1 as well as stage 2.
    index = StoryIndex()
    index.add("a", "s1", story_doc(*LAVAL_NIGHTS, AT))
    assert index.find_story(story_doc(*VIRE_NIGHTS, AT + timedelta(hours=1))) is None


def test_a_kicker_without_the_french_space_is_a_kicker() -> None:
    # Some outlets write « Toulon: » rather than « Toulon : »; the place veto must see it all the same.
    index = StoryIndex()
    index.add("a", "s1", story_doc(LAVAL_NIGHTS[0].replace(" :", ":"), LAVAL_NIGHTS[1], AT))
    assert index.find_story(story_doc(VIRE_NIGHTS[0].replace(" :", ":"), VIRE_NIGHTS[1], AT)) is None


def test_a_number_inside_a_name_is_not_a_figure() -> None:
    # « Covid-19 » would otherwise hand every Covid article a shared rare « number ».
    title = "Covid-19 : au moins 120 services d'urgences en difficulté"
    entities = story_doc(title, "Selon Samu-Urgences de France.", AT).entities
    assert "n:120" in entities and "n:19" not in entities


def test_items_arriving_out_of_order_leave_the_window_by_their_own_time() -> None:
    """A recent item indexed first must not keep older ones, indexed after it, past the window."""
    index = StoryIndex()
    index.add("recent", "s1", story_doc("Urgences de Laval : fermeture la nuit", "Faute de médecins, dès lundi.", AT))
    index.add(
        "old",
        "s2",
        story_doc(
            "Grève des internes à Rennes", "Les internes du CHU de Rennes cessent le travail.", AT - timedelta(hours=60)
        ),
    )
    later = story_doc(
        "Pénurie de pédiatres à Brest", "Le service de pédiatrie de Brest réduit ses lits.", AT + timedelta(hours=20)
    )
    index.add("later", "s3", later)
    assert len(index) == 2  # « old » is 80 h behind the newest item, out of the window


# A weekly column told in the same words: each issue is a near-duplicate of the previous one.
COLUMN = (
    "Urgences de Laval : les fermetures de nuit continuent, faute d'urgentistes",
    "L'agence régionale de santé des Pays de la Loire maintient la fermeture nocturne des urgences du centre "
    "hospitalier de Laval, faute d'urgentistes pour tenir les gardes.",
)


def test_a_story_takes_no_item_a_week_after_it_began() -> None:
    # Each item is within the 72 h window of the previous one: without a limit, the chain would never end.
    index = StoryIndex()
    stories = []
    for day in (0.0, 2.5, 5.0, 7.5):
        doc = story_doc(*COLUMN, AT + timedelta(days=day))
        found = index.find_story(doc)
        story = found if found is not None else f"s{day}"
        stories.append(story)
        index.add(f"item{day}", story, doc)
    assert stories == ["s0.0", "s0.0", "s0.0", "s7.5"]


def test_when_a_story_began_survives_its_first_items() -> None:
    # After a restart only the recent items are indexed again; the story's start is passed along with them.
    index = StoryIndex()
    index.add("item5", "s1", story_doc(*COLUMN, AT + timedelta(days=5)), opened=AT)
    assert index.find_story(story_doc(*COLUMN, AT + timedelta(days=6))) == "s1"
    assert index.find_story(story_doc(*COLUMN, AT + timedelta(days=7, hours=1))) is None


def test_a_hyphenated_name_is_one_name() -> None:
    summary = "En Seine-Saint-Denis, Jean-Luc Mélenchon et le Covid-19."
    doc = story_doc("Royaume-Uni : grève des infirmières", summary, AT)
    names = {entity for entity in doc.entities if entity.startswith("e:")}
    # « Covid-19 » is not a hyphenated name (a figure in it): its name is « Covid », as before.
    assert names == {"e:royaume-uni", "e:seine-saint-denis", "e:jean-luc", "e:melenchon", "e:covid"}


def test_a_shared_departement_alone_does_not_make_one_event() -> None:
    # « Seine-Saint-Denis » used to weigh as three rare names, enough with a few common words to merge these two.
    pools = (
        "JO 2024 : la Seine-Saint-Denis mise sur les Jeux pour combler le manque de piscines",
        "Département le moins bien doté, la Seine-Saint-Denis espère que les équipements des Jeux "
        "l'aideront à rattraper son retard et son manque de moyens.",
    )
    psychiatry = (
        "« Par manque de moyens, la pédopsychiatrie doit trier les enfants »",
        "Les chefs de service de pédopsychiatrie de Seine-Saint-Denis sonnent l'alarme sur le manque de moyens "
        "et le retard du département.",
    )
    index = StoryIndex()
    index.add("pools", "s1", story_doc(*pools, AT))
    assert index.find_story(story_doc(*psychiatry, AT + timedelta(hours=20))) is None


def test_a_document_keeps_its_words_once_and_gives_them_back() -> None:
    doc = story_doc(*WIRE, AT)
    assert doc.words == story_words(*WIRE)
    assert doc.words < doc.terms.keys()  # read from the terms, not held a second time
    assert doc.entities <= doc.terms.keys()


def test_a_document_between_processes_is_the_same_document() -> None:
    dated = story_doc(*STRIKE_DAY_ONE, AT)
    placed = story_doc(*OTHER_TOWN, AT)  # « Mayenne : … »
    undated = story_doc(*OTHER_TOWN[::-1], AT)  # a lead for a title: no kicker, no date
    for doc in (dated, placed, undated):
        back = pickle.loads(pickle.dumps(doc))
        assert back == replace(doc, minhash=back.minhash)
        assert signature_bytes(back.minhash) == signature_bytes(doc.minhash)
    assert dated.title_dates and placed.kicker
    # The index holds thousands of documents: the sets most of them leave empty are one object.
    empty = pickle.loads(pickle.dumps(undated))
    assert empty.kicker is empty.title_dates is empty.dates is undated.kicker


# A strike day announced, then its eve: one date and its strikers in common, little else.
STRIKE_CALL = (
    "Grève du 5 mars chez les infirmiers libéraux : les syndicats appellent à fermer les cabinets",
    "Les infirmières et infirmiers libéraux dénoncent la baisse de leurs indemnités kilométriques.",
)
STRIKE_EVE = (
    "Grève des infirmiers du 5 mars : ce qui change pour les patients soignés à domicile",
    "Les soins à domicile seront assurés en cas d'urgence, précisent les organisations d'infirmiers.",
)


def test_the_same_date_in_two_titles_makes_one_event_with_fewer_words_in_common() -> None:
    index = StoryIndex()
    index.add("call", "s1", story_doc(*STRIKE_CALL, AT))
    assert index.find_story(story_doc(*STRIKE_EVE, AT + timedelta(hours=30))) == "s1"


def test_two_strikes_of_two_professions_on_the_same_day_stay_apart() -> None:
    rail = (
        "Grève du 5 mars à la SNCF : le trafic des TER et des TGV perturbé",
        "Les syndicats de cheminots appellent à la grève contre la réforme des retraites ; trois TGV sur cinq.",
    )
    pharmacies = (
        "Grève du 5 mars : les pharmaciens ferment leurs officines",
        "Les syndicats de pharmaciens appellent à fermer les officines pour protester contre la baisse des marges.",
    )
    index = StoryIndex()
    index.add("call", "s1", story_doc(*STRIKE_CALL, AT))
    assert index.find_story(story_doc(*rail, AT + timedelta(hours=3))) is None
    assert index.find_story(story_doc(*pharmacies, AT + timedelta(hours=3))) is None


def test_two_events_in_one_hospital_on_consecutive_days_stay_apart() -> None:
    # The hospital's name in both titles, and its words in both leads: more in common than most follow-ups have.
    closure = (
        "CHU de Nantes : les urgences fermées la nuit faute de médecins",
        "Le service des urgences adultes du CHU de Nantes fermera de 20 heures à 8 heures à partir de lundi.",
    )
    assault = (
        "CHU de Nantes : une infirmière agressée aux urgences",
        "Une infirmière des urgences du CHU de Nantes a été frappée par un patient ; l'établissement porte plainte.",
    )
    index = StoryIndex()
    index.add("closure", "s1", story_doc(*closure, AT))
    assert index.find_story(story_doc(*assault, AT + timedelta(hours=10))) is None


# Two stages of one bill, written after a real pair of 2022 that the learned scorer joined at 1.00: every name and
# most words in common, and the first title even says « adopter définitivement ».
BILL_49_3 = (
    "Budget de la Sécurité sociale : la Première ministre recourt une nouvelle fois au 49.3 pour faire adopter "
    "définitivement le texte",
    "Le gouvernement engage sa responsabilité sur le projet de loi de financement de la Sécurité sociale à "
    "l'Assemblée nationale ; les oppositions annoncent des motions de censure.",
)
BILL_ADOPTED = (
    "Le budget de la Sécurité sociale définitivement adopté par le Parlement",
    "Le projet de loi de financement de la Sécurité sociale a été définitivement adopté, après le rejet des motions "
    "de censure déposées à l'Assemblée nationale.",
)
BILL_CENSURE = (
    "Après le 49.3 sur le budget de la Sécurité sociale, deux motions de censure déposées",
    "Les oppositions déposent deux motions de censure contre le gouvernement, qui a engagé sa responsabilité sur le "
    "projet de loi de financement de la Sécurité sociale à l'Assemblée nationale.",
)


def test_two_stages_of_one_bill_days_apart_stay_apart() -> None:
    index = StoryIndex()
    index.add("49.3", "s1", story_doc(*BILL_49_3, AT))
    assert index.find_story(story_doc(*BILL_ADOPTED, AT + timedelta(hours=54))) is None


def test_a_49_3_and_its_motions_of_censure_the_same_day_are_one_event() -> None:
    index = StoryIndex()
    index.add("49.3", "s1", story_doc(*BILL_49_3, AT))
    assert index.find_story(story_doc(*BILL_CENSURE, AT + timedelta(hours=3))) == "s1"


def test_a_kicker_naming_a_trade_is_no_place_to_disagree_on() -> None:
    # From the demo: the pharmacies' closing day in two outlets, one opening on who acts, the other on its section.
    announced = (
        "Pharmaciens : les officines baisseront le rideau le 28 novembre",
        "Les syndicats de pharmaciens appellent à fermer les officines le 28 novembre contre la baisse des marges ; "
        "des pharmacies de garde resteront ouvertes.",
    )
    practical = (
        "Santé : les pharmacies fermées le 28 novembre, gardes assurées",
        "Les pharmacies fermeront le 28 novembre à l'appel des syndicats ; les officines de garde seront ouvertes.",
    )
    index = StoryIndex()
    index.add("announced", "s1", story_doc(*announced, AT))
    assert index.find_story(story_doc(*practical, AT + timedelta(hours=20))) == "s1"


def test_two_numbered_acts_of_parliament_are_two_events() -> None:
    # The demo's two written questions on the AME, by two members of two chambers: every name and most words shared.
    first = (
        "Question écrite n° 4550 - Financement des soins délivrés au titre de l'AME par les établissements de santé",
        "M. Julien Marty interroge le Gouvernement sur les délais de remboursement aux hôpitaux des soins pris en "
        "charge au titre de l'aide médicale de l'État.",
    )
    second = (
        "Question écrite n° 03222 - Prise en charge des soins urgents des personnes sans titre de séjour",
        "Mme Claire Le Bihan demande au Gouvernement comment les établissements de santé seront compensés des soins "
        "délivrés aux personnes qui ne relèveraient plus de l'aide médicale de l'État si celle-ci était remplacée.",
    )
    index = StoryIndex()
    index.add("4550", "s1", story_doc(*first, AT))
    assert index.find_story(story_doc(*second, AT + timedelta(hours=20))) is None
    # The Assemblée's amendment n° 1234, adopted by the Sénat as n° II-1234, is one act.
    amendment = (
        "Amendement n° 1234 - Proposition de loi visant à remplacer l'aide médicale de l'État par une aide médicale "
        "d'urgence",
        "L'amendement remplace l'aide médicale de l'État par une aide médicale d'urgence limitée aux soins urgents.",
    )
    adopted = (
        "PLF 2027 - Mission « Santé » : adoption de l'amendement n° II-1234 transformant l'aide médicale de l'État en "
        "aide médicale d'urgence",
        "Le Sénat adopte l'amendement qui remplace l'aide médicale de l'État par une aide médicale d'urgence.",
    )
    index.add("1234", "s2", story_doc(*amendment, AT))
    assert index.find_story(story_doc(*adopted, AT + timedelta(hours=20))) == "s2"


def test_two_parts_of_a_series_are_two_pieces() -> None:
    # A podcast series on living with a chronic illness, one episode a day: the same first half of the title and the
    # same lead, word for word, around one guest each. Before, the second joined the first as « même texte ».
    lead = "Chaque jour de la semaine, un patient raconte comment il vit avec sa maladie, au micro de notre rédaction."
    third = ("Podcast. Vivre avec une maladie chronique (3/5) : « La dialyse m'a appris la patience »", lead)
    fourth = ("Podcast. Vivre avec une maladie chronique (4/5) : « Ma polyarthrite, je l'ai apprivoisée »", lead)
    index = StoryIndex()
    index.add("episode-3", "s1", story_doc(*third, AT))
    assert index.find_story(story_doc(*fourth, AT + timedelta(hours=24))) is None
    # The same episode in a second feed of the outlet is the same piece.
    assert index.find_story(story_doc(*third, AT + timedelta(hours=1))) == "s1"


def test_a_pair_left_unweighed_could_not_have_reached_the_bar() -> None:
    """`_same_event` skips the TF-IDF vector of a candidate whose probability stays below the bar even at the
    ceiling of its cosine: that ceiling is never below the cosine itself, and a pair skipped is a pair refused."""
    rng = random.Random(3)
    texts = [WIRE, RETITLED, OTHER_TOWN, WIRE]  # an item and its copy: a cosine of 1, the ceiling's edge
    words = " ".join(" ".join(pair) for pair in texts).split()
    texts += [(" ".join(rng.sample(words, 9)), " ".join(rng.sample(words, 25))) for _ in range(40)]
    docs = story_docs([(title, summary, AT + timedelta(hours=n), None) for n, (title, summary) in enumerate(texts)])
    index = StoryIndex()
    for n, doc in enumerate(docs[:20]):
        index.add(n, n, doc)
    scorer = shipped_scorer()
    skipped = 0
    for doc in docs:
        idf = _Idf(index._postings, len(index) + 1)
        query = _Query.of(doc, idf)
        for other in docs[:20]:
            cosine = _text_cosine(query, other, idf)
            assert cosine <= _cosine_ceiling(query, other)
            beside = _beside_text(doc, other, idf, query)
            if _out_of_reach(scorer, query, other, beside):
                skipped += 1
                assert scorer.probability(Evidence((cosine, *beside))) < scorer.bar
    assert skipped  # the test weighs some pairs the index skips
