"""Sphinx math as MathML (latex2mathml): rendered by every current browser, offline, no script."""

from docutils import nodes
from latex2mathml.converter import convert


def _inline(self, node: nodes.Node) -> None:
    self.body.append(convert(node.astext()))
    raise nodes.SkipNode


def _block(self, node: nodes.Node) -> None:
    self.body.append(f'<div class="math">{convert(node.astext(), display="block")}</div>')
    raise nodes.SkipNode


def setup(app):
    app.add_html_math_renderer("mathml", (_inline, None), (_block, None))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
