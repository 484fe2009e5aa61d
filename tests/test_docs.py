"""The theory chapter ships with the project, and every "THEORY §N" the code cites exists in it."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "docs" / "THEORY.md"
REF = re.compile(r"THEORY(?:\.md)? §(\d+)(?:\.(\d+))?(?:[–-]§(\d+))?")


def sections() -> dict[int, int]:
    """§N → number of its numbered items (for §N.M references)."""
    out, current = {}, None
    for line in CHAPTER.read_text().splitlines():
        m = re.match(r"## §(\d+) ", line)
        if m:
            current = int(m.group(1))
            out[current] = 0
        elif current is not None and re.match(r"\d+\. ", line):
            out[current] += 1
    return out


def test_every_cited_section_exists():
    have = sections()
    assert set(have) == set(range(1, 12)), have
    missing = []
    for path in list((ROOT / "boundcalc").rglob("*.py")) + [ROOT / "README.md"]:
        for m in REF.finditer(path.read_text()):
            major, item, upto = int(m.group(1)), m.group(2), m.group(3)
            if major not in have or (upto and int(upto) not in have) or (item and int(item) > have[major]):
                missing.append(f"{path.relative_to(ROOT)}: {m.group(0)}")
    assert not missing, "references to sections the theory chapter does not have:\n" + "\n".join(missing)


def test_the_check_would_catch_a_bad_reference():
    have = sections()
    m = REF.search("see THEORY §12")
    assert int(m.group(1)) not in have
    m = REF.search("THEORY.md §9.7")
    assert int(m.group(2)) > have[9]


def test_formulas_point_at_the_shipped_chapter():
    from boundcalc.formulas import FORMULAS
    own = [f for f in FORMULAS.values() if f.source.startswith("docs/THEORY.md")]
    assert own and all(f.source.split()[1] in {f"§{n}" for n in sections()} for f in own)


def test_every_document_the_code_cites_ships_with_it():
    """A file name the package, the tests, the benchmarks or the examples cite (a Markdown or reST file)
    must be in the repository: users never see the developers' own notes."""
    cite = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*\.(?:md|rst))\b")
    shipped = {p.name for p in ROOT.rglob("*") if p.suffix in (".md", ".rst") and ".venv" not in p.parts}
    missing = set()
    for folder in ("boundcalc", "tests", "benchmarks", "examples"):
        for path in (ROOT / folder).rglob("*.py"):
            for name in cite.findall(path.read_text(encoding="utf-8")):
                # files the tools write, not documents: `report` writes report.md, the grid benchmark its table
                if name not in shipped and name not in ("report.md", "stopping_table.md"):
                    missing.add(f"{path.relative_to(ROOT)}: {name}")
    assert not missing, sorted(missing)
