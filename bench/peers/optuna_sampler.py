"""Optuna 3.1 peer of bench/sampler_bench.cc: the same functions, the same JSON line.

    python3 bench/peers/optuna_sampler.py FUNCTION SAMPLER SEED [TRIALS=100]

TPESampler(seed=SEED) with its defaults, or RandomSampler(seed=SEED); the sampler's time is
measured around study.ask() (where Optuna 3.1 samples every parameter, since the distributions
are passed to ask), the objective is not timed.
"""
import json
import math
import sys
import time

import optuna


def sphere(x):
    return sum((xi - 1.5) ** 2 for xi in x)


def branin(x):
    b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    return (x[1] - b * x[0] ** 2 + c * x[0] - 6) ** 2 + 10 * (1 - t) * math.cos(x[0]) + 10


ALPHA = [1.0, 1.2, 3.0, 3.2]
A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
     [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
P = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
     [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]


def hartmann6(x):
    return -sum(ALPHA[i] * math.exp(-sum(A[i][j] * (x[j] - 1e-4 * P[i][j]) ** 2
                                         for j in range(6))) for i in range(4))


FUNCTIONS = {
    "sphere5": ([(-5.0, 5.0)] * 5, sphere),
    "branin": ([(-5.0, 10.0), (0.0, 15.0)], branin),
    "hartmann6": ([(0.0, 1.0)] * 6, hartmann6),
}


def main():
    name, sampler_name, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    trials = int(sys.argv[4]) if len(sys.argv) > 4 else 100
    bounds, f = FUNCTIONS[name]
    assert abs(branin([math.pi, 2.275]) - 0.397887) < 1e-6
    assert abs(hartmann6([0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573]) + 3.32237) < 1e-5
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = (optuna.samplers.TPESampler(seed=seed) if sampler_name == "tpe"
               else optuna.samplers.RandomSampler(seed=seed))
    study = optuna.create_study(direction="minimize", sampler=sampler)
    distributions = {f"x{i}": optuna.distributions.FloatDistribution(lo, hi)
                     for i, (lo, hi) in enumerate(bounds)}
    out = {"function": name, "sampler": sampler_name, "seed": seed, "tool": "optuna",
           "trials": trials}
    sample_seconds, best = 0.0, math.inf
    for t in range(1, trials + 1):
        start = time.perf_counter()
        trial = study.ask(distributions)
        sample_seconds += time.perf_counter() - start
        value = f([trial.params[f"x{i}"] for i in range(len(bounds))])
        study.tell(trial, value)
        best = min(best, value)
        if t in (20, 50, 100):
            out[f"best_{t}"] = best
    out["sampler_seconds_per_trial"] = sample_seconds / trials
    print(json.dumps(out))


if __name__ == "__main__":
    main()
