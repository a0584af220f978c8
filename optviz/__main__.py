"""``python -m optviz``: make slides and data files from the lessons, without a server.

    python -m optviz export --list
    python -m optviz export --lesson adagrad_decay --out adagrad.html
    python -m optviz export --lesson saddle --out saddle.csv
    python -m optviz export --lesson saddle --out - --format json

The format is ``--format`` if given, otherwise taken from the suffix of ``--out``
(``.csv`` → CSV, ``.json`` → JSON, anything else → HTML). ``--out -`` writes to standard
output. Errors (an unknown lesson, a path that cannot be written) are one line on
standard error and exit status 2; never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

EXIT_USAGE = 2
EXIT_INTERNAL = 1

FORMATS = ("html", "csv", "json")


class CliError(Exception):
    """A user error: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line on stderr (exit 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise CliError(f"{message} (see --help)")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m optviz",
        description=(
            "optviz: optimizer trajectories for teaching Zeiler's ADADELTA paper. "
            "Run the interactive app with `streamlit run app.py`; this command line makes "
            "slides and data files from the built-in lessons, with no server."
        ),
        epilog="Example: python -m optviz export --lesson adagrad_decay --out adagrad.html",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    export = sub.add_parser(
        "export",
        help="write a lesson as an offline HTML animation, or its data as CSV/JSON",
        description=(
            "Write a lesson (its settings, runs and live explanation) as a self-contained "
            "HTML animation for slides (plotly.js embedded: works offline, press Play), or "
            "the runs' numbers as CSV or JSON."
        ),
        epilog=(
            "The format is --format if given, otherwise the suffix of --out: .csv -> csv, "
            ".json -> json, anything else -> html. --out - writes to standard output."
        ),
    )
    export.add_argument("--list", action="store_true", help="print the lesson names, one a line")
    export.add_argument("--lesson", metavar="NAME", help="the lesson to export (see --list)")
    export.add_argument("--out", metavar="FILE", help="the file to write ('-': standard output)")
    export.add_argument(
        "--format", choices=FORMATS, help="html, csv or json (default: from the suffix of --out)"
    )
    export.add_argument(
        "--step",
        type=int,
        metavar="T",
        help="the step inspector's step in the HTML (default: 10, or the last step)",
    )
    export.add_argument(
        "--presenter",
        action="store_true",
        help="large fonts and thick lines, for a projector (HTML only)",
    )
    export.add_argument(
        "--theme",
        choices=("light", "projector"),
        default="light",
        help="the figures' colours: light (default) or projector, dark and high in contrast "
        "(HTML only)",
    )
    export.add_argument(
        "--arrows",
        choices=("lesson", "on", "off"),
        default="lesson",
        help="the step's arrows and rate bars at the cursor: as the lesson opens in the app "
        "(default; lessons 5 and 9 have them), on or off (HTML only)",
    )
    export.add_argument(
        "--surface",
        action="store_true",
        help="the contour panel as a rotatable 3-D surface with the paths lifted onto it "
        "(HTML only; its ▶ Play redraws the figure at each frame, so it plays slower)",
    )
    return parser


def output_format(out: str, explicit: str | None) -> str:
    """``explicit`` if given, else from the suffix of ``out`` (.csv, .json; else html)."""
    if explicit:
        return explicit
    suffix = Path(out).suffix.lower()
    return {".csv": "csv", ".json": "json"}.get(suffix, "html")


def render(
    lesson_key: str,
    fmt: str,
    presenter: bool = False,
    step: int | None = None,
    *,
    theme: str = "light",
    arrows: bool | None = None,
    surface: bool = False,
) -> str:
    """The text of lesson ``lesson_key`` in format ``fmt`` (html, csv or json). The HTML
    holds the animation, the lesson's Sensitivity heatmaps when it points at that view, and
    the step inspector's numbers at ``step`` (default :data:`export.DEFAULT_INSPECT_STEP`),
    in the figures' ``theme``, with the step's arrows and rate bars when ``arrows`` (None:
    as the lesson opens in the app), and the contour as a 3-D surface with ``surface``."""
    from . import export, lessons, optimizers
    from .figures import PathView, colour_of, trajectory_figure

    try:
        lesson = lessons.get(lesson_key)
    except KeyError:
        raise CliError(
            f"unknown lesson {lesson_key!r}; known: {', '.join(lessons.names())}"
        ) from None
    if lesson.view == "network":
        return _render_network(lesson, fmt, presenter, theme)
    scene = lesson.scene
    runs = scene.runs()
    header = {"lesson": lesson.key, "title": lesson.title, **scene.describe(), "view": lesson.view}
    if fmt == "csv":
        return export.trajectories_to_csv(runs, header)
    if fmt == "json":
        return export.trajectories_to_json(runs, header)
    paths = []
    for key, tr in runs.items():
        spec = optimizers.get(key)
        label = spec.label(scene.hp(key))
        paths.append(PathView(key=key, label=label, spec=spec, trajectory=tr))
    fig = trajectory_figure(
        scene.plot_objective(),
        paths,
        start=scene.start,
        presenter=presenter,
        clickable=False,
        ghosts=[(g.positions, colour_of(g.key), g.label) for g in lesson.ghosts(scene)],
        theme=theme,
        arrows=lesson.arrows if arrows is None else arrows,
        surface=surface,
    )
    figures = [fig]
    if lesson.view == "sensitivity":
        heat = export.sensitivity_figure(scene, presenter=presenter, theme=theme)
        if heat is not None:
            figures.append(heat)
    t = export.DEFAULT_INSPECT_STEP if step is None else step
    if not 1 <= t <= scene.steps and step is not None:
        raise CliError(f"--step must be from 1 to {scene.steps} (the lesson's steps)")
    caption = "\n\n".join(
        [
            lesson.markdown(scene, runs),
            "**Settings.** " + "; ".join(export.settings_lines(scene)) + ".",
            export.inspector_markdown(scene, runs, min(t, scene.steps)),
        ]
    )
    return export.to_html(figures if len(figures) > 1 else fig, title=lesson.title, caption=caption)


def _render_network(lesson: Any, fmt: str, presenter: bool, theme: str = "light") -> str:
    """A lesson told on the network (``view == "network"``): its tables, Figures 1–2 and
    text in HTML; its tables as CSV or JSON."""
    from . import export
    from .lessons import paper_experiment
    from .network_figures import rates_figure, tables_figure

    data = paper_experiment.results()
    tables = data["tables"]
    first = next(iter(tables.values()))
    header = {
        "lesson": lesson.key,
        "title": lesson.title,
        "view": lesson.view,
        "hidden": list(first.net.hidden),
        "activation": first.net.activation,
        "epochs": first.epochs,
        "seeds": list(first.seeds),
        "batch_size": first.batch_size,
    }
    if fmt == "csv":
        return export.network_to_csv(tables, header)
    if fmt == "json":
        return export.network_to_json(tables, header)
    long = data["long"]
    figures = [
        tables_figure(tables, first.epochs, presenter=presenter, theme=theme),
        rates_figure(
            long.layer_rates.reshape(-1, *long.layer_rates.shape[-2:])[0],
            long.net.layer_names(),
            long.updates_per_epoch,
            presenter=presenter,
            theme=theme,
        ),
    ]
    return export.to_html(figures, title=lesson.title, caption=lesson.markdown())


def _write(out: str, text: str) -> None:
    if out == "-":
        sys.stdout.write(text)
        return
    path = Path(out)
    if path.is_dir():
        raise CliError(f"cannot write {out!r}: it is a directory")
    if not path.parent.exists():
        raise CliError(f"cannot write {out!r}: the folder {str(path.parent)!r} does not exist")
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot write {out!r}: {exc.strerror or exc}") from None


def _export(args: argparse.Namespace) -> int:
    from . import lessons

    if args.list:
        sys.stdout.write("".join(f"{name}\n" for name in lessons.names()))
        return 0
    if not args.lesson:
        raise CliError("export needs --lesson NAME (or --list)")
    if not args.out:
        raise CliError("export needs --out FILE ('-' for standard output)")
    fmt = output_format(args.out, args.format)
    arrows = {"lesson": None, "on": True, "off": False}[args.arrows]
    text = render(
        args.lesson,
        fmt,
        presenter=args.presenter,
        step=args.step,
        theme=args.theme,
        arrows=arrows,
        surface=args.surface,
    )
    _write(args.out, text)
    if args.out != "-":
        print(f"wrote {args.out} ({fmt}, {len(text.encode('utf-8')):,} bytes)", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
        if args.command == "export":
            return _export(args)
        parser.print_usage(sys.stderr)
        raise CliError("a command is needed: optviz export … (see optviz --help)")
    except CliError as exc:
        print(f"optviz: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("optviz: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: still one line for a teacher before class
        print(f"optviz: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
