"""The ``cxroi`` command: parse, call the library, print. No model logic lives here.

Start-up matters for a command line: this module imports only click and the
results-folder helpers at load time; each command imports what it needs.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import os
import sys
import warnings
from contextlib import contextmanager
from pathlib import Path

import click

from sim.compute.parallel import MAX_WORKERS
from sim.errors import ScenarioError, UsageError
from sim.shell import results_folder
from sim.shell.console import EXIT_INTERRUPTED, interrupted_by
from sim.shell.options import FiniteRange, PathGiven, SchedulerAddress
from sim.shell.progress import progress as _progress
from sim.shell.progress import working as _working

# The simulator, pandas, scipy, rich tables and matplotlib are imported inside the
# commands that use them, so `cxroi --help` and `cxroi validate` start fast.

EXIT_USER_ERROR = 2
MIN_PATIENCE_MINUTES = 0.01
"""Shortest mean patience --patience takes (0.6 s): at 1e-100 minutes the Erlang A service level overflowed
to infinity (printed as '∞', null in JSON), at 1e-307 the command did not end in 10 minutes."""

SWEEP_STEPS = 10
"""Values a sweep's --range LOW:HIGH takes when it gives no STEPS."""


class LazyGroup(click.Group):
    """A command group whose heavier subcommand groups (``fit``: pandas, statsmodels) load only when used.

    ``lazy`` maps a name to (``module:attribute``, short help); ``cxroi --help`` lists them
    from that short help without importing them.
    """

    def __init__(self, *args, lazy: dict[str, tuple[str, str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx):
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx, name):
        if name in self.lazy:
            import importlib

            module, attribute = self.lazy[name][0].split(":")
            return getattr(importlib.import_module(module), attribute)
        return super().get_command(ctx, name)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        """As click's, but a mistake on the command line is one line (``cxroi run: Missing argument 'SCENARIO'.``)
        with exit code 2, not click's usage block."""
        # One BLAS thread: the commands spread their work over processes or threads of their own (BLAS threads
        # would compete for the same cores, and OpenBLAS's spin for a while each time they start), and a sum
        # OpenBLAS splits over threads rounds by their number, so a fit's last digits would depend on the
        # machine's cores. OpenBLAS reads the setting when numpy loads, which nothing has imported yet (the
        # commands' modules load below, in get_command); a value the user set is kept.
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        placed_before = len(results_folder.PLACED)
        try:
            result = super().main(args, prog_name, complete_var, False, **extra)
        except click.UsageError as error:
            where = error.ctx.command_path if error.ctx is not None else "cxroi"
            click.echo(f"{where}: {error.format_message()} (see {where} --help)", err=True)
            sys.exit(error.exit_code)
        except click.ClickException as error:
            error.show()
            sys.exit(error.exit_code)
        except click.Abort as error:
            if interrupted_by(error):  # click's word for a Ctrl-C while it parses
                _interrupted(placed_before)
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)

    def invoke(self, ctx):
        """As click's, but a Ctrl-C or SIGTERM anywhere in a command (its imports included: click said
        "Aborted!", exit code 1) ends it with one line saying what was written, exit code 130, once everything
        the command opened (worker pools, a cluster, spill and staging folders) is cleaned up."""
        placed_before = len(results_folder.PLACED)
        try:
            return super().invoke(ctx)
        except BaseException as error:  # also an error the interrupt caused (a C extension's import cut short)
            if isinstance(error, SystemExit) or not interrupted_by(error):
                raise
            _interrupted(placed_before)

    def format_commands(self, ctx, formatter):
        rows = [(name, self.lazy[name][1]) if name in self.lazy else (name, self.get_command(ctx, name).get_short_help_str(
            formatter.width - 6 - max(map(len, self.list_commands(ctx))))) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def entry() -> None:
    """The console script of an install made before ``sim.shell.console:entry`` (the same, with the handlers
    set only once this module has loaded)."""
    from sim.shell import console

    console.entry()


def commands() -> None:
    """Run the command line (:func:`sim.shell.console.entry` set the signal handlers first).

    SIGTERM (``kill``, systemd, a container stop) takes the path Ctrl-C takes: the work stops, the worker
    processes are shut down, a long run's spill folder and a half-written results folder are removed, and
    the command says "interrupted" and what it wrote (:meth:`LazyGroup.invoke`). Once that has started, a
    second Ctrl-C or SIGTERM is ignored, so the clean-up itself is never cut short (it waits at most for the
    chunks the workers are computing).
    """
    try:
        main()
    finally:
        # The command is done and its files are closed. Interpreter shutdown then runs the cyclic garbage
        # collector over every object the imports made (numba's, scipy's: about 130,000) and frees them one by
        # one, 0.1 s of a 1-second run; frozen (gc.freeze, the documented way to exempt long-lived objects from
        # collection), they are left to the operating system. Shutdown itself still runs: atexit handlers
        # (the worker pool's, temporary folders'), flushing of stdout and stderr.
        gc.freeze()


def _interrupted(placed_before: int) -> None:
    """Say what an interrupted command wrote (:func:`results_folder.interrupted_line`) and exit with 130."""
    click.echo(results_folder.interrupted_line(placed_before), err=True)
    sys.exit(EXIT_INTERRUPTED)


@click.group(name="cxroi", cls=LazyGroup, lazy={"fit": ("sim.shell.fit_commands:fit_group",
                                          "Inputs fitted to your customers, orders, tickets and pilots.")},
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="cxroi")
def main() -> None:
    """cxroi: what does an investment in customer support or CX return, and how sure can we be?

    \b
    Examples:
      cxroi run scenarios/nordic_midsize.toml
      cxroi run scenarios/nordic_midsize.toml --draws 20000 --seed 7 --json
      cxroi run scenarios/seed001_churn_example.toml --base-case
      cxroi validate scenarios/nordic_midsize.toml
      cxroi sweep scenarios/nordic_midsize.toml --param segments.b2b.experience.walk_away --range 0.05:0.5:10
      cxroi tornado scenarios/nordic_midsize.toml
      cxroi sensitivity scenarios/nordic_midsize.toml
      cxroi breakeven scenarios/nordic_midsize.toml --param interventions.faster_response.recurring_cost
      cxroi voi scenarios/nordic_midsize.toml
      cxroi pilot scenarios/nordic_midsize.toml --intervention ai_self_service
      cxroi portfolio scenarios/nordic_midsize.toml --budget 300000
      cxroi staffing --rate 120 --aht 4 --patience 3 --agents 8:14 --simulate
    """
    # A library's warning (numpy, scipy, pandas) is never a message for the user: every input is
    # checked at the edge, and what the model adjusts is reported in the results, not as a warning.
    warnings.simplefilter("ignore")


def common_options(command):
    """The options every simulating command shares, in one place."""
    options = [
        click.argument("scenario", type=PathGiven(dir_okay=False, path_type=Path)),
        click.option("--draws", type=click.IntRange(1, 10_000_000), help="Monte Carlo draws [default: the scenario's settings.draws]."),
        click.option("--seed", type=click.IntRange(0), help="Random seed [default: the scenario's settings.seed]."),
        click.option("--out", type=PathGiven(file_okay=False, path_type=Path), help="Results folder [default: results/<scenario>[-<command>]-<time>]."),
        click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help="Override a parameter, e.g. segments.b2b.monthly_churn=0.02 or 'segments.b2b.margin=\"30% to 40%\"'. Repeatable."),
        click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout and nothing else there."),
        click.option("--workers", type=click.IntRange(1, MAX_WORKERS), help="Worker processes [default: all cores]. Results do not depend on it."),
        click.option("--overwrite", is_flag=True, help="Replace the --out folder if it already exists."),
        click.option("--no-save", is_flag=True, help="Print the summary but write no results folder."),
        click.option("--paths", "show_paths", is_flag=True, help="Show inputs and options by their dotted paths and ids instead of their names."),
        click.option("--scheduler", envvar="DASK_SCHEDULER_ADDRESS", default="processes", show_default=True,
                     type=SchedulerAddress(),
                     metavar="processes|local:N|tcp://HOST:PORT",
                     help="Who computes the chunks of draws: this machine's worker processes, a Dask LocalCluster of N "
                          "workers, or a Dask scheduler's address (also read from DASK_SCHEDULER_ADDRESS). "
                          "Results do not depend on it."),
    ]

    @functools.wraps(command)
    def on_scheduler(*args, scheduler: str, **kwargs):
        from sim.compute import parallel
        from sim.kernels import loader

        loader.notice = _stderr_line
        with _user_errors(kwargs["scenario"]), parallel.scheduler(scheduler):
            return command(*args, **kwargs)

    for option in reversed(options):
        on_scheduler = option(on_scheduler)
    return on_scheduler


@main.command()
@common_options
@click.option("--base-case", is_flag=True, help="Every input at its base value, expected counts, no randomness: the spreadsheet answer.")
@click.option("--memo", "with_memo", is_flag=True, help="Also write the decision memo (memo.md and memo.html) into the results folder: the best portfolio of the options, with a tornado and value of information.")
@click.option("--budget", type=FiniteRange(0), help="With --memo: the most the recommended portfolio may cost, in expected PV cost [default: no limit].")
@click.option("--tables", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True, help="Format of the per-draw and band tables (Parquet: smaller and faster for many draws).")
@click.option("--xlsx", type=PathGiven(dir_okay=False, path_type=Path), help="Also write an Excel workbook of the results (summary, assumptions, bands, draws) to this file.")
def run(scenario, draws, seed, out, overrides, as_json, workers, overwrite, no_save, show_paths, base_case, with_memo,
        budget, tables, xlsx):
    """Run SCENARIO and print the ROI and NPV distribution of every intervention.

    Writes a results folder (summary.json, manifest.json, draws.csv, bands.csv and
    a copy of the scenario) unless --no-save is given. An existing folder is never
    replaced without --overwrite.

    \b
    Examples:
      cxroi run scenarios/nordic_midsize.toml
      cxroi run scenarios/nordic_midsize.toml --set segments.b2b.monthly_churn=0.02
      cxroi run scenarios/nordic_midsize.toml --set 'segments.b2b.margin="30% to 40%"'
      cxroi run scenarios/seed001_churn_example.toml --base-case --json
      cxroi run scenarios/nordic_midsize.toml --memo
      cxroi run scenarios/nordic_midsize.toml --memo --budget 300000
    """
    with _user_errors(scenario):
        from sim.compute.simulation import run as run_scenario

        if budget is not None and not with_memo:
            raise UsageError("--budget limits the memo's recommended portfolio: give --memo too (or run cxroi portfolio --budget)")
        if with_memo and (no_save or base_case):
            raise UsageError("--memo needs a saved Monte Carlo run: drop --no-save and --base-case")
        if xlsx is not None and no_save:
            raise UsageError("--xlsx is made from the results folder: drop --no-save")
        if xlsx is not None:
            _check_workbook_destination(xlsx, overwrite)
        loaded = _load_checked(scenario, overrides, out, overwrite, no_save)
        combinations = None
        if with_memo:
            from sim.analyses.tornado import check_extremes

            check_extremes(loaded.scenario)  # the memo's tornado, checked before the run
            combinations = results_folder.memo_combinations(loaded.scenario, draws)  # simulated with the run
        frames = with_memo or xlsx is not None or tables == "parquet"
        from sim.compute import parallel

        # With --memo the run's workers also simulate the combinations (one pool, forked once).
        with parallel.pool(workers) if with_memo else contextlib.nullcontext() as shared:
            with _progress(enabled=not base_case, meanwhile=lambda: _output_modules(frames)) as report:
                result = run_scenario(loaded, draws, seed, base_case=base_case, workers=workers, progress=report,
                                      workers_pool=shared, combinations=combinations)
            extra = None
            if with_memo:
                with _working("weighing every combination of the options"):
                    extra = results_folder.memo_inputs(result, budget, shared)
        memo_files: list[Path] = []

        def write_memo(staging: Path) -> None:
            """The memo, written into the run's folder before it is renamed into place (so its manifest lists it)."""
            from sim.reporting import memo

            with _working("writing the memo and drawing its figures"):
                memo_files.extend(memo.write(staging))

        folder = None if no_save else results_folder.write(
            result, out or results_folder.default_folder(result), overwrite, command=_command(), extra=extra,
            tables=tables, then=write_memo if with_memo else None)
        _finish(result.summary_dict(), _printer("print_run", show_paths), as_json, folder)
        for path in memo_files:
            click.echo(f"Memo written to {folder / path.name}", err=as_json)
        if xlsx is not None:
            from sim.reporting.workbook import write_workbook

            with _progress(enabled=True, unit="draws", action="writing the workbook") as report:
                written = write_workbook(folder, xlsx, overwrite, progress=report,
                                         placed=results_folder.PLACED.append)
            click.echo(f"Workbook written to {written}", err=as_json)


@main.command("export")
@click.argument("results", type=PathGiven(file_okay=False, path_type=Path))
@click.option("--xlsx", type=PathGiven(dir_okay=False, path_type=Path), required=True, help="The Excel workbook to write (.xlsx).")
@click.option("--overwrite", is_flag=True, help="Replace an existing workbook.")
def export_command(results, xlsx, overwrite):
    """Write the results of a run as one Excel workbook for a finance team.

    Sheets: Summary (per option, each statistic a formula over the Draws sheet,
    so every figure can be audited), Assumptions (every input by name with its
    path, range, base value and source), Bands (per option, measure and period)
    and Draws (one row per draw; a payback beyond the horizon is an empty cell).
    Numbers stay numbers in the scenario's currency and percentages; every sheet
    has frozen headers and filters and prints on A4 landscape, one page wide.

    \b
    Example:
      cxroi export results/nordic_midsize-20261124-101500 --xlsx nordic.xlsx
    """
    from sim.reporting.workbook import write_workbook

    with _user_errors(results):
        _check_workbook_destination(xlsx, overwrite)
        with _progress(enabled=True, unit="draws", action="writing the workbook") as report:
            written = write_workbook(results, xlsx, overwrite, progress=report,
                                         placed=results_folder.PLACED.append)
        click.echo(f"Workbook written to {written}")


def _check_workbook_destination(xlsx: Path, overwrite: bool) -> None:
    """Everything a workbook needs before any work: its library, a .xlsx name, and a place it can be written."""
    from sim.reporting.workbook import check_workbook

    check_workbook(xlsx)
    results_folder.check_file_destination(xlsx, overwrite, "--xlsx")


@main.command("memo")
@click.argument("results", type=PathGiven(file_okay=False, path_type=Path))
@click.option("--out", type=PathGiven(dir_okay=False, path_type=Path), help="Memo file (.md, .html or .pdf) [default: memo.md and memo.html in RESULTS].")
@click.option("--format", "fmt", type=click.Choice(["md", "html", "pdf"]), help="Only this format [default: md and html, or the --out file's].")
@click.option("--paper", type=click.Choice(["a4", "letter"]), help="Paper of the PDF memo [default: a4].")
@click.option("--title", help="Memo title [default: 'Decision memo: <scenario>'].")
@click.option("--overwrite", is_flag=True, help="Replace an existing memo file.")
def memo_command(results, out, fmt, title, overwrite, paper):
    """Write the decision memo of a results folder: Markdown and self-contained HTML, or a PDF that prints.

    The memo states the question and a recommendation (invest, do not invest, or
    pilot first) by a rule it prints, the headline figures, ROI and cash-flow
    figures, the spreadsheet answer, every assumption with its source, and the
    command that reproduces the numbers. Numbers come from the folder's files.
    A folder written by `cxroi run --memo` also holds every combination of the
    options (the memo then recommends the best portfolio, with its frontier), a
    tornado, value of information and a pilot analysis; without them the memo
    judges the options one by one and says so.

    \b
    Examples:
      cxroi memo results/nordic_midsize-20261124-101500
      cxroi memo results/nordic_midsize-20261124-101500 --format html --out board.html --title "Support investment 2027"
      cxroi memo results/nordic_midsize-20261124-101500 --format pdf --paper letter
    """
    from sim.reporting import memo

    with _user_errors(results):
        formats = memo.memo_formats(out, fmt)
        if paper is not None and "pdf" not in formats:
            raise UsageError("--paper sets the paper of the PDF memo: add --format pdf (or --out FILE.pdf)")
        if out is not None:
            results_folder.check_file_destination(out, overwrite)
        with _working("writing the memo and drawing its figures"):
            written = memo.write(results, out, fmt, title, overwrite, paper or "a4",
                                 placed=results_folder.PLACED.append)
        for path in written:
            click.echo(f"Memo written to {path}")


@main.command()
@common_options
@click.option("--param", "params", multiple=True, required=True, metavar="PATH", help="Input to sweep (once for one-way, twice for two-way).")
@click.option("--values", "value_specs", multiple=True, metavar="LIST", help="Values for the matching --param: 0.01,0.02,0.03 or LOW:HIGH:STEPS.")
@click.option("--range", "range_specs", multiple=True, metavar="LOW:HIGH[:STEPS]", help=f"Evenly spaced values for the matching --param, both ends included [default STEPS: {SWEEP_STEPS}].")
def sweep(scenario, draws, seed, out, overrides, as_json, workers, overwrite, no_save, show_paths, params, value_specs, range_specs):
    """Run SCENARIO at each value of one or two inputs (same seed: smooth curves).

    Writes sweep.csv (NPV and ROI percentiles and P(ROI > 0) per point and
    intervention) and a figure: median NPV with 50 % and 90 % bands, or for two
    inputs heat maps of P(ROI > 0) and mean NPV.

    \b
    Examples:
      cxroi sweep scenarios/nordic_midsize.toml --param segments.b2b.experience.walk_away --range 0.05:0.5:10
      cxroi sweep scenarios/nordic_midsize.toml --param interventions.faster_response.recurring_cost \\
          --values 15000,20000,25000,30000 --param segments.b2b.monthly_churn --values 0.008,0.012,0.016
    """
    from sim.analyses.sweep import parse_values, value_range
    from sim.analyses.sweep import sweep as run_sweep

    with _user_errors(scenario):
        specs = [(spec, "--values") for spec in value_specs] + [(spec, "--range") for spec in range_specs]
        if value_specs and range_specs and len(params) > 1:
            raise UsageError("with two --param options give both value lists with --values (it also takes LOW:HIGH:STEPS)")
        if len(specs) != len(params):
            raise UsageError(f"give one --values or --range for each --param: {len(params)} --param, {len(specs)} value lists")
        grid = {path: parse_values(spec, "--values") for path, spec in zip(params, value_specs)}
        grid.update({path: value_range(spec, SWEEP_STEPS) for path, spec in zip(params[len(value_specs):], range_specs)})
        if len(grid) != len(params):
            raise UsageError("the two --param options name the same input")
        loaded = _load_checked(scenario, overrides, out, overwrite, no_save)
        with _progress(enabled=True, unit="draws") as report:
            analysis = run_sweep(loaded, grid, draws, seed, workers=workers, progress=report)
        _finish_analysis(analysis, _printer("print_sweep", show_paths), out, overwrite, no_save, as_json)


@main.command()
@common_options
@click.option("--low", type=FiniteRange(0.0, 0.5, min_open=True, max_open=True), default=0.10, show_default=True, help="Quantile each input takes at its low end.")
@click.option("--high", type=FiniteRange(0.5, 1.0, min_open=True, max_open=True), default=0.90, show_default=True, help="Quantile each input takes at its high end.")
@click.option("--share", type=FiniteRange(0.01, 0.5), default=0.20, show_default=True, help="Share of draws at each end for the tornado read from the draws.")
def tornado(scenario, draws, seed, out, overrides, as_json, workers, overwrite, no_save, show_paths, low, high, share):
    """Which inputs move NPV and ROI most: a tornado diagram for every intervention.

    One input at a time goes from its 10th to its 90th percentile with the others
    at base (expected counts); beside it, the tornado read from the Monte Carlo
    draws (mean NPV where the input is in its lowest vs highest fifth), which
    reflects interactions at no extra cost. Inputs with no effect stay listed.

    \b
    Example:
      cxroi tornado scenarios/nordic_midsize.toml
    """
    from sim.analyses.tornado import tornado as run_tornado

    with _user_errors(scenario):
        loaded = _load_checked(scenario, overrides, out, overwrite, no_save)
        with _progress(enabled=True) as report:
            analysis = run_tornado(loaded, draws, seed, low=low, high=high, share=share, workers=workers, progress=report)
        _finish_analysis(analysis, _printer("print_tornado", show_paths), out, overwrite, no_save, as_json)


@main.command()
@common_options
@click.option("--sobol-samples", type=click.IntRange(0), default=1024, show_default=True, help="Base samples N of the Saltelli design (N x (inputs + 2) evaluations); 0 skips Sobol indices.")
def sensitivity(scenario, draws, seed, out, overrides, as_json, workers, overwrite, no_save, show_paths, sobol_samples):
    """Global sensitivity of NPV: rank correlations, PRCC and Sobol indices.

    Rank measures come from the Monte Carlo draws (no extra runs); Sobol first-order
    and total indices with 95 % intervals from a Saltelli design evaluated with
    expected counts (SALib). With correlated inputs, read the rank measures first.

    \b
    Example:
      cxroi sensitivity scenarios/nordic_midsize.toml --sobol-samples 512
    """
    from sim.analyses.sensitivity import sensitivity as run_sensitivity

    with _user_errors(scenario):
        loaded = _load_checked(scenario, overrides, out, overwrite, no_save)
        with _progress(enabled=True) as report:
            analysis = run_sensitivity(loaded, draws, seed, sobol_samples=sobol_samples, workers=workers, progress=report)
        _finish_analysis(analysis, _printer("print_sensitivity", show_paths), out, overwrite, no_save, as_json)


@main.command()
@common_options
@click.option("--param", "param", required=True, metavar="PATH", help="The input to move.")
@click.option("--range", "value_range", metavar="LOW:HIGH[:STEPS]", help="Where to look, and how many evenly spaced values bracket the crossings [default: the input's 1st to 99th percentile, widened up to what the input allows until each option crosses; STEPS 9].")
def breakeven(scenario, draws, seed, out, overrides, as_json, workers, overwrite, no_save, show_paths, param, value_range):
    """The value of one input at which each intervention stops paying.

    Finds where mean NPV is zero and where P(ROI > 0) is 50 %, by Brent's method
    on runs with common random numbers. Without --range the search starts on the
    input's 1st to 99th percentile and widens towards what the input allows until
    every option crosses; the range searched is printed. Where there is no
    crossing it says which: always pays, never pays (within that range), or not
    affected (the input does not change that option).

    \b
    Example:
      cxroi breakeven scenarios/nordic_midsize.toml --param interventions.faster_response.recurring_cost
    """
    from sim.analyses.breakeven import GRID_POINTS
    from sim.analyses.breakeven import breakeven as run_breakeven
    from sim.analyses.sweep import parse_range

    with _user_errors(scenario):
        low, high, steps = parse_range(value_range) if value_range else (None, None, None)
        loaded = _load_checked(scenario, overrides, out, overwrite, no_save)
        with _working("searching for the break-even values"):
            analysis = run_breakeven(loaded, param, None if low is None else (low, high), draws, seed,
                                     points=steps or GRID_POINTS, workers=workers)
        _finish_analysis(analysis, _printer("print_breakeven", show_paths), out, overwrite, no_save, as_json)


@main.command()
@common_options
def voi(scenario, draws, seed, out, overrides, as_json, workers, overwrite, no_save, show_paths):
    """Value of information: what a pilot that pins down an input could be worth.

    EVPI of the decision (do nothing or one of the interventions) and EVPPI of
    every uncertain input, estimated by regression over the Monte Carlo draws.

    \b
    Example:
      cxroi voi scenarios/nordic_midsize.toml
    """
    from sim.analyses.voi import voi as run_voi

    with _user_errors(scenario):
        loaded = _load_checked(scenario, overrides, out, overwrite, no_save)
        with _progress(enabled=True) as report:
            analysis = run_voi(loaded, draws, seed, workers=workers, progress=report)
        _finish_analysis(analysis, _printer("print_voi", show_paths), out, overwrite, no_save, as_json)


@main.command("portfolio")
@common_options
@click.option("--budget", type=FiniteRange(0), help="Most the portfolio may cost (see --budget-on and --budget-rule) [default: no limit].")
@click.option("--budget-on", type=click.Choice(["pv-cost", "one-off"]), default="pv-cost", show_default=True, help="What the budget limits: PV cost (programme costs and added support capacity, discounted) or the one-off cost.")
@click.option("--budget-rule", type=click.Choice(["expected", "every-draw"]), default="expected", show_default=True, help="The cost's mean over draws within the budget, or the cost in every draw.")
@click.option("--max-options", type=click.IntRange(1), help="At most this many interventions in a portfolio.")
@click.option("--include", "include", multiple=True, metavar="NAME", help="An intervention every portfolio must include. Repeatable.")
@click.option("--exclude", "exclude", multiple=True, metavar="NAME", help="An intervention no portfolio may include. Repeatable.")
@click.option("--objective", default="mean", show_default=True, metavar="mean|cvar:ALPHA|prob-positive", help="The risk appetite the choice maximises: expected NPV, the mean NPV of the worst ALPHA share of draws, or P(NPV > 0).")
def portfolio_command(scenario, draws, seed, out, overrides, as_json, workers, overwrite, no_save, show_paths, budget,
                      budget_on, budget_rule, max_options, include, exclude, objective):
    """Which combination of interventions to fund: every admissible portfolio, the frontier and the choice.

    Each portfolio (a combination the scenario's [portfolio] section allows) is
    simulated as one arm with common random numbers, its members phased in by
    their own start and ramp. Prints per portfolio the expected NPV with its 90 %
    interval, P(NPV > 0), the expected shortfall of the worst 10 %, PV cost, ROI
    and the interaction (its NPV minus the sum of its options'); the efficient
    frontier; and the choice under --objective with the other risk appetites beside it.

    \b
    Examples:
      cxroi portfolio scenarios/nordic_midsize.toml
      cxroi portfolio scenarios/nordic_midsize.toml --budget 300000 --budget-on one-off --objective cvar:0.1
    """
    from sim.analyses.portfolio import parse_objective
    from sim.analyses.portfolio import portfolio as run_portfolio

    with _user_errors(scenario):
        parse_objective(objective)
        loaded = _load_checked(scenario, overrides, out, overwrite, no_save)
        with _progress(enabled=True) as report:
            analysis = run_portfolio(loaded, draws, seed, budget=budget, budget_on=budget_on, budget_rule=budget_rule,
                                     max_options=max_options, include=include, exclude=exclude, objective=objective,
                                     workers=workers, progress=report)
        _finish_analysis(analysis, _printer("print_portfolio", show_paths), out, overwrite, no_save, as_json)


@main.command("pilot")
@common_options
@click.option("--intervention", required=True, metavar="NAME", help="The intervention a pilot would test.")
@click.option("--sizes", "size_spec", metavar="LIST", help="Customers per arm to compare, e.g. 100,250,500 [default: five sizes up to half the smallest segment piloted].")
@click.option("--periods", type=click.IntRange(1), default=6, show_default=True, help="How many periods the pilot runs.")
@click.option("--fixed-cost", type=FiniteRange(0), help="Fixed cost of the pilot [default: 25 % of the intervention's one-off cost].")
@click.option("--cost-per-customer", type=FiniteRange(0), help="Cost per treated customer and period [default: the recurring cost spread over all starting customers].")
@click.option("--portfolio", "for_portfolio", is_flag=True, help="Value the pilot for the choice among every portfolio of the interventions (cxroi portfolio) instead of 'do nothing or this intervention'.")
def pilot_command(scenario, draws, seed, out, overrides, as_json, workers, overwrite, no_save, show_paths, intervention, size_spec,
                  periods, fixed_cost, cost_per_customer, for_portfolio):
    """Is a pilot of an intervention worth running, and how large? (expected value of sample information)

    For pilots of n customers per arm over --periods periods that count what the
    intervention changes (bad or good contacts, churn, purchases, also through a
    fitted churn_mix, purchase_mix or dropout_mix), prints the EVSI
    in money, the pilot's cost, the expected net gain (EVSI - cost), the chance
    the pilot shows the effect on each thing it counts, segment by segment (power:
    its two-sided 5 % test), and names the size with the largest net gain. EVSI by
    regression over the Monte Carlo draws (Strong et al. 2015).

    \b
    Examples:
      cxroi pilot scenarios/nordic_midsize.toml --intervention ai_self_service
      cxroi pilot scenarios/nordic_midsize.toml --intervention faster_response --sizes 100,300,750 --periods 3
      cxroi pilot scenarios/nordic_midsize.toml --intervention resolution_training --portfolio
    """
    from sim.analyses.pilot import pilot as run_pilot

    with _user_errors(scenario):
        sizes = _parse_sizes(size_spec) if size_spec is not None else None
        loaded = _load_checked(scenario, overrides, out, overwrite, no_save)
        with _progress(enabled=True) as report:
            analysis = run_pilot(loaded, intervention, sizes, periods, fixed_cost, cost_per_customer, draws, seed,
                                 workers=workers, progress=report, portfolio=for_portfolio)
        _finish_analysis(analysis, _printer("print_pilot", show_paths), out, overwrite, no_save, as_json)


def _parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise UsageError(f"--sizes '{text}' is not a list of whole numbers, e.g. 100,250,500") from None
    if not sizes or min(sizes) < 1:
        raise UsageError(f"--sizes '{text}': give one or more customer counts per arm, each at least 1")
    return sizes


@main.command()
@click.option("--rate", type=FiniteRange(0, min_open=True), required=True, help="Contacts arriving per hour.")
@click.option("--aht", type=FiniteRange(0, min_open=True), required=True, help="Average handling time, minutes (exponential).")
@click.option("--agents", "agent_spec", required=True, metavar="LOW:HIGH|LIST", help="Agent counts to compare, e.g. 8:14 or 8,10,12.")
@click.option("--patience", type=FiniteRange(MIN_PATIENCE_MINUTES), help="Mean patience before hanging up, minutes (exponential): Erlang A. Without it: Erlang C.")
@click.option("--target", type=FiniteRange(0), default=20.0, show_default=True, help="Service-level target: answered within this many seconds.")
@click.option("--simulate", is_flag=True, help="Also run the simpy contact centre and show it beside the formulas with 95 % intervals.")
@click.option("--hours", type=FiniteRange(1), default=200.0, show_default=True, help="Simulated hours per replication (with --simulate).")
@click.option("--replications", type=click.IntRange(2), default=8, show_default=True, help="Independent simulation runs (with --simulate).")
@click.option("--seed", type=click.IntRange(0), default=1, show_default=True, help="Seed of the simulation.")
@click.option("--aht-cv", type=FiniteRange(0, min_open=True), default=1.0, show_default=True, help="Spread of handling times in the simulation (coefficient of variation; 1 = exponential as the formulas assume, else lognormal).")
@click.option("--json", "as_json", is_flag=True, help="Print the table as JSON on stdout and nothing else there.")
@click.option("--out", type=PathGiven(file_okay=False, path_type=Path), help="Also write staffing.csv, summary.json and staffing.png into this folder.")
@click.option("--overwrite", is_flag=True, help="Replace the --out folder if it already exists.")
def staffing(rate, aht, agent_spec, patience, target, simulate, hours, replications, seed, aht_cv, as_json, out, overwrite):
    """Service level, speed of answer, abandonment and occupancy for a range of agent counts.

    Analytic Erlang C, or Erlang A when callers hang up (--patience); with
    --simulate, a discrete-event simulation (simpy) of the same centre beside
    the formulas, with 95 % confidence intervals.

    \b
    Examples:
      cxroi staffing --rate 120 --aht 4 --agents 8:14
      cxroi staffing --rate 120 --aht 4 --patience 3 --agents 8:14 --target 30 --simulate
      cxroi staffing --rate 120 --aht 4 --agents 9:12 --simulate --aht-cv 0.5   # steadier calls than the formulas assume
    """
    from sim.analyses.common import records
    from sim.support.staffing import (
        check_size,
        overloaded,
        parse_agents,
        staffing_table,
    )

    with _user_errors(Path("staffing")):
        agents = parse_agents(agent_spec)
        check_size(rate, patience, agents, (hours, replications) if simulate else None)
        if out is not None:
            results_folder.check_destination(out, overwrite)
        with _progress(enabled=simulate, unit="agent counts") as report:
            table = staffing_table(rate, aht, agents, patience, target, hours if simulate else None, replications, seed,
                                   report, handling_cv=aht_cv)
        summary = {
            "rate_per_hour": rate, "aht_minutes": aht, "patience_minutes": patience, "target_seconds": target,
            "model": "Erlang A" if patience else "Erlang C",
            "simulation": {"hours": hours, "replications": replications, "seed": seed, "handling_cv": aht_cv} if simulate else None,
            "rows": records(table),
            "overloaded_agents": overloaded(table, patience),
        }
        folder = None
        if out is not None:
            folder = results_folder.write_table_folder(out, "staffing", summary, table, overwrite)
        _finish(summary, _printer("print_staffing"), as_json, folder)


def _stderr_line(text: str) -> None:
    """One line for the user on stderr (why a first run pauses, a damaged kernel cache rebuilt)."""
    click.echo(text, err=True)


def _load_checked(scenario, overrides, out, overwrite, no_save):
    """Load the scenario and refuse an existing --out (or an --out beside --no-save) before any work is done."""
    from sim.shell.loader import load

    if no_save and out is not None:
        raise UsageError(f"--out {out}: --no-save writes no results folder; drop one of the two")
    loaded = load(scenario, overrides)
    if not no_save:
        if out is not None:
            results_folder.check_destination(out, overwrite)
        else:
            results_folder.check_default_root()
    return loaded


def _output_modules(tables: bool = False) -> None:
    """Import what printing a run needs (the console tables), and pandas when ``tables`` are built from
    data frames (the memo, a workbook, Parquet): called while the workers simulate, so the imports
    overlap the simulation instead of following it. A plain run's folder is written without pandas."""
    if tables:
        import pandas  # noqa: F401

    from sim.reporting import console  # noqa: F401


def _finish_analysis(analysis, printer, out, overwrite, no_save, as_json) -> None:
    folder = None if no_save else results_folder.write_analysis(
        analysis, out or results_folder.default_folder(analysis), overwrite, command=_command())
    _finish(analysis.summary, printer, as_json, folder)


def _finish(summary: dict, printer, as_json: bool, folder) -> None:
    results_folder.require_finite(summary, "summary")
    if as_json:
        click.echo(json.dumps(summary, indent=2, allow_nan=False))
    else:
        printer(summary)
    if folder is not None:
        click.echo(f"Results written to {folder}/", err=as_json)


def _printer(name: str, paths: bool = False):
    """The console printer ``name`` of :mod:`sim.reporting.console`, imported when it prints (``paths``: --paths)."""
    def printer(summary: dict) -> None:
        from sim.reporting import console

        getattr(console, name)(summary, paths=paths)

    return printer


def _command() -> list[str]:
    return ["cxroi", *sys.argv[1:]]


@main.command()
@click.argument("scenario", type=PathGiven(dir_okay=False, path_type=Path))
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help="Check with these overrides applied.")
def validate(scenario, overrides):
    """Check SCENARIO and explain every problem found (exit code 2 if any).

    \b
    Example:
      cxroi validate scenarios/nordic_midsize.toml
    """
    from sim.reporting.format import periods
    from sim.shell.loader import load

    with _user_errors(scenario):
        loaded = load(scenario, overrides)
        s = loaded.scenario
        import shutil

        from sim.reporting.format import lines

        click.echo("\n".join(lines(
            f"{loaded.file}: OK: {len(s.segments)} segment(s), {len(s.interventions)} intervention(s), "
            f"horizon {periods(s.settings.horizon, s.settings.period)}", shutil.get_terminal_size().columns)))


@contextmanager
def _user_errors(file: Path):
    """Turn a user's mistake into its one-line messages and exit code 2, never a traceback."""
    try:
        yield
    except ScenarioError as error:
        for line in (error if error.file else error.in_file(str(file))).lines():
            click.echo(line, err=True)
        sys.exit(EXIT_USER_ERROR)
    except UsageError as error:
        click.echo(str(error), err=True)
        sys.exit(EXIT_USER_ERROR)
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        click.echo(f"{where}{error.strerror or error}; nothing was written", err=True)
        sys.exit(EXIT_USER_ERROR)
    except RuntimeError as error:
        from concurrent.futures.process import BrokenProcessPool  # the pool's module, loaded by then

        if not isinstance(error, BrokenProcessPool):
            raise
        click.echo("a worker process stopped before its chunk of draws was done (killed, or out of memory?); "
                   "no results folder was written", err=True)
        sys.exit(1)
