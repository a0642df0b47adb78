"""Assemblée nationale documents: amendment XML, discussion lists, written questions, open-data dossier JSON.

All parsers are pure: bytes in, typed entries out; a document that is not what
it claims raises `ParseError` in French, naming the origin.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from xml.etree import ElementTree

from watcher.parse.errors import ParseError
from watcher.parse.parliament.models import (
    Chamber,
    ParliamentEntry,
    ParliamentFields,
    ParliamentKind,
    bill_label,
    clean,
    french_day,
    outcome,
    paris_day,
    paris_noon,
    person,
    unescape_twice,
    with_civility,
)

AN_SITE = "https://www.assemblee-nationale.fr"
OPENDATA_DOCUMENT = "https://www.assemblee-nationale.fr/dyn/opendata/{}.json"

# Political groups by AN organe id (`groupeTribunId`, `ID_GROUPE`, `PO…`), used when the
# document gives only the id. Checked against the corpus (authors of known groups) and public
# code mapping these ids; an unknown id leaves the group null rather than guessed.
AN_GROUPS = {
    "707869": "Les Républicains",  # 14th legislature
    "713077": "SER",  # Socialiste, écologiste et républicain, 14th
    "730934": "LR",
    "730940": "GDR",
    "730946": "NG",  # Nouvelle Gauche, renamed Socialistes et apparentés (758835)
    "730958": "LFI",
    "730964": "LaREM",
    "730970": "MoDem",
    "758835": "SOC",
    "759900": "LT",
    "723569": "NI",
    "800490": "LFI-NUPES",
    "800508": "LR",
    "800538": "RE",
    "800484": "Dem",
    "845407": "EPR",
    "845413": "LFI-NFP",
    "845419": "SOC",
    "845425": "DR",
    "845454": "Dem",
}

_GOVERNMENT = "Gouvernement"
_STATE_OUTCOMES = {"IR": "irrecevable"}
_DOC_NUMBER_RE = re.compile(r"B(?:TA|TC)?0*(\d+)$")
_RECTIFICATION_RE = re.compile(r"\s*\(.*\)\s*$")


def _xml_root(body: bytes, origin: str) -> ElementTree.Element:
    try:
        return ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise ParseError(f"{origin} : XML illisible ({exc})") from None


def _text(node: ElementTree.Element | None, path: str) -> str | None:
    if node is None:
        return None
    found = node.find(path)
    return clean(found.text) if found is not None and found.text else None


def group_for(organe_id: str | None) -> str | None:
    if not organe_id:
        return None
    return AN_GROUPS.get(organe_id.removeprefix("PO"))


# --- amendments ------------------------------------------------------------


def parse_discussion_list(body: bytes, origin: str) -> dict[str, dict[str, str]]:
    """`liste.xml` (amendments in discussion order): number → its attributes (author label, group, outcome)."""
    root = _xml_root(body, origin)
    if root.tag != "amdtsParOrdreDeDiscussion":
        raise ParseError(f"{origin} : ce n'est pas une liste d'amendements de l'Assemblée nationale")
    return {
        node.get("numero", ""): dict(node.attrib) | {"titre": root.get("titre", ""), "bibard": root.get("bibard", "")}
        for node in root.iter("amendement")
        if node.get("numero")
    }


def parse_amendment(body: bytes, origin: str, discussion: dict[str, dict[str, str]] | None = None) -> ParliamentEntry:
    """One amendment in the AN's XML; `discussion` (from the sibling liste.xml) supplies the group label."""
    root = _xml_root(body, origin)
    if root.tag != "amendement":
        raise ParseError(f"{origin} : ce n'est pas un amendement de l'Assemblée nationale (élément « {root.tag} »)")
    texte = root.find("texte")
    auteur = root.find("auteur")
    number = _RECTIFICATION_RE.sub("", _text(root, "numeroLong") or _text(root, "numero") or "") or None
    listed = (discussion or {}).get(number or "") or (discussion or {}).get(_text(root, "numero") or "") or {}

    is_government = _text(auteur, "estGouvernement") == "1"
    author = with_civility(_text(auteur, "civilite"), _text(auteur, "prenom"), _text(auteur, "nom"))
    if author is None and is_government:
        author = _GOVERNMENT
    if author is None:
        signatories = _text(root, "listeDesSignataires")
        author = person(unescape_twice(signatories).split(",")[0]) if signatories else None
    group = clean(listed.get("auteurGroupe")) or group_for(_text(auteur, "groupeTribunId"))

    # The dossier's name reads better than the text's short title in capitals when no pattern applies.
    bill = bill_label(_text(texte, "libelleDossier"), _text(texte, "titreCourt"), listed.get("titre"))
    legislature = _text(texte, "numeroLegislature") or ""
    bibard = _text(texte, "numBibard") or listed.get("bibard")
    refs = [f"an:texte:{bibard}"] if bibard else []
    if _text(texte, "idDossier"):
        refs.append(f"an:dossier:{_text(texte, 'idDossier')}")

    state = _text(root, "etat") or ""
    # The discussion list is updated as the sitting goes: its outcome wins over the amendment's own.
    result = outcome(listed.get("sort") or _text(root, "sortEnSeance")) or _STATE_OUTCOMES.get(state)
    day = french_day(_text(root, "dateDepot"))
    pdf = _text(root, "urlPDF")
    if pdf:
        url = AN_SITE + pdf.removesuffix(".pdf") + ".asp"
    else:
        url = f"{AN_SITE}/{legislature}/amendements/{bibard}/AN/{_text(root, 'numero')}.asp"
    article = _text(root, "division/titre")
    # The bill stays out of the title: « PLFSS » in every one of a PLFSS's 2,000 amendment titles would
    # score them all as hospital news. It is in the typed fields and the Parlement section shows it.
    title = f"Amendement n° {number}" + (f" ({article})" if article else "")
    fields = ParliamentFields(
        kind=ParliamentKind.AMENDEMENT,
        chamber=Chamber.AN,
        author=author,
        group=group,
        bill=bill,
        number=number,
        outcome=result,
        date=day,
        bill_refs=tuple(refs),
    )
    return ParliamentEntry(
        guid=url,
        link=url,
        title=title,
        summary_html=_text(root, "exposeSommaire") or "",
        content_html=_text(root, "dispositif") or "",
        author=author,
        published=paris_noon(day),
        language="fr",
        parliament=fields,
    )


# --- written questions ------------------------------------------------------


def parse_question(body: bytes, origin: str) -> ParliamentEntry:
    """A written question in the AN's XML (`<QUESTION TYPE="QE">`)."""
    root = _xml_root(body, origin)
    if root.tag != "QUESTION":
        raise ParseError(f"{origin} : ce n'est pas une question de l'Assemblée nationale (élément « {root.tag} »)")
    legislature = _text(root, "LEGISLATURE") or ""
    kind_code = root.get("TYPE", "QE")
    depot = root.find("DEPOT")
    number = depot.get("NUMERO") if depot is not None else None
    author_node = root.find("AUTEUR")
    author = with_civility(_text(author_node, "CIVILITE"), _text(author_node, "PRENOM"), _text(author_node, "NOM"))
    group_node = root.find("GROUPE")
    group = _text(group_node, "LIBELLE") or group_for(_text(group_node, "ID_GROUPE"))
    day = french_day(_text(root, "DEPOT/DATE_JO"))
    closing = _text(root, "CLOTURE/LIBELLE")
    ministry = _text(root, "MINI/DEVELOPPE")
    indexation = root.find("INDEXATION_AN")
    heading = _text(root, "INDEXATION_AN/TETE_ANALYSE")
    rubric = indexation.get("RUBRIQUE") if indexation is not None else None
    topic = " — ".join(part for part in (rubric, heading) if part)
    url = f"https://questions.assemblee-nationale.fr/q{legislature}/{legislature}-{number}{kind_code}.htm"
    label = "Question écrite" if kind_code == "QE" else "Question"
    title = f"{label} n° {number}" + (f" : {topic}" if topic else "") + (f" ({ministry})" if ministry else "")
    question = next((node.text for node in root.iter("TEXTE_DEPOT") if node.text), "") or ""
    answer = next((node.text for node in root.iter("TEXTE_REPONSE") if node.text), "") or ""
    fields = ParliamentFields(
        kind=ParliamentKind.QUESTION_ECRITE,
        chamber=Chamber.AN,
        author=author,
        group=group,
        number=number,
        outcome=outcome(closing),
        date=day,
    )
    return ParliamentEntry(
        guid=url,
        link=url,
        title=title,
        summary_html=question.strip(),
        content_html=answer.strip(),
        author=author,
        published=paris_noon(day),
        language="fr",
        parliament=fields,
    )


# --- open-data dossier JSON ----------------------------------------------------

# The first letters of an AN document reference say what it is.
_DOCUMENT_LABELS = {"PRJL": "Projet de loi", "PION": "Proposition de loi", "RAPP": "Rapport", "AVIS": "Avis"}
_DEPOSITS = {"DepotInitiative_Type", "DepotInitiativeNavette_Type"}
_REPORTS = {"DepotRapport_Type", "DepotAvisConseilEtat_Type"}


def _acts(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    acts = (node.get("actesLegislatifs") or {}).get("acteLegislatif") or []
    for act in [acts] if isinstance(acts, dict) else acts:
        yield act
        yield from _acts(act)


def _document_number(reference: str | None) -> str | None:
    match = _DOC_NUMBER_RE.search(reference or "")
    return match.group(1) if match else None


def _adopted_text(act: dict[str, Any]) -> str | None:
    associated = (act.get("textesAssocies") or {}).get("texteAssocie")
    for text in [associated] if isinstance(associated, dict) else associated or []:
        if text.get("typeTexte") == "BTA":
            return str(text.get("refTexteAssocie"))
    return None


def parse_dossier(body: bytes, origin: str) -> list[ParliamentEntry]:
    """The texts, reports and decisions of an AN open-data dossier (`dossierParlementaire`)."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParseError(f"{origin} : JSON illisible ({exc})") from None
    dossier = document.get("dossierParlementaire") if isinstance(document, dict) else None
    if not isinstance(dossier, dict):
        raise ParseError(f"{origin} : ce JSON n'est pas un dossier législatif de l'Assemblée nationale")
    titles = dossier.get("titreDossier") or {}
    bill = bill_label(titles.get("titre"), (dossier.get("procedureParlementaire") or {}).get("libelle"))
    uid = str(dossier.get("uid") or "")
    refs = [f"an:dossier:{uid}"]
    if match := re.search(r"N(\d+)$", uid):
        refs.append(f"an:dossier:{match.group(1)}")  # amendments cite the dossier by this number
    if (senat := titles.get("senatChemin")) and (match := re.search(r"/([\w-]+)\.html$", senat)):
        refs.append(f"senat:dossier:{match.group(1)}")
    entries = []
    for act in _acts(dossier):
        entry = _dossier_act(act, bill, tuple(refs))
        if entry is not None:
            entries.append(entry)
    return entries


def _dossier_act(act: dict[str, Any], bill: str | None, refs: tuple[str, ...]) -> ParliamentEntry | None:
    kind_name = act.get("@xsi:type", "")
    code = str(act.get("codeActe") or "")
    chamber = Chamber.AN if code.startswith("AN") else Chamber.SENAT if code.startswith("SN") else None
    label = ((act.get("libelleActe") or {}).get("nomCanonique") or "").rstrip(".")
    moment = _iso(act.get("dateActe"))
    reference: str | None = None
    result: str | None = None
    url: str | None = None
    if kind_name in _DEPOSITS:
        kind, reference = ParliamentKind.TEXTE, act.get("texteAssocie")
    elif kind_name in _REPORTS:
        kind, reference = ParliamentKind.RAPPORT, act.get("texteAssocie")
    elif kind_name == "Decision_Type":
        kind, reference = ParliamentKind.TEXTE, _adopted_text(act)
        result = outcome((act.get("statutConclusion") or {}).get("libelle"))
    elif kind_name == "ConclusionEtapeCC_Type":
        kind, url = ParliamentKind.DECISION, act.get("urlConclusion")
        result = outcome((act.get("statutConclusion") or {}).get("libelle"))
    elif kind_name == "Promulgation_Type":
        kind, result = ParliamentKind.TEXTE, "promulgué"
        url = act.get("urlEcheancierLoi") or (act.get("infoJO") or {}).get("urlLegifrance")
    else:
        return None  # sittings, meetings, referrals: the compte rendu and agenda sources report them
    if reference:
        url = OPENDATA_DOCUMENT.format(reference)
    if not url:
        return None
    number = _document_number(reference) if reference else act.get("codeLoi") or act.get("numDecision")
    where = {Chamber.AN: "Assemblée nationale", Chamber.SENAT: "Sénat"}.get(chamber) if chamber else None
    if reference:
        label = _DOCUMENT_LABELS.get(reference[:4], label)
        if result:
            label = f"{label} {result}"
    title = (
        label + (f" n° {number}" if number else "") + (f" — {bill}" if bill else "") + (f" ({where})" if where else "")
    )
    fields = ParliamentFields(
        kind=kind,
        chamber=chamber,
        bill=bill,
        number=str(number) if number else None,
        outcome=result,
        date=paris_day(moment),
        bill_refs=refs,
    )
    return ParliamentEntry(
        guid=str(act.get("uid") or url),
        link=url,
        title=title,
        published=moment,
        language="fr",
        parliament=fields,
    )


def _iso(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None
