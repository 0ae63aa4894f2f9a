"""``python -m bench`` lists the benchmarks; ``python -m bench NAME [args]`` runs ``bench/NAME.py``."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import bench


def _names() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if not m.name.startswith("_"))


def main(argv: list[str]) -> int:
    names = _names()
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m bench NAME [args]\n\nbenchmarks:")
        for name in names:
            doc = (importlib.import_module(f"bench.{name}").__doc__ or "").strip().splitlines()
            print(f"  {name:<16} {doc[0] if doc else ''}")
        return 0
    if argv[0] not in names:
        print(f"bench: no benchmark named {argv[0]!r}; choose from {', '.join(names)}", file=sys.stderr)
        return 2
    return importlib.import_module(f"bench.{argv[0]}").main(argv[1:]) or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
