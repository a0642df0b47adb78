"""Sources as OPML, the feed readers' exchange format (Feedly, Miniflux, Inoreader, NetNewsWire…).

Export: one folder outline per category, one `type="rss"` outline per feed (`xmlUrl`); page
sources are `type="link"` outlines (`url`). What OPML has no word for (interval, themes,
weight…) travels in attributes of the `veille:` namespace, which feed readers ignore, so
export then import gives the same sources.

Import appends the new sources to sources.yaml as a marked block after the last source,
leaving the rest of the file, comments included, untouched.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from lxml import etree
from pydantic import ValidationError

from watcher.config import Config, ConfigError, SourceCategory, SourceConfig, SourceKind, parse_config
from watcher.failures import os_reason
from watcher.netguard import ALLOW_ENV_VAR, env_allows_private, internal_addresses

NAMESPACE = "https://actionpatients.fr/veille/opml"
_V = f"{{{NAMESPACE}}}"


class OpmlError(ValueError):
    """An OPML file that cannot be read or imported, phrased in French."""


def _duration(interval: timedelta) -> str:
    seconds = int(interval.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def export_opml(config: Config, *, now: datetime, title: str = "Sources de la veille — Action Patients") -> bytes:
    root = etree.Element("opml", version="2.0", nsmap={"veille": NAMESPACE})
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = title
    etree.SubElement(head, "dateCreated").text = format_datetime(now)
    body = etree.SubElement(root, "body")
    folders: dict[str, Any] = {}
    for source in config.sources:
        category = source.category.value
        if category not in folders:
            folders[category] = etree.SubElement(body, "outline", text=category, title=category)
        outline = etree.SubElement(folders[category], "outline", text=source.name, title=source.name)
        if source.kind == SourceKind.PAGE:
            outline.set("type", "link")
            outline.set("url", source.url)
        else:  # RSS and the parliamentary kinds are feeds or data documents read at an address
            outline.set("type", "rss")
            outline.set("xmlUrl", source.url)
        # Feed readers know only rss and link; the exact kind travels in our namespace.
        outline.set(f"{_V}kind", source.kind.value)
        outline.set(f"{_V}interval", _duration(source.interval))
        outline.set(f"{_V}topics", " ".join(source.topics))
        outline.set(f"{_V}weight", str(source.weight))
        outline.set(f"{_V}enabled", "true" if source.enabled else "false")
        outline.set(f"{_V}fullText", "true" if source.full_text else "false")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


@dataclass(frozen=True)
class OpmlSource:
    source: SourceConfig
    line: int


def _category(folder: str | None) -> SourceCategory:
    for category in SourceCategory:
        if folder and folder.strip().lower() == category.value:
            return category
    return SourceCategory.PRESSE


def read_opml(data: bytes, filename: str = "sources.opml") -> list[OpmlSource]:
    """The feeds of an OPML file, in order; errors name the file and the line."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise OpmlError(f"{filename}, ligne {exc.lineno} : OPML illisible ({exc.msg})") from None
    if root.tag != "opml" or root.find("body") is None:
        raise OpmlError(f"{filename} : ce n'est pas un fichier OPML (élément <opml> avec <body> attendu)")
    found: list[OpmlSource] = []
    for outline in root.find("body").iter("outline"):
        url = outline.get("xmlUrl") or (outline.get("url") if outline.get("type") == "link" else None)
        if not url:
            continue  # a folder
        parent = outline.getparent()
        folder = parent.get("text") or parent.get("title") if parent is not None and parent.tag == "outline" else None
        name = (outline.get("title") or outline.get("text") or urlsplit(url).hostname or url).strip()
        fields: dict[str, Any] = {
            "name": name,
            "kind": outline.get(f"{_V}kind") or (SourceKind.RSS if outline.get("xmlUrl") else SourceKind.PAGE),
            "url": url.strip(),
            "category": _category(folder),
        }
        if outline.get(f"{_V}interval"):
            fields["interval"] = outline.get(f"{_V}interval")
        if outline.get(f"{_V}topics") is not None:
            fields["topics"] = outline.get(f"{_V}topics", "").split()
        if outline.get(f"{_V}weight"):
            fields["weight"] = outline.get(f"{_V}weight")
        for attribute, key in (("enabled", "enabled"), ("fullText", "full_text")):
            if outline.get(f"{_V}{attribute}"):
                fields[key] = outline.get(f"{_V}{attribute}") == "true"
        try:
            found.append(OpmlSource(SourceConfig.model_validate(fields), outline.sourceline or 0))
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(part) for part in problem["loc"])
            message = str(problem.get("ctx", {}).get("error", problem["msg"]))
            raise OpmlError(f"{filename}, ligne {outline.sourceline}, source « {name} », {where} : {message}") from None
    return found


@dataclass
class ImportReport:
    added: list[SourceConfig]
    skipped: list[tuple[str, str]]  # (name, why it was left out)
    notes: list[tuple[str, str]]  # (name, what was changed on the way in)


def _yaml_block(sources: list[SourceConfig], indent: int, origin: str, day: date) -> list[str]:
    pad = " " * indent
    lines = [f"{pad}# --- importé de {origin} le {day.isoformat()} (watcher sources import-opml) ---"]
    for source in sources:
        quoted = [json.dumps(topic, ensure_ascii=False) for topic in source.topics]
        lines += [
            f"{pad}- name: {json.dumps(source.name, ensure_ascii=False)}",
            f"{pad}  kind: {source.kind.value}",
            f"{pad}  url: {json.dumps(source.url, ensure_ascii=False)}",
            f"{pad}  interval: {_duration(source.interval)}",
            f"{pad}  topics: [{', '.join(quoted)}]",
            f"{pad}  weight: {source.weight}",
            f"{pad}  category: {source.category.value}",
        ]
        if not source.enabled:
            lines.append(f"{pad}  enabled: false")
        if source.full_text:
            lines.append(f"{pad}  full_text: true")
    lines.append(f"{pad}# --- fin de l'import ---")
    return lines


def _last_line(node: yaml.Node) -> int:
    """0-based line of the last character of a node's last scalar (block ends sit after trailing comments)."""
    if isinstance(node, yaml.ScalarNode):
        mark = node.end_mark
        return mark.line if mark.column > 0 else mark.line - 1
    children: list[yaml.Node] = []
    if isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    elif isinstance(node, yaml.MappingNode):
        children = [part for pair in node.value for part in pair]
    return max((_last_line(child) for child in children), default=node.start_mark.line)


def add_sources_to_yaml(text: str, sources: list[SourceConfig], origin: str, day: date) -> str:
    lines = text.splitlines()
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    entry = None
    if isinstance(root, yaml.MappingNode):
        entry = next(((key, value) for key, value in root.value if key.value == "sources"), None)
    if entry is None:
        block = ["sources:", *_yaml_block(sources, 2, origin, day)]
        return "\n".join([*lines, "", *block]) + "\n"
    key, value = entry
    if isinstance(value, yaml.SequenceNode) and value.value and not value.flow_style:
        indent = value.start_mark.column
        at = _last_line(value) + 1
        return "\n".join([*lines[:at], *_yaml_block(sources, indent, origin, day), *lines[at:]]) + "\n"
    if isinstance(value, yaml.SequenceNode) and not value.value:  # `sources: []` or an empty `sources:`
        line = key.start_mark.line
        if value.end_mark.line == line:
            lines[line] = (lines[line][: value.start_mark.column] + lines[line][value.end_mark.column :]).rstrip()
        return "\n".join([*lines[: line + 1], *_yaml_block(sources, 2, origin, day), *lines[line + 1 :]]) + "\n"
    if isinstance(value, yaml.ScalarNode) and value.value in ("", "~", "null"):
        line = key.start_mark.line
        lines[line] = lines[line][: key.end_mark.column + 1]
        return "\n".join([*lines[: line + 1], *_yaml_block(sources, 2, origin, day), *lines[line + 1 :]]) + "\n"
    raise OpmlError("la section « sources » doit être une liste en style bloc (« - name: … ») pour l'import")


def import_opml(config_path: Path, opml_path: Path, *, day: date) -> ImportReport:
    """Append the OPML's new sources to sources.yaml, marked as imported on `day`; a name or URL already there is
    skipped."""
    try:
        data = opml_path.read_bytes()
    except OSError as exc:
        raise OpmlError(f"{opml_path} : lecture impossible ({os_reason(exc)})") from None
    found = read_opml(data, opml_path.name)
    text = config_path.read_text(encoding="utf-8")
    current = parse_config(text, config_path.name)
    names = {source.name for source in current.sources}
    urls = {source.url for source in current.sources}
    report = ImportReport([], [], [])
    # A source of sources.yaml may reach the internal network: a file from elsewhere must not bring one in unseen.
    fresh = [entry.source.url for entry in found if entry.source.url not in urls]
    internal = {} if env_allows_private() else internal_addresses(fresh)
    for entry in found:
        source = entry.source
        if source.url in internal:
            report.skipped.append(
                (
                    source.name,
                    f"adresse du réseau interne ({', '.join(internal[source.url])}) : ajoutez-la à la main dans "
                    f"sources.yaml si elle est voulue, ou importez avec {ALLOW_ENV_VAR}=1",
                )
            )
            continue
        if source.url in urls:
            report.skipped.append((source.name, "adresse déjà suivie"))
            continue
        if source.name in names:
            report.skipped.append((source.name, "nom déjà pris par une autre source"))
            continue
        unknown = [topic for topic in source.topics if topic not in current.topics]
        if unknown:
            source = source.model_copy(update={"topics": [t for t in source.topics if t in current.topics]})
            report.notes.append((source.name, f"thème inconnu « {unknown[0]} » retiré"))
        report.added.append(source)
        names.add(source.name)
        urls.add(source.url)
    if not report.added:
        return report
    updated = add_sources_to_yaml(text, report.added, opml_path.name, day)
    try:
        parse_config(updated, config_path.name)
    except ConfigError as exc:  # never leave a file the service cannot load
        raise OpmlError(f"import annulé, le fichier obtenu serait invalide :\n{exc}") from None
    config_path.write_text(updated, encoding="utf-8")
    return report
