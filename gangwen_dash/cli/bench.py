"""``python -m gangwen_dash bench <name> …``: one dispatcher for every benchmark.

``BENCHES`` maps a bench name to its module; each module exposes ``add_arguments(parser)`` and
``run(args) -> int`` and prints its figures (``--json`` for machines).
"""

from __future__ import annotations

import importlib

BENCHES: dict[str, str] = {
    "dashboard": "gangwen_dash.bench.dashboard",
    "map": "gangwen_dash.bench.map",
    "map-browser": "gangwen_dash.bench.map_browser",
    "session": "gangwen_dash.bench.session",
    "weekly": "gangwen_dash.bench.weekly",
}


def register(subparsers) -> None:
    parser = subparsers.add_parser("bench", help="性能基准（打印数字，不是测试）")
    sub = parser.add_subparsers(dest="bench", required=True, metavar="BENCH")
    for name, module_path in BENCHES.items():
        try:
            module = importlib.import_module(module_path)
        except ModuleNotFoundError as exc:
            if exc.name == module_path:  # a bench not written yet: leave it out of the menu
                continue
            raise
        doc = (module.__doc__ or name).strip().splitlines()[0]
        bench = sub.add_parser(name, help=doc, description=module.__doc__)
        module.add_arguments(bench)
        bench.set_defaults(func=module.run)
