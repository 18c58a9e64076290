"""``python -m dialer.i18n update|check``: merge the extracted messages into the catalogues, or check them."""

from __future__ import annotations

import sys

from dialer.i18n.catalog import check, update


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "update":
        for locale, n in update().items():
            print(f"{locale}: {n} untranslated")
        return 0
    if command == "check":
        problems = check()
        for p in problems:
            print(p)
        print(f"{len(problems)} problem(s)")
        return 1 if problems else 0
    print("usage: python -m dialer.i18n update|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
