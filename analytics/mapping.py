"""Column mapping: which source column (or constant, or product) feeds each canonical column.

Canonical columns are those of DOMAIN.md. A source column matches a canonical one when their
names are equal ignoring case, spaces, underscores, hyphens and dots, or when it is one of the
common synonyms below (``CustomerID``, ``user_id``, ``InvoiceDate``, ``amount``...). Every choice
can be overridden. Besides a column, a canonical column can be:

- a constant, written ``event='purchase'``: every row is that event (a transactions export);
- a product, written ``revenue=Quantity*UnitPrice``: revenue is quantity times unit price.

When a file has no revenue column but has a quantity and a unit-price column, the product is
suggested; when it has no event column but revenue is mapped, the constant ``'purchase'`` is
suggested (every line of a shop export is a purchase, or a return when its revenue is negative).
Suggestions are just that: the report says which were used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from analytics.errors import MappingError

CANONICAL = ("customer_id", "timestamp", "event", "stage", "revenue", "segment", "channel", "satisfaction")
REQUIRED = ("customer_id", "timestamp", "event")
TEXT_COLUMNS = ("customer_id", "event", "stage", "segment", "channel")
CONSTANT_ALLOWED = ("event", "stage", "segment", "channel")

SYNONYMS: dict[str, tuple[str, ...]] = {
    "customer_id": (
        "customerid", "customer", "custid", "customerno", "customernumber", "userid", "user",
        "clientid", "client", "accountid", "account", "contactid", "memberid", "personid",
        "visitorid", "buyerid",
    ),
    "timestamp": (
        "timestamp", "eventtime", "eventtimestamp", "eventdate", "datetime", "time", "date",
        "ts", "invoicedate", "orderdate", "transactiondate", "createdat", "occurredat", "when",
    ),
    "event": ("event", "eventtype", "eventname", "action", "activity", "touchpoint", "interaction", "type"),
    "stage": ("stage", "journeystage", "lifecyclestage", "phase"),
    "revenue": (
        "revenue", "amount", "value", "price", "total", "sales", "netamount", "totalamount",
        "payment", "amountpaid", "sale",
    ),
    "segment": ("segment", "persona", "customersegment", "usersegment", "tier", "group"),
    "channel": ("channel", "source", "medium", "touchpointchannel"),
    "satisfaction": ("satisfaction", "satisfactionscore", "csat", "nps", "score", "rating"),
}
QUANTITY_NAMES = ("quantity", "qty", "units", "count")
UNIT_PRICE_NAMES = ("unitprice", "priceeach", "itemprice", "unitcost", "price")
DEFAULT_EVENT = "purchase"


def normalise(name: str) -> str:
    """A column name compared ignoring case, spaces, underscores, hyphens and dots."""
    return re.sub(r"[\s_\-.]+", "", name).casefold()


@dataclass(frozen=True)
class Source:
    """Where one canonical column comes from: exactly one of column, constant or product."""

    column: str | None = None
    constant: str | None = None
    product: tuple[str, str] | None = None

    def describe(self) -> str:
        if self.constant is not None:
            return f"'{self.constant}' on every row"
        if self.product is not None:
            return f"{self.product[0]} x {self.product[1]}"
        return self.column or "(not mapped)"

    def to_spec(self) -> str:
        if self.constant is not None:
            return "'" + self.constant.replace("'", "''") + "'"
        if self.product is not None:
            return f"{self.product[0]}*{self.product[1]}"
        return self.column or ""

    def columns(self) -> list[str]:
        if self.product is not None:
            return list(self.product)
        return [self.column] if self.column else []


@dataclass(frozen=True)
class Mapping:
    """A complete mapping: canonical column name -> :class:`Source` (absent = not mapped)."""

    sources: dict[str, Source]
    date_format: str | None = None  # strptime format for timestamps, when not ISO 8601
    decimal_mark: str | None = None  # "." (1,234.50) or "," (1.234,50); None: detected from the file

    def get(self, canonical: str) -> Source | None:
        return self.sources.get(canonical)

    def to_dict(self) -> dict:
        out = {k: v.to_spec() for k, v in self.sources.items()}
        if self.date_format:
            out["date_format"] = self.date_format
        if self.decimal_mark:
            out["decimal_mark"] = self.decimal_mark
        return out

    @classmethod
    def from_dict(cls, data: dict, columns: list[str] | None = None) -> Mapping:
        data = dict(data)
        date_format = data.pop("date_format", None)
        decimal_mark = parse_decimal_mark(data.pop("decimal_mark", None))
        sources = {k: parse_source(k, v, columns) for k, v in data.items() if v}
        return cls(sources=sources, date_format=date_format, decimal_mark=decimal_mark)

    def describe(self) -> dict[str, str]:
        """Each mapped canonical column and where it comes from; the date format and the decimal mark
        are the report's own fields (``date_format``, ``decimal_mark``), whether chosen or detected."""
        return {c: self.sources[c].describe() for c in CANONICAL if c in self.sources}


DECIMAL_MARK_NAMES = {".": ".", "point": ".", "dot": ".", ",": ",", "comma": ","}


def parse_decimal_mark(text: str | None) -> str | None:
    """A decimal mark as the user writes it: ``.``/``point`` or ``,``/``comma``; empty or ``detect``: None."""
    if text is None or not text.strip() or text.strip().lower() == "detect":
        return None
    mark = DECIMAL_MARK_NAMES.get(text.strip().lower())
    if mark is None:
        raise MappingError(
            f"The decimal mark {text!r} is not one Journey Ledger reads; write . (or point) for 1,234.50, "
            ", (or comma) for 1.234,50, or leave it out to detect it."
        )
    return mark


def parse_source(canonical: str, spec: str, columns: list[str] | None = None) -> Source:
    """Read the right-hand side of ``canonical=SPEC``.

    ``'text'`` or ``"text"`` is a constant; ``A*B`` a product when both sides are columns of
    the file (a column whose own name contains ``*`` wins over the product reading); anything
    else a column name. ``columns`` (the file's header) is checked when given.
    """
    if canonical not in CANONICAL:
        raise MappingError(
            f"'{canonical}' is not a column Journey Ledger knows; map one of: {', '.join(CANONICAL)}."
        )
    spec = spec.strip()
    if len(spec) >= 2 and spec[0] == spec[-1] and spec[0] in "'\"":
        if canonical not in CONSTANT_ALLOWED:
            raise MappingError(
                f"{canonical} cannot be the same on every row; map it to a column of the file."
            )
        value = spec[1:-1].replace(spec[0] * 2, spec[0]).strip()
        if not value:
            raise MappingError(f"The constant for {canonical} is empty; write it like {canonical}='purchase'.")
        return Source(constant=value)
    if "*" in spec and not (columns is not None and spec in columns):
        left, _, right = (p.strip() for p in spec.partition("*"))
        if canonical != "revenue":
            raise MappingError(f"Only revenue can be a product of two columns, not {canonical}.")
        for col in (left, right):
            _check_column(col, columns, canonical)
        return Source(product=(left, right))
    _check_column(spec, columns, canonical)
    return Source(column=spec)


def _check_column(name: str, columns: list[str] | None, canonical: str) -> None:
    if not name:
        raise MappingError(f"No column given for {canonical}.")
    if columns is not None and name not in columns:
        shown = ", ".join(columns[:20]) + (" ..." if len(columns) > 20 else "")
        raise MappingError(f"There is no column '{name}' for {canonical} in the file; its columns are: {shown}.")


def parse_map_args(args: list[str], columns: list[str] | None = None) -> dict[str, Source | None]:
    """Parse command-line ``--map canonical=SPEC`` overrides (``canonical=`` unmaps)."""
    out: dict[str, Source | None] = {}
    for arg in args:
        canonical, eq, spec = arg.partition("=")
        canonical = canonical.strip()
        if not eq:
            raise MappingError(
                f"--map {arg!r} needs the form canonical=SOURCE, for example customer_id=CustomerID."
            )
        out[canonical] = parse_source(canonical, spec, columns) if spec.strip() else None
        if canonical not in CANONICAL:
            raise MappingError(f"'{canonical}' is not a column Journey Ledger knows; map one of: {', '.join(CANONICAL)}.")
    return out


def suggest_mapping(columns: list[str]) -> Mapping:
    """Suggest a mapping for a header: exact names first, then synonyms in order of preference."""
    by_norm: dict[str, str] = {}
    for col in columns:
        by_norm.setdefault(normalise(col), col)
    used: set[str] = set()
    sources: dict[str, Source] = {}
    # exact canonical names win before any synonym is considered
    for canonical in CANONICAL:
        col = by_norm.get(normalise(canonical))
        if col and col not in used:
            sources[canonical] = Source(column=col)
            used.add(col)
    for canonical in CANONICAL:
        if canonical in sources:
            continue
        for syn in SYNONYMS[canonical]:
            col = by_norm.get(syn)
            if col and col not in used:
                sources[canonical] = Source(column=col)
                used.add(col)
                break
    if "revenue" not in sources:
        qty = next((by_norm[n] for n in QUANTITY_NAMES if n in by_norm), None)
        price = next((by_norm[n] for n in UNIT_PRICE_NAMES if n in by_norm), None)
        if qty and price and qty != price:
            sources["revenue"] = Source(product=(qty, price))
    if "event" not in sources and "revenue" in sources:
        sources["event"] = Source(constant=DEFAULT_EVENT)
    return Mapping(sources=sources)


def apply_overrides(base: Mapping, overrides: dict[str, Source | None], date_format: str | None = None,
                    decimal_mark: str | None = None) -> Mapping:
    """``base`` with each override applied (``None`` removes the canonical column)."""
    sources = dict(base.sources)
    for canonical, source in overrides.items():
        if source is None:
            sources.pop(canonical, None)
        else:
            sources[canonical] = source
    return Mapping(sources=sources, date_format=date_format or base.date_format,
                   decimal_mark=decimal_mark or base.decimal_mark)


def check_mapping(mapping: Mapping, columns: list[str], file_label: str) -> None:
    """Refuse a mapping that lacks a required column or names a column the file lacks."""
    for canonical, source in mapping.sources.items():
        for col in source.columns():
            _check_column(col, columns, canonical)
    missing = [c for c in REQUIRED if c not in mapping.sources]
    if missing:
        c = missing[0]
        hint = {
            "customer_id": "a column that says who the customer is (for example CustomerID)",
            "timestamp": "a column that says when it happened (for example InvoiceDate)",
            "event": "a column that names what happened, or say every row is one event with event='purchase'",
        }[c]
        raise MappingError(
            f"{file_label} has no {c} column Journey Ledger could recognise; map {hint}."
        )
