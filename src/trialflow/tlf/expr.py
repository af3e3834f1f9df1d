"""Safe, vectorised evaluation of the small condition language used in TLF shells.

A shell says which records a row counts with an expression such as
``PARAMCD == "BOR" and AVALC in ["SD", "MR"]`` or ``WASHWK >= 12 and WASHWK < 24``.
Expressions are parsed with :mod:`ast` and only a whitelist is evaluated — column names,
literals, comparisons (chained too), ``in`` / ``not in`` a literal list, ``and`` / ``or`` /
``not``, + - * /, and the functions ``notna(X)`` / ``isna(X)`` — never ``eval``. Every node
works on whole pandas Series. Missing values (NaN, NaT, and "" for text) compare false.
The difference of two date columns is a number of days.
"""

from __future__ import annotations

import ast
import operator

import numpy as np
import pandas as pd

from ..errors import SpecError

_CMP = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
        ast.Gt: operator.gt, ast.GtE: operator.ge}
_ARITH = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}
_FUNCS = {"notna", "isna"}


class _Bad(Exception):
    pass


_ALLOWED = (ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.Compare,
            ast.BinOp, ast.Name, ast.Load, ast.Constant, ast.List, ast.Tuple, ast.Set, ast.Call,
            *_CMP, *_ARITH, ast.In, ast.NotIn)


def columns_used(expr: str | None) -> set[str]:
    """Column names an expression refers to; raises _Bad for anything outside the language."""
    if not expr:
        return set()
    tree = _parse(expr)
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            raise _Bad(f"{type(node).__name__} not allowed")
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id in _FUNCS):
            raise _Bad(f"call {ast.unparse(node)!r} not allowed (only notna(X), isna(X))")
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id not in _FUNCS}


def _parse(expr: str) -> ast.Expression:
    try:
        return ast.parse(expr, mode="eval")
    except SyntaxError as exc:
        raise _Bad(f"syntax error: {exc.msg}") from None


def _missing(s: pd.Series) -> pd.Series:
    out = s.isna()
    if s.dtype == object or pd.api.types.is_string_dtype(s):
        out = out | (s.astype(str) == "")
    return out


def _literal(node) -> object:
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float, bool)):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
        return -node.operand.value
    raise _Bad(f"expected a literal, got {ast.unparse(node)!r}")


def _eval(node, df: pd.DataFrame):
    if isinstance(node, ast.Expression):
        return _eval(node.body, df)
    if isinstance(node, ast.BoolOp):
        parts = [_as_bool(_eval(v, df), df) for v in node.values]
        out = parts[0]
        for p in parts[1:]:
            out = (out & p) if isinstance(node.op, ast.And) else (out | p)
        return out
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.Not):
            return ~_as_bool(_eval(node.operand, df), df)
        if isinstance(node.op, ast.USub):
            return -_eval(node.operand, df)
        raise _Bad(f"operator {type(node.op).__name__} not allowed")
    if isinstance(node, ast.Compare):
        left = _eval(node.left, df)
        out = pd.Series(True, index=df.index)
        for op, comp in zip(node.ops, node.comparators):
            if isinstance(op, (ast.In, ast.NotIn)):
                if not isinstance(comp, (ast.List, ast.Tuple, ast.Set)):
                    raise _Bad("'in' needs a literal list")
                values = [_literal(e) for e in comp.elts]
                hit = _series(left, df).isin(values)
                out = out & (hit if isinstance(op, ast.In) else ~hit & ~_missing(_series(left, df)))
                left = None
                continue
            if type(op) not in _CMP:
                raise _Bad(f"comparison {type(op).__name__} not allowed")
            right = _eval(comp, df)
            ls, rs = _series(left, df), _series(right, df)
            with np.errstate(invalid="ignore"):
                res = _CMP[type(op)](ls, rs)
            valid = ~_missing(ls) & ~_missing(rs)
            out = out & res.fillna(False).astype(bool) & valid
            left = right
        return out
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _ARITH:
            raise _Bad(f"operator {type(node.op).__name__} not allowed")
        left, right = _eval(node.left, df), _eval(node.right, df)
        res = _ARITH[type(node.op)](left, right)
        if isinstance(res, pd.Series) and pd.api.types.is_timedelta64_dtype(res):
            res = res.dt.days.astype("float64")
        return res
    if isinstance(node, ast.Name):
        if node.id not in df.columns:
            raise _Bad(f"unknown variable {node.id}")
        return df[node.id]
    if isinstance(node, ast.Constant):
        if isinstance(node.value, (str, int, float, bool)):
            return node.value
        raise _Bad(f"literal {node.value!r} not allowed")
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCS or len(node.args) != 1 or node.keywords:
            raise _Bad(f"call {ast.unparse(node)!r} not allowed (only notna(X), isna(X))")
        miss = _missing(_series(_eval(node.args[0], df), df))
        return ~miss if node.func.id == "notna" else miss
    raise _Bad(f"{type(node).__name__} not allowed: {ast.unparse(node)!r}")


def _series(value, df: pd.DataFrame) -> pd.Series:
    if isinstance(value, pd.Series):
        return value
    return pd.Series([value] * len(df), index=df.index, dtype=object if isinstance(value, str) else None)


def _as_bool(value, df: pd.DataFrame) -> pd.Series:
    s = _series(value, df)
    if s.dtype != bool:
        raise _Bad("and/or/not need conditions on both sides")
    return s


def evaluate(expr: str, df: pd.DataFrame, *, file=None, field=None) -> pd.Series:
    """Evaluate ``expr`` on ``df``: a Series aligned with df (bool for conditions)."""
    try:
        columns_used(expr)
        return _eval(_parse(expr), df)
    except _Bad as exc:
        raise SpecError(f"bad expression: {exc}", file=file, field=field, value=expr) from None


def mask(expr: str | None, df: pd.DataFrame, *, file=None, field=None) -> pd.Series:
    """Boolean Series: rows of df where ``expr`` holds (every row when expr is empty)."""
    if not expr:
        return pd.Series(True, index=df.index)
    res = evaluate(expr, df, file=file, field=field)
    if not isinstance(res, pd.Series) or res.dtype != bool:
        raise SpecError("expression is not a condition", file=file, field=field, value=expr)
    return res
