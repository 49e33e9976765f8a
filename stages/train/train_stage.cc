#include "stages/train/train_stage.h"

#include <algorithm>
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
#include "stages/train/sample_grids.h"
#include "stages/train/trainer.h"
#include "stages/train/trainer_checkpoint.h"

namespace stages {
namespace {

// Minimum training time between two saves of the resume checkpoint.
constexpr double kCheckpointSeconds = 5.0;

std::vector<std::string> StringList(const pipeline::Json& list) {
  std::vector<std::string> names;
  for (const pipeline::Json& item : list) names.push_back(item.get<std::string>());
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

constexpr const char* kNoDiscriminator =
    "a GAN needs its discriminator's layers in gan.discriminator, e.g. [{type: flatten}, "
    "{type: linear, out: 256}, {type: leaky_relu, alpha: 0.2}, {type: linear, out: 1}]";

// The objective's own settings: for a GAN the `gan` block, its discriminator's optimiser
// defaulting to the generator's; null for the other tasks.
pipeline::Json ObjectiveSettings(const pipeline::Params& params) {
  if (params.GetString("task") != "gan") return nullptr;
  pipeline::Json gan = params.Get("gan");
  if (!gan.contains("optimizer") || gan["optimizer"].is_null()) {
    gan["optimizer"] = params.Get("optimizer");
  }
  return gan;
}

// The objective the parameters name, without the data (no classes yet).
std::unique_ptr<TrainingObjective> ParamsObjective(const pipeline::Params& params) {
  return MakeObjective(params.GetString("task"), params.GetString("loss"), 0, {}, "train",
                       ObjectiveSettings(params));
}

// The stage's inputs: a training set, optionally a validation set and a model to start from.
struct TrainInputs {
  const pipeline::Artifact* train_set = nullptr;
  const pipeline::Artifact* validation_set = nullptr;
  const pipeline::Artifact* model = nullptr;
  TrainData train;
  TrainData validation;
};

TrainInputs ReadInputs(const pipeline::StageContext& ctx, bool labels) {
  const ModelAndData split = SplitModelInputs(ctx, /*model_required=*/false);
  if (split.data.empty() || split.data.size() > 2) {
    throw pipeline::StageError("train: expected a training set and optionally a validation set "
                               "(plus optionally a model to start from), got " +
                               std::to_string(split.data.size()) + " data inputs");
  }
  TrainInputs inputs;
  inputs.train_set = split.data[0];
  inputs.validation_set = split.data.size() > 1 ? split.data[1] : nullptr;
  inputs.model = split.model;
  const pipeline::Tensor& x = inputs.train_set->Get("x");
  inputs.train = {&x, labels ? &inputs.train_set->Get("y") : nullptr};
  if (inputs.validation_set != nullptr) {
    inputs.validation.x = &inputs.validation_set->Get("x");
    if (inputs.validation.x->row_size() != x.row_size()) {
      throw pipeline::StageError("train: the validation set has " +
                                 std::to_string(inputs.validation.x->row_size()) +
                                 " values per example, the training set " +
                                 std::to_string(x.row_size()));
    }
    if (labels) inputs.validation.y = &inputs.validation_set->Get("y");
  }
  return inputs;
}

// The trainer's options from the (resolved) parameters and the training set.
TrainerOptions ReadOptions(const pipeline::Params& params, const TrainInputs& inputs) {
  TrainerOptions options;
  options.layers = params.Get("layers");
  options.task = params.GetString("task");
  options.loss = params.GetString("loss");
  options.epochs = params.GetInt("epochs");
  options.max_steps = params.GetInt("iterations");
  options.batch_size = params.GetInt("batch_size");
  options.eval_batch_size = params.GetInt("eval_batch_size");
  options.shuffle = params.GetBool("shuffle");
  options.init = nn::ParseInitChoice(params.GetString("init"), "train.init");
  options.optimizer = params.Get("optimizer");
  options.lr_schedule = params.Get("lr_schedule");
  options.early_stopping = params.Get("early_stopping");
  options.freeze = StringList(params.Get("freeze"));
  options.trainable = StringList(params.Get("trainable"));
  options.objective_settings = ObjectiveSettings(params);

  const pipeline::Tensor& x = *inputs.train.x;
  options.input_shape = ExampleShape(x);
  if (options.max_steps > 0) {
    // Enough epochs for the iterations; the step limit ends the last one.
    const int64_t per_epoch = (x.rows() + options.batch_size - 1) / options.batch_size;
    options.epochs = (options.max_steps + per_epoch - 1) / std::max<int64_t>(1, per_epoch);
  }
  const bool classify = inputs.train.y != nullptr;
  if (classify) options.classes = ClassCount(*inputs.train_set, *inputs.train.y);
  if (params.GetBool("class_weights")) {
    if (!classify) throw pipeline::ConfigError("train.class_weights: only for classifiers");
    const pipeline::Tensor* weights = inputs.train_set->Find("class_weights");
    if (weights == nullptr) {
      throw pipeline::StageError("train: class_weights is on but the training set has no "
                                 "class_weights tensor; put a class_weights stage before train");
    }
    options.class_weights.assign(weights->f32(), weights->f32() + weights->size());
    options.classes = std::max<int64_t>(options.classes, weights->size());
  }
  return options;
}

// Initial weights: a model input (a stage of this study), or `init_from`: another stage's
// output (resolved to its key when the study was planned) or a checkpoint file. Empty: none.
std::map<std::string, pipeline::Tensor> InitialWeights(const pipeline::StageContext& ctx,
                                                       const TrainInputs& inputs) {
  const std::string init_from = ctx.params().GetString("init_from");
  if (init_from.empty()) {
    return inputs.model != nullptr ? ReadModelState(*inputs.model)
                                   : std::map<std::string, pipeline::Tensor>{};
  }
  if (inputs.model != nullptr) {
    throw pipeline::ConfigError("train.init_from: the stage also has a model input; give the "
                                "initial weights one way");
  }
  if (init_from.compare(0, 4, "run:") == 0) {
    throw pipeline::ConfigError("train.init_from: '" + init_from + "' is resolved by "
                                "`pipeline run` only; give a checkpoint file here");
  }
  std::optional<pipeline::Artifact> file;
  const pipeline::Artifact* model = ctx.Reference("init_from");
  if (model == nullptr) {
    file = pipeline::ReadArtifactFile(init_from);
    model = &*file;
  }
  if (!IsModel(*model)) {
    throw pipeline::DataError("not a model checkpoint (it holds " + model->Describe() + ")",
                              init_from);
  }
  return ReadModelState(*model);
}

// A fresh trainer, started from `initial` when it is not empty (`loaded`: the tensors taken).
std::unique_ptr<Trainer> MakeTrainer(pipeline::StageContext& ctx, const TrainerOptions& options,
                                     const std::map<std::string, pipeline::Tensor>& initial,
                                     std::vector<std::string>* loaded = nullptr) {
  auto trainer = std::make_unique<Trainer>(options, ctx.rng());
  if (!initial.empty()) {
    std::vector<std::string> names = trainer->LoadInitialState(initial);
    if (loaded != nullptr) *loaded = std::move(names);
  }
  return trainer;
}

// The epoch loop with its metrics, resumable from the checkpoint in the stage's resume folder.
class EpochLoop {
 public:
  EpochLoop(pipeline::StageContext& ctx, const TrainingObjective& objective)
      : ctx_(ctx),
        accuracy_(objective.has_accuracy()),
        parts_(objective.part_names()),
        checkpoint_path_(ctx.resume_dir().empty() ? std::string()
                                                  : ctx.resume_dir() + "/trainer.art") {}

  // Continues from a saved checkpoint if there is a usable one. One that cannot be loaded
  // (made by other code, or on a machine with other oneDNN layouts) is discarded, and the
  // stage says so: metric resume_discarded = 1 and the reason in the output's metadata.
  void Resume(std::unique_ptr<Trainer>& trainer, const std::function<std::unique_ptr<Trainer>()>& fresh) {
    if (checkpoint_path_.empty()) return;
    std::optional<TrainerCheckpoint> saved = LoadTrainerCheckpoint(checkpoint_path_);
    if (!saved) return;
    try {
      trainer->LoadState(saved->state);
    } catch (const std::exception& e) {
      trainer = fresh();
      ctx_.Metric("resume_discarded", 1.0);
      ctx_.output().meta()["resume_discarded"] = std::string("the saved trainer state could not "
                                                             "be loaded, training started over: ") +
                                                 e.what();
      return;
    }
    for (const LoggedMetric& m : saved->history) Log(m.name, m.step, m.value);
  }

  void Run(Trainer& trainer, const TrainInputs& inputs, SampleGrids& grids) {
    pipeline::Clock& clock = ctx_.clock();
    double last_save = clock.MonotonicSeconds();
    while (!trainer.finished()) {
      const double start = clock.MonotonicSeconds();
      double train_end = start;
      const EpochResult r = trainer.RunEpoch(inputs.train, inputs.validation, [&] {
        ctx_.CheckCancelled();
        train_end = clock.MonotonicSeconds();
      });
      const double end = clock.MonotonicSeconds();
      LogEpoch(r, end - start, train_end - start);
      grids.AfterEpoch(trainer, r.epoch);
      // A search's pruner may have stopped the run on this epoch's metrics: stop here, at the
      // epoch boundary, before anything of the next epoch is computed. After the last epoch
      // the run has used its whole budget and completes.
      if (!trainer.finished()) ctx_.CheckCancelled();
      // Save progress every few seconds of training (not after the last epoch: the stage is
      // about to finish, and its output replaces the checkpoint).
      if (!checkpoint_path_.empty() && !trainer.finished() &&
          end - last_save >= kCheckpointSeconds) {
        SaveTrainerCheckpoint({trainer.SaveState(), history_}, checkpoint_path_);
        last_save = clock.MonotonicSeconds();
      }
    }
  }

 private:
  // Kept so that an attempt resumed from a checkpoint can log the earlier epochs again.
  void Log(const std::string& name, int64_t step, double value) {
    ctx_.Metric(name, step, value);
    history_.push_back({name, step, value});
  }

  void LogEpoch(const EpochResult& r, double seconds, double train_seconds) {
    Log("lr", r.epoch, r.lr);
    Log("train_loss", r.epoch, r.train_loss);
    LogParts("train_", r.epoch, r.train_parts);
    if (accuracy_) Log("train_accuracy", r.epoch, r.train_accuracy);
    if (r.has_validation) {
      Log("val_loss", r.epoch, r.validation.loss);
      LogParts("val_", r.epoch, r.validation.parts);
      if (accuracy_) Log("val_accuracy", r.epoch, r.validation.accuracy);
    }
    Log("epoch_time", r.epoch, seconds);
    if (train_seconds > 0) {
      Log("images_per_s", r.epoch, static_cast<double>(r.examples) / train_seconds);
    }
  }

  // What the objective reports besides the loss (a VAE's reconstruction and kl, a GAN's g_loss,
  // d_loss, d_real and d_fake).
  void LogParts(const std::string& prefix, int64_t epoch, const std::vector<double>& values) {
    for (size_t k = 0; k < parts_.size() && k < values.size(); ++k) {
      Log(prefix + parts_[k], epoch, values[k]);
    }
  }

  pipeline::StageContext& ctx_;
  bool accuracy_;  // the objective reports accuracy
  std::vector<std::string> parts_;
  std::string checkpoint_path_;
  std::vector<LoggedMetric> history_;
};

// The kept checkpoint as the stage's output, with the final metrics.
void WriteOutput(pipeline::StageContext& ctx, Trainer& trained, const TrainerOptions& options,
                 const TrainInputs& inputs) {
  const pipeline::Params& params = ctx.params();
  const TrainingObjective& objective = trained.objective();
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
  model.input_shape = trained.network().input_shape();
  if (model.input_shape != options.input_shape) model.example_shape = options.input_shape;
  model.settings = options.objective_settings;
  model.task = objective.task();
  model.loss = objective.loss();
  model.classes = objective.uses_labels() ? options.classes : 0;
  model.latent = params.GetString("latent");
  if (!model.latent.empty()) trained.network().LayerOutputShape(model.latent);  // checks the name

  std::map<std::string, pipeline::Tensor> state =
      keep_last ? trained.network().StateDict() : trained.KeptState();
  if (inputs.validation.x != nullptr) {
    // The kept checkpoint's own validation figures, recomputed from its weights.
    trained.network().LoadStateDict(state, /*strict=*/true);
    const Evaluation chosen = trained.Evaluate(inputs.validation);
    ctx.Metric("chosen_val_loss", chosen.loss);
    if (objective.has_accuracy()) ctx.Metric("chosen_val_accuracy", chosen.accuracy);
  }

  pipeline::Artifact& out = ctx.output();
  pipeline::Json meta = inputs.train_set->meta();
  meta.erase("model");
  for (auto& [key, value] : meta.items()) out.meta()[key] = value;
  PutModel(out, model, state);
  out.meta()["training"] = {{"epochs_run", trained.epochs_done()},
                            {"chosen_epoch", kept_epoch},
                            {"early_stopped", policy.stopped()},
                            {"policy", policy.name()},
                            {"optimizer", trained.optimizer().name()},
                            {"examples", inputs.train.x->rows()}};
}

void RunTrain(pipeline::StageContext& ctx) {
  // The objective decides what the data must hold; its classes come from the data below.
  const bool labels = ParamsObjective(ctx.params())->uses_labels();
  const TrainInputs inputs = ReadInputs(ctx, labels);
  const TrainerOptions options = ReadOptions(ctx.params(), inputs);
  const std::map<std::string, pipeline::Tensor> initial = InitialWeights(ctx, inputs);
  std::vector<std::string> loaded;
  std::unique_ptr<Trainer> trainer = MakeTrainer(ctx, options, initial, &loaded);
  if (!initial.empty()) {
    ctx.Metric("init_tensors_loaded", static_cast<double>(loaded.size()));
    ctx.output().meta()["initialized_from"] = loaded;
  }
  int64_t parameter_count = 0;
  for (const nn::LayerInfo& layer : trainer->network().Summary()) {
    parameter_count += layer.parameters;
  }
  ctx.Metric("parameters", static_cast<double>(parameter_count));

  EpochLoop loop(ctx, trainer->objective());
  loop.Resume(trainer, [&] { return MakeTrainer(ctx, options, initial); });
  SampleGrids grids(ctx, *trainer,
                    inputs.validation.x != nullptr ? *inputs.validation.x : *inputs.train.x);
  loop.Run(*trainer, inputs, grids);
  grids.Finish();
  WriteOutput(ctx, *trainer, options, inputs);
}

// The structured parameters are checked against their declarations when the study is expanded;
// this adds what a declaration cannot say (a loss that fits the task, layer names used once,
// nesterov with momentum). Shapes need the data and are checked when the stage runs.
void CheckTrainParams(const pipeline::Params& params) {
  auto as = [](const std::string& param, const std::function<void()>& check) {
    try {
      check();
    } catch (const pipeline::ConfigError& e) {
      if (!e.key_path().empty()) throw;
      throw pipeline::ConfigError(e.what(), "", 0, 0, param);
    }
  };
  as("loss", [&] { ParamsObjective(params); });
  if (params.GetString("task") == "gan") {
    as("gan", [&] {
      const pipeline::Json& discriminator = params.Get("gan")["discriminator"];
      if (discriminator.empty()) throw pipeline::ConfigError(kNoDiscriminator);
      nn::ParseLayerSpecs(discriminator, "gan.discriminator");
    });
  }
  as("sample_epochs", [&] {
    if (!params.Get("sample_epochs").empty() &&
        !(params.GetString("task") == "vae" || params.GetString("task") == "gan")) {
      throw pipeline::ConfigError("samples need a generative objective (task: vae or gan)");
    }
  });
  as("layers", [&] { nn::ParseLayerSpecs(params.Get("layers"), "layers"); });
  double lr = 0.01;
  as("optimizer", [&] { lr = MakeOptimizer(params.Get("optimizer"), "optimizer")->lr(); });
  as("lr_schedule", [&] { MakeLrSchedule(params.Get("lr_schedule"), lr, "lr_schedule"); });
  as("early_stopping",
     [&] { MakeEarlyStopping(params.Get("early_stopping"), "early_stopping"); });
}

// task: gan — the discriminator and the adversarial schedule (gan_objective.h).
pipeline::ParamSpec GanParam() {
  using pipeline::Json;
  using pipeline::ParamSpec;
  ParamSpec discriminator = nn::LayersParam(
      "discriminator", "the discriminator's layers: an image in, one logit out, e.g. "
                       "[{type: flatten}, {type: linear, out: 512}, {type: leaky_relu, "
                       "alpha: 0.2}, {type: linear, out: 1}]");
  discriminator.default_value = Json::array();
  discriminator.min.reset();
  ParamSpec optimizer = OptimizerParam("optimizer");
  optimizer.default_value = nullptr;
  optimizer.optional = true;
  optimizer.help = "the discriminator's optimiser (default: the same as the generator's "
                   "`optimizer`)";
  return ParamSpec::Object("gan", Json::object(), "task gan: the generator is `layers` (noise "
                                                  "in, ending in tanh); this block holds the "
                                                  "rest")
      .Fields({ParamSpec::Int("noise", 100, "noise values per sample (the generator's input)")
                   .Min(1)
                   .Max(100000),
               std::move(discriminator), std::move(optimizer),
               ParamSpec::Int("d_steps", 1, "discriminator updates per generator update")
                   .Min(1)
                   .Max(100),
               ParamSpec::Int("collapse_epochs", 3, "fail the run when mean D(G(z)) stays "
                                                    "below collapse_below this many epochs")
                   .Min(1),
               ParamSpec::Float("collapse_below", 1e-3, "see collapse_epochs").Min(0).Below(1)});
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
  type.code_version = 3;  // 2: a network that starts with flatten runs its first inner product on 2-D rows; BCE in float. 3: Winograd convolutions (algorithm auto), batch norm of feature vectors on the JIT kernel, our own weight gradient for one-channel convolutions in nChw8c
  type.step_unit = "epoch";
  type.uses_rng = true;
  type.min_inputs = 1;
  type.max_inputs = 3;
  type.params = {
      nn::LayersParam("layers",
                      "the network, e.g. [{type: conv, out: 32, kernel: 3}, {type: relu}, "
                      "{type: flatten}, {type: linear, out: 10}]"),
      ParamSpec::String("task", "classify", "the objective: classify (labels y), autoencode "
                                            "(reproduce x), vae (a variational autoencoder "
                                            "with a gaussian_sample layer) or gan (`layers` is "
                                            "the generator, see `gan`)")
          .Choices(ObjectiveNames()),
      ParamSpec::String("loss", "auto",
                        "auto (cross_entropy for classifiers, mse for autoencoders), "
                        "cross_entropy, mse or bce")
          .Choices({"auto", "cross_entropy", "mse", "bce"}),
      ParamSpec::Int("epochs", 10, "epoch limit").Min(1).Max(1000000),
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
          .Choices(nn::InitChoiceNames()),
      OptimizerParam(),
      LrScheduleParam(),
      EarlyStoppingParam(),
      ParamSpec::Bool("class_weights", false,
                      "weight the loss by the training set's class_weights tensor"),
      ParamSpec::StageRef("init_from",
                          "initial weights from a checkpoint: another run's stage as "
                          "run:<id>/<stage> (e.g. run:12/model; the stage key, not the run, "
                          "becomes the parameter), or an output.art path"),
      ParamSpec::List("freeze", Json::array(), "layers not trained (\"*\": all)")
          .Items(ParamSpec::String("layer", nullptr, "a layer name")),
      ParamSpec::List("trainable", Json::array(), "layers trained even when `freeze` has \"*\"")
          .Items(ParamSpec::String("layer", nullptr, "a layer name")),
      ParamSpec::String("latent", "", "the layer whose output `encode` returns by default"),
      ParamSpec::String("keep", "best", "checkpoint to output: best (the policy's chosen "
                                        "epoch) or last")
          .Choices({"best", "last"}),
      GanParam(),
      ParamSpec::List("sample_epochs", Json::array(),
                      "vae, gan: after these epochs, write samples_epoch_<e>.png, an 8 x 8 grid "
                      "decoded from one fixed seeded noise batch (the same in every epoch); a "
                      "vae also reconstructions_epoch_<e>.png (originals above reconstructions)")
          .Items(ParamSpec::Int("epoch", nullptr, "an epoch").Min(1)),
  };
  type.run = RunTrain;
  type.check = CheckTrainParams;
  return type;
}

}  // namespace stages
