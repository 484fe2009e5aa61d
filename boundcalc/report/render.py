"""Rendering a built report: the section record and its Markdown tables, the verdict summary, a
self-contained HTML page (figures embedded, no external resource, table of contents) and LaTeX
tables (booktabs) for papers."""

from __future__ import annotations

import base64
import html
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..verification.claims import VERDICT_KEYS, counts

__all__ = ["Section", "md_table", "cell", "claims_table", "verdict_summary", "summary_markdown", "unverified_line",
           "to_html", "to_tex", "HEADINGS"]


@dataclass
class Section:
    """One report section: Markdown text, JSON data, figures (name → matplotlib Figure) and the
    claims it checked (``(problem, ClaimCheck)`` pairs, for the verdict summary and tables.tex)."""

    key: str
    title: str
    markdown: str
    data: dict[str, Any]
    figures: dict[str, Any] = field(default_factory=dict)
    claims: list = field(default_factory=list)


def md_table(rows: list[tuple[str, Any]]) -> str:
    def fmt(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.6g}"
        return str(v)
    out = ["| quantity | value |", "|---|---|"]
    out += [f"| {k} | {fmt(v)} |" for k, v in rows]
    return "\n".join(out)


def cell(text: Any) -> str:
    """Text for a Markdown table cell: a '|' inside would end the cell."""
    return str(text).replace("|", "\\|")


def claims_table(claims, commands: list[str | None] | None = None) -> str:
    """The Markdown table of claim checks: statement, kind, status, predicted, measured, margin and
    the note, the failed hypothesis, or the assumptions taken as given (never marked verified); with
    ``commands`` (one per claim), a last column with the command that re-checks each claim alone."""
    claims = list(claims)
    if commands is not None and len(commands) != len(claims):
        raise ValueError(f"commands: one per claim ({len(claims)}), got {len(commands)}")
    extra_head = " re-check alone |" if commands is not None else ""
    rows = ["| claim | kind | status | predicted | measured | margin | note / failed hypothesis |" + extra_head,
            "|---|---|---|---|---|---|---|" + ("---|" if commands is not None else "")]
    for i, c in enumerate(claims):
        extra = c.failed_hypothesis if c.status == "not_applicable" else c.note
        if c.assumptions:
            extra = f"{extra}; assumed, not verified: {'; '.join(c.assumptions)}".lstrip("; ")
        command = "" if commands is None else (f" `{commands[i]}` |" if commands[i] else " — |")
        rows.append(f"| `{c.claim_id}`: {cell(c.statement)} | {c.kind} | **{c.label}** | {c.predicted:.4g} | "
                    f"{c.measured:.4g} | {c.margin:+.3g} | {cell(extra)} |" + command)
    return "\n".join(rows)


_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1.2em;color:#1d1d1f;line-height:1.45}
h1{border-bottom:2px solid #444;padding-bottom:.2em}h2{margin-top:2.2em;border-bottom:1px solid #bbb}
table{border-collapse:collapse;margin:.8em 0;font-size:.86em;display:block;overflow-x:auto}
th,td{border:1px solid #ccc;padding:.25em .5em;vertical-align:top}th{background:#f2f2f2}
tr:nth-child(even) td{background:#fafafa}code{background:#f4f4f4;padding:0 .2em;border-radius:3px}
img{max-width:100%;height:auto;border:1px solid #eee}.toc{background:#f7f7f9;padding:.5em 1.2em;
border-radius:6px}.verdict td.holds{color:#0a6b2d;font-weight:600}.verdict td.violated{color:#b00020;
font-weight:700}.verdict td.na{color:#666}
"""


#: Column headings of the verdict tables: one per claim status, then the observations of the talk's figures
#: (counted apart: they are readings at boundcalc's sizes, not theorem claims), in :data:`VERDICT_KEYS` order.
HEADINGS = {"holds": "holds", "violated": "violated", "transferred": "transferred (not verified)",
            "inconclusive": "inconclusive", "not_applicable": "not applicable",
            "observations_reproduced": "observations reproduced",
            "observations_not_reproduced": "observations not reproduced",
            "observations_inconclusive": "observations inconclusive"}


def verdict_summary(sections: list) -> list[tuple[str, dict[str, int]]]:
    """(problem, {key: count}) over every claim the sections checked, for every key of
    :data:`~boundcalc.verification.claims.VERDICT_KEYS` (transferred claims counted apart from verified
    ones, observations apart from claims)."""
    out: OrderedDict[str, list] = OrderedDict()
    for sec in sections:
        for problem, claim in getattr(sec, "claims", []):
            out.setdefault(problem, []).append(claim)
    return [(p, counts(claims)) for p, claims in out.items()]


def unverified_line(rows: list[tuple[str, dict[str, int]]]) -> str:
    """The one sentence that says what the verdict table did not verify (empty when nothing)."""
    moved = sum(c["transferred"] for _, c in rows)
    open_ = sum(c["inconclusive"] for _, c in rows)
    parts = []
    if moved:
        parts.append(f"{moved} claim(s) are *transferred*: continuous-time bounds read on IGAHD runs (or results "
                     "read beyond their theorem's setting); their measurements are shown but they are not verified")
    if open_:
        parts.append(f"{open_} claim(s) are *inconclusive*: the measurement could not decide them")
    return ("Not verified: " + "; ".join(parts) + ".") if parts else ""


def summary_markdown(rows: list[tuple[str, dict[str, int]]]) -> str:
    lines = ["| problem / run | " + " | ".join(HEADINGS[s] for s in VERDICT_KEYS) + " |",
             "|---" * (len(VERDICT_KEYS) + 1) + "|"]
    lines += [f"| {p} | " + " | ".join(str(c[s]) for s in VERDICT_KEYS) + " |" for p, c in rows]
    note = unverified_line(rows)
    return "\n".join(lines) + (f"\n\n{note}" if note else "")


def _embed_images(body: str, folder: Path) -> str:
    """Every ``<img src="NAME.png">`` as a data: URI.

    Raises
    ------
    ValueError
        A figure that is missing, empty or not a PNG: the self-contained page would show a broken
        image where a figure belongs (a 0-byte figure was embedded silently)."""
    def repl(m: re.Match) -> str:
        src = m.group(2)
        path = folder / src
        raw = path.read_bytes() if path.is_file() else None
        if raw is None or not raw.startswith(b"\x89PNG\r\n\x1a\n"):
            what = "is missing" if raw is None else "is empty (0 bytes)" if not raw else "is not a PNG file"
            raise ValueError(f"report: the figure {src} {what} in {folder}; the page would show a broken image")
        data = base64.b64encode(raw).decode("ascii")
        return f'{m.group(1)}"data:image/png;base64,{data}"'
    return re.sub(r'(<img[^>]*?src=)"([^"]+\.png)"', repl, body)


#: Inline TeX in the report's Markdown: $…$ on one line.
_INLINE_MATH = re.compile(r"\$([^$\n]+)\$")


def _set_math_aside(markdown_text: str) -> tuple[str, dict[str, str]]:
    """The Markdown with each $…$ replaced by a placeholder Markdown leaves alone, and the MathML
    (latex2mathml) of each, so that the page shows typeset formulas and never raw TeX."""
    from latex2mathml.converter import convert
    maths: dict[str, str] = {}

    def aside(match: re.Match) -> str:
        token = f"BCMATH{len(maths)}X"
        maths[token] = convert(match.group(1))
        return token
    text = _INLINE_MATH.sub(aside, markdown_text)
    # Exponents and indices written TeX-style in statements (e^{−σ₀σ_A t/2}) become <sup>/<sub>.
    text = re.sub(r"\^\{([^{}]*)\}", r"<sup>\1</sup>", text)
    return re.sub(r"_\{([^{}]*)\}", r"<sub>\1</sub>", text), maths


def to_html(markdown_text: str, folder: Path, title: str, summary: list[tuple[str, dict[str, int]]],
            observations: str = "") -> str:
    """One self-contained HTML page: the Markdown rendered (``markdown`` with tables and a table of
    contents), every figure embedded as a data: URI, the verdict per problem at the top, and under it
    ``observations``, the sentence naming the talk's readings that were not reproduced."""
    import markdown as md_lib
    conv = md_lib.Markdown(extensions=["tables", "toc"], extension_configs={"toc": {"toc_depth": "2-3"}})
    text, maths = _set_math_aside(markdown_text)
    body = conv.convert(text)
    for token, mathml in maths.items():  # MathML: every current browser renders it, offline, no script
        body = body.replace(token, mathml)
    css = {"holds": "holds", "violated": "violated", "observations_reproduced": "holds"}
    rows = "".join(
        f"<tr><td>{html.escape(p)}</td>" + "".join(
            f"<td class='{css.get(s, 'na') if (s != 'violated' or c[s]) else 'na'}'>{c[s]}</td>"
            for s in VERDICT_KEYS) + "</tr>"
        for p, c in summary)
    note = unverified_line(summary)
    verdict = ("<h2 id='verdicts'>Verdicts</h2><table class='verdict'><tr><th>problem / run</th>"
               + "".join(f"<th>{HEADINGS[s]}</th>" for s in VERDICT_KEYS) + f"</tr>{rows}</table>"
               + (f"<p>{html.escape(note).replace('*', '')}</p>" if note else "")
               + "".join(f"<p class='observations'>{html.escape(par)}</p>" for par in observations.split("\n\n")
                         if par))
    page = (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><style>{_CSS}</style></head><body>"
            f"<h1>{html.escape(title)}</h1>{verdict}<div class='toc'><strong>Contents</strong>{conv.toc}</div>"
            f"{body}</body></html>")
    return _embed_images(page, folder)


def _tex_escape(text: Any) -> str:
    s = str(text)
    for a, b in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("$", r"\$"), ("#", r"\#"),
                 ("_", r"\_"), ("{", r"\{"), ("}", r"\}"), ("~", r"\textasciitilde{}"), ("^", r"\^{}")):
        s = s.replace(a, b)
    return s


def _num(v: Any) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return _tex_escape(v)
    if f != f:
        return "--"
    return f"{f:.4g}"


def to_tex(sections: list, data: dict[str, Any]) -> str:
    """LaTeX tables (booktabs): the verdict summary, every checked claim, the widths table."""
    out = ["% boundcalc tables; needs \\usepackage{booktabs}", ""]
    summ = verdict_summary(sections)
    out += [r"\begin{table}[ht]\centering", r"\caption{Verdicts per problem (transferred claims are not verified)}",
            r"\begin{tabular}{l" + "r" * len(VERDICT_KEYS) + "}", r"\toprule",
            "problem / run & " + " & ".join(HEADINGS[s] for s in VERDICT_KEYS) + r" \\", r"\midrule"]
    out += [f"{_tex_escape(p)} & " + " & ".join(str(c[s]) for s in VERDICT_KEYS) + r" \\" for p, c in summ]
    out += [r"\bottomrule", r"\end{tabular}", r"\end{table}", ""]
    out += [r"\begin{table}[ht]\centering\small", r"\caption{Claims against measurements}",
            r"\begin{tabular}{llllrrr}", r"\toprule",
            r"problem / run & claim & kind & status & predicted & measured & margin \\", r"\midrule"]
    for sec in sections:
        for problem, c in getattr(sec, "claims", []):
            out.append(f"{_tex_escape(problem)} & \\texttt{{{_tex_escape(c.claim_id)}}} & {_tex_escape(c.kind)} & "
                       f"{_tex_escape(c.label)} & {_num(c.predicted)} & {_num(c.measured)} & {_num(c.margin)} \\\\")
    out += [r"\bottomrule", r"\end{tabular}", r"\end{table}", ""]
    widths = data.get("widths", {}).get("rows")
    if widths:
        out += [r"\begin{table}[ht]\centering",
                r"\caption{Theorem, instance and empirical widths ($c_1 = c_2 = C = 1$)}",
                r"\begin{tabular}{lrrrrr}", r"\toprule",
                r"problem & $n$ & $m$ & $k_\mathrm{theorem}$ & $k_\mathrm{instance}$ & $k_\mathrm{empirical}$ \\",
                r"\midrule"]
        for r in widths:
            # A width not found is null in the results ("> the largest width tried" in the table).
            ki = f"$>{r['k_instance_max']}$" if r["k_instance"] is None else str(r["k_instance"])
            ke = f"$>{r['k_empirical_max']}$" if r["k_empirical"] is None else str(r["k_empirical"])
            out.append(f"{_tex_escape(r['problem'])} & {r['n']} & {r['m']} & {_num(r['k_theorem'])} & {ki} & {ke} \\\\")
        out += [r"\bottomrule", r"\end{tabular}", r"\end{table}", ""]
    return "\n".join(out)
