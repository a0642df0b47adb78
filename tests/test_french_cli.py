"""Every help page in French, and the failures no command foresaw in one French line."""

from __future__ import annotations

import re

import pytest
import typer.main
from typer.core import TyperArgument, TyperGroup
from typer.testing import CliRunner

from tests.test_no_traceback import COMMANDS
from watcher.cli import app, base

# What Typer and Click print in English when left alone.
ENGLISH = re.compile(
    r"Usage|Show this message|Commands|\bCOMMAND\b|\bARGS\b|\[required\]|\[default|<(int|str|path|bool|float)>|"
    r"env var|\(dynamic\)|Error|Try "
)


def _help(*path: str) -> str:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "200"}, prog_name="watcher")
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("name", ["", *COMMANDS])
def test_every_help_page_is_french(name: str) -> None:
    page = _help(*name.split())
    lines = [line.strip(" │") for line in page.splitlines() if line.strip()]
    assert lines[0].startswith(f"Utilisation : watcher {name}".rstrip() + " ")
    assert re.search(r"--help\s+Afficher cette aide et quitter\.", page)
    leaked = [match.group() for match in ENGLISH.finditer(page)]
    assert not leaked, f"watcher {name} --help: {leaked}\n{page}"


def test_the_main_help_page() -> None:
    page = _help()
    assert "Utilisation : watcher [OPTIONS] COMMANDE [ARGUMENTS]..." in page
    assert "─ Options ─" in page and "─ Commandes ─" in page
    assert "--config  -c      <chemin>  Fichier de configuration" in page
    verdict = _help("verdict")
    assert "Utilisation : watcher verdict [OPTIONS] {ARTICLE}" in verdict
    assert "ARTICLE      <entier>  Numéro de l'article (voir « watcher items »). [obligatoire]" in verdict
    assert "--limit        <entier> [x>=1]  Nombre maximum d'articles. [par défaut : 50]" in _help("items")


def test_every_argument_has_a_french_name() -> None:
    # Without a metavar, Typer shows the Python parameter's name: `{item}`, `mention_id`.
    def arguments(command: object, path: str) -> list[tuple[str, str | None]]:
        if isinstance(command, TyperGroup):
            return [found for name, sub in command.commands.items() for found in arguments(sub, f"{path} {name}")]
        return [(path, param.metavar) for param in command.params if isinstance(param, TyperArgument)]  # type: ignore[attr-defined]

    found = arguments(typer.main.get_command(app), "watcher")
    assert found and all(metavar and metavar.isupper() for _, metavar in found), found


def test_no_arguments_shows_the_help() -> None:
    result = CliRunner().invoke(app, [], env={"COLUMNS": "200"}, prog_name="watcher")
    assert result.exit_code == 2 and "Utilisation : watcher [OPTIONS] COMMANDE" in result.output


def test_an_unforeseen_error_is_one_line_and_its_traceback_is_for_developers(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_state: base.State) -> None:
        raise RuntimeError("état incohérent\nsuite du message")

    monkeypatch.setattr(base.State, "config", broken)
    result = CliRunner().invoke(app, ["sources", "list"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert result.stderr == (
        "Erreur : erreur inattendue (RuntimeError : état incohérent). Relancez avec WATCHER_DEBUG=1 pour le détail "
        "technique, et signalez-la à l'équipe qui maintient veille.\n"
    )
    monkeypatch.setenv("WATCHER_DEBUG", "1")
    debug = CliRunner().invoke(app, ["sources", "list"])
    assert isinstance(debug.exception, RuntimeError)


def test_ctrl_c_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(_state: base.State) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(base.State, "config", interrupted)
    result = CliRunner().invoke(app, ["sources", "check"])
    assert result.exit_code == 130 and result.stderr == "Erreur : interrompu\n"
