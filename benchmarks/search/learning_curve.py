"""Draw the learning curve of several learning-loop runs on one PNG.

    python benchmarks/search/learning_curve.py OUT.png RUN.json [RUN.json ...]

Each RUN.json holds the output of `python -m vitrine.search.bench ... --learning-loop --json`
(its last line is the result).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from vitrine.search.bench_learning import draw_learning_curve


def main(argv: list[str]) -> None:
    out, *runs = argv
    results = [json.loads(Path(run).read_text().strip().splitlines()[-1]) for run in runs]
    draw_learning_curve(results, Path(out))


if __name__ == "__main__":
    main(sys.argv[1:])
