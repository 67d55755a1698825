"""The database from the shell.

    python -m digitlab.db info            which database, its schema version, rows per table
    python -m digitlab.db import          bring in the old own_digits/ and dubious_marks.json (once)
    python -m digitlab.db adopt VISITOR   give the imported drawings and marks to a browser's visitor id
                                          (the Draw page shows yours under "Your own digits")
"""

from __future__ import annotations

import argparse
import logging
import sys

from sqlalchemy import func, select, update

from digitlab.db import legacy, visitors
from digitlab.db.engine import DatabaseError, current_version, database_url, describe, reading, writing
from digitlab.db.schema import drawings, marks, metadata


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m digitlab.db", description="Digit Lab's database.")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="which database, its schema version, rows per table")
    sub.add_parser("import", help="import the old own_digits/ and dubious_marks.json (once)")
    adopt = sub.add_parser("adopt", help="give the imported drawings and marks to a visitor id")
    adopt.add_argument("visitor", help="32 hex digits, as shown on the Draw page")
    args = p.parse_args(argv)
    quiet = logging.getLogger("digitlab.db")
    if not quiet.handlers:
        quiet.addHandler(logging.NullHandler())  # the error printed below says it all, once
    try:
        if args.command == "info":
            with reading("The database") as conn:
                print(f"{describe(database_url())}: schema version {current_version(conn)}")
                for t in metadata.sorted_tables:
                    print(f"  {t.name:16} {conn.execute(select(func.count()).select_from(t)).scalar_one()} rows")
        elif args.command == "import":
            for line in legacy.import_old_files() or ["nothing to import"]:
                print(line)
        else:
            if not visitors.VISITOR_ID.match(args.visitor):
                p.error("a visitor id is 32 hex digits")
            with writing("Adopting the imported data") as conn:
                visitors.ensure(conn, args.visitor)
                n = conn.execute(update(drawings).where(drawings.c.visitor_id == visitors.IMPORTED)
                                 .values(visitor_id=args.visitor)).rowcount
                m = conn.execute(update(marks).where(marks.c.visitor_id == visitors.IMPORTED)
                                 .values(visitor_id=args.visitor)).rowcount
            print(f"{n} drawings and {m} marks now belong to {args.visitor}")
    except DatabaseError as err:
        print(f"error: {err} ({describe(database_url())}: {err.detail})", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
