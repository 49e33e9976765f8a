#include "stages/train/train_stage.h"

#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/artifact_io.h"
#include "pipeline/clock.h"
#include "pipeline/errors.h"
#include "stages/train/early_stopping.h"
#include "stages/train/lr_schedule.h"
#include "stages/train/model_artifact.h"
#include "stages/train/nn/layer_spec.h"
#include "stages/train/optimizer_factory.h"
#include "stages/train/trainer.h"
#include "stages/train/trainer_checkpoint.h"

namespace stages {
namespace {

// Minimum training time between two saves of the resume checkpoint.
constexpr double kCheckpointSeconds = 5.0;

std::vector<std::string> StringList(const pipeline::Json& list, const std::string& key) {
  std::vector<std::string> names;
  for (const pipeline::Json& item : list) {
    if (!item.is_string()) {
      throw pipeline::ConfigError("train." + key + ": expected a list of layer names, got " +
                                  item.dump());
    }
    names.push_back(item.get<std::string>());
  }
  return names;
}

int64_t ClassCount(const pipeline::Artifact& data, const pipeline::Tensor& y) {
  int64_t classes = 0;
  if (data.meta().contains("classes") && data.meta()["classes"].is_number_integer()) {
    classes = data.meta()["classes"].get<int64_t>();
  }
  const int32_t* labels = y.i32();
  for (int64_t i = 0; i < y.size(); ++i) {
    if (labels[i] < 0) {
      throw pipeline::StageError("train: label " + std::to_string(labels[i]) + " of example " +
                                 std::to_string(i) + " is negative");
    }
    classes = std::max<int64_t>(classes, labels[i] + 1);
  }
  return classes;
}

void RunTrain(pipeline::StageContext& ctx) {
  const pipeline::Params& params = ctx.params();
  const ModelAndData inputs = SplitModelInputs(ctx, /*model_required=*/false);
  if (inputs.data.empty() || inputs.data.size() > 2) {
    throw pipeline::StageError("train: expected a training set and optionally a validation set "
                               "(plus optionally a model to start from), got " +
                               std::to_string(inputs.data.size()) + " data inputs");
  }
  const pipeline::Artifact& train_set = *inputs.data[0];
  const pipeline::Artifact* validation_set = inputs.data.size() > 1 ? inputs.data[1] : nullptr;

  TrainerOptions options;
  options.layers = params.Get("layers");
  options.task = ParseTrainTask(params.GetString("task"), "train.task");
  options.loss = ParseTrainLoss(params.GetString("loss"), options.task, "train.loss");
  options.epochs = params.GetInt("epochs");
  options.max_steps = params.GetInt("iterations");
  options.batch_size = params.GetInt("batch_size");
  options.eval_batch_size = params.GetInt("eval_batch_size");
  options.shuffle = params.GetBool("shuffle");
  options.init = nn::ParseInitChoice(params.GetString("init"), "train.init");
  options.optimizer = params.Get("optimizer");
  options.lr_schedule = params.Get("lr_schedule");
  options.early_stopping = params.Get("early_stopping");
  options.freeze = StringList(params.Get("freeze"), "freeze");
  options.trainable = StringList(params.Get("trainable"), "trainable");

  const pipeline::Tensor& x = train_set.Get("x");
  options.input_shape = ExampleShape(x);
  if (options.max_steps > 0) {
    // Enough epochs for the iterations; the step limit ends the last one.
    const int64_t per_epoch = (x.rows() + options.batch_size - 1) / options.batch_size;
    options.epochs = (options.max_steps + per_epoch - 1) / std::max<int64_t>(1, per_epoch);
  }
  const bool classify = options.task == TrainTask::kClassify;
  TrainData train{&x, classify ? &train_set.Get("y") : nullptr};
  if (classify) options.classes = ClassCount(train_set, *train.y);
  if (params.GetBool("class_weights")) {
    if (!classify) throw pipeline::ConfigError("train.class_weights: only for classifiers");
    const pipeline::Tensor* weights = train_set.Find("class_weights");
    if (weights == nullptr) {
      throw pipeline::StageError("train: class_weights is on but the training set has no "
                                 "class_weights tensor; put a class_weights stage before train");
    }
    options.class_weights.assign(weights->f32(), weights->f32() + weights->size());
    options.classes = std::max<int64_t>(options.classes, weights->size());
  }
  TrainData validation;
  if (validation_set != nullptr) {
    validation.x = &validation_set->Get("x");
    if (validation.x->row_size() != x.row_size()) {
      throw pipeline::StageError("train: the validation set has " +
                                 std::to_string(validation.x->row_size()) +
                                 " values per example, the training set " +
                                 std::to_string(x.row_size()));
    }
    if (classify) validation.y = &validation_set->Get("y");
  }

  // Initial weights: a model input (a stage of this study) or `init_from` (a checkpoint file,
  // e.g. another study's run, which `pipeline run` resolves from "run:<id>/<stage>").
  const std::string init_from = params.GetString("init_from");
  std::optional<pipeline::Artifact> init_file;
  if (!init_from.empty()) {
    if (inputs.model != nullptr) {
      throw pipeline::ConfigError("train.init_from: the stage also has a model input; give "
                                  "the initial weights one way");
    }
    if (init_from.compare(0, 4, "run:") == 0) {
      throw pipeline::ConfigError("train.init_from: '" + init_from + "' is resolved by "
                                  "`pipeline run` only; give a checkpoint file here");
    }
    init_file = pipeline::ReadArtifactFile(init_from);
    if (!IsModel(*init_file)) {
      throw pipeline::DataError("not a model checkpoint (it holds " + init_file->Describe() +
                                    ")",
                                init_from);
    }
  }
  const pipeline::Artifact* init_model = inputs.model != nullptr ? inputs.model
                                         : init_file ? &*init_file : nullptr;
  auto trainer = std::make_unique<Trainer>(options, ctx.rng());
  const std::map<std::string, pipeline::Tensor> initial =
      init_model != nullptr ? ReadModelState(*init_model)
                            : std::map<std::string, pipeline::Tensor>{};
  if (init_model != nullptr) {
    const std::vector<std::string> loaded = trainer->LoadInitialState(initial);
    ctx.Metric("init_tensors_loaded", static_cast<double>(loaded.size()));
    ctx.output().meta()["initialized_from"] = loaded;
  }
  int64_t parameter_count = 0;
  for (const nn::LayerInfo& layer : trainer->network().Summary()) {
    parameter_count += layer.parameters;
  }
  ctx.Metric("parameters", static_cast<double>(parameter_count));

  // Per-epoch metrics, kept so that an attempt resumed from a checkpoint can log them again.
  std::vector<LoggedMetric> history;
  auto log = [&](const std::string& name, int64_t step, double value) {
    ctx.Metric(name, step, value);
    history.push_back({name, step, value});
  };
  const std::string checkpoint_path =
      ctx.resume_dir().empty() ? std::string() : ctx.resume_dir() + "/trainer.art";
  if (!checkpoint_path.empty()) {
    if (std::optional<TrainerCheckpoint> saved = LoadTrainerCheckpoint(checkpoint_path)) {
      try {
        trainer->LoadState(saved->state);
        for (const LoggedMetric& m : saved->history) log(m.name, m.step, m.value);
      } catch (const std::exception&) {
        // Made on another machine (other layouts) or by other code: start over.
        history.clear();
        trainer = std::make_unique<Trainer>(options, ctx.rng());
        if (init_model != nullptr) trainer->LoadInitialState(initial);
      }
    }
  }

  pipeline::Clock& clock = ctx.clock();
  double last_save = clock.MonotonicSeconds();
  while (!trainer->finished()) {
    const double start = clock.MonotonicSeconds();
    double train_end = start;
    const EpochResult r = trainer->RunEpoch(train, validation, [&] {
      ctx.CheckCancelled();
      train_end = clock.MonotonicSeconds();
    });
    const double end = clock.MonotonicSeconds();
    log("lr", r.epoch, r.lr);
    log("train_loss", r.epoch, r.train_loss);
    if (classify) log("train_accuracy", r.epoch, r.train_accuracy);
    if (r.has_validation) {
      log("val_loss", r.epoch, r.validation.loss);
      if (classify) log("val_accuracy", r.epoch, r.validation.accuracy);
    }
    log("epoch_time", r.epoch, end - start);
    if (train_end > start) {
      log("images_per_s", r.epoch, static_cast<double>(r.examples) / (train_end - start));
    }
    // Save progress every few seconds of training (not after the last epoch: the stage is
    // about to finish, and its output replaces the checkpoint).
    if (!checkpoint_path.empty() && !trainer->finished() &&
        end - last_save >= kCheckpointSeconds) {
      SaveTrainerCheckpoint({trainer->SaveState(), history}, checkpoint_path);
      last_save = clock.MonotonicSeconds();
    }
  }
  Trainer& trained = *trainer;

  const bool keep_last = params.GetString("keep") == "last";
  const EarlyStopping& policy = trained.early_stopping();
  const int64_t kept_epoch = keep_last ? trained.epochs_done() : trained.kept_epoch();
  ctx.Metric("epochs_run", static_cast<double>(trained.epochs_done()));
  ctx.Metric("iterations_run", static_cast<double>(trained.steps_done()));
  ctx.Metric("stopped_epoch", static_cast<double>(trained.epochs_done()));
  ctx.Metric("early_stopped", policy.stopped() ? 1.0 : 0.0);
  ctx.Metric("chosen_epoch", static_cast<double>(kept_epoch));

  ModelDescription model;
  model.layers = options.layers;
  model.input_shape = options.input_shape;
  model.task = options.task;
  model.loss = options.loss;
  model.classes = classify ? options.classes : 0;
  model.latent = params.GetString("latent");
  if (!model.latent.empty()) trained.network().LayerOutputShape(model.latent);  // checks the name

  std::map<std::string, pipeline::Tensor> state =
      keep_last ? trained.network().StateDict() : trained.KeptState();
  if (validation.x != nullptr) {
    // The kept checkpoint's own validation figures, recomputed from its weights.
    trained.network().LoadStateDict(state, /*strict=*/true);
    const Evaluation chosen = trained.Evaluate(validation);
    ctx.Metric("chosen_val_loss", chosen.loss);
    if (classify) ctx.Metric("chosen_val_accuracy", chosen.accuracy);
  }

  pipeline::Artifact& out = ctx.output();
  pipeline::Json meta = train_set.meta();
  meta.erase("model");
  for (auto& [key, value] : meta.items()) out.meta()[key] = value;
  PutModel(out, model, state);
  out.meta()["training"] = {{"epochs_run", trained.epochs_done()},
                            {"chosen_epoch", kept_epoch},
                            {"early_stopped", policy.stopped()},
                            {"policy", policy.name()},
                            {"optimizer", trained.optimizer().name()},
                            {"examples", x.rows()}};
}

// The structured parameters, checked when the study is expanded (shapes need the data and are
// checked when the stage runs).
void CheckTrainParams(const pipeline::Params& params) {
  auto as = [](const std::string& param, const std::function<void()>& check) {
    try {
      check();
    } catch (const pipeline::ConfigError& e) {
      throw pipeline::ConfigError(e.what(), "", 0, 0, param);
    }
  };
  TrainTask task = TrainTask::kClassify;
  as("task", [&] { task = ParseTrainTask(params.GetString("task"), "task"); });
  as("loss", [&] { ParseTrainLoss(params.GetString("loss"), task, "loss"); });
  as("layers", [&] { nn::ParseLayerSpecs(params.Get("layers")); });
  double lr = 0.01;
  as("optimizer", [&] { lr = MakeOptimizer(params.Get("optimizer"), "optimizer")->lr(); });
  as("lr_schedule", [&] { MakeLrSchedule(params.Get("lr_schedule"), lr, "lr_schedule"); });
  as("early_stopping",
     [&] { MakeEarlyStopping(params.Get("early_stopping"), "early_stopping"); });
  as("freeze", [&] { StringList(params.Get("freeze"), "freeze"); });
  as("trainable", [&] { StringList(params.Get("trainable"), "trainable"); });
}

}  // namespace

pipeline::StageType TrainStage() {
  using pipeline::Json;
  using pipeline::ParamSpec;
  pipeline::StageType type;
  type.name = "train";
  type.kind = pipeline::StageKind::kTrain;
  type.help = "train a network on oneDNN (input 1: training set, input 2: validation set, "
              "optional model input: initial weights); outputs the kept checkpoint";
  type.code_version = 1;
  type.uses_rng = true;
  type.min_inputs = 1;
  type.max_inputs = 3;
  type.params = {
      ParamSpec::List("layers", nullptr,
                      "the network, e.g. [{type: conv, out: 32, kernel: 3}, {type: relu}, "
                      "{type: flatten}, {type: linear, out: 10}]"),
      ParamSpec::String("task", "classify", "classify (labels y) or autoencode (reproduce x)")
          .Choices({"classify", "autoencode"}),
      ParamSpec::String("loss", "auto",
                        "auto (cross_entropy for classifiers, mse for autoencoders), "
                        "cross_entropy, mse or bce")
          .Choices({"auto", "cross_entropy", "mse", "bce"}),
      ParamSpec::Int("epochs", 10, "epoch limit").Min(1),
      ParamSpec::Int("iterations", 0, "if > 0: train exactly this many mini-batch updates "
                                      "instead (epochs follow from it)")
          .Min(0),
      ParamSpec::Int("batch_size", 100, "mini-batch size").Min(1),
      ParamSpec::Int("eval_batch_size", 500, "batch size of validation passes").Min(1),
      ParamSpec::Bool("shuffle", true, "shuffle the training set every epoch (seeded)"),
      ParamSpec::String("init", "auto", "weight initialisation: auto (He before ReLU-like "
                                        "activations, else Xavier), he, xavier or torch "
                                        "(PyTorch's default, uniform +-1/sqrt(fan_in), "
                                        "biases too)")
          .Choices({"auto", "he", "xavier", "torch"}),
      ParamSpec::Object("optimizer", Json{{"optimizer", "adam"}, {"lr", 0.001}},
                        "optimizer (sgd, adagrad, rmsprop, adam), lr, momentum, nesterov, "
                        "weight_decay, l2, l1, ..."),
      ParamSpec::Object("lr_schedule", Json::object(),
                        "schedule: constant, step (step_size, gamma) or cosine (t_max, eta_min)"),
      ParamSpec::Object("early_stopping", Json::object(),
                        "policy: none, patience (monitor, patience, min_delta) or counter "
                        "(start, cap, best_bonus, loss_bonus)"),
      ParamSpec::Bool("class_weights", false,
                      "weight the loss by the training set's class_weights tensor"),
      ParamSpec::String("init_from", "",
                        "initial weights from a checkpoint: another run's stage as "
                        "run:<id>/<stage> (e.g. run:12/model), or an output.art path"),
      ParamSpec::List("freeze", Json::array(), "layers not trained (\"*\": all)"),
      ParamSpec::List("trainable", Json::array(), "layers trained even when `freeze` has \"*\""),
      ParamSpec::String("latent", "", "the layer whose output `encode` returns by default"),
      ParamSpec::String("keep", "best", "checkpoint to output: best (the policy's chosen "
                                        "epoch) or last")
          .Choices({"best", "last"}),
  };
  type.run = RunTrain;
  type.check = CheckTrainParams;
  return type;
}

}  // namespace stages
