"""Solve every OR-Library p-median file in a folder; compare with the textbook MIP.

PYTHONPATH=src python benchmarks/lockers/bench_orlib.py ../shared/datasets/orlib-pmedian
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

from hardware import hardware_line

from vitrine.lockers.planning.orlib import solve_orlib_pmedian, solve_orlib_textbook


def known_optima(folder: Path) -> dict[str, float]:
    """optima.txt lines `name value`, when the folder has one."""
    path = folder / "optima.txt"
    if not path.exists():
        return {}
    pairs = (line.split() for line in path.read_text().splitlines()[1:] if line.strip())
    return {name: float(value) for name, value in pairs}


def natural(path: Path) -> list[object]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path.stem)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--seconds", type=float, default=600.0, help="limit for our solver")
    parser.add_argument("--textbook-seconds", type=float, default=60.0, help="0 skips it")
    args = parser.parse_args()
    optima = known_optima(args.folder)
    files = sorted((p for p in args.folder.glob("*.txt") if p.name != "optima.txt"), key=natural)
    print(f"# {hardware_line()}")
    print(
        "| instance | n | p | optimum known | ours | lower bound | gap | proven | seconds"
        " | CPU s | load | method | textbook MIP | textbook s |"
    )
    print("| --- " * 14 + "|")
    for path in files:
        cpu = time.process_time()
        ours = solve_orlib_pmedian(path, seconds=args.seconds)
        cpu = time.process_time() - cpu
        load = os.getloadavg()[0]  # the machine is shared: wall seconds depend on it
        known = optima.get(ours.instance)
        book, book_s = "-", "-"
        if args.textbook_seconds > 0:
            textbook = solve_orlib_textbook(path, seconds=args.textbook_seconds)
            state = "" if textbook.optimal else f" (bound {textbook.bound:.0f}, time limit)"
            book, book_s = f"{textbook.objective:.0f}{state}", f"{textbook.seconds:.2f}"
        print(
            f"| {ours.instance} | {ours.n} | {ours.p} | {'-' if known is None else f'{known:.0f}'}"
            f" | {ours.objective:.0f} | {ours.lower_bound:.0f} | {ours.gap:.4%}"
            f" | {'yes' if ours.proven else 'no'} | {ours.seconds:.2f} | {cpu:.2f} | {load:.1f}"
            f" | {ours.method}"
            f" | {book} | {book_s} |",
            flush=True,
        )
        if known is not None and ours.lower_bound > known + 1e-6:
            print(
                f"BOUND ABOVE THE OPTIMUM on {ours.instance}: known {known},"
                f" bound {ours.lower_bound}",
                file=sys.stderr,
            )
        if known is not None and abs(known - ours.objective) > 1e-6:
            print(
                f"MISMATCH on {ours.instance}: known {known}, ours {ours.objective}",
                file=sys.stderr,
            )


if __name__ == "__main__":
    main()
