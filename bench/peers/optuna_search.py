"""Optuna peer of experiments/s9_search.yaml: a TPE search over a two-layer network on
Fashion-MNIST, with or without successive-halving (ASHA) pruning, for the search benchmark.

Data: the 60,000 training images (IDX files, read with bench/peers/idx.py, pixels / 255 like
torch_train.py) split at random (seeded) 54,000 train / 6,000 validation; the best trial's model is
scored on the 10,000 test images. Network: flatten -> Linear(784, hidden) -> ReLU ->
Linear(hidden, 10); mean softmax cross-entropy plus l2 * sum(w^2) over the two weight matrices (not
the biases), written out in the loss; plain SGD (no momentum), batch 200, reshuffled every epoch;
validation accuracy after every epoch. A trial's value is its validation accuracy after its last
epoch.

Space: lr loguniform [0.005, 0.5], l2 loguniform [1e-6, 1e-2], hidden int [32, 256];
TPESampler(seed=S) with its defaults, direction maximize.
--pruner asha: SuccessiveHalvingPruner(min_resource=1, reduction_factor=3 or --reduction-factor), trial.report(val_acc,
epoch) with 1-based epochs and should_prune() after every epoch, so the rungs are at epochs 1, 3
and 9 (min_resource * 3**rung); --pruner none: every trial trains all epochs.

Prints one JSON object at the end on stdout; one JSON line per trial on stderr.

  /usr/bin/python3 bench/peers/optuna_search.py --pruner asha [--trials 60] [--epochs 9]
      [--seed 0] [--threads 2] [--limit-train N] [--data-dir DIR]
"""
import argparse
import copy
import json
import os
import sys
import time

import numpy as np
import optuna
import torch
import torch.nn as nn
import torch.nn.functional as F

from idx import read_idx  # bench/peers/idx.py


class TwoLayer(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.fc1 = nn.Linear(784, hidden)
        self.fc2 = nn.Linear(hidden, 10)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x.flatten(1))))

    def weight_square_sum(self):
        return self.fc1.weight.pow(2).sum() + self.fc2.weight.pow(2).sum()


def accuracy(model, x, y, batch=2000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for b in range(0, x.shape[0], batch):
            correct += (model(x[b:b + batch]).argmax(1) == y[b:b + batch]).sum().item()
    return correct / x.shape[0]


def load(data_dir, limit_train, validation, seed):
    def images(name):
        return torch.from_numpy(read_idx(f"{data_dir}/{name}").astype(np.float32) / 255.0)

    def labels(name):
        return torch.from_numpy(read_idx(f"{data_dir}/{name}").astype(np.int64))

    x = images("train-images-idx3-ubyte.gz").reshape(-1, 784)
    y = labels("train-labels-idx1-ubyte.gz")
    if limit_train:
        x, y = x[:limit_train], y[:limit_train]
    n = x.shape[0]
    n_val = int(round(n * validation))
    order = torch.from_numpy(np.random.default_rng(seed).permutation(n))
    val_idx, train_idx = order[:n_val], order[n_val:]
    test_x = images("t10k-images-idx3-ubyte.gz").reshape(-1, 784)
    test_y = labels("t10k-labels-idx1-ubyte.gz")
    return (x[train_idx].contiguous(), y[train_idx].contiguous(), x[val_idx].contiguous(),
            y[val_idx].contiguous(), test_x, test_y)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pruner", choices=["asha", "none"], required=True)
    parser.add_argument("--trials", type=int, default=60)
    parser.add_argument("--reduction-factor", type=int, default=3,
                        help="ASHA: rungs at epochs 1, r, r^2, ...; the best 1/r go on")
    parser.add_argument("--epochs", type=int, default=9)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--validation", type=float, default=0.1,
                        help="fraction of the (limited) training images held out (0.1: 6,000)")
    parser.add_argument("--limit-train", type=int, default=0,
                        help="use only the first N training images, before the split")
    parser.add_argument("--data-dir", default=os.environ.get("PIPELINE_FASHION_MNIST_DIR",
                                                             "/usr/share/datasets/fashion-mnist"))
    parser.add_argument("--no-prune-last", action="store_true",
                        help="skip should_prune() after the last epoch (by default it is called, "
                             "so ASHA can prune at epoch 9, the third rung, a fully trained trial)")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    load_start = time.perf_counter()
    train_x, train_y, val_x, val_y, test_x, test_y = load(args.data_dir, args.limit_train,
                                                          args.validation, args.seed)
    load_seconds = time.perf_counter() - load_start

    best = {"value": None, "state": None, "hidden": None, "trial": None}
    epochs_trained = [0]

    def objective(trial):
        lr = trial.suggest_float("lr", 0.005, 0.5, log=True)
        l2 = trial.suggest_float("l2", 1e-6, 1e-2, log=True)
        hidden = trial.suggest_int("hidden", 32, 256)
        generator = torch.Generator().manual_seed(args.seed * 100003 + trial.number)
        torch.manual_seed(args.seed * 100003 + trial.number)  # the initial weights
        model = TwoLayer(hidden)
        optimizer = torch.optim.SGD(model.parameters(), lr=lr)  # no momentum, no weight_decay
        n = train_x.shape[0]
        val_acc = 0.0
        start = time.perf_counter()
        for epoch in range(1, args.epochs + 1):
            model.train()
            order = torch.randperm(n, generator=generator)
            for b in range(0, n, args.batch):
                index = order[b:b + args.batch]
                optimizer.zero_grad()
                loss = F.cross_entropy(model(train_x[index]), train_y[index]) \
                    + l2 * model.weight_square_sum()
                loss.backward()
                optimizer.step()
            epochs_trained[0] += 1
            val_acc = accuracy(model, val_x, val_y)
            if args.pruner == "asha":
                trial.report(val_acc, epoch)
                if (epoch < args.epochs or not args.no_prune_last) and trial.should_prune():
                    trial.set_user_attr("pruned_at", epoch)
                    print(json.dumps({"trial": trial.number, "lr": lr, "l2": l2, "hidden": hidden,
                                      "state": "pruned", "epoch": epoch, "val_accuracy": val_acc,
                                      "seconds": time.perf_counter() - start}),
                          file=sys.stderr, flush=True)
                    raise optuna.TrialPruned()
        if best["value"] is None or val_acc > best["value"]:
            best.update(value=val_acc, state=copy.deepcopy(model.state_dict()), hidden=hidden,
                        trial=trial.number)
        print(json.dumps({"trial": trial.number, "lr": lr, "l2": l2, "hidden": hidden,
                          "state": "complete", "epoch": args.epochs, "val_accuracy": val_acc,
                          "seconds": time.perf_counter() - start}), file=sys.stderr, flush=True)
        return val_acc

    pruner = (optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=args.reduction_factor)
              if args.pruner == "asha" else optuna.pruners.NopPruner())
    study = optuna.create_study(direction="maximize",
                                sampler=optuna.samplers.TPESampler(seed=args.seed), pruner=pruner)
    search_start = time.perf_counter()
    study.optimize(objective, n_trials=args.trials)

    test_acc = None
    if best["state"] is not None:
        model = TwoLayer(best["hidden"])
        model.load_state_dict(best["state"])
        test_acc = accuracy(model, test_x, test_y)
    wall = time.perf_counter() - search_start

    trials = sorted(study.trials, key=lambda t: t.number)
    pruned = [t for t in trials if t.state == optuna.trial.TrialState.PRUNED]
    per_rung = {}
    for t in pruned:
        epoch = t.user_attrs.get("pruned_at", t.last_step)
        per_rung[str(epoch)] = per_rung.get(str(epoch), 0) + 1
    best_so_far, running = [], None
    for t in trials:  # completed trials only: a pruned trial has no objective value
        if t.state == optuna.trial.TrialState.COMPLETE and (running is None or t.value > running):
            running = t.value
        best_so_far.append(running)
    assert best["value"] is None or best["value"] == study.best_value

    print(json.dumps({
        "peer": "optuna", "optuna": optuna.__version__, "torch": torch.__version__,
        "mode": args.pruner, "trials": len(trials), "seed": args.seed,
        "threads": torch.get_num_threads(), "epochs": args.epochs,
        "train_images": train_x.shape[0], "validation_images": val_x.shape[0],
        "pruned": len(pruned), "pruned_per_rung": dict(sorted(per_rung.items(), key=lambda kv: int(kv[0]))),
        "completed": sum(t.state == optuna.trial.TrialState.COMPLETE for t in trials),
        "epochs_trained": epochs_trained[0],
        "best_val_accuracy": best["value"], "best_trial": best["trial"],
        "best_params": study.best_params if best["value"] is not None else None,
        "test_accuracy": test_acc,
        "wall_seconds": wall, "load_seconds": load_seconds,
        "best_so_far": best_so_far,
    }), flush=True)


if __name__ == "__main__":
    main()
