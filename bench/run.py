"""`make bench`: every benchmark of issue 8 in one report.

Runs, each as a subprocess with `--json-out` into a temp dir and a database of its own derived from
--database (maoyi_bench → maoyi_bench_flow, maoyi_bench_scale, maoyi_bench_load, maoyi_bench_chaos):

    bench/order_flow.py   order flow throughput (service layer, HTTP, pgbench baseline)
    bench/scale.py        list pages, searches and reports at scale
    bench/load.py         locust load with a realistic mix
    bench/chaos.py        crash atomicity under SIGKILLed gunicorn workers

(a script that does not exist yet is skipped with a note), then writes bench/results/<date>.md and
.json (date in Asia/Shanghai): machine facts, one table of every figure, each script's notes.

    .venv/bin/python bench/run.py --database postgres://postgres@127.0.0.1:5432/maoyi_bench [--quick]
    .venv/bin/python bench/run.py --database … --only flow,chaos

Exit status: 0 when every script ran (targets missed or not: the report says so); 1 when a script
crashed or wrote no report; 2 when a script reported a failed invariant check.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib
from benchlib import SHANGHAI, md_table


@dataclass(frozen=True)
class Script:
    name: str  # for --only and the database suffix
    path: str
    title: str


SCRIPTS = (
    Script("flow", "bench/order_flow.py", "Order flow throughput"),
    Script("scale", "bench/scale.py", "Scale"),
    Script("load", "bench/load.py", "Load"),
    Script("chaos", "bench/chaos.py", "Crash atomicity"),
)


@dataclass
class Outcome:
    script: Script
    status: str  # ok, skipped, crashed, invariant_failed
    seconds: float = 0.0
    returncode: int | None = None
    report: dict[str, Any] = field(default_factory=dict)
    message: str = ""
    log: str = ""


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database",
        default="postgres://postgres@127.0.0.1:5432/maoyi_bench",
        help="PostgreSQL URL whose database name each script's database is derived from (or 'sqlite')",
    )
    parser.add_argument("--quick", action="store_true", help="passed to every script: fewer, shorter runs")
    parser.add_argument("--only", default="", help="comma list of: " + ", ".join(s.name for s in SCRIPTS))
    parser.add_argument("--results", default=str(benchlib.RESULTS), help="folder for <date>.md and .json")
    parser.add_argument("--timeout", type=int, default=3 * 3600, help="seconds allowed per script")
    args = parser.parse_args(argv)
    known = {s.name for s in SCRIPTS}
    args.chosen = [n.strip() for n in args.only.split(",") if n.strip()] or [s.name for s in SCRIPTS]
    unknown = set(args.chosen) - known
    if unknown:
        parser.error(f"unknown in --only: {', '.join(sorted(unknown))} (known: {', '.join(sorted(known))})")
    return args


def run_script(script: Script, args: argparse.Namespace, folder: Path) -> Outcome:
    path = benchlib.ROOT / script.path
    if not path.exists():
        print(f"== {script.name}: {script.path} does not exist yet: skipped", flush=True)
        return Outcome(script, "skipped", message=f"`{script.path}` does not exist yet")
    out = folder / f"{script.name}.json"
    log = folder / f"{script.name}.log"
    database = benchlib.derive_url(args.database, script.name)
    command = [sys.executable, str(path), "--database", database, "--json-out", str(out)]
    if args.quick:
        command.append("--quick")
    print(f"== {script.name}: {' '.join([script.path, *command[2:]])}", flush=True)
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as sink:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and scripts
            command,
            cwd=benchlib.ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        assert process.stdout is not None
        for line in process.stdout:  # shown as it comes, and kept
            sink.write(line)
            print(f"   [{script.name}] {line}", end="", flush=True)
        try:
            returncode = process.wait(timeout=args.timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            returncode = process.wait()
    seconds = time.perf_counter() - started
    tail = "".join(log.read_text(encoding="utf-8").splitlines(keepends=True)[-30:])
    report: dict[str, Any] = {}
    if out.exists():
        try:
            report = json.loads(out.read_text(encoding="utf-8"))
        except ValueError as exc:
            return Outcome(
                script, "crashed", seconds, returncode, message=f"unreadable report: {exc}", log=tail
            )
    invariants_failed = report.get("invariants_ok") is False
    if invariants_failed:
        status = "invariant_failed"
        message = "an invariant check failed (see its notes)"
    elif returncode != 0 or not report:
        status = "crashed"
        message = f"exit status {returncode}" + ("" if report else ", no report written")
    else:
        status = "ok"
        message = ""
    print(f"== {script.name}: {status} in {seconds:.0f} s {message}", flush=True)
    return Outcome(script, status, seconds, returncode, report, message, tail)


def _value(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, int | float):
        if value == int(value) and abs(value) >= 1:
            return f"{value:,.0f}"
        return f"{value:,.3g}" if abs(value) < 1 else f"{value:,.1f}"
    return str(value)


def summary_rows(outcomes: Sequence[Outcome]) -> list[list[str]]:
    rows = []
    for outcome in outcomes:
        for fig in outcome.report.get("figures", []):
            rows.append(
                [
                    outcome.report.get("name", outcome.script.name),
                    f"`{fig.get('name')}`",
                    _value(fig.get("value")),
                    str(fig.get("unit") or ""),
                    (fig.get("baseline") or "–")
                    + (
                        f" ({_value(fig['baseline_value'])})" if fig.get("baseline_value") is not None else ""
                    ),
                    _value(fig.get("ratio")),
                    fig.get("target") or "–",
                    _value(fig.get("met")),
                ]
            )
    return rows


def markdown(day: str, command: str, facts: dict[str, Any], outcomes: Sequence[Outcome]) -> str:
    rows = summary_rows(outcomes)
    targets = [r for r in rows if r[7] in ("✓", "✗")]
    missed = [r for r in targets if r[7] == "✗"]
    lines = [
        f"# Benchmarks, {day}",
        "",
        f"Made by `{command}` (bench/run.py; see bench/README.md). Each figure's ratio is against the "
        "baseline measured in the same run where there is one.",
        "",
        "## Machine",
        "",
        f"- {facts['cores']} cores ({facts['cpu']}), {facts['memory']} memory, {facts['platform']}",
        f"- Python {facts['python']}, Django {facts['django']}",
        f"- {facts.get('database', '?')}",
        f"- load average before {facts['load_average_before']}, after {facts['load_average_after']} "
        "(the machine may be shared: other work weighs on every time figure)",
        f"- {facts['seconds_total']:.0f} s in all",
        "",
        "## Scripts",
        "",
        md_table(
            ["script", "status", "seconds", "note"],
            [
                [
                    o.script.path,
                    {"ok": "ran", "skipped": "skipped", "crashed": "**crashed**"}.get(
                        o.status, "**invariant check failed**"
                    ),
                    f"{o.seconds:.0f}" if o.seconds else "–",
                    o.message or "–",
                ]
                for o in outcomes
            ],
            "llrl",
        ),
        "",
        "## Figures",
        "",
        f"{len(targets) - len(missed)} of {len(targets)} targets met"
        + (": missed " + ", ".join(f"{r[0]} {r[1]}" for r in missed) + "." if missed else "."),
        "",
        md_table(
            ["script", "figure", "value", "unit", "baseline", "ratio", "target", "met"],
            rows,
            "llrllrlc",
        )
        if rows
        else "No figures.",
        "",
    ]
    for outcome in outcomes:
        lines += [f"## {outcome.report.get('title') or outcome.script.title} (`{outcome.script.path}`)", ""]
        if outcome.status == "skipped":
            lines += [f"Skipped: {outcome.message}.", ""]
            continue
        notes = outcome.report.get("notes_md") or ""
        if notes:
            lines += [_demote(notes), ""]
        if outcome.status != "ok":
            lines += [
                f"**{outcome.status}**: {outcome.message}. The last lines of its output:",
                "",
                "```",
                outcome.log.rstrip(),
                "```",
                "",
            ]
    return "\n".join(lines).rstrip() + "\n"


def _demote(notes: str) -> str:
    """A script's own headings sit under its section: "## x" → "### x"."""
    out = []
    fenced = False
    for line in notes.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        if not fenced and line.startswith("#"):
            line = "#" + line if line.startswith("##") else "### " + line.lstrip("# ")
        out.append(line)
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    facts = benchlib.machine_facts(args.database if benchlib.is_postgres(args.database) else "")
    if "database" not in facts:
        facts["database"] = benchlib.database_version("sqlite")
    facts["load_average_before"] = facts.pop("load_average")
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="maoyi-bench-run-") as tmp:
        for script in SCRIPTS:
            if script.name in args.chosen:
                outcomes.append(run_script(script, args, Path(tmp)))
    facts["load_average_after"] = benchlib.load_average()
    facts["seconds_total"] = round(time.perf_counter() - started, 1)
    now = dt.datetime.now(SHANGHAI)
    day = now.date().isoformat()
    command = "make bench" if os.environ.get("MAKELEVEL") else "bench/run.py"
    command += f" --database {benchlib.redact(args.database)}" if command == "bench/run.py" else ""
    if args.quick:
        command += " --quick" if command != "make bench" else ' BENCH_ARGS="--quick"'
    if args.only:
        command += f" --only {args.only}" if command.startswith("bench") else f" (--only {args.only})"
    folder = Path(args.results)
    folder.mkdir(parents=True, exist_ok=True)
    md_path, json_path = folder / f"{day}.md", folder / f"{day}.json"
    md_path.write_text(markdown(day, command, facts, outcomes), encoding="utf-8")
    json_path.write_text(
        json.dumps(
            {
                "date": day,
                "finished_at": now.isoformat(timespec="seconds"),
                "command": command,
                "machine": facts,
                "scripts": [
                    {
                        "name": o.script.name,
                        "path": o.script.path,
                        "status": o.status,
                        "seconds": round(o.seconds, 1),
                        "returncode": o.returncode,
                        "message": o.message,
                        "report": o.report,
                    }
                    for o in outcomes
                ],
            },
            ensure_ascii=False,
            indent=2,
            default=str,
        )
        + "\n",
        encoding="utf-8",
    )
    shown = md_path.relative_to(benchlib.ROOT) if md_path.is_relative_to(benchlib.ROOT) else md_path
    print(f"\nresults: {shown} and {json_path.name}")
    for row in summary_rows(outcomes):
        print(
            f"  {row[0]:<12} {row[1]:<40} {row[2]:>12} {row[3]:<14} ratio {row[5]:>8}  "
            f"target {row[6]} {row[7]}"
        )
    statuses = {o.status for o in outcomes}
    if "invariant_failed" in statuses:
        return 2
    if "crashed" in statuses:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
