"""Visitors' data in a database: own drawings, dubious-label marks, classes.

SQLite in the user-data folder by default, PostgreSQL (or any database
SQLAlchemy speaks) when ``DIGITLAB_DATABASE_URL`` names one
(:mod:`digitlab.db.engine`). The schema is created and migrated on first use
(:mod:`digitlab.db.schema`); files from before are imported once
(:mod:`digitlab.db.legacy`).

Every reading or writing function takes the visitor's id first and touches
only that visitor's rows:

- :mod:`digitlab.db.drawings`: ``save``, ``load``, ``count``, ``delete_one``, quotas;
- :mod:`digitlab.db.marks`: ``load``, ``set_mark``;
- :mod:`digitlab.db.classes`: ``create``, ``join``, ``taught``, ``class_drawings``.

Any failure of the database (gone, slow, damaged, full, misconfigured) is a
:class:`DatabaseError` whose message is one plain sentence, on reading as on writing;
:func:`check` looks at the database now, and makes its schema again if it was lost.
"""

from __future__ import annotations

from digitlab.db.engine import ENV_VAR, DatabaseError, check, database_url, describe, dispose_all, engine, is_postgres
from digitlab.db.visitors import IMPORTED, new_id

__all__ = ["ENV_VAR", "DatabaseError", "IMPORTED", "check", "database_url", "describe", "dispose_all", "engine",
           "is_postgres", "new_id"]
