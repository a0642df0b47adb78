"""`watcher mentions import`: past entries of the « On parle de nous » register, read from a CSV or YAML file.

`import_register` does the work and returns a report in French; the command line and the web desk only show it.

- CSV: `;` or `,` (read from the header line), UTF-8 with or without BOM; the first non-empty line names the columns.
- YAML: a list of mappings.
- Columns: date, outlet, type, title, url, spokesperson, note; the French headers of the export (Média, Titre, Lien,
  Porte-parole) are read too. Only date and outlet are required; type defaults to « presse », as in `mentions add`.
- Dates: a day (2023-06-14, 14/06/2023) or a month (2023-06, 06/2023, juin 2023), stored as such.
- An entry is identified by its address when it has one, else by its date, outlet and title folded (case, accents,
  punctuation): a line already in the register is counted « déjà présente » and left as it is.
- A bad line is refused with its line number and column; the other lines go in. A bad file (not UTF-8, empty,
  unknown columns…) raises RegisterImportError before anything is written.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib.resources import files
from pathlib import Path, PurePath

import yaml
from sqlmodel import Session

from store import desk as store_desk
from store.models import DatePrecision, MentionStatus, PressMention
from watcher import desk
from watcher.exports import MONTHS
from watcher.normalize import canonical_url
from watcher.text import fold
from watcher.wording import counted

COLUMNS = ("date", "outlet", "type", "title", "url", "spokesperson", "note")
REQUIRED = ("date", "outlet")
# The export's own headers (and a few synonyms), folded: a volunteer who copies them back is understood.
_ALIASES = {"media": "outlet", "titre": "title", "lien": "url", "adresse": "url", "porte_parole": "spokesperson"}
HISTORY_FILE = "register-2022-2023.csv"
DATE_FORMATS = "2023-06-14 ou 14/06/2023 pour un jour ; 2023-06, 06/2023 ou juin 2023 pour un mois"
_MONTH_NUMBERS = {fold(name): number for number, name in enumerate(MONTHS, start=1)}
_YAML_NULL = "tag:yaml.org,2002:null"


class RegisterImportError(ValueError):
    """A file that cannot be imported at all, phrased in French; nothing was written."""


@dataclass(frozen=True)
class RowError:
    line: int
    problems: tuple[str, ...]

    def __str__(self) -> str:
        return f"ligne {self.line}, " + " ; ".join(self.problems)


@dataclass
class ImportReport:
    name: str
    added: int = 0
    present: int = 0
    errors: list[RowError] = field(default_factory=list)

    def summary(self) -> str:
        """« Import de registre.csv : 11 ajoutées, 0 déjà présente, 1 erreur. »"""
        return (
            f"Import de {self.name} : {counted(self.added, 'ajoutée', 'ajoutées')}, "
            f"{counted(self.present, 'déjà présente', 'déjà présentes')}, "
            f"{counted(len(self.errors), 'erreur', 'erreurs')}."
        )

    def lines(self) -> list[str]:
        """The refused lines, then the summary."""
        return [*(str(error) for error in self.errors), self.summary()]


@dataclass(frozen=True)
class _Cell:
    value: str
    written: str  # the column name as the file spells it, for messages
    line: int


@dataclass
class _Row:
    line: int
    cells: dict[str, _Cell]
    problems: list[str]
    label: str  # « colonne » (CSV) or « champ » (YAML)
    unreadable: set[str] = field(default_factory=set)  # fields already refused: not reported « vide » as well
    broken: bool = False  # fields shifted, or no fields at all: nothing more to say about its values


@dataclass(frozen=True)
class Entry:
    day: date
    precision: str
    outlet: str
    medium: str
    title: str
    url: str | None
    spokesperson: str | None
    note: str | None

    def key(self) -> str:
        """The identity of the entry: its address, else its date, outlet and title folded."""
        if self.url:
            return f"url:{canonical_url(self.url)}"
        written = self.day.isoformat()[:7] if self.precision == DatePrecision.MONTH else self.day.isoformat()
        return f"entry:{written}|{_words(self.outlet)}|{_words(self.title)}"


def _words(text: str) -> str:
    return " ".join(re.findall(r"\w+", fold(text)))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _column(name: str) -> str:
    code = re.sub(r"[\s_-]+", "_", fold(name).strip())
    return _ALIASES.get(code, code)


# --- dates -----------------------------------------------------------------


def parse_date(text: str) -> tuple[date, str]:
    """A day or a month, as people write them; ValueError otherwise."""
    written = text.strip()
    numbers: tuple[str, ...]
    if match := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", written):
        numbers, precision = match.groups(), DatePrecision.DAY
    elif match := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", written):
        numbers, precision = tuple(reversed(match.groups())), DatePrecision.DAY
    elif match := re.fullmatch(r"(\d{4})-(\d{1,2})", written):
        numbers, precision = (*match.groups(), "1"), DatePrecision.MONTH
    elif match := re.fullmatch(r"(\d{1,2})/(\d{4})", written):
        numbers, precision = (match[2], match[1], "1"), DatePrecision.MONTH
    elif (match := re.fullmatch(r"(\w+)\s+(\d{4})", fold(written))) and match[1] in _MONTH_NUMBERS:
        numbers, precision = (match[2], str(_MONTH_NUMBERS[match[1]]), "1"), DatePrecision.MONTH
    else:
        raise ValueError(written)
    year, month, day = (int(number) for number in numbers)
    return date(year, month, day), precision


# --- reading the file ------------------------------------------------------


def _decode(data: bytes, name: str) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise RegisterImportError(
            f"{name} : le fichier est en UTF-16 ; enregistrez-le en UTF-8 (Excel : « CSV UTF-8 »)"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        start = data.rfind(b"\n", 0, exc.start) + 1
        end = data.find(b"\n", exc.start)
        shown = _one_line(data[start : end if end >= 0 else len(data)].decode("cp1252", errors="replace"))
        if len(shown) > 60:
            shown = shown[:59] + "…"
        raise RegisterImportError(
            f"{name}, ligne {line} : le fichier n'est pas en UTF-8 (« {shown} », sans doute en Windows-1252, "
            "l'encodage par défaut d'Excel) ; enregistrez-le en « CSV UTF-8 » (Excel) "
            "ou avec le jeu de caractères « Unicode (UTF-8) » (LibreOffice)"
        ) from None


def _csv_rows(text: str, name: str) -> list[_Row]:
    header_line = next(line for line in text.splitlines() if line.strip())
    separator = max(";,\t", key=header_line.count)  # the header holds only names: its separator is unambiguous
    # strict: a quote left open would otherwise swallow every following line into one field, silently.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=True)
    header: list[tuple[str, str]] | None = None
    rows: list[_Row] = []
    previous = 0
    try:
        for record in reader:
            line, previous = previous + 1, reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header = _header(record, line, name)
                continue
            cells = {code: _Cell(value, written, line) for (code, written), value in zip(header, record, strict=False)}
            row = _Row(line, cells, [], "colonne")
            rows.append(row)
            if len(record) > len(header):
                shown = "« ; »" if separator == ";" else "« , »" if separator == "," else "une tabulation"
                row.problems.append(
                    f"trop de champs ({len(record)} pour {len(header)} colonnes) : "
                    f"un texte qui contient {shown} doit être entre guillemets"
                )
                row.broken = True
    except csv.Error as exc:
        what = (
            "guillemet ouvert jamais refermé"
            if "end of data" in str(exc)
            else 'texte collé à un guillemet fermant (un guillemet dans un texte entre guillemets s\'écrit "")'
        )
        raise RegisterImportError(f"{name}, ligne {previous + 1} : CSV illisible, {what}") from None
    return rows


def _header(record: list[str], line: int, name: str) -> list[tuple[str, str]]:
    header = [(_column(cell), cell.strip()) for cell in record]
    expected = f"la première ligne doit nommer les colonnes : {';'.join(COLUMNS)} (séparateur « ; » ou « , »)"
    unknown = [written for code, written in header if code not in COLUMNS]
    if unknown:
        listed = ", ".join(f"« {written} »" for written in unknown)
        raise RegisterImportError(
            f"{name}, ligne {line} : colonne{'s' if len(unknown) > 1 else ''} inconnue"
            f"{'s' if len(unknown) > 1 else ''} {listed} ; {expected}"
        )
    codes = [code for code, _ in header]
    doubled = sorted({code for code in codes if codes.count(code) > 1})
    if doubled:
        raise RegisterImportError(f"{name}, ligne {line} : colonne « {doubled[0]} » en double")
    missing = [code for code in REQUIRED if code not in codes]
    if missing:
        listed = ", ".join(f"« {code} »" for code in missing)
        raise RegisterImportError(
            f"{name}, ligne {line} : colonne{'s' if len(missing) > 1 else ''} {listed} "
            f"absente{'s' if len(missing) > 1 else ''} ; {expected}"
        )
    return header


def _yaml_rows(text: str, name: str) -> list[_Row]:
    try:
        document = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:  # as watcher/config.py reports sources.yaml
        mark = exc.problem_mark or exc.context_mark
        where = f", ligne {mark.line + 1}" if mark else ""
        raise RegisterImportError(f"{name}{where} : YAML illisible ({exc.problem or exc.context})") from None
    except yaml.YAMLError as exc:
        raise RegisterImportError(f"{name} : YAML illisible ({exc})") from None
    if not isinstance(document, yaml.SequenceNode):
        raise RegisterImportError(
            f"{name} : le fichier YAML doit être une liste de parutions, chacune commençant par « - date: … »"
        )
    rows = []
    for node in document.value:
        line = node.start_mark.line + 1
        row = _Row(line, {}, [], "champ")
        rows.append(row)
        if not isinstance(node, yaml.MappingNode):
            row.problems.append("parution illisible : attendu des champs « date: … », « outlet: … »")
            row.broken = True
            continue
        for key_node, value_node in node.value:
            written = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"  # `[a, b]: …` as a key
            code = _column(written)
            if code not in COLUMNS:
                row.problems.append(f"champ inconnu « {written} » (champs reconnus : {', '.join(COLUMNS)})")
            elif not isinstance(value_node, yaml.ScalarNode):
                row.problems.append(f"champ « {written} » : un texte attendu")
                row.unreadable.add(code)
            else:
                value = "" if value_node.tag == _YAML_NULL else str(value_node.value)
                row.cells[code] = _Cell(value, written, value_node.start_mark.line + 1)
    return rows


def _rows(data: bytes, name: str) -> list[_Row]:
    suffix = PurePath(name).suffix.lower()
    if suffix not in (".csv", ".txt", ".yaml", ".yml"):
        raise RegisterImportError(f"{name} : format inconnu « {suffix or name} » (attendu : .csv, .yaml ou .yml)")
    text = _decode(data, name)
    if not text.strip():
        raise RegisterImportError(f"{name} : le fichier est vide")
    rows = _yaml_rows(text, name) if suffix in (".yaml", ".yml") else _csv_rows(text, name)
    if not rows:
        raise RegisterImportError(f"{name} : aucune parution dans le fichier")
    return rows


# --- checking a row --------------------------------------------------------


def _entry(row: _Row) -> tuple[Entry | None, list[str]]:
    problems = list(row.problems)
    if row.broken:
        return None, problems

    def value(code: str) -> str:
        cell = row.cells.get(code)
        return cell.value.strip() if cell else ""

    def where(code: str) -> str:
        cell = row.cells.get(code)
        return f"{row.label} « {cell.written if cell else code} »"

    day, precision = date.min, DatePrecision.DAY  # placeholders: a row without a valid date is refused
    if not value("date"):
        if "date" not in row.unreadable:
            problems.append(f"{where('date')} : vide (la date est obligatoire)")
    else:
        try:
            day, precision = parse_date(value("date"))
        except ValueError:
            problems.append(f"{where('date')} : « {value('date')} » n'est pas une date (formats : {DATE_FORMATS})")
    outlet = _one_line(value("outlet"))
    if not outlet and "outlet" not in row.unreadable:
        problems.append(f"{where('outlet')} : vide (le média est obligatoire)")
    medium = "presse"
    if value("type"):
        try:
            medium = desk.medium(value("type"))
        except desk.DeskError as exc:
            problems.append(f"{where('type')} : {exc}")
    url = value("url") or None
    if url is not None and not re.fullmatch(r"https?://\S+", url):
        problems.append(f"{where('url')} : adresse invalide « {url} » (elle doit commencer par http:// ou https://)")
    if problems:
        return None, problems
    entry = Entry(
        day=day,
        precision=precision,
        outlet=outlet,
        medium=medium,
        title=_one_line(value("title")),
        url=url,
        spokesperson=_one_line(value("spokesperson")) or None,
        note=value("note") or None,
    )
    return entry, []


def _already_there(session: Session, entry: Entry) -> bool:
    """An entry of any origin (detected, added by hand, imported) with the same identity."""
    if entry.url:
        return bool(store_desk.mentions_with_url(session, sorted({entry.url, canonical_url(entry.url)})))
    return any(
        _words(mention.outlet) == _words(entry.outlet) and _words(mention.title) == _words(entry.title)
        for mention in store_desk.mentions_on(session, entry.day, entry.precision)
    )


# --- the import ------------------------------------------------------------


def import_register(session: Session, data: bytes, name: str, *, who: str, now: datetime) -> ImportReport:
    """Add the entries of a CSV or YAML file (`name` tells which) to the register, validated; each line once."""
    report = ImportReport(name)
    for row in _rows(data, name):
        entry, problems = _entry(row)
        if entry is None:
            report.errors.append(RowError(row.line, tuple(problems)))
            continue
        if _already_there(session, entry):
            report.present += 1
            continue
        _, created = store_desk.add_mention(
            session,
            PressMention(
                day=entry.day,
                date_precision=entry.precision,
                outlet=entry.outlet,
                title=entry.title,
                url=entry.url,
                medium=entry.medium,
                spokesperson=entry.spokesperson,
                note=entry.note,
                status=MentionStatus.VALIDEE,
                origin="import",
                import_key=entry.key(),
                created_at=now,
                decided_by=who,
                decided_at=now,
            ),
        )
        if created:
            report.added += 1
        else:  # imported at the same moment by someone else
            report.present += 1
    return report


def read_file(path: Path) -> bytes:
    if path.is_dir():
        raise RegisterImportError(f"« {path} » est un dossier : indiquez un fichier .csv, .yaml ou .yml")
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise RegisterImportError(f"fichier introuvable : « {path} »") from None
    except OSError as exc:
        raise RegisterImportError(f"lecture impossible de « {path} » : {exc.strerror or exc}") from None


def history() -> bytes:
    """The collective's 2022–2023 entries, shipped with the veille (from its 2023 annual report)."""
    return (files("watcher") / "data" / HISTORY_FILE).read_bytes()
