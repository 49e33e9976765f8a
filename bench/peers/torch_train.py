"""PyTorch peer of bench/train_bench.cc: the same networks (bench/networks.json), data
(Fashion-MNIST IDX files), batch size, optimiser (Adam 1e-3) and thread count; one JSON line per
network and epoch with training images/s (the mini-batch loop: indexing, forward, loss, backward,
step) and the test accuracy after the epoch.

  /usr/bin/python3 bench/peers/torch_train.py <threads> <data dir> <networks.json> <epochs> <batch> [network...]
"""
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

from idx import read_idx  # bench/peers/idx.py


def build(layers):
    """The layer list of layer_spec.h as torch modules, with shapes inferred like ours."""
    modules, shape = [], [1, 28, 28]
    for spec in layers:
        kind = spec["type"]
        if kind == "conv":
            k, pad, stride = spec["kernel"], spec.get("pad", 0), spec.get("stride", 1)
            modules.append(nn.Conv2d(shape[0], spec["out"], k, stride, pad))
            side = (shape[1] + 2 * pad - k) // stride + 1
            shape = [spec["out"], side, side]
        elif kind == "maxpool":
            k = spec["kernel"]
            modules.append(nn.MaxPool2d(k, spec.get("stride", k)))
            shape = [shape[0], shape[1] // k, shape[2] // k]
        elif kind == "flatten":
            modules.append(nn.Flatten())
            shape = [int(np.prod(shape))]
        elif kind == "linear":
            modules.append(nn.Linear(shape[0], spec["out"]))
            shape = [spec["out"]]
        elif kind == "relu":
            modules.append(nn.ReLU())
        elif kind == "leaky_relu":
            modules.append(nn.LeakyReLU(spec.get("alpha", 0.01)))
        elif kind == "dropout":
            modules.append(nn.Dropout(spec.get("p", 0.5)))
        elif kind == "batchnorm":
            modules.append(nn.BatchNorm1d(shape[0]) if len(shape) == 1 else nn.BatchNorm2d(shape[0]))
        else:
            raise ValueError(f"layer type {kind} not mapped")
    return nn.Sequential(*modules)


def main():
    threads, data_dir, networks_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    epochs, batch = int(sys.argv[4]), int(sys.argv[5])
    names = sys.argv[6:] or ["cnn", "mlp", "mlp_bn"]
    torch.set_num_threads(threads)
    torch.manual_seed(int(os.environ.get("BENCH_SEED", "1")))
    networks = json.load(open(networks_path))

    def images(name):
        return torch.from_numpy(read_idx(f"{data_dir}/{name}").astype(np.float32) / 255.0).unsqueeze(1)

    train_x, test_x = images("train-images-idx3-ubyte.gz"), images("t10k-images-idx3-ubyte.gz")
    train_y = torch.from_numpy(read_idx(f"{data_dir}/train-labels-idx1-ubyte.gz").astype(np.int64))
    test_y = torch.from_numpy(read_idx(f"{data_dir}/t10k-labels-idx1-ubyte.gz").astype(np.int64))
    print(json.dumps({"info": {"torch": torch.__version__, "threads": torch.get_num_threads(),
                               "batch": batch, "config": torch.__config__.show()[:2000]}}),
          flush=True)
    for name in names:
        model = build(networks[name])
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = nn.CrossEntropyLoss()
        n = train_x.shape[0]
        for epoch in range(1, epochs + 1):
            model.train()
            order = torch.randperm(n)
            start = time.perf_counter()
            loss_sum = 0.0
            for b in range(0, n, batch):
                index = order[b:b + batch]
                optimizer.zero_grad()
                loss = loss_fn(model(train_x[index]), train_y[index])
                loss.backward()
                optimizer.step()
                loss_sum += loss.item() * len(index)
            seconds = time.perf_counter() - start
            model.eval()
            correct = 0
            with torch.no_grad():
                for b in range(0, test_x.shape[0], 500):
                    correct += (model(test_x[b:b + 500]).argmax(1) == test_y[b:b + 500]).sum().item()
            print(json.dumps({"name": name, "epoch": epoch, "seconds": seconds,
                              "images_per_s": n / seconds, "train_loss": loss_sum / n,
                              "test_accuracy": correct / test_x.shape[0]}), flush=True)


if __name__ == "__main__":
    main()
