"""Amendments on a tracked bill (issue #21, part 3): precision, recall and F1 of « alert » against the labels.

    python bench/amendments.py [--config sources.yaml] [--dossier LABEL] [--errors]

The development set is bench/devset/amendments.csv (real amendments: corpus file, number and label only; their
text is read from the shared corpus at run time, $VEILLE_CORPUS or ../shared/corpus) and
bench/devset/amendments-self-written.jsonl (written by the team, text included). An amendment is labelled 1 when
its own text (dispositif and exposé sommaire) is about the AME, access to care, hospitals or health workers: it
should alert. Labelled 0, it should not (the collective still sees it in the digest, under its bill).

Every amendment is judged as an amendment on a bill that sources.yaml tracks, as watcher/batch.py judges one: its
bill references are replaced by the dossier's, it is scored with the dossier's context, then the tracked-bill rule
is applied. Self-written amendments go on the dossier their `bill` names when sources.yaml has it; the others on
`--dossier` (by default the first dossier of sources.yaml). Figures are printed for the real amendments, the
self-written ones and the whole set.
"""

from __future__ import annotations

import argparse
import csv
import html
import io
import json
import re
import sys
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.relevance import CORPUS, prf  # noqa: E402
from watcher.config import Config, DossierConfig, load_config  # noqa: E402
from watcher.normalize import Item, normalize  # noqa: E402
from watcher.parse.parliament import ParliamentEntry, ParliamentKind, detect_format, parse_parliament  # noqa: E402
from watcher.parse.parliament.an import parse_amendment  # noqa: E402
from watcher.parse.parliament.senat import parse_amendments_csv  # noqa: E402
from watcher.score import Judgement, Scorer  # noqa: E402
from watcher.tracked import TrackedBills  # noqa: E402

DEVSET = REPO / "bench" / "devset"
LABELS = DEVSET / "amendments.csv"
SELF_WRITTEN = DEVSET / "amendments-self-written.jsonl"
COLLECTED = datetime(2026, 11, 23, tzinfo=UTC)
SELF_WRITTEN_URL = "https://exemple.invalid/amendements/{}"
_SENAT_COLUMNS = (
    "Nature",
    "Numéro",
    "Subdivision",
    "Alinéa",
    "Auteur",
    "Au nom de",
    "Date de dépôt",
    "Dispositif",
    "Objet",
    "Sort",
    "Url amendement",
    "Fiche Sénateur",
)


class DevsetError(Exception):
    """A development-set row that does not lead to an amendment with a text."""


@dataclass(frozen=True)
class Case:
    key: str  # « <corpus file> n° <number> », or « self-written:<id> »
    entry: ParliamentEntry
    alert: bool
    reason: str
    real: bool
    bill: str | None = None  # self-written only: the tracked bill it was written for


# --- reading amendments ------------------------------------------------------


def _an_xml(values: dict[str, str | None]) -> bytes:
    """An amendment in the AN's XML shape, so that the AN parser gives it the title and fields of a collected one."""
    root = ElementTree.Element("amendement")
    for path, value in values.items():
        node = root
        for part in path.split("/"):
            found = node.find(part)
            node = found if found is not None else ElementTree.SubElement(node, part)
        node.text = value
    return ElementTree.tostring(root, encoding="utf-8")


def _meta(page: str, name: str) -> str | None:
    match = re.search(rf'<meta name="{name}" content="([^"]*)"', page, re.I)
    return html.unescape(match.group(1)).strip() if match else None


def _element(page: str, tag: str) -> str:
    match = re.search(rf"<{tag}>(.*?)</{tag}>", page, re.S)
    return match.group(1) if match else ""


def anpy_amendment(body: bytes, origin: str) -> ParliamentEntry:
    """An amendment page of the AN's former site (anpy's test pages): watcher has no parser for this retired
    format, so its number, article, dispositif and exposé are handed to the AN XML parser."""
    page = body.decode("utf-8", errors="replace")
    values = {
        "numero": _meta(page, "NUM_AMEND"),
        "numeroLong": _meta(page, "NUM_AMTXT"),
        "division/titre": _meta(page, "DESIGNATION_ARTICLE"),
        "dispositif": _element(page, "dispositif"),
        "exposeSommaire": _element(page, "expose"),
        "dateDepot": _meta(page, "DATE_BADAGE"),
        "sortEnSeance": _meta(page, "SORT"),
        "texte/numeroLegislature": _meta(page, "LEGISLATURE"),
        "texte/numBibard": _meta(page, "NUM_INIT"),
        "texte/titreCourt": _meta(page, "TITRE_INIT"),
    }
    return parse_amendment(_an_xml(values), origin)


def corpus_amendments(path: Path) -> list[ParliamentEntry]:
    """The amendments of one corpus file, as watcher's parsers read them."""
    body = path.read_bytes()
    if path.suffix == ".html":
        return [anpy_amendment(body, str(path))]
    fmt = detect_format(body, path.name)
    if fmt is None:
        raise DevsetError(f"{path} : ce n'est pas un document parlementaire reconnu")
    entries, _ = parse_parliament(body, str(path), fmt)
    return [entry for entry in entries if entry.parliament.kind == ParliamentKind.AMENDEMENT]


def amendment_text(entry: ParliamentEntry) -> str:
    return f"{entry.summary_html} {entry.content_html}".strip()


def _paragraph(text: str) -> str:
    return f"<p>{html.escape(text, quote=False)}</p>"


def self_written_entry(record: dict[str, str]) -> ParliamentEntry:
    """A self-written amendment through the parser of its chamber, at an address that cannot be mistaken for one."""
    url = SELF_WRITTEN_URL.format(record["id"])
    dispositif, expose = _paragraph(record["dispositif"]), _paragraph(record["expose"])
    if record["chamber"] == "an":
        values = {
            "numero": record["number"],
            "numeroLong": record["number"],
            "division/titre": record["article"],
            "dispositif": dispositif,
            "exposeSommaire": expose,
            "dateDepot": record["date"],
            "texte/numeroLegislature": "17",
            "texte/titreCourt": record["bill"],
        }
        entry = parse_amendment(_an_xml(values), url)
    elif record["chamber"] == "senat":
        row = {"Nature": "Amt", "Numéro": record["number"], "Subdivision": record["article"]}
        row |= {"Auteur": "", "Date de dépôt": record["date"], "Dispositif": dispositif, "Objet": expose}
        row |= {"Sort": "", "Url amendement": url}
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, delimiter="\t", lineterminator="\r\n")
        writer.writerows([_SENAT_COLUMNS, [row.get(column, "") for column in _SENAT_COLUMNS]])
        (entry,) = parse_amendments_csv(buffer.getvalue().encode("utf-8"), url)
    else:
        raise DevsetError(f"{SELF_WRITTEN.name}, « {record['id']} » : chambre inconnue « {record['chamber']} »")
    return replace(entry, guid=url, link=url)


def load_real_cases(corpus: Path = CORPUS, labels: Path = LABELS) -> list[Case]:
    """Each labelled corpus amendment, found by its file and number; an unknown key is an error, never skipped."""
    cases = []
    parsed: dict[str, list[ParliamentEntry]] = {}
    with labels.open(encoding="utf-8") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            name, number = row["file"], row["number"]
            if name not in parsed:
                path = corpus / name
                if not path.is_file():
                    raise DevsetError(f"{labels.name}, ligne {line} : fichier absent du corpus « {name} »")
                parsed[name] = corpus_amendments(path)
            found = [entry for entry in parsed[name] if entry.parliament.number == number]
            if len(found) != 1:
                raise DevsetError(f"{labels.name}, ligne {line} : {len(found)} amendement(s) n° {number} dans {name}")
            if not amendment_text(found[0]):
                raise DevsetError(f"{labels.name}, ligne {line} : l'amendement n° {number} de {name} n'a aucun texte")
            cases.append(Case(f"{name} n° {number}", found[0], row["alert"] == "1", row["reason"], real=True))
    return cases


def load_self_written_cases() -> list[Case]:
    cases = []
    for line in SELF_WRITTEN.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        entry = self_written_entry(record)
        cases.append(
            Case(f"self-written:{record['id']}", entry, record["alert"] == 1, record["reason"], False, record["bill"])
        )
    return cases


# --- judging -------------------------------------------------------------------


def dossier_for(case: Case, config: Config, default: DossierConfig) -> DossierConfig:
    return next((dossier for dossier in config.dossiers if dossier.label == case.bill), default)


def judge(case: Case, config: Config, scorer: Scorer, tracked: TrackedBills, dossier: DossierConfig) -> Judgement:
    """The case as an amendment tabled on `dossier`: what watcher/batch.py decides for it."""
    refs = tuple(sorted(dossier.refs()))
    # A dossier known only by its sources is matched through the source that collects it.
    source_name = None if refs else dossier.sources[0]
    fields = replace(case.entry.parliament, bill_refs=refs)
    item: Item | None = normalize(case.entry, source_name or "banc d'essai", COLLECTED)
    if item is None:
        raise DevsetError(f"{case.key} : aucun article exploitable")
    source = config.source(source_name) if source_name else None
    judgement = scorer.judge(item, source, tracked.context(fields, source_name))
    return tracked.apply(judgement, fields, source_name)


def _row(name: str, cases: list[Case], judgements: list[Judgement]) -> str:
    truth = [case.alert for case in cases]
    predicted = [judgement.decision == "alert" for judgement in judgements]
    p, r, f, positives = prf(predicted, truth)
    decisions = "/".join(str(sum(j.decision == d for j in judgements)) for d in ("alert", "digest", "drop"))
    return f"{name:<14}{len(cases):>4}{positives:>7}{sum(predicted):>7}   {p:>6.3f}{r:>7.3f}{f:>7.3f}   {decisions:>9}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(REPO / "sources.yaml"))
    parser.add_argument("--dossier", help="tracked bill the real amendments are judged on (default: the first one)")
    parser.add_argument("--errors", action="store_true", help="list the misjudged amendments")
    args = parser.parse_args()
    config = load_config(Path(args.config))
    if not config.dossiers:
        print(f"{args.config} ne suit aucun texte (« dossiers: ») : rien à juger.")
        return 1
    default = (
        next((d for d in config.dossiers if d.label == args.dossier), None) if args.dossier else config.dossiers[0]
    )
    if default is None:
        print(f"dossier inconnu « {args.dossier} » ; dossiers suivis : {', '.join(d.label for d in config.dossiers)}")
        return 1
    real: list[Case] = []
    if (CORPUS / "parliament-zam").is_dir() and (CORPUS / "parliament-regardscitoyens").is_dir():
        real = load_real_cases(CORPUS)
    else:
        print(f"corpus partagé absent ({CORPUS}) : définissez VEILLE_CORPUS pour juger aussi les amendements réels.")
    self_written = load_self_written_cases()
    scorer, tracked = Scorer(config), TrackedBills(config)
    cases = real + self_written
    judgements = [judge(case, config, scorer, tracked, dossier_for(case, config, default)) for case in cases]
    bills = sorted({dossier_for(case, config, default).label for case in cases})
    print(
        f"Amendments on a tracked bill: {len(cases)} ({len(real)} real, {len(self_written)} self-written), "
        f"judged as tabled on {' / '.join(bills)}; corpus {CORPUS}"
    )
    print(f"{'set':<14}{'n':>4}{'label 1':>8}{'alerts':>7}   {'P':>6}{'R':>7}{'F1':>7}   alert/digest/drop")
    split = len(real)
    if real:
        print(_row("real", real, judgements[:split]))
    print(_row("self-written", self_written, judgements[split:]))
    if real:
        print(_row("whole set", cases, judgements))
    quiet = [j for case, j in zip(cases, judgements, strict=True) if not case.alert]
    counts = "/".join(str(sum(j.decision == d for j in quiet)) for d in ("alert", "digest", "drop"))
    print(f"labelled 0 ({len(quiet)}; each should reach the digest under its bill, without an alert): {counts}")
    if args.errors:
        for case, judgement in zip(cases, judgements, strict=True):
            if (judgement.decision == "alert") != case.alert:
                kind = "FP" if judgement.decision == "alert" else "FN"
                print(f"  {kind} {judgement.score:>3} {judgement.decision:<6} {case.key} — {case.reason}")
                print(f"         {'; '.join(judgement.why[:3])[:200]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
