#include "stages/builtin_stages.h"

#include "stages/augment/augment_stage.h"
#include "stages/cluster/cluster_stage.h"
#include "stages/cluster/gmm_stage.h"
#include "stages/evaluate/classifier_eval.h"
#include "stages/evaluate/cluster_eval.h"
#include "stages/evaluate/gmm_bayes_stage.h"
#include "stages/evaluate/sample_quality_stage.h"
#include "stages/load/blobs.h"
#include "stages/load/csv_loader.h"
#include "stages/load/gmm_generator.h"
#include "stages/load/idx_loader.h"
#include "stages/load/image_folder_loader.h"
#include "stages/load/mnist_loader.h"
#include "stages/load/npy_loader.h"
#include "stages/reduce/reduce_stage.h"
#include "stages/reduce/tsne_stage.h"
#include "stages/resample/resample_stage.h"
#include "stages/resample/split_stage.h"
#include "stages/train/encode_stage.h"
#include "stages/train/generate_stage.h"
#include "stages/train/train_stage.h"

namespace stages {

std::vector<pipeline::StageType> BuiltinStages() {
  return {
      IdxLoaderStage(), BlobsStage(), PcaStage(), KMeansStage(), ClusterEvalStage(),
      MnistLoaderStage(),
      GmmStage(),
      GmmBayesStage(), SampleQualityStage(),
      CsvLoaderStage(),
      NpyLoaderStage(),
      GmmGeneratorStage(),
      ImageFolderLoaderStage(),
      AugmentStage(),
      TsneStage(),
      SplitStage(), TakeStage(), SubsetStage(), ImbalanceStage(), OversampleStage(),
      UndersampleStage(), ClassWeightsStage(),
      TrainStage(), EvaluateStage(), EncodeStage(), GenerateStage(),
  };
}

}  // namespace stages
