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
