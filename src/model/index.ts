// Model scoring: load and validate a models/churn/<version>/ artifact, score customers exactly as sklearn.
export { loadModel, loadModelArtifact } from './load-artifact.js';
export { parseModelArtifact } from './parse-artifact.js';
export { createChurnModel } from './scorer.js';
export {
  createExplainer,
  topReasons,
  type CustomerExplainer,
  type Explanation,
  type FeatureContribution,
  type ScoreWithReasons,
} from './explain.js';
export { sigmoid } from './sigmoid.js';
export { ModelArtifactError } from './model-artifact-error.js';
export {
  MODEL_FORMAT,
  MODEL_FILE_NAME,
  ModelArtifactSchema,
  type ModelArtifact,
  type ModelReference,
  type NumericReference,
  type CategoricalReference,
  type ScoreReference,
} from './model-artifact.js';
export type { ChurnModel, ModelMeta, UnknownCategory } from './churn-model.js';
