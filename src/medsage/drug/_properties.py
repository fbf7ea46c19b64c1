"""Molecular properties: RDKit descriptors, QED and the synthetic accessibility (SA) score.

Every value is RDKit's own function on the standardised molecule, so a value printed next to a
SMILES can be reproduced from that SMILES with RDKit alone:

| field | RDKit function | meaning |
|---|---|---|
| mw | `Descriptors.MolWt` | average molecular weight (g/mol) |
| clogp | `Crippen.MolLogP` | Wildman-Crippen logP (J Chem Inf Comput Sci 1999;39:868) |
| molar_refractivity | `Crippen.MolMR` | Wildman-Crippen molar refractivity |
| tpsa | `rdMolDescriptors.CalcTPSA` | topological polar surface area, Ertl 2000 (Å²) |
| hbd, hba | `Lipinski.NumHDonors`, `Lipinski.NumHAcceptors` | H-bond donors / acceptors |
| rotb | `Descriptors.NumRotatableBonds` | rotatable bonds (RDKit's default, Strict) |
| rings, aromatic_rings | `CalcNumRings`, `CalcNumAromaticRings` | SSSR rings |
| fsp3 | `CalcFractionCSP3` | fraction of sp3 carbons |
| formal_charge | `Chem.GetFormalCharge` | net formal charge |
| heavy_atoms, atoms | heavy atoms; all atoms including implicit H (Ghose counts these) |
| qed | `QED.qed` (see `qed`) | Bickerton et al., Nat Chem 2012;4:90 (mean weights) |
| sa | Ertl & Schuffenhauer, J Cheminform 2009;1:8 | 1 (easy) to 10 (hard) |

The SA score is RDKit's Contrib `sascorer.py` (Ertl and Landrum, 2013) ported line by line; its
fragment contributions were converted once from Contrib's `fpscores.pkl.gz` to a compact table
(`medsage/resources/drug/sa_fpscores.u32.xz` with `sa_fpscores_groups.json`), so nothing
here reads a pickle.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Collection
from dataclasses import asdict, dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

from medsage.drug._patterns import PatternScreen, pattern_bits
from medsage.errors import InvalidInputError, ModelBundleError

if TYPE_CHECKING:
    from medsage.drug._patterns import Bits

# SA score constants from sascorer.py (Ertl & Schuffenhauer 2009, with the 2013 RDKit changes).
SA_UNKNOWN_FRAGMENT = -4.0  # contribution of a fragment absent from the PubChem statistics
SA_RAW_MIN, SA_RAW_MAX = -4.0, 2.5  # raw score range mapped onto 1..10
SA_MACROCYCLE_SIZE = 8  # rings with more atoms count as macrocycles


@dataclass(frozen=True)
class MolecularProperties:
    """Descriptors of one standardised molecule (see the module table for definitions)."""

    mw: float
    clogp: float
    molar_refractivity: float
    tpsa: float
    hbd: int
    hba: int
    rotb: int
    rings: int
    aromatic_rings: int
    fsp3: float
    formal_charge: int
    heavy_atoms: int
    atoms: int
    qed: float | None  # None only when computing it was skipped (`with_qed=False`)
    sa: float | None  # None only when computing it was skipped (`with_sa=False`)

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def compute_properties(
    mol: Any, *, bits: Bits | None = None, with_sa: bool = True, with_qed: bool = True
) -> MolecularProperties:
    """All properties of one RDKit molecule (standardise it first: `standardize`).

    `bits` is `pattern_bits(mol)` when the caller already has it (the screen shares it with
    the alert filters); QED's structural alerts are screened with it (same value, faster).
    `with_sa=False` leaves `sa` None (the screen scores only its hits, saving ~0.3 ms each);
    `with_qed=False` leaves `qed` None (the screen skips it for molecules a rule rejects; add it
    later with `with_qed_score`).
    """
    from rdkit import Chem
    from rdkit.Chem import Descriptors, Lipinski, rdMolDescriptors

    if mol is None or mol.GetNumAtoms() == 0:
        raise InvalidInputError("compute_properties needs a parsed molecule with atoms, got None")
    # One Crippen pass gives both values of Crippen.MolLogP and Crippen.MolMR.
    clogp, molar_refractivity = rdMolDescriptors.CalcCrippenDescriptors(mol)
    mw = Descriptors.MolWt(mol)  # type: ignore[attr-defined]
    tpsa = rdMolDescriptors.CalcTPSA(mol)
    # RDKit's default rotatable-bond definition is Strict, the one QED uses: count once.
    rotb = rdMolDescriptors.CalcNumRotatableBonds(
        mol, rdMolDescriptors.NumRotatableBondsOptions.Strict
    )
    hbd = Lipinski.NumHDonors(mol)  # type: ignore[attr-defined]  # = CalcNumHBD, as QED's
    return MolecularProperties(
        mw=mw,
        clogp=clogp,
        molar_refractivity=molar_refractivity,
        tpsa=tpsa,
        hbd=hbd,
        hba=Lipinski.NumHAcceptors(mol),  # type: ignore[attr-defined]
        rotb=rotb,
        rings=rdMolDescriptors.CalcNumRings(mol),
        aromatic_rings=rdMolDescriptors.CalcNumAromaticRings(mol),
        fsp3=rdMolDescriptors.CalcFractionCSP3(mol),
        formal_charge=Chem.GetFormalCharge(mol),
        heavy_atoms=mol.GetNumHeavyAtoms(),
        atoms=mol.GetNumAtoms(onlyExplicit=False),  # implicit hydrogens included
        qed=qed(mol, mw=mw, clogp=clogp, tpsa=tpsa, hbd=hbd, rotb=rotb, bits=bits)
        if with_qed
        else None,
        sa=sa_score(mol) if with_sa else None,
    )


def with_qed_score(
    mol: Any, props: MolecularProperties, *, bits: Bits | None = None,
    brenk_found: Collection[str] | None = None,
) -> MolecularProperties:  # fmt: skip
    """`props` (of `mol`, computed with `with_qed=False`) with its QED filled in
    (`brenk_found`: as for `qed`)."""
    from dataclasses import replace

    if props.qed is not None:
        return props
    value = qed(
        mol, mw=props.mw, clogp=props.clogp, tpsa=props.tpsa, hbd=props.hbd, rotb=props.rotb,
        bits=bits, brenk_found=brenk_found,
    )  # fmt: skip
    return replace(props, qed=value)


@functools.cache
def _qed_screens() -> tuple[PatternScreen, PatternScreen]:
    """Pattern screens of QED's acceptor patterns and its 116 structural alerts."""
    from rdkit.Chem import QED

    return PatternScreen(QED.Acceptors), PatternScreen(QED.StructuralAlerts)


def qed(
    mol: Any, *, mw: float | None = None, clogp: float | None = None, tpsa: float | None = None,
    hbd: int | None = None, rotb: int | None = None, bits: Bits | None = None,
    brenk_found: Collection[str] | None = None,
) -> float:  # fmt: skip
    """`QED.qed(mol)` (Bickerton et al. 2012, mean weights), reusing known descriptors.

    The eight QED properties are computed exactly as `QED.properties` does, except that MW,
    logP, HBD, PSA and strict rotatable bonds may be passed in, and the acceptor patterns
    and 116 structural alerts are pattern-screened. `brenk_found`, the descriptions of the
    Brenk alerts `find_alerts` found in `mol` (when it searched Brenk), answers the QED alerts
    that are Brenk alerts (`qed_alerts_in_brenk`) without matching them again. Molecules with
    explicit hydrogens take RDKit's own path.
    """
    from rdkit import Chem
    from rdkit.Chem import QED, Crippen, Descriptors, rdMolDescriptors

    if any(atom.GetAtomicNum() == 1 for atom in mol.GetAtoms()):
        return float(QED.qed(mol))  # type: ignore[no-untyped-call]
    if bits is None:
        bits = pattern_bits(mol)
    acceptors, alerts = QED.Acceptors, QED.StructuralAlerts
    acceptor_screen, alert_screen = _qed_screens()
    strict = rdMolDescriptors.NumRotatableBondsOptions.Strict
    shared: dict[int, str] = {}
    if brenk_found is not None:
        from medsage.drug._filters import qed_alerts_in_brenk

        shared = qed_alerts_in_brenk()
    aliphatic_free = Chem.DeleteSubstructs(Chem.Mol(mol), QED.AliphaticRings)
    properties = QED.QEDproperties(  # type: ignore[no-untyped-call]
        MW=Descriptors.MolWt(mol) if mw is None else mw,  # type: ignore[attr-defined]
        ALOGP=Crippen.MolLogP(mol) if clogp is None else clogp,  # type: ignore[attr-defined]
        HBA=sum(
            len(mol.GetSubstructMatches(acceptors[i])) for i in acceptor_screen.candidates(bits)
        ),
        HBD=rdMolDescriptors.CalcNumHBD(mol) if hbd is None else hbd,
        PSA=rdMolDescriptors.CalcTPSA(mol) if tpsa is None else tpsa,
        ROTB=rdMolDescriptors.CalcNumRotatableBonds(mol, strict) if rotb is None else rotb,
        AROM=len(Chem.GetSSSR(aliphatic_free)),
        ALERTS=sum(
            1
            for i in alert_screen.candidates(bits)
            if (
                shared[i] in brenk_found
                if brenk_found is not None and i in shared
                else mol.HasSubstructMatch(alerts[i])
            )
        ),
    )
    return float(QED.qed(mol, qedProperties=properties))  # type: ignore[no-untyped-call]


@functools.cache
def _fragment_scores() -> dict[int, float]:
    """Fragment id -> contribution, from the packaged table (loaded once per process).

    `sa_fpscores_groups.json` holds each group's contribution and size; `sa_fpscores.u32.xz`
    the groups' fragment ids as little-endian uint32 deltas (sorted within a group).
    """
    import lzma

    import numpy as np

    folder = resources.files("medsage.resources").joinpath("drug")
    meta = json.loads(folder.joinpath("sa_fpscores_groups.json").read_text(encoding="utf-8"))
    deltas = np.frombuffer(
        lzma.decompress(folder.joinpath("sa_fpscores.u32.xz").read_bytes()), dtype="<u4"
    ).astype(np.int64)
    if int(sum(meta["sizes"])) != deltas.shape[0]:
        raise ModelBundleError("the packaged SA-score table is damaged (sizes do not add up)")
    scores: dict[int, float] = {}
    start = 0
    for score, size in zip(meta["scores"], meta["sizes"], strict=True):
        ids = np.cumsum(deltas[start : start + size])
        scores.update(dict.fromkeys(ids.tolist(), float(score)))
        start += size
    return scores


@functools.cache
def _sa_generator() -> Any:
    from rdkit.Chem import rdFingerprintGenerator

    return rdFingerprintGenerator.GetMorganGenerator(radius=2)


def sa_score(mol: Any) -> float:
    """Synthetic accessibility, 1 (easy) to 10 (hard): Ertl & Schuffenhauer 2009, RDKit port."""
    from rdkit import Chem
    from rdkit.Chem import rdMolDescriptors

    n_atoms = mol.GetNumAtoms()
    if n_atoms == 0:
        raise InvalidInputError("sa_score needs a molecule with atoms, got an empty one")
    scores = _fragment_scores()
    counts = _sa_generator().GetSparseCountFingerprint(mol).GetNonzeroElements()
    n_fragments = 0
    score1 = 0.0
    for frag, count in counts.items():
        n_fragments += count
        score1 += scores.get(frag, SA_UNKNOWN_FRAGMENT) * count
    score1 /= n_fragments

    chiral = len(Chem.FindMolChiralCenters(mol, includeUnassigned=True))  # type: ignore[no-untyped-call]
    bridgeheads = rdMolDescriptors.CalcNumBridgeheadAtoms(mol)
    spiro = rdMolDescriptors.CalcNumSpiroAtoms(mol)
    macrocycles = sum(1 for ring in mol.GetRingInfo().AtomRings() if len(ring) > SA_MACROCYCLE_SIZE)
    size_penalty = n_atoms**1.005 - n_atoms
    # sascorer.py uses log10(2) for any number of macrocycles (the paper: log10(n + 1)).
    macrocycle_penalty = math.log10(2) if macrocycles > 0 else 0.0
    score2 = (
        0.0
        - size_penalty
        - math.log10(chiral + 1)
        - math.log10(spiro + 1)
        - math.log10(bridgeheads + 1)
        - macrocycle_penalty
    )
    # Fingerprint-density correction (sascorer.py version 1.1): symmetric molecules are easier.
    score3 = 0.0
    if n_atoms > len(counts):
        score3 = math.log(float(n_atoms) / len(counts)) * 0.5

    raw = score1 + score2 + score3
    sascore = 11.0 - (raw - SA_RAW_MIN + 1) / (SA_RAW_MAX - SA_RAW_MIN) * 9.0
    if sascore > 8.0:  # smooth the hard end
        sascore = 8.0 + math.log(sascore + 1.0 - 9.0)
    return float(min(max(sascore, 1.0), 10.0))
