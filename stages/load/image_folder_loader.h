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
// Parameters
//   dir       string, required: the root folder
//   channels  int, 1 (default, grayscale) or 3 (RGB)
//   height    int >= 1, default 28 } every image is resized to height x width
//   width     int >= 1, default 28 } (decoding and resizing: stages/load/image_decode.h)
//   limit     int >= 0, default 0: keep the first `limit` images of the interleaved order
//             below; 0 keeps all
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
