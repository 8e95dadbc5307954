"""Administrative codes: 12-digit national style, 15 digits for micro-grids.

Users and imported files write short forms (``321322`` for a county, 9 digits
for a township); storage always uses the full form, so both directions live here.
"""

from __future__ import annotations

LEVELS: tuple[str, ...] = ("city", "county", "township", "village", "grid")
CITY_CODE = "321300000000"


def _digits(code: str) -> str:
    """Reject anything that is not a plain ASCII digit string."""
    if not isinstance(code, str) or not code.isascii() or not code.isdigit():
        raise ValueError(f"area code must be a string of digits, got {code!r}")
    return code


def full_code(code: str) -> str:
    """Pad a 6- or 9-digit short code to 12 digits; 12 and 15 digits pass unchanged."""
    code = _digits(code)
    if len(code) in (6, 9):
        return code.ljust(12, "0")
    if len(code) in (12, 15):
        return code
    raise ValueError(f"area code must have 6, 9, 12 or 15 digits, got {len(code)}: {code!r}")


def level_of(code: str) -> str:
    """Level named by a code (short or full), from which digit groups are zero."""
    code = full_code(code)
    if len(code) == 15:
        return "grid"
    if code[2:4] == "00":
        raise ValueError(f"province codes are not part of this hierarchy: {code!r}")
    if code[4:] == "00000000":
        return "city"
    if code[6:] == "000000":
        return "county"
    if code[9:] == "000":
        return "township"
    return "village"


_SHORT_LEN = {"city": 6, "county": 6, "township": 9, "village": 12, "grid": 15}


def short_code(code: str) -> str:
    """Strip the trailing zero groups a level does not use (city/county 6, township 9 digits)."""
    return full_code(code)[: _SHORT_LEN[level_of(code)]]
