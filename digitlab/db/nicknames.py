"""When two nicknames are one name to a class: the same rule on SQLite and PostgreSQL.

A teacher reads the nicknames off a list, so names that look alike must not be two
students: ``Ana``, ``ANA``, ``Аna`` (its first letter Cyrillic), ``Ａｎａ`` (full-width)
and ``Ana`` typed with a combining accent elsewhere are compared by one key, computed
here in Python (a database's own ``lower()`` differs: SQLite's folds ASCII only) and
stored beside the nickname, where a unique index holds it.

The key: Unicode NFKC (full-width and other compatibility forms become the plain
letter, a letter and its combining accent become one), then the Cyrillic and Greek
letters that look like a Latin letter become it (:data:`LOOKALIKES`), then a casefold
(``str.casefold``: Émile and émile, Straße and STRASSE), then NFKC again.

The keys are stored: a change to this rule needs a new migration that computes every stored
key again (:mod:`digitlab.db.schema`), or old and new members would be compared differently.
"""

from __future__ import annotations

import unicodedata

# Cyrillic and Greek letters that look like one Latin letter: the entries of Unicode's
# confusables.txt (UTS #39, "Unicode Security Mechanisms", https://www.unicode.org/Public/security/
# latest/confusables.txt, type MA) that map one Greek or Cyrillic letter to one Latin letter.
# Two changes: confusables.txt maps capital Iota, Cyrillic І and Palochka Ӏ to "l", because it
# also folds Latin I into l; this key does not fold Latin letters into each other (Ian and lan
# stay two names), so they become "I" here, like the Latin letter they are drawn as. Letters that
# look like digits (З, б) are left out: a nickname of digits is rare and "3ara" is not "Зara"; so are
# the lunate sigma symbols ϲ and Ϲ, which NFKC has already made into ς and Σ when this table is used.
LOOKALIKES = {
    # Greek capitals
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
    "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "Ϳ": "J", "Ϝ": "F", "Ϻ": "M",
    # Greek small letters
    "α": "a", "γ": "y", "ι": "i", "ν": "v", "ο": "o", "ρ": "p", "σ": "o", "υ": "u", "ϳ": "j",
    # Cyrillic capitals
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T",
    "У": "Y", "Х": "X", "Ѕ": "S", "І": "I", "Ј": "J", "Ь": "b", "Ѵ": "V", "Ү": "Y", "Ӏ": "I", "Ԍ": "G",
    "Ԝ": "W",
    # Cyrillic small letters
    "а": "a", "г": "r", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "ѕ": "s", "і": "i",
    "ј": "j", "ѡ": "w", "ѵ": "v", "ү": "y", "һ": "h", "ҽ": "e", "ԁ": "d", "ԛ": "q", "ԝ": "w",
}
_TABLE = str.maketrans(LOOKALIKES)


def nickname_key(nickname: str) -> str:
    """The form in which two nicknames that look alike are equal (see the module docstring)."""
    folded = unicodedata.normalize("NFKC", str(nickname)).translate(_TABLE).casefold()
    return unicodedata.normalize("NFKC", " ".join(folded.split()))
