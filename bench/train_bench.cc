// Training throughput of the train stage's code path (stages/train/trainer.h) on Fashion-MNIST,
// for side-by-side comparison with PyTorch (bench/peers/torch_train.py, same networks from
// bench/networks.json, same batch size, optimiser and thread count). Run through
// bench/run_train.sh, which prints the table.
//
//   train_bench <threads> <fashion-mnist dir> <networks.json> <epochs> <batch> [network...]
//
// Prints one JSON line per network and epoch: training images/s (the mini-batch loop only:
// gather, forward, loss, backward, optimiser step) and the test accuracy after the epoch.

#include <omp.h>
#include <tbb/task_arena.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipeline/rng.h"
#include "stages/load/idx_reader.h"
#include "stages/train/trainer.h"

namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: train_bench <threads> <data dir> <networks.json> <epochs> "
                         "<batch> [network...]\n");
    return 2;
  }
  const int threads = std::stoi(argv[1]);
  const std::string dir = argv[2];
  std::ifstream file(argv[3]);
  const nlohmann::json networks = nlohmann::json::parse(file);
  const int64_t epochs = std::stoll(argv[4]);
  const int64_t batch = std::stoll(argv[5]);
  std::vector<std::string> names;
  for (int i = 6; i < argc; ++i) names.push_back(argv[i]);
  if (names.empty()) names = {"cnn", "mlp", "mlp_bn"};

  omp_set_num_threads(threads);
  tbb::task_arena arena(threads);
  arena.execute([&] {
    const pipeline::Tensor train_x = stages::ReadIdxImages(dir + "/train-images-idx3-ubyte.gz").pixels;
    const pipeline::Tensor train_y = stages::ReadIdxLabels(dir + "/train-labels-idx1-ubyte.gz").labels;
    const pipeline::Tensor test_x = stages::ReadIdxImages(dir + "/t10k-images-idx3-ubyte.gz").pixels;
    const pipeline::Tensor test_y = stages::ReadIdxLabels(dir + "/t10k-labels-idx1-ubyte.gz").labels;
    std::cout << nlohmann::json{{"info", {{"threads", threads}, {"batch", batch}}}}.dump()
              << std::endl;
    for (const std::string& name : names) {
      stages::TrainerOptions options;
      options.layers = networks.at(name);
      options.input_shape = {1, 28, 28};
      options.classes = 10;
      options.epochs = epochs;
      options.batch_size = batch;
      options.eval_batch_size = 500;
      options.optimizer = {{"optimizer", "adam"}, {"lr", 0.001}};
      // PyTorch's default initialisation, as the peer uses (weights and biases U(+-1/sqrt(fan_in))).
      options.init = stages::nn::InitChoice::kTorch;
      // BENCH_SEED (default 1) repeats the accuracy comparison over seeds.
      const char* seed = std::getenv("BENCH_SEED");
      stages::Trainer trainer(options, pipeline::Rng(seed ? std::stoull(seed) : 1));
      for (int64_t epoch = 1; epoch <= epochs; ++epoch) {
        auto start = std::chrono::steady_clock::now();
        const stages::EpochResult result =
            trainer.RunEpoch({&train_x, &train_y}, {nullptr, nullptr});
        const double seconds = Seconds(start);
        const stages::Evaluation test = trainer.Evaluate({&test_x, &test_y});
        std::cout << nlohmann::json{{"name", name},
                                    {"epoch", epoch},
                                    {"seconds", seconds},
                                    {"images_per_s", result.examples / seconds},
                                    {"train_loss", result.train_loss},
                                    {"test_accuracy", test.accuracy}}
                         .dump()
                  << std::endl;
      }
    }
  });
  return 0;
}
