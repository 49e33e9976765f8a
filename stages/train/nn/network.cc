#include "stages/train/nn/network.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "pipeline/errors.h"
#include "stages/train/nn/dropout.h"
#include "stages/train/nn/gaussian_sample.h"
#include "stages/train/nn/eltwise.h"
#include "stages/train/nn/reshape.h"

// Implementation notes: layers are chained through their memories at build time (layer i reads
// layer i-1's output() and writes its input gradient into layer i-1's output_grad()), so a
// forward or backward pass is only a walk over prebuilt primitives with no allocation. Input
// gradients are requested only downstream of the first layer with parameters: nothing upstream
// consumes them. A flatten feeding a linear layer keeps the blocked 4-D layout (the inner
// product reads it directly), which saves two reorders per step.
//
// A ReLU right before a max pooling runs after it instead: max pooling commutes with any non-
// decreasing function, so relu(maxpool(x)) = maxpool(relu(x)), and the gradients agree bit for bit
// too (where the window's maximum is positive both route the gradient to the same element; where it
// is not, both give zero), while the ReLU then touches a quarter of the values (S8's CNN: about 1.5
// ms a batch less). Only for ReLU proper: a leaky ReLU's rounding can tie two negative inputs and
// move the gradient to another element of the window. The user's order stays what Summary,
// LayerOutput and the layer names refer to.

namespace stages::nn {
namespace {

std::vector<int64_t> ToShape(const Dims& dims) { return std::vector<int64_t>(dims.begin(), dims.end()); }

Dims WithBatch(int64_t batch, const Dims& shape) {
  Dims dims = shape;
  dims.insert(dims.begin(), batch);
  return dims;
}

bool IsPassThrough(const std::string& type) {
  return type == "batchnorm" || type == "dropout" || type == "maxpool" || type == "avgpool" ||
         type == "flatten" || type == "reshape";
}

}  // namespace

Network::Network(const nlohmann::json& layers, const NetworkOptions& options)
    : input_shape_(options.input_shape), input_gradient_(options.input_gradient) {
  if (input_shape_.empty() || Product(input_shape_) < 1) {
    throw pipeline::ConfigError("network input shape " + DimsString(input_shape_) +
                                " must be (C, H, W) or (F) with positive sizes");
  }
  if (options.batch < 1) throw pipeline::ConfigError("network batch size must be >= 1");
  std::vector<LayerSpec> specs = ParseLayerSpecs(layers);
  Dims shape = input_shape_;
  for (LayerSpec& spec : specs) {
    shape = spec.layer->OutputShape(shape);
    shapes_.push_back(shape);
    layers_.push_back(std::move(spec.layer));
  }
  output_shape_ = shape;
  for (size_t i = 0; i < layers_.size(); ++i) order_.push_back(i);
  for (size_t i = 0; i + 1 < layers_.size(); ++i) {
    if (layers_[i]->type() == "relu" && layers_[i + 1]->type() == "maxpool") {
      std::swap(order_[i], order_[i + 1]);
      ++i;
    }
  }
  for (size_t i = 0; i + 1 < layers_.size(); ++i) {
    // Not for a flatten of the network's input: that is plain already, and the inner product
    // runs faster on the 2-D view than on 4-D images (and reorders no weights per call).
    if (i > 0 && layers_[i]->type() == "flatten" && layers_[i + 1]->type() == "linear") {
      static_cast<Reshape*>(layers_[i].get())->set_keep_layout(true);
    }
  }
  Build(options.batch);
  while (first_with_parameters_ + 1 < layers_.size() &&
         Run(first_with_parameters_).Parameters().empty()) {
    ++first_with_parameters_;
  }
  const pipeline::Rng root(options.seed);
  const pipeline::Rng weights_rng = root.Fork(0);
  for (size_t i = 0; i < layers_.size(); ++i) {
    pipeline::Rng rng = weights_rng.Fork(i);
    layers_[i]->Initialize(ResolveInit(i, specs[i].init.value_or(options.init)), rng);
  }
  SeedDropout(root.Fork(1));
}

Network::~Network() = default;

Init Network::ResolveInit(size_t index, InitChoice choice) const {
  Init init;
  if (choice == InitChoice::kXavier) return init;
  if (choice == InitChoice::kTorch) {
    init.kind = Init::Kind::kTorch;
    return init;
  }
  if (choice == InitChoice::kHe) {
    init.kind = Init::Kind::kHe;
    return init;
  }
  // auto: He when the next layer that changes values is a ReLU-like activation.
  for (size_t j = index + 1; j < layers_.size(); ++j) {
    const std::string type = layers_[j]->type();
    if (IsPassThrough(type)) continue;
    if (type == "relu" || type == "leaky_relu") {
      init.kind = Init::Kind::kHe;
      init.negative_slope = static_cast<const Eltwise*>(layers_[j].get())->alpha();
    }
    break;
  }
  return init;
}

void Network::Build(int64_t batch) {
  batch_ = batch;
  input_ = dnnl::memory(PlainDesc(WithBatch(batch, input_shape_)), device_.engine,
                        DNNL_MEMORY_NONE);
  input_grad_ = input_gradient_ ? ZeroedMemory(device_, input_.get_desc()) : dnnl::memory();
  const dnnl::memory* previous = &input_;
  bool gradient_needed = input_gradient_;
  for (size_t i = 0; i < layers_.size(); ++i) {
    const dnnl::memory* input_grad = !gradient_needed ? nullptr
                                     : i == 0        ? &input_grad_
                                                     : &Run(i - 1).output_grad();
    Run(i).Build(device_, *previous, input_grad);
    if (!Run(i).Parameters().empty()) gradient_needed = true;
    previous = &Run(i).output();
  }
  const Layer& last = Run(layers_.size() - 1);
  const dnnl::memory::desc last_desc = last.output().get_desc();
  const dnnl::memory::desc plain = PlainDesc(last_desc.dims());
  output_aliased_ = last_desc == plain;
  output_ = output_aliased_ ? last.output() : ZeroedMemory(device_, plain);
  if (!output_aliased_) output_reorder_ = dnnl::reorder(last.output(), output_);
  output_grad_aliased_ = last.output_grad().get_desc() == plain;
  output_grad_ = dnnl::memory(plain, device_.engine, DNNL_MEMORY_NONE);
  if (!output_grad_aliased_) output_grad_reorder_ = dnnl::reorder(output_grad_, last.output_grad());
}

std::vector<LayerInfo> Network::Summary() const {
  std::vector<LayerInfo> rows;
  for (size_t i = 0; i < layers_.size(); ++i) {
    LayerInfo info{layers_[i]->name(), layers_[i]->type(), shapes_[i], 0};
    for (ParameterTensor* p : layers_[i]->Parameters()) info.parameters += Product(p->plain_dims());
    rows.push_back(info);
  }
  return rows;
}

const float* Network::Forward(const float* input, int64_t batch, bool training) {
  if (batch < 1) throw pipeline::StageError("Network::Forward: batch size must be >= 1");
  if (batch != batch_) Build(batch);
  // oneDNN only reads the source; the memory object needs a non-const pointer.
  input_.set_data_handle(const_cast<float*>(input));
  for (size_t i = 0; i < layers_.size(); ++i) Run(i).Forward(training);
  if (!output_aliased_) {
    dnnl::memory source = Run(layers_.size() - 1).output();
    output_reorder_.execute(device_.stream, source, output_);
  }
  device_.stream.wait();
  return Data(output_);
}

void Network::Backward(const float* output_grad, bool input_gradient) {
  Layer& last = Run(layers_.size() - 1);
  if (output_grad_aliased_) {
    std::memcpy(Data(last.output_grad()), output_grad,
                static_cast<size_t>(batch_ * output_size()) * sizeof(float));
  } else {
    output_grad_.set_data_handle(const_cast<float*>(output_grad));
    dnnl::memory target = last.output_grad();
    output_grad_reorder_.execute(device_.stream, output_grad_, target);
  }
  // Without the input gradient the layers below the first one with parameters have nothing
  // to do, and that one need not compute its own input gradient.
  const size_t lowest = input_gradient ? 0 : first_with_parameters_;
  if (!input_gradient) Run(lowest).SkipInputGradient(true);
  for (size_t i = layers_.size(); i-- > lowest;) Run(i).Backward();
  if (!input_gradient) Run(lowest).SkipInputGradient(false);
  device_.stream.wait();
}

const float* Network::InputGrad() const {
  return input_gradient_ ? Data(input_grad_) : nullptr;
}

void Network::ZeroGrad() {
  for (const auto& layer : layers_) {
    for (ParameterTensor* p : layer->Parameters()) p->ZeroGrad();
  }
}

std::vector<ParameterView> Network::Parameters() {
  std::vector<ParameterView> views;
  for (const auto& layer : layers_) {
    for (ParameterTensor* p : layer->Parameters()) views.push_back(p->View());
  }
  return views;
}

ParameterTensor& Network::ParameterAt(size_t index) {
  size_t k = 0;
  for (const auto& layer : layers_) {
    for (ParameterTensor* p : layer->Parameters()) {
      if (k++ == index) return *p;
    }
  }
  throw pipeline::StageError("parameter index " + std::to_string(index) + " is out of range (" +
                             std::to_string(k) + " parameters)");
}

std::vector<float> Network::ParameterToPlain(size_t index, const float* physical) {
  return ParameterAt(index).ToPlain(device_, physical);
}

void Network::ParameterFromPlain(size_t index, const std::vector<float>& plain, float* physical) {
  ParameterAt(index).FromPlain(device_, plain, physical);
}

size_t Network::LayerIndex(const std::string& layer_name) const {
  std::string names;
  for (size_t i = 0; i < layers_.size(); ++i) {
    if (layers_[i]->name() == layer_name) return i;
    names += (i > 0 ? ", " : "") + layers_[i]->name();
  }
  throw pipeline::ConfigError("no layer named '" + layer_name + "'; the layers are: " + names);
}

void Network::SetFrozen(const std::string& layer_name, bool frozen) {
  for (size_t i = 0; i < layers_.size(); ++i) {
    if (layer_name != "*" && i != LayerIndex(layer_name)) continue;
    for (ParameterTensor* p : layers_[i]->Parameters()) p->set_frozen(frozen);
  }
}

std::map<std::string, pipeline::Tensor> Network::StateDict() {
  std::map<std::string, pipeline::Tensor> state;
  for (const auto& layer : layers_) {
    for (ParameterTensor* p : layer->Parameters()) {
      pipeline::Tensor tensor(pipeline::DType::kFloat32, ToShape(p->plain_dims()));
      const std::vector<float> values = p->ExportPlain(device_);
      std::copy(values.begin(), values.end(), tensor.f32());
      state.emplace(p->name(), std::move(tensor));
    }
    for (const StateBuffer& buffer : layer->StateBuffers()) {
      pipeline::Tensor tensor(pipeline::DType::kFloat32,
                              {static_cast<int64_t>(buffer.values->size())});
      std::copy(buffer.values->begin(), buffer.values->end(), tensor.f32());
      state.emplace(buffer.name, std::move(tensor));
    }
  }
  return state;
}

std::vector<std::string> Network::LoadStateDict(
    const std::map<std::string, pipeline::Tensor>& state, bool strict) {
  // Every entry of the network: name, plain shape, and where its values go.
  struct Entry {
    std::string name;
    std::vector<int64_t> shape;
    ParameterTensor* parameter;
    std::vector<float>* buffer;
  };
  std::vector<Entry> entries;
  for (const auto& layer : layers_) {
    for (ParameterTensor* p : layer->Parameters()) {
      entries.push_back({p->name(), ToShape(p->plain_dims()), p, nullptr});
    }
    for (const StateBuffer& b : layer->StateBuffers()) {
      entries.push_back({b.name, {static_cast<int64_t>(b.values->size())}, nullptr, b.values});
    }
  }
  std::vector<std::string> problems;
  std::vector<const Entry*> matching;
  size_t found = 0;
  for (const Entry& entry : entries) {
    const auto it = state.find(entry.name);
    if (it == state.end()) {
      problems.push_back(entry.name + " is missing");
      continue;
    }
    ++found;
    if (it->second.dtype() != pipeline::DType::kFloat32 || it->second.shape() != entry.shape) {
      problems.push_back(entry.name + " is " + it->second.ShapeString() + ", expected " +
                         DimsString(Dims(entry.shape.begin(), entry.shape.end())) + " float32");
      continue;
    }
    matching.push_back(&entry);
  }
  if (found < state.size()) {
    problems.push_back(std::to_string(state.size() - found) +
                       " entries of the checkpoint are not in this network");
  }
  if (strict && !problems.empty()) {
    std::string message = "checkpoint does not fit the network:";
    for (const std::string& problem : problems) message += "\n  " + problem;
    throw pipeline::StageError(message);
  }
  std::vector<std::string> loaded;
  for (const Entry* entry : matching) {
    const pipeline::Tensor& tensor = state.at(entry->name);
    const float* values = tensor.f32();
    if (entry->parameter != nullptr) {
      entry->parameter->ImportPlain(device_, std::vector<float>(values, values + tensor.size()));
    } else {
      std::copy(values, values + tensor.size(), entry->buffer->begin());
    }
    loaded.push_back(entry->name);
  }
  return loaded;
}

void Network::SeedDropout(const pipeline::Rng& rng) {
  // Sampling layers take streams of their own, far from the dropout layers' (which keep the
  // numbering they always had).
  constexpr uint64_t kSampleStreams = 1u << 20;
  uint64_t k = 0, s = 0;
  for (const auto& layer : layers_) {
    if (auto* dropout = dynamic_cast<Dropout*>(layer.get())) dropout->Seed(rng.Fork(k++));
    if (auto* sample = dynamic_cast<GaussianSample*>(layer.get())) {
      sample->Seed(rng.Fork(kSampleStreams + s++));
    }
  }
}

const Layer* Network::FindLayerOfType(const std::string& type) const {
  for (const auto& layer : layers_) {
    if (layer->type() == type) return layer.get();
  }
  return nullptr;
}

size_t Network::HolderOfOutput(const std::string& layer_name) const {
  const size_t index = LayerIndex(layer_name);
  const size_t position = RunPosition(index);
  if (position == index) return index;
  if (position > index) {  // a ReLU that runs after its max pooling
    throw pipeline::ConfigError("the output of layer '" + layer_name +
                                "' is not kept: it runs after the max pooling that follows it "
                                "(the same values); use '" + layers_[index + 1]->name() + "'");
  }
  return order_[index];  // the max pooling's values come out of the ReLU that now follows it
}

size_t Network::RunPosition(size_t index) const {
  return static_cast<size_t>(std::find(order_.begin(), order_.end(), index) - order_.begin());
}

std::vector<float> Network::LayerOutput(const std::string& layer_name) {
  const Layer& layer = *layers_[HolderOfOutput(layer_name)];
  dnnl::memory source = layer.output();
  const dnnl::memory::desc plain = PlainDesc(source.get_desc().dims());
  std::vector<float> values(static_cast<size_t>(Product(plain.dims())));
  dnnl::memory target(plain, device_.engine, values.data());
  dnnl::reorder(source, target).execute(device_.stream, source, target);
  device_.stream.wait();
  return values;
}

const float* Network::ForwardAfter(const std::string& layer_name, const float* values,
                                   int64_t batch) {
  if (batch != batch_) Build(batch);
  const size_t index = HolderOfOutput(layer_name);
  dnnl::memory target = layers_[index]->output();
  const dnnl::memory::desc plain = PlainDesc(target.get_desc().dims());
  dnnl::memory source(plain, device_.engine, const_cast<float*>(values));
  dnnl::reorder(source, target).execute(device_.stream, source, target);
  for (size_t i = RunPosition(index) + 1; i < layers_.size(); ++i) {
    Run(i).Forward(/*training=*/false);
  }
  if (!output_aliased_) {
    dnnl::memory last = Run(layers_.size() - 1).output();
    output_reorder_.execute(device_.stream, last, output_);
  }
  device_.stream.wait();
  return Data(output_);
}

Dims Network::LayerOutputShape(const std::string& layer_name) const {
  return shapes_[LayerIndex(layer_name)];
}

}  // namespace stages::nn
