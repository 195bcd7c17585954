import gc
import statistics
import time


def median_ms(action, *, runs=30, warmup=3):
    """Median wall time of `action()` in milliseconds."""
    for _ in range(warmup):
        action()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def paired_ms(first, second, *, runs=60, warmup=3):
    """Median wall times of `first()` and `second()` in milliseconds, and the median of their
    ratio, timed in alternation so that a busy machine slows both alike, with the garbage
    collector paused as timeit does (a collection would land on whichever ran then)."""
    for _ in range(warmup):
        first()
        second()
    times_first, times_second, ratios = [], [], []
    collecting = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        return _paired(first, second, runs, times_first, times_second, ratios)
    finally:
        if collecting:
            gc.enable()


def _paired(first, second, runs, times_first, times_second, ratios):
    for _ in range(runs):
        started = time.perf_counter()
        first()
        middle = time.perf_counter()
        second()
        ended = time.perf_counter()
        times_first.append((middle - started) * 1000)
        times_second.append((ended - middle) * 1000)
        ratios.append((middle - started) / (ended - middle))
    return (
        statistics.median(times_first),
        statistics.median(times_second),
        statistics.median(ratios),
    )
