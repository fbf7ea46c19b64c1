"""Drug-likeness rules (Lipinski, Veber, Ghose, Egan, lead-likeness) and structural alerts.

Rules read `MolecularProperties`; each names its paper and cut-offs. Structural alerts run
RDKit's FilterCatalog (PAINS A/B/C, Brenk, NIH) and report, for every alert, the catalog, the
description and the matched atom indices of the standardised molecule (for highlighting).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from medsage.drug._patterns import PatternScreen, pattern_bits
from medsage.drug._properties import MolecularProperties
from medsage.errors import UnknownNameError

if TYPE_CHECKING:
    from medsage.drug._patterns import Bits

# Lipinski CA, Lombardo F, Dominy BW, Feeney PJ. Adv Drug Deliv Rev 1997;23:3-25 ("rule of 5"):
# poor absorption is more likely when more than one of these is exceeded.
LIPINSKI_MAX_MW = 500.0
LIPINSKI_MAX_LOGP = 5.0
LIPINSKI_MAX_HBD = 5
LIPINSKI_MAX_HBA = 10
LIPINSKI_MAX_VIOLATIONS = 1
# Veber DF et al. J Med Chem 2002;45:2615-2623: good oral bioavailability in rats.
VEBER_MAX_ROTB = 10
VEBER_MAX_TPSA = 140.0
# Ghose AK, Viswanadhan VN, Wendoloski JJ. J Comb Chem 1999;1:55-68 (80% of drugs qualify).
GHOSE_MW = (160.0, 480.0)
GHOSE_LOGP = (-0.4, 5.6)
GHOSE_MR = (40.0, 130.0)
GHOSE_ATOMS = (20, 70)  # all atoms, hydrogens included
# Egan WJ, Merz KM, Baldwin JJ. J Med Chem 2000;43:3867-3877 (absorption ellipse bounds;
# the paper uses AlogP98, we use Wildman-Crippen logP).
EGAN_MAX_TPSA = 131.6
EGAN_MAX_LOGP = 5.88
# Teague SJ, Davis AM, Leeson PD, Oprea T. Angew Chem Int Ed 1999;38:3743-3748 (lead-like),
# with the cut-offs of ZINC's lead-like subset (Irwin & Shoichet, J Chem Inf Model 2005;45:177).
LEADLIKE_MW = (250.0, 350.0)
LEADLIKE_MAX_LOGP = 3.5
LEADLIKE_MAX_ROTB = 7

ALERT_CATALOGS: dict[str, tuple[str, ...]] = {
    "pains_a": ("PAINS_A",),
    "pains_b": ("PAINS_B",),
    "pains_c": ("PAINS_C",),
    "pains": ("PAINS_A", "PAINS_B", "PAINS_C"),  # Baell & Holloway, J Med Chem 2010;53:2719
    "brenk": ("BRENK",),  # Brenk R et al. ChemMedChem 2008;3:435
    "nih": ("NIH",),  # Jadhav A et al. J Med Chem 2010;53:37 (NCGC assay artefacts)
}
ALL_ALERTS = ("pains", "brenk", "nih")


@dataclass(frozen=True)
class RuleResult:
    """One rule on one molecule: `violations` lists each broken cut-off in words."""

    rule: str
    passed: bool
    violations: tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    name: str
    citation: str
    check: Callable[[MolecularProperties], list[str]]
    max_violations: int = 0

    def __call__(self, props: MolecularProperties) -> RuleResult:
        broken = self.check(props)
        return RuleResult(self.name, len(broken) <= self.max_violations, tuple(broken))


@dataclass(frozen=True)
class Alert:
    """A structural alert: catalog (PAINS_A, BRENK, ...), description, matched atom indices."""

    catalog: str
    description: str
    atoms: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"catalog": self.catalog, "description": self.description, "atoms": list(self.atoms)}


def _outside(value: float, bounds: tuple[float, float], label: str) -> list[str]:
    low, high = bounds
    return [f"{label} {value:.4g} outside {low:g}-{high:g}"] if not low <= value <= high else []


def _above(value: float, limit: float, label: str) -> list[str]:
    return [f"{label} {value:.4g} > {limit:g}"] if value > limit else []


def lipinski_violations(p: MolecularProperties) -> list[str]:
    """The rule-of-5 cut-offs that `p` exceeds (0-4 entries)."""
    return [
        *_above(p.mw, LIPINSKI_MAX_MW, "MW"),
        *_above(p.clogp, LIPINSKI_MAX_LOGP, "cLogP"),
        *_above(p.hbd, LIPINSKI_MAX_HBD, "HBD"),
        *_above(p.hba, LIPINSKI_MAX_HBA, "HBA"),
    ]


RULES: dict[str, Rule] = {
    "lipinski": Rule(
        "lipinski", "Lipinski et al., Adv Drug Deliv Rev 1997;23:3",
        lipinski_violations, max_violations=LIPINSKI_MAX_VIOLATIONS,
    ),
    "veber": Rule(
        "veber", "Veber et al., J Med Chem 2002;45:2615",
        lambda p: [*_above(p.rotb, VEBER_MAX_ROTB, "rotatable bonds"),
                   *_above(p.tpsa, VEBER_MAX_TPSA, "TPSA")],
    ),
    "ghose": Rule(
        "ghose", "Ghose et al., J Comb Chem 1999;1:55",
        lambda p: [*_outside(p.mw, GHOSE_MW, "MW"), *_outside(p.clogp, GHOSE_LOGP, "cLogP"),
                   *_outside(p.molar_refractivity, GHOSE_MR, "molar refractivity"),
                   *_outside(p.atoms, GHOSE_ATOMS, "atoms")],
    ),
    "egan": Rule(
        "egan", "Egan et al., J Med Chem 2000;43:3867",
        lambda p: [*_above(p.tpsa, EGAN_MAX_TPSA, "TPSA"),
                   *_above(p.clogp, EGAN_MAX_LOGP, "cLogP")],
    ),
    "leadlike": Rule(
        "leadlike", "Teague et al., Angew Chem Int Ed 1999;38:3743",
        lambda p: [*_outside(p.mw, LEADLIKE_MW, "MW"),
                   *_above(p.clogp, LEADLIKE_MAX_LOGP, "cLogP"),
                   *_above(p.rotb, LEADLIKE_MAX_ROTB, "rotatable bonds")],
    ),
}  # fmt: skip

FILTER_NAMES = (*RULES, *ALERT_CATALOGS)


def split_filters(names: Iterable[str]) -> tuple[list[str], list[str]]:
    """Split filter names into (rules, alert catalogs); unknown names raise UnknownNameError."""
    rules: list[str] = []
    alerts: list[str] = []
    for raw in names:
        name = raw.strip().lower()
        if not name:
            continue
        if name in RULES:
            rules.append(name)
        elif name in ALERT_CATALOGS:
            alerts.append(name)
        else:
            raise UnknownNameError(f"unknown filter {raw!r}; choose from {', '.join(FILTER_NAMES)}")
    return rules, alerts


def apply_rules(props: MolecularProperties, names: Sequence[str]) -> list[RuleResult]:
    """Run the named rules (see `RULES`) in the given order."""
    rules, _ = split_filters(names)
    return [RULES[name](props) for name in rules]


@functools.cache
def _catalog(name: str) -> Any:
    from rdkit.Chem.FilterCatalog import FilterCatalog, FilterCatalogParams

    params = FilterCatalogParams()
    params.AddCatalog(getattr(FilterCatalogParams.FilterCatalogs, name))
    return FilterCatalog(params)


def catalog_names(catalogs: Iterable[str]) -> tuple[str, ...]:
    """RDKit catalog names (PAINS_A, BRENK, ...) of alert filter names (`pains`, `brenk`, ...)."""
    return _catalog_names(tuple(catalogs))


@functools.cache
def _catalog_names(catalogs: tuple[str, ...]) -> tuple[str, ...]:
    _, alerts = split_filters(catalogs)
    names: list[str] = []
    for alert in alerts:
        names.extend(n for n in ALERT_CATALOGS[alert] if n not in names)
    return tuple(names)


def _entry_query(entry: Any) -> tuple[Any, int] | None:
    """The SMARTS query molecule and minimum count of a FilterCatalog entry, or None.

    RDKit does not expose a SmartsMatcher's pattern from an entry, but the entry's boost text
    serialisation holds it as an RDKit binary molecule: `... <len> <name> <len> <mol> <min>
    <max> ...`. Anything that does not parse exactly so is matched without screening.
    """
    from rdkit import Chem

    try:
        raw = entry.Serialize()
        pos = raw.index(b"\n", raw.index(b"\n") + 1) + 1  # skip the two archive header lines
        head = raw[pos:].split(b" ", 4)
        if head[:3] != [b"1", b"0", b"0"]:
            return None
        name_len = int(head[3])
        if head[4][:name_len].decode("utf-8") != entry.GetDescription():
            return None
        rest = head[4][name_len + 1 :]
        space = rest.index(b" ")
        blob_len = int(rest[:space])
        query = Chem.Mol(rest[space + 1 : space + 1 + blob_len])
        min_count = int(rest[space + 1 + blob_len :].split()[0])
    except (ValueError, IndexError, RuntimeError, UnicodeDecodeError):
        return None
    return query, min_count


@dataclass(frozen=True)
class _ScreenedCatalogs:
    """The entries of some catalogs, with one pattern screen over all their usable queries
    (one fingerprint test per molecule instead of one per catalog)."""

    names: tuple[str, ...]
    entries: tuple[tuple[str, Any], ...]  # (catalog, entry) in catalog order
    screen: PatternScreen
    screened: tuple[int, ...]  # entry index of each screen row
    always: tuple[int, ...]  # entries that are always matched (no usable query)


@functools.cache
def _screened_catalogs(names: tuple[str, ...]) -> _ScreenedCatalogs:
    entries: list[tuple[str, Any]] = []
    queries: list[Any] = []
    screened: list[int] = []
    always: list[int] = []
    for name in names:
        catalog = _catalog(name)
        for k in range(catalog.GetNumEntries()):
            entry = catalog.GetEntryWithIdx(k)
            parsed = _entry_query(entry)
            # A minimum count of 0 would make "no match" a hit: such entries are never skipped.
            if parsed is not None and parsed[1] >= 1:
                queries.append(parsed[0])
                screened.append(len(entries))
            else:
                always.append(len(entries))
            entries.append((name, entry))
    return _ScreenedCatalogs(
        names, tuple(entries), PatternScreen(queries), tuple(screened), tuple(always)
    )


def find_alerts(
    mol: Any, catalogs: Iterable[str] = ALL_ALERTS, *, bits: Bits | None = None,
    screen: bool = True,
) -> list[Alert]:  # fmt: skip
    """Structural alerts of `mol` in catalog order, each with the atoms it matched.

    Args:
        mol: a standardised molecule.
        catalogs: alert catalog names (`pains`, `pains_a`, `brenk`, `nih`, ...).
        bits: `pattern_bits(mol)` when the caller already has it.
        screen: skip entries that the pattern fingerprint rules out (same result, faster).
    """
    names = catalog_names(catalogs)
    if not names:
        return []
    candidates: list[tuple[str, Any]]
    if screen:
        table = _screened_catalogs(names)
        rows = table.screen.candidates(pattern_bits(mol) if bits is None else bits)
        order = sorted([table.screened[r] for r in rows] + list(table.always))
        candidates = [table.entries[i] for i in order]
    else:
        candidates = [(name, entry) for name in names for entry in _catalog(name).GetMatches(mol)]
    found: list[Alert] = []
    for name, entry in candidates:
        matches = entry.GetFilterMatches(mol)
        if not matches:
            continue
        atoms: set[int] = set()
        for match in matches:
            atoms.update(mol_idx for _query_idx, mol_idx in match.atomPairs)
        found.append(Alert(name, entry.GetDescription(), tuple(sorted(atoms))))
    return found


@functools.cache
def qed_alerts_in_brenk() -> dict[int, str]:
    """QED structural alerts that are also Brenk alerts: QED alert index -> Brenk description.

    82 of QED's 116 alert SMARTS (Bickerton 2012 took them from Brenk 2008) are identical to
    a Brenk entry of RDKit's catalog that needs one match; for those, "QED alert matches" is
    "Brenk alert found", so a profile that searched Brenk need not match them again. Only
    entries with a description unique in the catalog are used.
    """
    from collections import Counter

    from rdkit import Chem
    from rdkit.Chem import QED

    entries = [entry for _, entry in _screened_catalogs(("BRENK",)).entries]
    names = Counter(entry.GetDescription() for entry in entries)
    by_smarts: dict[str, str] = {}
    for entry in entries:
        parsed = _entry_query(entry)
        if parsed is not None and parsed[1] == 1 and names[entry.GetDescription()] == 1:
            by_smarts[Chem.MolToSmarts(parsed[0])] = entry.GetDescription()
    shared: dict[int, str] = {}
    for i, query in enumerate(QED.StructuralAlerts):
        description = by_smarts.get(Chem.MolToSmarts(query))
        if description is not None:
            shared[i] = description
    return shared
