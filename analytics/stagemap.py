"""The stage map: journey stages in order, their customer goals and touchpoints.

Written as TOML (see DOMAIN.md)::

    churn_after_days = 90            # W: inactivity after which a customer is lost
    churn_events = ["cancel"]        # explicit loss
    friction_events = ["support_ticket"]
    baseline_periods = 3             # k: periods in a stage's baseline

    [[stages]]
    name = "Discover"
    goal = "I want to know what my options are."
    events = ["ad_click", "site_visit"]

Validation refuses unknown keys, wrong types, repeated stage names and an event listed
under two stages, each with a sentence that says where and what to change. A churn event
that never occurs in the data is only a warning (:meth:`StageMap.warnings_for`), as are a stage
nobody can enter, a listed event that never occurs and stage names in the data that the map does
not have (:meth:`StageMap.warnings_against`).
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from analytics.errors import StageMapError

UNMAPPED = "Unmapped"

TOP_KEYS = ("churn_after_days", "churn_events", "friction_events", "baseline_periods", "stages")
STAGE_KEYS = ("name", "goal", "events")


@dataclass(frozen=True)
class Stage:
    name: str
    goal: str = ""
    events: tuple[str, ...] = ()


@dataclass(frozen=True)
class StageMap:
    """A validated stage map. ``stages`` are in journey order."""

    stages: tuple[Stage, ...] = ()
    churn_after_days: int = 90
    churn_events: tuple[str, ...] = ("cancel",)
    friction_events: tuple[str, ...] = ()
    baseline_periods: int = 3
    _by_event: dict[str, str] = field(default=None, repr=False, compare=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        by_event = {e: s.name for s in self.stages for e in s.events}
        object.__setattr__(self, "_by_event", by_event)

    @property
    def stage_names(self) -> list[str]:
        """Stage names in journey order (without ``Unmapped``)."""
        return [s.name for s in self.stages]

    def stage_of(self, event: str) -> str:
        """The stage that claims ``event``, or ``Unmapped``."""
        return self._by_event.get(event, UNMAPPED)

    def event_stage_pairs(self) -> list[tuple[str, str]]:
        """(event, stage) for every event the map claims."""
        return list(self._by_event.items())

    def warnings_for(self, events_in_data: set[str]) -> list[str]:
        """Warnings about this map against the events a dataset actually holds."""
        out = []
        for e in self.churn_events:
            if e not in events_in_data:
                out.append(
                    f"The churn event '{e}' never occurs in the data, so nobody is lost "
                    "by it; check its spelling in the stage map."
                )
        if not self.stages:
            out.append("The stage map has no stages, so every event is shown as Unmapped.")
        return out

    def warnings_against(self, events_in_data: set[str], stages_in_data: dict[str, int]) -> list[str]:
        """The map's mistakes that the data shows, none of which stops it from being saved: a stage that
        nobody can enter (no events, and no row names it in the stage column), events listed under a stage
        that never occur (a typo such as 'purchse'; a churn event is :meth:`warnings_for`'s), and rows whose
        stage column names a stage the map does not have (``stages_in_data``: stage name -> rows): those are
        placed by their event name, as DOMAIN.md says of a stage that cannot be found."""
        out = []
        for s in self.stages:
            if not s.events and s.name not in stages_in_data:
                out.append(f"Stage '{s.name}' has no events, so nobody enters it; list its events, or remove it.")
        missing = [e for s in self.stages for e in s.events if e not in events_in_data and e not in self.churn_events]
        if missing:
            listed = ", ".join(f"'{e}'" for e in missing[:10]) + (f" and {len(missing) - 10:,} more" if len(missing) > 10 else "")
            out.append(
                f"The event {listed} of the stage map never occurs in the data; check its spelling." if len(missing) == 1
                else f"The events {listed} of the stage map never occur in the data; check their spelling."
            )
        unknown = {name: n for name, n in stages_in_data.items() if name not in self.stage_names}
        if unknown:
            def rows(n: int) -> str:
                return f"{n:,} row" if n == 1 else f"{n:,} rows"

            total = sum(unknown.values())
            names = ", ".join(f"{name}: {rows(n)}" for name, n in sorted(unknown.items(), key=lambda kv: (-kv[1], kv[0])))
            out.append(
                f"The stage column of {rows(total)} names a stage the stage map does not have ({names}); "
                f"{'that row was' if total == 1 else 'those rows were'} placed by {'its' if total == 1 else 'their'} "
                "event name instead. Add the stage to the map, or correct the column."
            )
        return out

    def to_dict(self) -> dict:
        return {
            "churn_after_days": self.churn_after_days,
            "churn_events": list(self.churn_events),
            "friction_events": list(self.friction_events),
            "baseline_periods": self.baseline_periods,
            "stages": [
                {"name": s.name, "goal": s.goal, "events": list(s.events)} for s in self.stages
            ],
        }

    def to_toml(self) -> str:
        """Render as TOML that :func:`parse_stage_map` reads back to an equal map."""

        def s(v: str) -> str:
            return json.dumps(v, ensure_ascii=False)  # a JSON string is a TOML basic string

        def arr(vs) -> str:
            return "[" + ", ".join(s(v) for v in vs) + "]"

        lines = [
            f"churn_after_days = {self.churn_after_days}",
            f"churn_events = {arr(self.churn_events)}",
            f"friction_events = {arr(self.friction_events)}",
            f"baseline_periods = {self.baseline_periods}",
        ]
        for st in self.stages:
            lines += ["", "[[stages]]", f"name = {s(st.name)}", f"goal = {s(st.goal)}"]
            lines.append(f"events = {arr(st.events)}")
        return "\n".join(lines) + "\n"


DEFAULT_STAGE_MAP = StageMap()


def _str_list(value, where: str, source: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise StageMapError(f"{source}: {where} must be a list of event names in quotes, like [\"cancel\"].")
    cleaned = tuple(v.strip() for v in value)
    if any(not v for v in cleaned):
        raise StageMapError(f"{source}: {where} has an empty event name; remove it.")
    return cleaned


def _int(value, key: str, source: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise StageMapError(f"{source}: {key} must be a whole number from {low} to {high}, not {value!r}.")
    return value


def stage_map_from_dict(data: dict, source: str = "the stage map") -> StageMap:
    """Validate a parsed stage map (the TOML's dictionary) and build a :class:`StageMap`."""
    unknown = [k for k in data if k not in TOP_KEYS]
    if unknown:
        raise StageMapError(
            f"{source}: unknown key '{unknown[0]}'; the keys a stage map may have are "
            + ", ".join(TOP_KEYS) + "."
        )
    kwargs: dict = {}
    if "churn_after_days" in data:
        kwargs["churn_after_days"] = _int(data["churn_after_days"], "churn_after_days", source, 1, 3650)
    if "baseline_periods" in data:
        kwargs["baseline_periods"] = _int(data["baseline_periods"], "baseline_periods", source, 1, 36)
    for key in ("churn_events", "friction_events"):
        if key in data:
            kwargs[key] = _str_list(data[key], key, source)
    raw_stages = data.get("stages", [])
    if not isinstance(raw_stages, list) or not all(isinstance(s, dict) for s in raw_stages):
        raise StageMapError(f"{source}: stages must be written as [[stages]] tables, one per stage.")
    stages: list[Stage] = []
    owner: dict[str, str] = {}
    for i, raw in enumerate(raw_stages, start=1):
        bad = [k for k in raw if k not in STAGE_KEYS]
        label = f"stage {i}" + (f" ('{raw['name']}')" if isinstance(raw.get("name"), str) else "")
        if bad:
            raise StageMapError(
                f"{source}: unknown key '{bad[0]}' in {label}; a stage has only name, goal and events."
            )
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            raise StageMapError(f"{source}: {label} has no name; add name = \"...\".")
        name = name.strip()
        if name.casefold() == UNMAPPED.casefold():
            raise StageMapError(f"{source}: '{UNMAPPED}' is reserved for events no stage claims; rename {label}.")
        if name in (s.name for s in stages):
            raise StageMapError(f"{source}: the stage '{name}' is listed twice; give each stage its own name.")
        goal = raw.get("goal", "")
        if not isinstance(goal, str):
            raise StageMapError(f"{source}: the goal of '{name}' must be text in quotes.")
        events = _str_list(raw.get("events", []), f"the events of '{name}'", source)
        for e in events:
            if e in owner and owner[e] != name:
                raise StageMapError(
                    f"{source}: the event '{e}' is listed under both '{owner[e]}' and '{name}'; "
                    "an event belongs to one stage, so remove it from one of them."
                )
            owner[e] = name
        stages.append(Stage(name=name, goal=goal.strip(), events=tuple(dict.fromkeys(events))))
    return StageMap(stages=tuple(stages), **kwargs)


def parse_stage_map(text: str, source: str = "the stage map") -> StageMap:
    """Parse and validate stage-map TOML text; ``source`` names it in error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise StageMapError(f"{source} is not valid TOML: {exc}. Correct that line and try again.") from None
    return stage_map_from_dict(data, source)


def stage_map_from_bytes(data: bytes, source: str) -> StageMap:
    """A stage map uploaded as a file's bytes: UTF-8 (a byte order mark allowed), else refused. Read as anything
    else, a Latin-1 'Ich möchte' or 'kündigung' would be saved with '\ufffd' in place of the letter, and such an
    event name never matches the data's."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise StageMapError(f"{source} is not UTF-8 text; save it as UTF-8 TOML.") from None
    return parse_stage_map(text, source)


def load_stage_map(path: str | Path) -> StageMap:
    """Read a stage map file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise StageMapError(f"The stage map {path.name} does not exist; check the path.") from None
    except UnicodeDecodeError:
        raise StageMapError(f"The stage map {path.name} is not UTF-8 text; save it as UTF-8 TOML.") from None
    return parse_stage_map(text, path.name)
