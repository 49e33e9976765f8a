#pragma once
// Stage "image_folder_loader" (kind load): a folder of PNG/JPEG images with one sub-folder per
// class (the layout of torchvision's ImageFolder):
//
//   dir/cat/001.png  dir/cat/002.jpg  dir/dog/a.jpeg ...
//
// Classes are the sub-folders in sorted (byte-wise) name order: the first is class 0. Files
// with the extensions .png, .jpg, .jpeg (any case) are images; other files, files directly in
// `dir`, hidden entries (".name") and deeper folders are ignored. A class folder without
// images still counts as a class.
//
// Parameters: declared with the stage type (its .cc file); `pipeline stages <type>` and
// docs/stages.md print them with types, defaults and ranges.
//
// Order. Image k of a class is the k-th of its files in sorted name order. The output takes
// image 0 of every class (in class order), then image 1 of every class, and so on, skipping
// classes that ran out; any `limit` therefore keeps the classes balanced.
//
// Output
//   x    float32 [N, channels, height, width]  values in [0, 1]
//   y    int32   [N]                           class index
//   ids  int32   [N]                           position of the file in the class-major listing
//                                              (all files of class 0 in name order, then class
//                                              1, ...), which is fixed by the folder's contents
//   meta {"classes": C, "class_names": [...], "source": dir, "channels", "height", "width"}
// Metric "examples" = N. An undecodable file raises pipeline::DataError naming it and
// stb_image's reason; images are decoded in parallel, and with several bad files the first in
// output order is reported.

#include "pipeline/stage.h"

namespace stages {

pipeline::StageType ImageFolderLoaderStage();

}  // namespace stages
