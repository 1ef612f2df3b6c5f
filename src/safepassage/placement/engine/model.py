"""The outcome model: expected employed adults at 90 days for each household in each region.

A gradient-boosted classifier (scikit-learn's HistGradientBoosting) learns the probability that one
adult of a household is employed within 90 days of placement in a region, from household features,
region features and the region itself (a categorical feature, so that what a region's labour market
rewards is learned from its own history, as GeoMatch does). The probability is calibrated with
isotonic regression on a separate part of the history, evaluated on a third part (AUC, Brier score,
expected calibration error) and multiplied by the household's adults.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from safepassage.placement.engine.types import EDUCATION_RANK, HistoryRecord, Household, Region

if TYPE_CHECKING:  # scikit-learn is imported when a model is trained: the CLI starts faster
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.isotonic import IsotonicRegression

FloatArray = NDArray[np.float64]
_MEDICAL_OR_SERIOUS = {"dialysis", "oncology", "disability", "serious_medical_condition"}


class OutcomeModel(Protocol):
    """Anything that predicts a households x regions matrix of expected outcomes."""

    def predict(self, households: Sequence[Household], regions: Sequence[Region]) -> FloatArray: ...


@dataclass(frozen=True)
class TableModel:
    """A fixed matrix of outcomes (tests, and optimising against a known truth in benchmarks)."""

    table: FloatArray

    def predict(self, households: Sequence[Household], regions: Sequence[Region]) -> FloatArray:
        return np.asarray(self.table, dtype=np.float64).reshape(len(households), len(regions))


@dataclass(frozen=True)
class ModelMetrics:
    """Held-out quality of the calibrated model; counts are adults (one sample per adult)."""

    auc: float
    brier: float
    ece: float
    auc_uncalibrated: float
    ece_uncalibrated: float
    base_rate: float
    train_adults: int
    calibration_adults: int
    test_adults: int


@dataclass(frozen=True)
class _Vocabulary:
    occupations: tuple[str, ...]
    languages: tuple[str, ...]
    official: tuple[str, ...]

    def occupation(self, name: str) -> int:
        try:
            return self.occupations.index(name)
        except ValueError:
            return len(self.occupations)  # unseen: its own category


def _household_rows(households: Sequence[Household], vocab: _Vocabulary) -> NDArray[np.int64]:
    """One integer row per household; language knowledge is a bit mask over the vocabulary."""
    lang_bit = {lang: 1 << i for i, lang in enumerate(vocab.languages)}
    rows = np.zeros((len(households), 9), dtype=np.int64)
    for i, h in enumerate(households):
        mask = 0
        for lang in h.languages:
            mask |= lang_bit.get(lang, 0)
        rows[i] = (
            h.adults,
            h.children_0_5,
            h.children_6_17,
            h.elderly,
            EDUCATION_RANK[h.education_max],
            vocab.occupation(h.occupation),
            int(any(lang in vocab.official for lang in h.languages)),
            int(any(n in _MEDICAL_OR_SERIOUS for n in h.needs)),
            mask,
        )
    return rows


def _features(
    hh: NDArray[np.int64], region_index: NDArray[np.int64], regions: Sequence[Region], vocab: _Vocabulary
) -> FloatArray:
    """Pair features: the household's own, whether it speaks a community language there, the region."""
    comm = np.zeros(len(regions), dtype=np.int64)
    for j, r in enumerate(regions):
        for lang in r.communities:
            if lang in vocab.languages:
                comm[j] |= 1 << vocab.languages.index(lang)
    unemployment = np.array([r.unemployment_rate for r in regions])
    community = (hh[:, 8] & comm[region_index]) != 0
    return np.column_stack(
        [
            hh[:, :8].astype(np.float64),
            community.astype(np.float64),
            unemployment[region_index],
            region_index.astype(np.float64),
        ]
    )


_CATEGORICAL = [5, 10]  # occupation, region


def expected_calibration_error(y: FloatArray, p: FloatArray, w: FloatArray, bins: int = 10) -> float:
    """Weighted mean |observed rate - mean prediction| over equal-width probability bins."""
    edges = np.minimum((p * bins).astype(np.int64), bins - 1)
    total = float(w.sum())
    error = 0.0
    for b in range(bins):
        sel = edges == b
        weight = float(w[sel].sum())
        if weight > 0:
            error += (
                weight
                / total
                * abs(float((y[sel] * w[sel]).sum()) / weight - float((p[sel] * w[sel]).sum()) / weight)
            )
    return error


class GradientBoostingModel:
    """Trained with :meth:`fit`; deterministic for a given seed and history."""

    def __init__(
        self,
        classifier: HistGradientBoostingClassifier,
        calibrator: IsotonicRegression,
        vocab: _Vocabulary,
        regions: Sequence[Region],
        metrics: ModelMetrics,
    ) -> None:
        self._regions = tuple(regions)
        self._region_index = {r.region_id: j for j, r in enumerate(regions)}
        self._classifier = classifier
        self._calibrator = calibrator
        self._vocab = vocab
        self.metrics = metrics

    @classmethod
    def fit(
        cls,
        history: Sequence[HistoryRecord],
        regions: Sequence[Region],
        *,
        official_languages: tuple[str, ...] = ("de",),
        seed: int = 0,
        max_iter: int = 300,
        threads: int = 1,
    ) -> GradientBoostingModel:
        """Train on 60% of the households, calibrate on 20%, measure on the last 20% (split by household).

        ``threads`` bounds OpenMP: on a shared 2-core machine spinning threads cost more than they give.
        """
        from sklearn.ensemble import HistGradientBoostingClassifier
        from sklearn.isotonic import IsotonicRegression
        from sklearn.metrics import brier_score_loss, roc_auc_score

        if len(regions) > 250:
            raise ValueError("the model handles at most 250 regions (a categorical feature)")
        usable = [r for r in history if r.household.adults > 0]
        if len(usable) < 50:
            raise ValueError(f"the history has {len(usable)} households with adults; at least 50 are needed")
        occupations = tuple(sorted({r.household.occupation for r in usable}))
        languages = tuple(
            sorted(
                {lang for r in usable for lang in r.household.languages}
                | {c for g in regions for c in g.communities}
            )
        )[:62]
        vocab = _Vocabulary(occupations, languages, official_languages)
        index = {g.region_id: j for j, g in enumerate(regions)}
        hh = _household_rows([r.household for r in usable], vocab)
        x = _features(hh, np.array([index[r.region_id] for r in usable], dtype=np.int64), regions, vocab)
        adults = hh[:, 0].astype(np.float64)
        employed = np.array([r.employed_adults_90d for r in usable], dtype=np.float64)
        part = np.random.default_rng(seed).permutation(len(usable)) % 5  # 0-2 train, 3 calibrate, 4 test

        # Each household is two weighted samples: employed adults (label 1) and the others (label 0).
        def samples(sel: NDArray[np.bool_]) -> tuple[FloatArray, FloatArray, FloatArray]:
            xs = np.vstack([x[sel], x[sel]])
            ys = np.concatenate([np.ones(sel.sum()), np.zeros(sel.sum())])
            ws = np.concatenate([employed[sel], adults[sel] - employed[sel]])
            keep = ws > 0
            return xs[keep], ys[keep], ws[keep]

        x_tr, y_tr, w_tr = samples(part <= 2)
        x_ca, y_ca, w_ca = samples(part == 3)
        x_te, y_te, w_te = samples(part == 4)
        classifier = HistGradientBoostingClassifier(
            max_iter=max_iter,
            learning_rate=0.08,
            max_leaf_nodes=31,
            min_samples_leaf=40,
            l2_regularization=1.0,
            categorical_features=_CATEGORICAL,
            early_stopping=True,
            validation_fraction=0.15,
            n_iter_no_change=20,
            random_state=seed,
        )
        with threadpool_limits(limits=threads):
            classifier.fit(x_tr, y_tr, sample_weight=w_tr)
        calibrator = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
        with threadpool_limits(limits=threads):
            calibrator.fit(classifier.predict_proba(x_ca)[:, 1], y_ca, sample_weight=w_ca)
            raw = classifier.predict_proba(x_te)[:, 1]
        cal = np.asarray(calibrator.predict(raw), dtype=np.float64)
        two_classes = len(set(y_te.tolist())) == 2
        metrics = ModelMetrics(
            auc=float(roc_auc_score(y_te, cal, sample_weight=w_te)) if two_classes else float("nan"),
            brier=float(brier_score_loss(y_te, cal, sample_weight=w_te)),
            ece=expected_calibration_error(y_te, cal, w_te),
            auc_uncalibrated=float(roc_auc_score(y_te, raw, sample_weight=w_te))
            if two_classes
            else float("nan"),
            ece_uncalibrated=expected_calibration_error(y_te, raw, w_te),
            base_rate=float(employed.sum() / adults.sum()),
            train_adults=int(w_tr.sum()),
            calibration_adults=int(w_ca.sum()),
            test_adults=int(w_te.sum()),
        )
        return cls(classifier, calibrator, vocab, regions, metrics)

    def probability(self, households: Sequence[Household], regions: Sequence[Region]) -> FloatArray:
        """Per-adult employment probability, households x regions; predicted once per distinct household."""
        if not households or not regions:
            return np.zeros((len(households), len(regions)))
        hh = _household_rows(households, self._vocab)
        unique, inverse = np.unique(hh, axis=0, return_inverse=True)
        m = len(regions)
        unknown = [r.region_id for r in regions if r.region_id not in self._region_index]
        if unknown:
            raise ValueError(f"the model was not trained with region(s) {', '.join(unknown[:5])}")
        codes = np.array([self._region_index[r.region_id] for r in regions], dtype=np.int64)
        rows = np.repeat(np.arange(len(unique)), m)
        cols = np.tile(codes, len(unique))
        x = _features(unique[rows], cols, self._regions, self._vocab)
        with threadpool_limits(limits=1):
            raw = self._classifier.predict_proba(x)[:, 1]
        p = np.asarray(self._calibrator.predict(raw), dtype=np.float64)
        return p.reshape(len(unique), m)[np.asarray(inverse).reshape(-1)]

    def predict(self, households: Sequence[Household], regions: Sequence[Region]) -> FloatArray:
        adults = np.array([h.adults for h in households], dtype=np.float64)
        return self.probability(households, regions) * adults[:, None]
