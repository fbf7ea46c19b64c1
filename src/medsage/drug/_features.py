"""Molecule features for the property models: ECFP4 (Morgan radius 2, 2048) + fast 2D descriptors.

The descriptor set is a fixed, documented list of RDKit 2D descriptors chosen for speed (all
C++ `rdMolDescriptors` calls; about 0.2 ms per drug-sized molecule together), because the screen
must run at >= 500 molecules/s with two models on 2 cores; RDKit's full `CalcMolDescriptors`
(~210 descriptors, QED, BCUT, ...) costs 5-15 ms per molecule. Descriptors are standardised
with the training mean and standard deviation (`DescriptorScaler`); NaN and infinities become
0 after scaling (the training mean), so a failed descriptor never poisons a prediction.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from medsage.errors import InvalidInputError, NotFittedError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from medsage.drug._properties import MolecularProperties

    FloatArray = npt.NDArray[np.float64]

ECFP_RADIUS = 2  # ECFP4 = Morgan radius 2 (Rogers and Hahn, J. Chem. Inf. Model. 2010)
ECFP_SIZE = 2048

_SLOGP_VSA = 12  # bins of rdMolDescriptors.SlogP_VSA_ (Labute 2000)
_PEOE_VSA = 14  # bins of rdMolDescriptors.PEOE_VSA_


def _scalar_descriptors() -> list[tuple[str, Callable[[Any], float]]]:
    from rdkit.Chem import rdMolDescriptors as rd

    return [
        ("exact_mw", rd.CalcExactMolWt),
        ("tpsa", rd.CalcTPSA),
        ("hbd", rd.CalcNumHBD),
        ("hba", rd.CalcNumHBA),
        ("rotatable_bonds", rd.CalcNumRotatableBonds),
        ("rings", rd.CalcNumRings),
        ("aromatic_rings", rd.CalcNumAromaticRings),
        ("aliphatic_rings", rd.CalcNumAliphaticRings),
        ("saturated_rings", rd.CalcNumSaturatedRings),
        ("heterocycles", rd.CalcNumHeterocycles),
        ("heteroatoms", rd.CalcNumHeteroatoms),
        ("fraction_csp3", rd.CalcFractionCSP3),
        ("labute_asa", rd.CalcLabuteASA),
        ("hall_kier_alpha", rd.CalcHallKierAlpha),
        ("stereo_centres", rd.CalcNumAtomStereoCenters),
        ("amide_bonds", rd.CalcNumAmideBonds),
        ("heavy_atoms", rd.CalcNumHeavyAtoms),
    ]


def descriptor_names() -> list[str]:
    """Names of the 2D descriptor columns, in feature order."""
    names = ["clogp", "molar_refractivity"]
    names += [name for name, _ in _scalar_descriptors()]
    names += ["formal_charge", "total_hydrogens"]
    names += [f"slogp_vsa{i + 1}" for i in range(_SLOGP_VSA)]
    names += [f"peoe_vsa{i + 1}" for i in range(_PEOE_VSA)]
    return names


def n_features() -> int:
    """Width of `featurize`'s output: ECFP counts then descriptors."""
    return ECFP_SIZE + len(descriptor_names())


class Featurizer:
    """Turns RDKit molecules into ECFP4 count (or bit) vectors and raw 2D descriptors."""

    def __init__(self, *, counts: bool = True) -> None:
        from rdkit.Chem import rdFingerprintGenerator

        self.counts = counts
        self._gen = rdFingerprintGenerator.GetMorganGenerator(radius=ECFP_RADIUS, fpSize=ECFP_SIZE)
        self._scalars = _scalar_descriptors()
        self._n_desc = len(descriptor_names())

    def ecfp(self, mols: Sequence[Any]) -> npt.NDArray[np.float32]:
        """ECFP4 counts (or 0/1 bits when `counts=False`), shape (n, 2048), float32."""
        import numpy as np

        out = np.zeros((len(mols), ECFP_SIZE), dtype=np.float32)
        get = (
            self._gen.GetCountFingerprintAsNumPy if self.counts else self._gen.GetFingerprintAsNumPy
        )
        for i, mol in enumerate(mols):
            out[i] = get(mol)
        return out

    def ecfp_bits(self, mols: Sequence[Any]) -> npt.NDArray[np.uint8]:
        """ECFP4 bits packed 8 per byte, shape (n, 256): the applicability-domain fingerprints."""
        import numpy as np

        out = np.zeros((len(mols), ECFP_SIZE // 8), dtype=np.uint8)
        for i, mol in enumerate(mols):
            out[i] = np.packbits(self._gen.GetFingerprintAsNumPy(mol).astype(bool))
        return out

    def descriptors(
        self, mols: Sequence[Any], known: Sequence[MolecularProperties] | None = None
    ) -> FloatArray:
        """Raw (unscaled) 2D descriptors, shape (n, len(descriptor_names())); NaN where RDKit
        failed on a molecule. `known`: the molecules' `compute_properties`, whose H-bond
        acceptors and rotatable bonds are the same RDKit functions (`Lipinski.NumHAcceptors`
        is `CalcNumHBA`; the default rotatable-bond option is Strict) and are reused."""
        import numpy as np
        from rdkit import Chem
        from rdkit.Chem import rdMolDescriptors as rd

        out = np.full((len(mols), self._n_desc), np.nan, dtype=np.float64)
        for i, mol in enumerate(mols):
            try:
                values: list[float] = list(rd.CalcCrippenDescriptors(mol))
                if known is None:
                    values += [float(f(mol)) for _, f in self._scalars]
                else:
                    reuse = {"hba": known[i].hba, "rotatable_bonds": known[i].rotb}
                    values += [
                        float(reuse[name]) if name in reuse else float(f(mol))
                        for name, f in self._scalars
                    ]
                values.append(float(Chem.GetFormalCharge(mol)))
                values.append(float(rd.CalcNumAtoms(mol) - rd.CalcNumHeavyAtoms(mol)))
                values += list(rd.SlogP_VSA_(mol))
                values += list(rd.PEOE_VSA_(mol))
            except Exception:
                continue
            out[i] = values
        return out


@dataclass
class DescriptorScaler:
    """Standardise descriptors with training statistics; NaN/inf -> 0 after scaling."""

    mean_: FloatArray | None = None
    scale_: FloatArray | None = None

    def fit(self, x: FloatArray) -> DescriptorScaler:
        """Learn per-column mean and standard deviation, ignoring NaN/inf."""
        import numpy as np

        if x.ndim != 2 or x.shape[0] == 0:
            raise InvalidInputError(f"expected a non-empty 2D descriptor matrix, got {x.shape}")
        finite = np.where(np.isfinite(x), x, np.nan)
        with np.errstate(all="ignore"):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                mean = np.nanmean(finite, axis=0)
                std = np.nanstd(finite, axis=0)
        self.mean_ = np.nan_to_num(mean, nan=0.0)
        self.scale_ = np.where(np.isfinite(std) & (std > 1e-12), std, 1.0)
        return self

    def transform(self, x: FloatArray) -> FloatArray:
        """Scaled copy of `x` with NaN and infinities replaced by 0."""
        import numpy as np

        if self.mean_ is None or self.scale_ is None:
            raise NotFittedError("DescriptorScaler.transform called before fit")
        if x.shape[1] != self.mean_.shape[0]:
            raise InvalidInputError(
                f"descriptor matrix has {x.shape[1]} columns, the scaler expects "
                f"{self.mean_.shape[0]}"
            )
        with np.errstate(all="ignore"):
            z = (x - self.mean_) / self.scale_
        return np.where(np.isfinite(z), z, 0.0)


def parse_model_inputs(smiles: Sequence[str]) -> tuple[list[Any], list[int], list[str]]:
    """Parse SMILES with RDKit and keep the largest fragment (salts, counter-ions dropped).

    Returns (molecules, indices of the parsed inputs, error messages per input: "" when parsed).
    """
    from rdkit import Chem, RDLogger
    from rdkit.Chem.MolStandardize import rdMolStandardize

    RDLogger.DisableLog("rdApp.*")  # type: ignore[attr-defined]
    chooser = rdMolStandardize.LargestFragmentChooser()
    mols: list[Any] = []
    ok: list[int] = []
    errors: list[str] = []
    for i, smi in enumerate(smiles):
        if not isinstance(smi, str) or not smi.strip():
            errors.append("empty SMILES")
            continue
        mol = Chem.MolFromSmiles(smi.strip())
        if mol is None:
            errors.append(f"RDKit could not parse {smi.strip()[:80]!r}")
            continue
        if mol.GetNumHeavyAtoms() == 0:
            errors.append("molecule has no heavy atoms")
            continue
        if len(Chem.GetMolFrags(mol)) > 1:
            mol = chooser.choose(mol)
        mols.append(mol)
        ok.append(i)
        errors.append("")
    return mols, ok, errors


@dataclass
class FeatureBatch:
    """Parsed inputs and their raw features (rows follow `ok`, the parsed input indices)."""

    ok: list[int]
    errors: list[str]
    ecfp: npt.NDArray[np.float32]
    descriptors: FloatArray
    bits: npt.NDArray[np.uint8]


_CACHE_MAX_INPUTS = 4096
_cache_lock = threading.Lock()
_cache: dict[tuple[str, ...], FeatureBatch] = {}


def featurize_smiles(smiles: Sequence[str]) -> FeatureBatch:
    """Parse `smiles` and compute ECFP4 counts, raw descriptors and packed bits.

    The last batch (up to 4,096 inputs) is remembered, so a second model predicting the same
    molecules (the screen runs several models over one chunk) does not featurise them again.
    """
    key = tuple(smiles)
    if len(key) <= _CACHE_MAX_INPUTS:
        with _cache_lock:
            hit = _cache.get(key)
        if hit is not None:
            return hit
    mols, ok, errors = parse_model_inputs(smiles)
    feat = Featurizer(counts=True)
    batch = FeatureBatch(ok, errors, feat.ecfp(mols), feat.descriptors(mols), feat.ecfp_bits(mols))
    if len(key) <= _CACHE_MAX_INPUTS:
        with _cache_lock:
            _cache.clear()
            _cache[key] = batch
    return batch


def featurize_mols(
    mols: Sequence[Any], known: Sequence[MolecularProperties] | None = None
) -> FeatureBatch:
    """Features of already standardised molecules (every row valid): what a screening worker
    computes once and hands to each property model (`PropertyModel.predict_features`).
    `known`: their properties, to reuse (see `Featurizer.descriptors`)."""
    import numpy as np

    feat = Featurizer(counts=True)
    counts = feat.ecfp(mols)
    # The folded bit fingerprint is "count > 0" of the folded count fingerprint (same
    # generator); deriving it saves a second Morgan pass (tests check the equality).
    bits = np.packbits(counts > 0, axis=1)
    return FeatureBatch(
        list(range(len(mols))), [""] * len(mols), counts, feat.descriptors(mols, known), bits
    )
