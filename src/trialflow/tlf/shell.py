"""TLF shells (specs/tlf/<id>.yaml) as typed objects, checked on load.

A shell says what an output shows: title, population, the analysis groups (ARD columns), the
displayed columns, the rows (each a statistic on a dataset with a condition and a display
format), footnotes, and for every reproduced cell the publication's printed value with its
target id. Figures add a ``plot`` block and hidden ``data`` rows that feed the plot through the
same engine. Every problem raises SpecError naming the shell file and the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import SpecError
from . import expr as _expr

KINDS = ("table", "listing", "figure")
STATS = {
    "n", "count", "count_pct", "median_range", "sum", "rate_ci", "km_median_ci",
    "km_curve", "km_at_risk", "values",
}
# default ARD statistics compared with a printed cell, by statistic kind and number of printed numbers
DEFAULT_COMPARE = {
    "n": {1: ["n"]},
    "count": {1: ["n"], 2: ["n", "N"]},
    "count_pct": {1: ["pct"], 2: ["n", "pct"], 3: ["n", "N", "pct"]},
    "median_range": {1: ["median"], 3: ["median", "min", "max"]},
    "sum": {1: ["sum"]},
    "rate_ci": {1: ["pct"], 2: ["n", "pct"], 3: ["pct", "lower", "upper"], 4: ["n", "pct", "lower", "upper"]},
    "km_median_ci": {1: ["median"], 3: ["median", "lower", "upper"]},
}
ROW_KEYS = {"key", "label", "indent", "mark", "stat", "dataset", "var", "vars", "where", "subset", "denominator",
            "unit", "format", "expand", "times", "sort", "published", "printed", "target", "compare",
            "column", "pct_denominator", "irreproducible", "note"}
SHELL_KEYS = {"id", "type", "title", "subtitle", "population", "dataset", "groups", "columns", "rows", "data",
              "footnotes", "plot", "stub", "orientation", "_path"}


@dataclass(frozen=True)
class Group:
    """An analysis column of the ARD: optional subject subset (ADSL) and record condition."""
    key: str
    subset: str | None = None
    where: str | None = None


@dataclass(frozen=True)
class Column:
    """A displayed column: which group it shows and (optionally) how its cells are formatted."""
    key: str
    label: str
    group: str
    format: str | None = None
    var: str | None = None  # listings: the variable shown
    width: float = 1.0


@dataclass(frozen=True)
class Published:
    column: str
    value: str
    target: str | None
    compare: tuple[str, ...] | None
    pct_denominator: int | None
    irreproducible: str | None
    printed: str | None


@dataclass(frozen=True)
class Row:
    key: str | None
    label: str
    stat: str | None = None
    indent: int = 0
    mark: str | None = None  # footnote marker shown as superscript after the label
    dataset: str | None = None
    var: str | None = None
    vars: tuple[dict, ...] = ()
    where: str | None = None
    subset: str | None = None
    denominator: dict | None = None
    unit: str = "subjects"
    format: str | dict | None = None
    expand: tuple[str, ...] = ()
    times: tuple[float, ...] = ()
    sort: tuple[str, ...] = ()
    published: tuple[Published, ...] = ()
    note: str | None = None

    @property
    def is_header(self) -> bool:
        return self.stat is None

    def format_for(self, column: Column) -> str | None:
        if isinstance(self.format, dict):
            return self.format.get(column.key)
        return self.format or column.format


@dataclass
class Shell:
    id: str
    type: str
    title: tuple[str, ...]
    population: str
    dataset: str
    groups: tuple[Group, ...]
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    data: tuple[Row, ...] = ()
    footnotes: tuple[str, ...] = ()
    subtitle: str | None = None
    stub: str = ""
    orientation: str = "portrait"
    plot: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def all_rows(self) -> tuple[Row, ...]:
        return self.rows + self.data

    def datasets(self) -> list[str]:
        names = {self.dataset, "ADSL"} | {r.dataset for r in self.all_rows if r.dataset}
        names |= {d["dataset"] for r in self.all_rows if r.denominator and r.denominator.get("dataset")
                  for d in [r.denominator]}
        return sorted(n.upper() for n in names)

    def group(self, key: str) -> Group:
        for g in self.groups:
            if g.key == key:
                return g
        raise KeyError(key)


def _fail(msg, path, key, value=None):
    raise SpecError(msg, file=path, field=key, value=value)


def _check_expr(text, path, key):
    if text is None:
        return None
    if not isinstance(text, str):
        _fail("expression must be text", path, key, text)
    try:
        _expr.columns_used(text)
    except _expr._Bad as exc:
        _fail(f"bad expression: {exc}", path, key, text)
    return text


def _published(raw: dict, path: Path, key: str, stat: str | None, first_column: str) -> tuple[Published, ...]:
    items = raw.get("published")
    if items is None:
        return ()
    if isinstance(items, str):
        items = [{"value": items, **{k: raw[k] for k in ("target", "compare", "column", "pct_denominator",
                                                         "irreproducible", "printed") if k in raw}}]
    if not isinstance(items, list):
        _fail("published must be text or a list of cells", path, f"{key}.published", items)
    out = []
    for i, item in enumerate(items):
        k = f"{key}.published[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("value"), str):
            _fail("published cell needs a text 'value'", path, k, item)
        compare = item.get("compare")
        if compare is not None and (not isinstance(compare, list) or not all(isinstance(c, str) for c in compare)):
            _fail("compare must be a list of statistic names", path, f"{k}.compare", compare)
        pct_den = item.get("pct_denominator")
        if pct_den is not None and (not isinstance(pct_den, int) or pct_den <= 0):
            _fail("pct_denominator must be a positive integer", path, f"{k}.pct_denominator", pct_den)
        if stat is None:
            _fail("a published value needs a statistic row", path, k)
        out.append(Published(column=str(item.get("column", first_column)), value=item["value"],
                             target=item.get("target"), compare=tuple(compare) if compare else None,
                             pct_denominator=pct_den, irreproducible=item.get("irreproducible"),
                             printed=item.get("printed")))
    return tuple(out)


def _row(raw: Any, path: Path, key: str, first_column: str) -> Row:
    if not isinstance(raw, dict):
        _fail("row must be a mapping", path, key, raw)
    bad = set(raw) - ROW_KEYS
    if bad:
        _fail("unknown row key", path, f"{key}.{sorted(bad)[0]}")
    stat = raw.get("stat")
    if stat is not None and stat not in STATS:
        _fail(f"unknown statistic; choose from {sorted(STATS)}", path, f"{key}.stat", stat)
    rkey = raw.get("key")
    if stat is not None and (not isinstance(rkey, str) or not rkey or "|" in rkey or "/" in rkey):
        _fail("a statistic row needs a 'key' (text without | or /)", path, f"{key}.key", rkey)
    label = raw.get("label", "")
    if not isinstance(label, str):
        _fail("label must be quoted text", path, f"{key}.label", label)
    if stat in ("median_range", "sum", "km_median_ci", "km_curve", "km_at_risk") and not raw.get("var"):
        _fail(f"statistic {stat} needs a 'var'", path, f"{key}.var")
    if stat == "km_at_risk" and not raw.get("times"):
        _fail("km_at_risk needs 'times'", path, f"{key}.times")
    unit = raw.get("unit", "subjects")
    if unit not in ("subjects", "records"):
        _fail("unit must be subjects or records", path, f"{key}.unit", unit)
    denom = raw.get("denominator")
    if denom is not None and not isinstance(denom, dict):
        _fail("denominator must be a mapping (where/dataset)", path, f"{key}.denominator", denom)
    fmt = raw.get("format")
    if fmt is not None and not isinstance(fmt, (str, dict)):
        _fail("format must be text or a mapping column -> text", path, f"{key}.format", fmt)
    variables = raw.get("vars") or ()
    if stat == "values":
        if not isinstance(variables, list) or not variables:
            _fail("values rows need 'vars' (list)", path, f"{key}.vars")
        variables = tuple(v if isinstance(v, dict) else {"name": v} for v in variables)
        for i, v in enumerate(variables):
            if not isinstance(v.get("name"), str):
                _fail("each var needs a name", path, f"{key}.vars[{i}]", v)
            _check_expr(v.get("expr"), path, f"{key}.vars[{i}].expr")
    return Row(
        key=rkey, label=label, stat=stat, indent=int(raw.get("indent", 0)), mark=raw.get("mark"),
        dataset=raw.get("dataset"), var=raw.get("var"), vars=tuple(variables),
        where=_check_expr(raw.get("where"), path, f"{key}.where"),
        subset=_check_expr(raw.get("subset"), path, f"{key}.subset"),
        denominator=denom, unit=unit, format=fmt, expand=tuple(raw.get("expand") or ()),
        times=tuple(float(t) for t in raw.get("times") or ()), sort=tuple(raw.get("sort") or ()),
        published=_published(raw, path, key, stat, first_column), note=raw.get("note"))


def parse_shell(raw: dict, path: Path | None = None) -> Shell:
    """Check a shell mapping (as loaded from YAML) and build the Shell."""
    path = Path(path) if path is not None else raw.get("_path")
    if not isinstance(raw, dict):
        _fail("shell must be a mapping", path, "id")
    bad = set(raw) - SHELL_KEYS
    if bad:
        _fail("unknown shell key", path, sorted(bad)[0])
    sid = raw.get("id")
    if not isinstance(sid, str) or not sid.isidentifier() or sid != sid.lower():
        _fail("id must be a lower-case identifier", path, "id", sid)
    if path is not None and Path(path).stem != sid:
        _fail("file name does not match the shell id", path, "id", sid)
    kind = raw.get("type", "table")
    if kind not in KINDS:
        _fail(f"type must be one of {KINDS}", path, "type", kind)
    title = raw.get("title")
    title = (title,) if isinstance(title, str) else tuple(title or ())
    if not title or not all(isinstance(t, str) for t in title):
        _fail("title must be text or a list of text", path, "title", raw.get("title"))
    population = _check_expr(raw.get("population"), path, "population")
    if not population:
        _fail("population (an ADSL condition) is required", path, "population")
    dataset = raw.get("dataset", "ADSL")
    groups = []
    for i, g in enumerate(raw.get("groups") or [{"key": "ALL"}]):
        if not isinstance(g, dict) or not isinstance(g.get("key"), str):
            _fail("group needs a key", path, f"groups[{i}]", g)
        groups.append(Group(key=g["key"], subset=_check_expr(g.get("subset"), path, f"groups[{i}].subset"),
                            where=_check_expr(g.get("where"), path, f"groups[{i}].where")))
    gkeys = [g.key for g in groups]
    if len(set(gkeys)) != len(gkeys):
        _fail("duplicate group key", path, "groups", gkeys)
    columns = []
    for i, c in enumerate(raw.get("columns") or [{"key": g, "label": ""} for g in gkeys]):
        if not isinstance(c, dict) or not isinstance(c.get("key"), str):
            _fail("column needs a key", path, f"columns[{i}]", c)
        group = c.get("group", c["key"] if c["key"] in gkeys else gkeys[0])
        if group not in gkeys:
            _fail("column refers to an unknown group", path, f"columns[{i}].group", group)
        columns.append(Column(key=c["key"], label=str(c.get("label", "")), group=group, format=c.get("format"),
                              var=c.get("var"), width=float(c.get("width", 1.0))))
    ckeys = [c.key for c in columns]
    if len(set(ckeys)) != len(ckeys):
        _fail("duplicate column key", path, "columns", ckeys)
    rows = tuple(_row(r, path, f"rows[{i}]", ckeys[0]) for i, r in enumerate(raw.get("rows") or []))
    data = tuple(_row(r, path, f"data[{i}]", ckeys[0]) for i, r in enumerate(raw.get("data") or []))
    keys = [r.key for r in rows + data if r.key]
    dup = {k for k in keys if keys.count(k) > 1}
    if dup:
        _fail("duplicate row key", path, "rows", sorted(dup)[0])
    for r in rows + data:
        for p in r.published:
            if p.column not in ckeys:
                _fail("published cell refers to an unknown column", path, f"{r.key}.published", p.column)
    footnotes = raw.get("footnotes") or []
    if not isinstance(footnotes, list) or not all(isinstance(f, str) for f in footnotes):
        _fail("footnotes must be a list of text", path, "footnotes")
    if kind == "figure" and not isinstance(raw.get("plot"), dict):
        _fail("a figure needs a 'plot' block", path, "plot")
    return Shell(id=sid, type=kind, title=title, population=population, dataset=dataset, groups=tuple(groups),
                 columns=tuple(columns), rows=rows, data=data, footnotes=tuple(footnotes),
                 subtitle=raw.get("subtitle"), stub=str(raw.get("stub", "")),
                 orientation=raw.get("orientation", "portrait"), plot=raw.get("plot") or {},
                 path=Path(path) if path is not None else None)


def load_shells(specs) -> dict[str, Shell]:
    """Every shell of a Specs object, parsed and checked, by id."""
    return {sid: parse_shell(raw, raw.get("_path")) for sid, raw in sorted(specs.tlf.items())}
