"""The HTML screening report: structures as SVG with alert atoms highlighted (Jinja2)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from medsage.drug._screen import RankedMolecule, ScreenResult

REPORT_MAX_HITS = 200  # structures drawn in the report; the CSV holds every hit
# Highlight colours per alert catalog (RGB 0..1 for RDKit, CSS for the legend).
CATALOG_COLOURS = {
    "PAINS_A": (1.0, 0.55, 0.55), "PAINS_B": (1.0, 0.55, 0.55), "PAINS_C": (1.0, 0.55, 0.55),
    "BRENK": (1.0, 0.8, 0.4), "NIH": (0.7, 0.7, 1.0),
}  # fmt: skip


def molecule_svg(smiles: str, alerts: list[tuple[str, tuple[int, ...]]]) -> str:
    """An SVG drawing of `smiles` with each alert's atoms highlighted in its catalog colour
    (atom indices refer to the molecule read from this canonical SMILES)."""
    from rdkit import Chem
    from rdkit.Chem.Draw import rdMolDraw2D

    mol = Chem.MolFromSmiles(smiles)
    colours: dict[int, tuple[float, float, float]] = {}
    for catalog, atoms in alerts:
        for atom in atoms:
            colours.setdefault(atom, CATALOG_COLOURS.get(catalog, (1.0, 0.6, 0.6)))
    drawer = rdMolDraw2D.MolDraw2DSVG(260, 190)
    drawer.drawOptions().clearBackground = False  # type: ignore[assignment]
    rdMolDraw2D.PrepareAndDrawMolecule(
        drawer, mol, highlightAtoms=list(colours), highlightAtomColors=colours,
        highlightBonds=[],
    )  # fmt: skip
    drawer.FinishDrawing()
    svg = str(drawer.GetDrawingText())
    return svg[svg.find("<svg") :]


def _prediction_text(pred: dict[str, Any]) -> str:
    value = pred.get("value")
    if not isinstance(value, (int, float)):
        return "n/a"
    text = f"{value:.3g}"
    lower, upper = pred.get("lower"), pred.get("upper")
    if isinstance(lower, (int, float)) and isinstance(upper, (int, float)):
        text += f" [{lower:.3g}, {upper:.3g}]"
    near = pred.get("nearest_similarity")
    if isinstance(near, (int, float)):
        text += f" (nearest training {near:.2f})"
    if pred.get("in_domain") is False:
        text += " out of domain"
    return text


def _hit_view(item: RankedMolecule) -> dict[str, Any]:
    p = item.profile
    props = p.properties
    shown = [] if props is None else [
        ("MW", f"{props.mw:.1f}"), ("cLogP", f"{props.clogp:.2f}"), ("TPSA", f"{props.tpsa:.1f}"),
        ("HBD", props.hbd), ("HBA", props.hba), ("RotB", props.rotb),
        ("QED", f"{props.qed:.3f}"), ("SA", "n/a" if props.sa is None else f"{props.sa:.2f}"),
    ]  # fmt: skip
    predictions = [
        {"label": f"{model}.{task}", "text": _prediction_text(pred),
         "ood": pred.get("in_domain") is False}
        for model, tasks in item.predictions.items() for task, pred in tasks.items()
    ]  # fmt: skip
    return {
        "rank": item.rank, "score": item.score, "row": p.row, "label": p.name or p.id,
        "smiles": p.smiles, "similarity": p.similarity, "properties": shown,
        "predictions": predictions, "desirability": item.desirability,
        "alerts": [a.to_dict() for a in p.alerts],
        "svg": molecule_svg(str(p.smiles), [(a.catalog, a.atoms) for a in p.alerts]),
    }  # fmt: skip


def render_report(result: ScreenResult) -> str:
    """The report as one self-contained HTML string."""
    import jinja2

    from medsage.drug._screen import OUT_OF_DOMAIN_FACTOR

    source = resources.files("medsage.resources").joinpath("drug/screen_report.html.j2")
    env = jinja2.Environment(
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True
    )
    template = env.from_string(source.read_text(encoding="utf-8"))
    colours = [
        (name, "rgb({}, {}, {})".format(*(round(255 * c) for c in rgb)))
        for name, rgb in CATALOG_COLOURS.items()
    ]
    return template.render(
        r=result, w=result.weights, ood_factor=OUT_OF_DOMAIN_FACTOR, colours=colours,
        hits=[_hit_view(item) for item in result.hits[:REPORT_MAX_HITS]],
    )  # fmt: skip


def write_report(result: ScreenResult, path: Path) -> Path:
    """Write the report to `path` (via a temporary sibling, renamed into place)."""
    import os

    html = render_report(result)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, path)
    return path
