"""The names of the table layouts, the one list of them: a definition's ``layout`` is one of
these (definitions.py) and extract/mapper.py's ``MAPPERS`` has a mapper for each. Apart from the
mappers so that the definitions can name a layout without importing the code that maps it."""

from __future__ import annotations

from typing import Literal, get_args

Layout = Literal[
    "function_coded",
    "two_sided",
    "economic_blocks",
    "single_row",
    "sectioned",
    "listing",
    "generic",
]

LAYOUTS: tuple[Layout, ...] = get_args(Layout)
