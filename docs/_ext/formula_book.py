"""The ``formula-book`` directive: every formula of :data:`boundcalc.FORMULAS` with its description,
its source and its expression rendered from the same sympy object that computes it (one source)."""

from docutils import nodes
from sphinx.util.docutils import SphinxDirective


class FormulaBook(SphinxDirective):
    has_content = False

    def run(self):
        from boundcalc.formulas import FORMULAS
        out = []
        for name in sorted(FORMULAS):
            f = FORMULAS[name]
            sec = nodes.section(ids=[f"formula-{name.replace('_', '-')}"])
            sec += nodes.title(text=name)
            sec += nodes.paragraph(text=f"{f.description} — {f.section}, {f.kind}.")
            sec += nodes.math_block(f.latex(), f.latex(), nowrap=False, number=None)
            out.append(sec)
        return out


class ExitStatuses(SphinxDirective):
    """The exit statuses of every command, from :data:`boundcalc.cli.EXIT_STATUSES`."""

    has_content = False

    def run(self):
        from boundcalc.cli import EXIT_STATUSES
        items = nodes.bullet_list()
        for code, what in EXIT_STATUSES.items():
            item = nodes.list_item()
            item += nodes.paragraph(text=f"{code}: {what}")
            items += item
        return [items]


def setup(app):
    app.add_directive("formula-book", FormulaBook)
    app.add_directive("exit-statuses", ExitStatuses)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
