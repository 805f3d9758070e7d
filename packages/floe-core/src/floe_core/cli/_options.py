"""Options shared by the CLI commands, defined once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from floe_core.logging import LOG_FORMATS, LOG_LEVELS, configure_logging_when_used

__all__ = [
    "MultiValueOption",
    "invocation_options",
    "json_option",
    "json_wanted",
    "log_format",
    "logging_options",
    "manifest_options",
    "parse_yaml_mapping",
    "retry_failed_option",
]

F = TypeVar("F", bound=Callable[..., Any])
_LOGGING_KEY = "floe.logging"


def _stack(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    def apply(function: F) -> F:
        for decorator in reversed(decorators):
            function = decorator(function)
        return function

    return apply


def parse_yaml_mapping(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Any:
    """``--vars`` like dbt: a YAML (or JSON) mapping such as ``'{fail_model: true}'``."""
    if value is None:
        return None
    import yaml

    try:
        parsed = yaml.safe_load(value)
    except yaml.YAMLError as exc:
        raise click.BadParameter(f"not valid YAML: {exc}") from None
    if not isinstance(parsed, dict):
        raise click.BadParameter("must be a YAML/JSON mapping, e.g. '{my_var: 1}'")
    return parsed


class MultiValueOption(click.Option):
    """A repeatable option whose each use also takes the words after it, up to the next
    option: ``--select a b --exclude c`` as dbt reads it (its ``MultiOption``).

    Each use arrives as one space-joined value; :func:`floe_core.api.build_invocation`
    splits them on spaces as dbt does.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **{**kwargs, "multiple": True})

    def add_to_parser(self, parser: Any, ctx: click.Context) -> None:
        super().add_to_parser(parser, ctx)
        for name in self.opts:
            option = parser._long_opt.get(name) or parser._short_opt.get(name)
            if option is None:
                continue
            process = option.process

            def take_following(value: str, state: Any, *, process: Any = process) -> None:
                words = [value]
                while state.rargs and not state.rargs[0].startswith("-"):
                    words.append(state.rargs.pop(0))
                process(" ".join(words), state)

            option.process = take_following
            break  # one parser option serves all of this option's names


def _settings(ctx: click.Context) -> dict[str, str]:
    settings: dict[str, str] = ctx.find_root().meta.setdefault(
        _LOGGING_KEY, {"log_format": "console", "log_level": "info"}
    )
    return settings


def _set_logging(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """Accepted before and after the command name; the later one wins.

    Applied when structlog is imported (at once if it is): a command that never logs does
    not pay for structlog's import.
    """
    settings = _settings(ctx)
    if value is not None and param.name is not None:
        settings[param.name] = value
    configure_logging_when_used(settings["log_format"], settings["log_level"])  # type: ignore[arg-type]


def log_format(ctx: click.Context) -> str:
    """The ``--log-format`` in force for this command line."""
    return _settings(ctx)["log_format"]


logging_options = _stack(
    click.option(
        "--log-format",
        type=click.Choice(LOG_FORMATS),
        envvar="FLOE_LOG_FORMAT",
        expose_value=False,
        callback=_set_logging,
        help="Log lines on stderr: readable console lines or JSON lines.  [default: console]",
    ),
    click.option(
        "--log-level",
        type=click.Choice(LOG_LEVELS, case_sensitive=False),
        envvar="FLOE_LOG_LEVEL",
        expose_value=False,
        callback=_set_logging,
        help="Least severe level logged; debug also shows tracebacks.  [default: info]",
    ),
)

manifest_options = _stack(
    click.option(
        "--manifest",
        "manifest_path",
        type=click.Path(path_type=Path),
        envvar="FLOE_MANIFEST",
        help="Platform manifest.  [default: ./platform-manifest.yaml]",
    ),
    click.option(
        "--project-dir",
        type=click.Path(path_type=Path),
        help="dbt project folder.  [default: the manifest's project.dir]",
    ),
    click.option("--runtime", help="Runtime to use instead of plugins.dbt_runtime.type."),
    click.option(
        "--profiles-dir",
        type=click.Path(path_type=Path),
        help="Without a platform manifest: the folder of profiles.yml, as dbt's option."
        "  [default: $DBT_PROFILES_DIR, else ./profiles.yml if present, else ~/.dbt]",
    ),
)

invocation_options = _stack(
    click.option(
        "--select",
        "-s",
        "select",
        cls=MultiValueOption,
        help="dbt node selection: one or more selectors (`-s a b`), repeatable.",
    ),
    click.option(
        "--exclude", cls=MultiValueOption, help="Nodes to leave out: one or more (dbt syntax)."
    ),
    click.option("--selector", help="A named selector from selectors.yml."),
    click.option(
        "--vars", callback=parse_yaml_mapping, help="YAML/JSON mapping merged over project.vars."
    ),
    click.option("--target", help="dbt target.  [default: the manifest's project.target]"),
    click.option("--threads", type=click.IntRange(min=1), help="Nodes run at once."),
    click.option("--full-refresh", is_flag=True, help="Rebuild incremental models and seeds."),
    click.option("--fail-fast", "-x", is_flag=True, help="Stop at the first failure."),
    click.option(
        "--state",
        metavar="REF",
        help="Compare with another run (state:modified, result:, source_status:): a folder,"
        " a stored run id, `latest` (last successful run of this project and target) or"
        " `latest:TARGET`.",
    ),
    click.option(
        "--defer",
        is_flag=True,
        help="Read unselected parents from the --state run's relations (dbt --defer).",
    ),
    click.option(
        "--favor-state",
        is_flag=True,
        help="With --defer: the state's relations even where this target has them.",
    ),
)

retry_failed_option = click.option(
    "--retry-failed",
    is_flag=True,
    help="Re-run only the nodes that failed or were skipped last time (runtimes that"
    " support it, e.g. cloud's rerun endpoint).",
)

_JSON_KEY = "floe.json"


def _remember_json(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value:
        ctx.find_root().meta[_JSON_KEY] = True
    return value


def json_wanted(ctx: click.Context) -> bool:
    """Whether the command line asked for ``--json`` (errors then go out as JSON too)."""
    return bool(ctx.find_root().meta.get(_JSON_KEY))


json_option = click.option(
    "--json",
    "as_json",
    is_flag=True,
    is_eager=True,
    callback=_remember_json,
    help="Print the machine-readable result as JSON on stdout (and nothing else).",
)
