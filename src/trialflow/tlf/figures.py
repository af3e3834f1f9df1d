"""Figures through matplotlib (Agg), drawn from ARD rows only, as PNG and SVG with fixed metadata.

Determinism: the Agg backend, the bundled DejaVu Sans font, a fixed ``svg.hashsalt``, no
creation date or software version in the files; the same ARD gives the same bytes.
Kinds (shell ``plot.kind``): ``swimmer`` (one bar per subject), ``scatter``, ``km``
(Kaplan–Meier panels with numbers at risk).
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import PathPatch  # noqa: E402
from matplotlib.path import Path  # noqa: E402

from ..errors import SpecError  # noqa: E402
from .ard import Ard  # noqa: E402
from .shell import Shell  # noqa: E402

RC = {
    "svg.hashsalt": "trialflow",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "path.simplify": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
PNG_META = {"Software": None}
SVG_META = {"Date": None, "Creator": None, "Format": None, "Type": None}
DPI = 150
LABEL_PT = 6.0  # swimmer: least bar pitch (points) at which each bar gets a tick label and an end text
PALETTE = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666"]


def _records(ard: Ard, key: str, group: str) -> list[dict]:
    """Sub-rows '<key>|<n>' of a data row as a list of {stat: value} (plus the row label)."""
    out = []
    for sub in ard.row_keys(key):
        rec = ard.stats(sub, group)
        rec["_label"] = ard.label(sub)
        out.append(rec)
    return out


def _need(plot: dict, name: str, shell: Shell):
    if name not in plot:
        raise SpecError(f"plot needs '{name}'", file=shell.path, field=f"plot.{name}")
    return plot[name]


def _pretty(text) -> str:
    text = "" if text is None else str(text)
    return text[:1].upper() + text[1:].lower() if text.isupper() else text


def swimmer(ax, shell: Shell, ard: Ard, group: str) -> None:
    plot = shell.plot
    recs = _records(ard, _need(plot, "data", shell), group)
    length, color, text = _need(plot, "length", shell), _need(plot, "color", shell), plot.get("text")
    order = list(plot.get("order") or sorted({str(r.get(color)) for r in recs}))
    colors = dict(plot.get("colors") or {})
    for i, level in enumerate(order):
        colors.setdefault(level, PALETTE[i % len(PALETTE)])
    recs = sorted(recs, key=lambda r: (-(r.get(length) or 0.0), r["_label"]))
    if len(recs) * LABEL_PT > float(plot.get("height", 5.5)) * 72 * 0.85:
        _swimmer_dense(ax, plot, recs, length, color, order, colors)
        return
    ys = list(range(len(recs)))[::-1]
    xmax = max([r.get(length) or 0.0 for r in recs] + [1.0])
    ax.barh(ys, [r.get(length) or 0.0 for r in recs], height=0.7, edgecolor="none",
            color=[colors.get(str(r.get(color)), "#999999") for r in recs])
    for y, r in zip(ys, recs):  # the discontinuation reason at each bar's end
        x = r.get(length) or 0.0
        note = r.get(text) if text else None
        if plot.get("ongoing_var") and r.get(plot["ongoing_var"]) == plot.get("ongoing_value", "ONGOING"):
            note = "Ongoing"
        if note:
            ax.text(x + xmax * 0.01, y, _pretty(note), va="center", ha="left", fontsize=6.5,
                    color=plot.get("text_color", "#c00000"))
    ax.set_yticks(ys)
    ticks = plot.get("label")
    ax.set_yticklabels([str(r.get(ticks)) if ticks else r["_label"] for r in recs], fontsize=6)
    ax.set_xlim(0, xmax * 1.35)
    ax.set_ylim(-0.8, len(recs) - 0.2)
    ax.set_xlabel(plot.get("xlabel", length))
    ax.set_ylabel(plot.get("ylabel", "Patient"))
    handles = [plt.Rectangle((0, 0), 1, 1, color=colors[lv]) for lv in order if any(str(r.get(color)) == lv for r in recs)]
    labels = [lv for lv in order if any(str(r.get(color)) == lv for r in recs)]
    ax.legend(handles, labels, title=plot.get("legend", color), loc="lower right", frameon=False, fontsize=7)


def _swimmer_dense(ax, plot: dict, recs: list[dict], length: str, color: str, order: list, colors: dict) -> None:
    """A swimmer plot with more bars than can carry a readable label: the bars of one colour as one
    compound path (a handful of artists however many patients), no per-bar tick labels or end
    texts, and a note saying so (the per-patient values stay in the ARD)."""
    n = len(recs)
    x = np.array([r.get(length) or 0.0 for r in recs], dtype=float)
    y = np.arange(n, dtype=float)[::-1]
    level = np.array([str(r.get(color)) for r in recs], dtype=object)
    xmax = max(float(x.max()) if n else 0.0, 1.0)
    # contiguous bars (height 1): at under a pixel per bar, gaps would only wash the colours out
    box = np.array([[0, -0.5], [1, -0.5], [1, 0.5], [0, 0.5], [0, 0]], dtype=float)
    codes1 = [Path.MOVETO, Path.LINETO, Path.LINETO, Path.LINETO, Path.CLOSEPOLY]
    present = []
    for lv in [*order, *sorted(set(level) - set(order))]:
        sel = level == lv
        k = int(sel.sum())
        if not k:
            continue
        verts = np.empty((k, 5, 2))
        verts[:, :, 0] = box[None, :, 0] * x[sel, None]
        verts[:, :, 1] = box[None, :, 1] + y[sel, None]
        path = Path(verts.reshape(-1, 2), np.tile(codes1, k))
        ax.add_patch(PathPatch(path, facecolor=colors.get(lv, "#999999"), edgecolor="none", linewidth=0))
        if lv in colors:
            present.append(lv)
    ax.set_yticks([])
    ax.set_xlim(0, xmax * 1.35)
    ax.set_ylim(-0.5, n - 0.5)
    ax.set_xlabel(plot.get("xlabel", length))
    ax.set_ylabel(f"{plot.get('ylabel', 'Patient')} (one bar each, n = {n})")
    ax.set_title(f"{n} bars: too many to label; patient labels and end-of-bar texts omitted (see the ARD)",
                 loc="right", fontsize=6.5, color="#555555")
    handles = [plt.Rectangle((0, 0), 1, 1, color=colors[lv]) for lv in order if lv in present]
    ax.legend(handles, [lv for lv in order if lv in present], title=plot.get("legend", color), loc="lower right",
              frameon=False, fontsize=7)


def scatter(ax, shell: Shell, ard: Ard, group: str) -> None:
    plot = shell.plot
    recs = _records(ard, _need(plot, "data", shell), group)
    x, y, color = _need(plot, "x", shell), _need(plot, "y", shell), plot.get("color")
    order = list(plot.get("order") or sorted({str(r.get(color)) for r in recs})) if color else [None]
    colors = dict(plot.get("colors") or {})
    for i, level in enumerate(order):
        colors.setdefault(level, PALETTE[i % len(PALETTE)])
    for level in order:
        pts = [r for r in recs if (color is None or str(r.get(color)) == level)
               and r.get(x) is not None and r.get(y) is not None]
        if pts:
            ax.scatter([p[x] for p in pts], [p[y] for p in pts], s=22, color=colors[level], label=level,
                       edgecolors="black", linewidths=0.4, zorder=3)
    for h in plot.get("hlines") or []:
        ax.axhline(h, color="#888888", linestyle="--", linewidth=0.8, zorder=1)
    for v in plot.get("vlines") or []:
        ax.axvline(v, color="#888888", linestyle=":", linewidth=0.8, zorder=1)
    ax.set_xlabel(plot.get("xlabel", x))
    ax.set_ylabel(plot.get("ylabel", y))
    ax.ticklabel_format(axis="y", style="plain")
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{int(v):,}"))
    if color:
        ax.legend(title=plot.get("legend", color), frameon=False, fontsize=7)


def km_panel(ax, shell: Shell, ard: Ard, group: str, panel: dict) -> None:
    steps = _records(ard, panel["curve"], group)
    t, s = [0.0], [1.0]
    cens_t, cens_s = [], []
    for r in steps:  # step function from (0, 1), one step per distinct time; '+' marks censorings
        t.append(r["time"])
        s.append(r["surv"])
        if r["n_censor"]:
            cens_t.append(r["time"])
            cens_s.append(r["surv"])
    ax.step(t, s, where="post", color=panel.get("color", "#1f4e79"), linewidth=1.4)
    ax.plot(cens_t, cens_s, linestyle="none", marker="+", markersize=6, color=panel.get("color", "#1f4e79"))
    ax.set_ylim(0, 1.05)
    ax.set_ylabel(shell.plot.get("ylabel", "Probability"))
    ax.set_title(panel.get("title", ""), fontsize=9, loc="left")
    risk = _records(ard, panel["at_risk"], group) if panel.get("at_risk") else []
    if risk:
        ticks = [r["time"] for r in risk]
        ax.set_xticks(ticks)
        ax.set_xlim(-0.02 * ticks[-1], max(ticks[-1], t[-1]) * 1.02)
        ax.annotate("At risk", xy=(0, 0), xycoords="axes fraction", xytext=(-14, -38), textcoords="offset points",
                    ha="right", va="top", fontsize=7)
        for r in risk:
            ax.annotate(str(r["n_risk"]), xy=(r["time"], 0), xycoords=("data", "axes fraction"),
                        xytext=(0, -38), textcoords="offset points", ha="center", va="top", fontsize=7)
    ax.set_xlabel(shell.plot.get("xlabel", "Time"))


def draw(shell: Shell, ard: Ard) -> tuple[bytes, bytes, tuple[float, float]]:
    """(PNG bytes, SVG bytes, (width, height) in inches) of a figure shell."""
    plot = shell.plot
    kind = plot.get("kind")
    group = shell.groups[0].key
    width, height = float(plot.get("width", 8.0)), float(plot.get("height", 5.5))
    with matplotlib.rc_context(RC):
        if kind == "km":
            panels = _need(plot, "panels", shell)
            fig, axes = plt.subplots(1, len(panels), figsize=(width, height), squeeze=False)
            for ax, panel in zip(axes[0], panels):
                km_panel(ax, shell, ard, group, panel)
            fig.subplots_adjust(bottom=0.25, wspace=0.3, left=0.1, right=0.97)
        else:
            fig, ax = plt.subplots(figsize=(width, height))
            if kind == "swimmer":
                swimmer(ax, shell, ard, group)
            elif kind == "scatter":
                scatter(ax, shell, ard, group)
            else:
                plt.close(fig)
                raise SpecError("unknown plot kind (swimmer, scatter, km)", file=shell.path, field="plot.kind",
                                value=kind)
            fig.tight_layout()
        png, svg = io.BytesIO(), io.BytesIO()
        fig.savefig(png, format="png", dpi=DPI, metadata=PNG_META)
        fig.savefig(svg, format="svg", metadata=SVG_META)
        plt.close(fig)
    return png.getvalue(), svg.getvalue(), (width, height)
