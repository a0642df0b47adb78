"""The command line's own words in French: help pages, usage errors, and what any failure prints.

Typer (0.29) carries its own copy of Click, whose messages are English f-strings rather than gettext
catalogues: overriding a gettext domain would translate nothing. So the translation happens where the words
are produced or shown:

- help pages: Typer's few gettext strings and Rich help constants are replaced, as are the three Click
  defaults that are not strings (the `--help` option's help, the « Usage: » prefix, the `<int>`-style types);
- usage errors (unknown command or option, missing or invalid value…) are caught by `FrenchGroup.main` and
  phrased from the exception's own fields (its parameter, its option name, the validation error behind it);
- any other failure (database, file, configuration, the unforeseen) becomes one French line, never a
  traceback (watcher/failures.py words it).

tests/test_french_cli.py renders every help page and every usage error and fails on any English left.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import typer.core
from rich.console import Console
from rich.text import Text
from typer._click import Command, Context
from typer._click import decorators as click_decorators
from typer._click.exceptions import (
    BadParameter,
    ClickException,
    MissingParameter,
    NoArgsIsHelpError,
    NoSuchOption,
    UsageError,
)
from typer._click.formatting import HelpFormatter
from typer.core import TyperGroup, _TyperParameter
from typer.exceptions import Abort

from watcher.config import ConfigError, french_validation_error
from watcher.failures import DEBUG_ENV_VAR, describe, is_database_failure, unexpected_failure

USAGE_PREFIX = "Utilisation : "
HELP_OPTION_HELP = "Afficher cette aide et quitter."
SUBCOMMAND_METAVAR = "COMMANDE [ARGUMENTS]..."

# Typer's gettext strings (typer/core.py), by their English msgid.
_TYPER_MESSAGES = {
    "Aborted!": "Interrompu.",
    "(dynamic)": "(calculée)",
    "default: {default}": "par défaut : {default}",
    "required": "obligatoire",
    "env var: {var}": "variable d'environnement : {var}",
    "Arguments": "Arguments",
    "Options": "Options",
    "Commands": "Commandes",
}

# Typer's Rich help and error constants (typer/rich_utils.py).
_RICH_CONSTANTS = {
    "DEPRECATED_STRING": "(obsolète) ",
    "DEFAULT_STRING": "[par défaut : {}]",
    "ENVVAR_STRING": "[variable d'environnement : {}]",
    "REQUIRED_LONG_STRING": "[obligatoire]",
    "ARGUMENTS_PANEL_TITLE": "Arguments",
    "OPTIONS_PANEL_TITLE": "Options",
    "COMMANDS_PANEL_TITLE": "Commandes",
    "ERRORS_PANEL_TITLE": "Erreur",
    "ABORTED_TEXT": "Interrompu.",
    "RICH_HELP": "Aide : [blue]{command_path} {help_option}[/]",
}

# The value types shown in help pages, `<int>` and the like.
_TYPE_WORDS = {
    "int": "entier",
    "float": "nombre",
    "str": "texte",
    "bool": "oui|non",
    "path": "chemin",
    "file": "fichier",
    "dir": "dossier",
    "datetime": "date",
    "list": "liste",
}
_TYPE_WORD = re.compile(r"\b(" + "|".join(_TYPE_WORDS) + r")\b")

# Click's usage errors that carry nothing but their English message.
_USAGE_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.DOTALL), french)
    for pattern, french in (
        (r"^No such command '(.*)'\.$", "commande inconnue « {0} »"),
        (r"^Missing command\.$", "commande manquante"),
        (r"^Got unexpected extra argument\(s\) \((.*)\)$", "argument en trop : {0}"),
        (r"^Option '(.*)' requires an argument\.$", "l'option {0} attend une valeur"),
        (r"^Option '(.*)' requires (\d+) arguments\.$", "l'option {0} attend {1} valeurs"),
        (r"^Option '(.*)' does not take a value\.$", "l'option {0} ne prend pas de valeur"),
        (r"^Argument '(.*)' takes (\d+) values\.$", "l'argument {0} attend {1} valeurs"),
        (r"^No such option: (.*)$", "option inconnue : {0}"),
        (r"^Value must be an iterable\.$", "plusieurs valeurs attendues"),
        (r"^Value '?(.*?)'? is not a valid (.*)\.$", "valeur non reconnue « {0} »"),
        (r"^(?:file|dir|path) '(.*)' does not exist\.$", "« {0} » introuvable"),
        (r"^(?:file|dir|path) '(.*)' is a file\.$", "« {0} » est un fichier, un dossier est attendu"),
        (r"^(?:file|dir|path) '(.*)' is a directory\.$", "« {0} » est un dossier, un fichier est attendu"),
        (r"^(?:file|dir|path) '(.*)' is not readable\.$", "« {0} » : lecture refusée"),
        (r"^(?:file|dir|path) '(.*)' is not writable\.$", "« {0} » : écriture refusée"),
        (r"^Could not open file '(.*)': (.*)$", "impossible d'ouvrir « {0} »"),
    )
)
_DID_YOU_MEAN = re.compile(r"^(.*?)\.? Did you mean (.*)\?$", re.DOTALL)


def _french_gettext(message: str) -> str:
    return _TYPER_MESSAGES.get(message, message)


def _french_type(display_type: Callable[[_TyperParameter, Context], str]) -> Callable[[_TyperParameter, Context], str]:
    def french(param: _TyperParameter, ctx: Context) -> str:
        if getattr(param, "is_flag", False):
            return ""  # a flag takes no value: its type is noise
        shown = display_type(param, ctx)
        return _TYPE_WORD.sub(lambda match: _TYPE_WORDS[match.group(1)], shown.replace(" range", ""))

    return french


def _french_help_option(help_option: Callable[[list[str]], Callable[[Command], Command]]) -> Any:
    def french(param_decls: list[str]) -> Callable[[Command], Command]:
        add = help_option(param_decls)

        def decorator(command: Command) -> Command:
            add(command)
            command.params[-1].help = HELP_OPTION_HELP  # the option just added
            return command

        return decorator

    return french


def _french_write_usage(write_usage: Callable[..., None]) -> Callable[..., None]:
    def french(formatter: HelpFormatter, prog: str, args: str = "", prefix: str | None = None) -> None:
        write_usage(formatter, prog, args, USAGE_PREFIX if prefix is None else prefix)

    return french


_installed = False


def install() -> None:
    """Put the French words in Typer's and Click's help (once per process)."""
    global _installed
    if _installed:
        return
    from typer import rich_utils

    typer.core._ = _french_gettext  # type: ignore[attr-defined]
    for name, value in _RICH_CONSTANTS.items():
        setattr(rich_utils, name, value)
    click_decorators.help_option = _french_help_option(click_decorators.help_option)
    HelpFormatter.write_usage = _french_write_usage(HelpFormatter.write_usage)  # type: ignore[method-assign]
    _TyperParameter.display_type = _french_type(_TyperParameter.display_type)  # type: ignore[method-assign]
    _installed = True


def _commands(command: Command) -> Iterator[Command]:
    yield command
    if isinstance(command, TyperGroup):
        for sub in command.commands.values():
            yield from _commands(sub)


# --- usage errors ----------------------------------------------------------


def _param_label(param: Any) -> str:
    if param.param_type_name == "option":
        return "/".join(param.opts)
    return param.metavar or param.name.upper()


def _quoted_list(text: str) -> str:
    return ", ".join(f"« {name} »" for name in re.findall(r"'([^']*)'", text)) or text


def _translated(message: str) -> str:
    suggestion = ""
    if match := _DID_YOU_MEAN.match(message):  # Typer appends its suggestions to Click's message
        message, suggestion = match.group(1) + ".", f" ; vouliez-vous dire {_quoted_list(match.group(2))} ?"
    for pattern, french in _USAGE_MESSAGES:
        if match := pattern.match(message):
            return french.format(*match.groups()) + suggestion
    return message + suggestion  # our own commands' errors are French already


def _bad_value(exc: BadParameter) -> str:
    cause = exc.__cause__
    errors = getattr(cause, "errors", None)
    if callable(errors) and (details := errors()):
        return french_validation_error(details[0])
    return _translated(exc.message)


def usage_error_message(exc: UsageError) -> str:
    """The French line for a usage error, built from its fields rather than its English text."""
    if isinstance(exc, MissingParameter) and exc.param is not None:
        if exc.param.param_type_name == "option":
            return f"option obligatoire manquante : {_param_label(exc.param)}"
        return f"argument manquant : {_param_label(exc.param)}"
    if isinstance(exc, BadParameter):
        where = f" pour {_param_label(exc.param)}" if exc.param is not None else ""
        return f"valeur invalide{where} : {_bad_value(exc)}"
    if isinstance(exc, NoSuchOption):
        message = f"option inconnue : {exc.option_name}"
        if exc.possibilities:
            message += f" ; vouliez-vous dire {', '.join(sorted(exc.possibilities))} ?"
        return message
    return _translated(exc.message)


# --- showing errors --------------------------------------------------------


def _stderr() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def say_error(message: str) -> None:
    """« Erreur : … » on stderr, the message shown as written (no Rich markup in user input)."""
    _stderr().print(Text.assemble(("Erreur", "bold red"), " : ", message))


def _show_usage_error(exc: UsageError) -> None:
    say_error(usage_error_message(exc))
    ctx = exc.ctx
    if ctx is not None:
        hint = ""
        if ctx.command.get_help_option(ctx) is not None:
            hint = f" — aide : {ctx.command_path} {ctx.help_option_names[0]}"
        _stderr().print(Text(ctx.get_usage() + hint, style="dim"))


def report_failure(exc: BaseException) -> int:
    """One French line for a failure a command did not handle itself; the exit code that goes with it."""
    if isinstance(exc, ConfigError):
        problems = str(exc).splitlines()
        if len(problems) == 1:
            say_error(problems[0])  # it names the file, and the line and column if it is in the file
        else:
            say_error("\n".join([f"configuration invalide, {len(problems)} problèmes :", *problems]))
        return 2
    if is_database_failure(exc) or isinstance(exc, OSError):
        say_error(describe(exc))
    else:
        say_error(unexpected_failure(exc))
    return 1


class FrenchGroup(TyperGroup):
    """The `watcher` command: French help, French usage errors, no traceback."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        install()
        for command in _commands(self):
            if isinstance(command, TyperGroup):
                command.subcommand_metavar = SUBCOMMAND_METAVAR
        try:
            # Not standalone: Click would print its English errors itself.
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except NoArgsIsHelpError as exc:
            if exc.message:  # Rich has already printed the help page; plain Click hands it over here
                _stderr().print(Text(exc.message))
            code = exc.exit_code
        except UsageError as exc:
            _show_usage_error(exc)
            code = exc.exit_code
        except ClickException as exc:
            say_error(_translated(exc.format_message()))
            code = exc.exit_code
        except Abort:
            say_error("interrompu")
            code = 1
        except Exception as exc:
            if os.environ.get(DEBUG_ENV_VAR) == "1":
                raise
            code = report_failure(exc)
        if code == 130:  # Ctrl-C, which Typer turns into exit code 130 without a word
            say_error("interrompu")
        if not standalone_mode:
            return code
        sys.exit(code if isinstance(code, int) else 0)
