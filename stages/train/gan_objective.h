#pragma once
// The `gan` training objective: a generative adversarial network (Goodfellow et al. 2014) in one
// train stage. The trainer's network (the stage's `layers`) is the generator G: noise z of
// `noise` values in, an image of the data's shape out, ending in tanh. The discriminator D
// (`gan.discriminator`, ending in one logit) with its own optimiser lives in the objective's
// state. Real images (in [0, 1], as the loaders give them) are scaled to [-1, 1] to meet G's
// tanh; samples are mapped back, so grids and `generate` give images in [0, 1].
//
// One trainer step on a real batch x of B images, z ~ N(0, I) drawn from the stream of that
// step (so a resumed training draws the same noise), the order of PyTorch's DCGAN example:
//   1. fake = G(z) (training mode);
//   2. D step: d_loss = bce(D(x), 1) + bce(D(fake), 0), each a batch mean; D's optimiser steps;
//   3. every `d_steps`-th step, the G step with the non-saturating loss:
//      g_loss = bce(D(fake), 1) through the updated D (its weights not differentiated), G's
//      optimiser (the stage's `optimizer`) steps. On steps without a G update g_loss is
//      bce(D(fake), 1) of step 2's pass.
// Reported per epoch (means over the epoch's steps): g_loss (also the train_loss), d_loss,
// d_real = mean sigmoid(D(x)) and d_fake = mean sigmoid(D(G(z))) of the D step. With a
// validation set the same four come from the real validation images against G's samples from a
// fixed validation noise, all in inference mode (val_loss = val_g_loss).
//
// The run fails (StageError naming the epoch and the reason) when a loss is not finite, when
// d_fake stays below `collapse_below` for `collapse_epochs` epochs in a row (D rejects every
// sample: G's gradient is gone), or when G's samples from the fixed noise batch are all alike
// (mode collapse: mean per-pixel standard deviation across the 64 samples below 1e-3).
// The last epoch's generator is kept (losses do not say which epoch is best).
//
// Settings (the train stage's `gan` block, declared in train_stage.cc): noise, discriminator
// (a layer list), optimizer (D's; null: the generator's), d_steps, collapse_epochs,
// collapse_below.

#include <memory>
#include <string>

#include "stages/train/objective.h"

namespace stages {

// Throws ConfigError naming `key_path` on bad settings.
std::unique_ptr<TrainingObjective> MakeGanObjective(const pipeline::Json& settings,
                                                    const std::string& key_path);

}  // namespace stages
