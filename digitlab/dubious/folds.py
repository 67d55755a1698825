"""Out-of-fold probabilities: K models, each scoring the fold of training images it never saw.

See the package docstring for why. :func:`compute` trains and scores;
:func:`ensure` returns the cached result or computes and caches it under the
training lock (the command line); the app's background job
(:mod:`digitlab.tasks.dubious`) holds that lock already and calls
:func:`compute_and_save`.
"""

from __future__ import annotations

import time
from dataclasses import asdict, replace
from datetime import datetime
from typing import Callable

import numpy as np

from digitlab.data import Mnist
from digitlab.dubious import cache, ensemble, evidence, reference
from digitlab.dubious.settings import FORMAT_VERSION, Evidence, Result, Settings

ProgressFn = Callable[[float, str], None]


def fold_assignment(labels: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """The fold (0..folds-1) of every sample, stratified by label: int8 (N,).

    Each fold holds about the same share of every digit, so every fold model
    learns all ten; ``seed`` fixes the shuffle.
    """
    from sklearn.model_selection import StratifiedKFold

    labels = np.asarray(labels)
    out = np.full(len(labels), -1, np.int8)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for k, (_, held_out) in enumerate(splitter.split(np.zeros((len(labels), 1)), labels)):
        out[held_out] = k
    return out


def compute(
    settings: Settings,
    mnist: Mnist,
    *,
    on_progress: ProgressFn | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Result:
    """Train one model per fold and collect out-of-sample probabilities (see the package doc); with a
    reference model, the fold models' result (cached if it can be) with its answers on the test split;
    with ``ensemble``, its two sets of fold models' results (each cached if it can be) joined.

    ``on_progress(fraction 0-1, message)`` is called often; ``should_stop`` is
    polled between batches and raises ``digitlab.cancel.Cancelled``.
    """
    import keras

    from digitlab.inference import Classifier  # TensorFlow
    from digitlab.models import TrainConfig
    from digitlab.training import library_versions, train

    s = settings.resolved()
    if s.reference:  # the fold models' result (cached, or computed and cached), then the second opinion
        reference.check(s.reference, mnist.fingerprint)
        alone = replace(s, reference=None)
        base = cache.load(alone, mnist.fingerprint) or compute_and_save(alone, mnist, on_progress=on_progress,
                                                                         should_stop=should_stop)
        (on_progress or (lambda fraction, message: None))(1.0, f"reading the test images with model {s.reference!r}")
        return reference.add(base, s.reference, mnist)
    if s.ensemble:  # each set of fold models a result of its own (cached, or computed and cached), joined
        joined = []
        for k, part in enumerate(s.parts()):
            what = "with the extra images" if part.extras else "MNIST alone"

            def part_progress(fraction: float, message: str, k=k, what=what) -> None:
                (on_progress or (lambda f, m: None))((k + fraction) / 2, f"fold models {what}: {message}")

            joined.append(cache.load(part, mnist.fingerprint)
                          or compute_and_save(part, mnist, on_progress=part_progress, should_stop=should_stop))
        return replace(ensemble.join(joined), settings=s)
    n = s.subset or len(mnist.x_train)
    x, y = mnist.x_train[:n].astype(np.float32) / 255.0, mnist.y_train[:n]
    x_test = mnist.x_test.astype(np.float32) / 255.0
    folds = fold_assignment(y, s.folds, s.seed)
    train_e = {name: np.zeros((n, 10), np.float32) for name in ("probs", "plain", "neighbours")}
    test_e = {name: np.zeros((len(x_test), 10), np.float64) for name in ("probs", "plain", "neighbours")}
    train_votes = np.zeros((n, s.folds), np.int8)
    test_votes = np.zeros((len(x_test), s.folds), np.int8)
    fold_accuracy, temperatures, t0 = [], [], time.monotonic()
    report = on_progress or (lambda fraction, message: None)

    for k in range(s.folds):
        held_out = folds == k
        config = TrainConfig(s.preset, epochs=s.epochs, batch_size=s.batch_size, seed=s.seed + k,
                             validation_split=0.0, keep_best=False, augment=s.augment, extras=s.extras,
                             subset=s.subset,
                             exclude=tuple(np.flatnonzero(held_out).tolist()))

        def fold_progress(p, k=k):
            done = (k + 0.9 * p.fraction) / s.folds
            report(done, f"fold {k + 1}/{s.folds}: epoch {p.epoch}/{p.epochs}, batch {p.batch}/{p.batches}")

        report(k / s.folds, f"fold {k + 1}/{s.folds}: training on {n - int(held_out.sum()):,} images")
        # test_images=0: the fold model's own test figures would go unused; it is scored just below.
        trained = train(config, mnist, on_progress=fold_progress, should_stop=should_stop, test_images=0)
        report((k + 0.9) / s.folds, f"fold {k + 1}/{s.folds}: scoring")
        clf = Classifier(trained.model, shifts=False)  # the plain answer; evidence.tta_probabilities adds the rest
        # Every fold model scores every training image: the held-out rows are the evidence;
        # the others feed fold_agreement (see the package doc).
        plain, tta = evidence.tta_probabilities(clf.probabilities, x) if s.tta else (clf.probabilities(x),) * 2
        train_e["plain"][held_out], train_e["probs"][held_out] = plain[held_out], tta[held_out]
        train_votes[:, k] = tta.argmax(axis=1)
        # Neighbours among the images this model learned from (never the held-out fold itself).
        features = clf.features(x)
        learned = ~held_out
        train_e["neighbours"][held_out] = evidence.neighbour_labels(features[held_out], features[learned], y[learned])
        plain_t, tta_t = evidence.tta_probabilities(clf.probabilities, x_test) if s.tta else (clf.probabilities(x_test),) * 2
        test_e["plain"] += plain_t
        test_e["probs"] += tta_t
        test_e["neighbours"] += evidence.neighbour_labels(clf.features(x_test), features[learned], y[learned])
        test_votes[:, k] = tta_t.argmax(axis=1)
        fold_accuracy.append(float((tta[held_out].argmax(axis=1) == y[held_out]).mean()))
        temperatures.append(evidence.fit_temperature(tta[held_out], y[held_out]))
        del trained, clf
        keras.backend.clear_session()  # K models' graphs would otherwise pile up

    test_mean = {name: (a / s.folds).astype(np.float32) for name, a in test_e.items()}
    meta = {
        "settings": asdict(s), "fingerprint": mnist.fingerprint, "format": FORMAT_VERSION,
        "created": datetime.now().isoformat(timespec="seconds"), "seconds": round(time.monotonic() - t0, 1),
        "fold_accuracy": fold_accuracy, "temperatures": temperatures,
        "test_accuracy": float((test_mean["probs"].argmax(1) == mnist.y_test).mean()),
        "versions": library_versions(),
    }
    report(1.0, "done")
    return Result(settings=s, fingerprint=mnist.fingerprint, meta=meta,
                  train=Evidence(labels=y.copy(), probs=train_e["probs"], votes=train_votes, folds=folds,
                                 plain_probs=train_e["plain"], neighbours=train_e["neighbours"]),
                  test=Evidence(labels=mnist.y_test.copy(), probs=test_mean["probs"], votes=test_votes,
                                plain_probs=test_mean["plain"], neighbours=test_mean["neighbours"]))


def compute_and_save(settings: Settings, mnist: Mnist, *, on_progress: ProgressFn | None = None,
                     should_stop: Callable[[], bool] | None = None) -> Result:
    """:func:`compute`, then cache it; the caller holds the training lock. ``path`` is set.

    Raises :class:`cache.CacheNotWritable` before any training if the result could not be kept.
    """
    cache.check_writable()
    result = compute(settings, mnist, on_progress=on_progress, should_stop=should_stop)
    return replace(result, path=cache.save(result))


def ensure(settings: Settings, mnist: Mnist, *, force: bool = False, source: str = "the command line",
           on_progress: ProgressFn | None = None, should_stop: Callable[[], bool] | None = None) -> Result:
    """The cached result, or compute and cache it under the training lock.

    Computing trains K models: it takes the same lock as any training (one at
    a time on this machine), and raises ``TrainingBusy`` if one is running.
    """
    from digitlab.jobs.lock import TrainingLock

    if not force:
        cached = cache.load(settings, mnist.fingerprint)
        if cached is not None:
            return cached
    s = settings.resolved()
    with TrainingLock({"preset": f"dubious labels ({s.preset}, {s.folds} folds)", "source": source}):
        return compute_and_save(settings, mnist, on_progress=on_progress, should_stop=should_stop)
