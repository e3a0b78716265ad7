/** FedAvg with server momentum (FedAvgM) for logistic regression and a small perceptron; see README.md. */
export { aucMannWhitney } from './auc.ts';
export { clipL2, l2Norm } from './clip.ts';
export { checkDataset, concatDatasets, type Dataset, FEATURES_MAX, makeDataset, rowCount } from './dataset.ts';
export { type Evaluation, evaluate } from './evaluate.ts';
export { aucFromHistograms, type HistogramAuc, SCORE_BINS_MAX, scoreBin } from './histogram-auc.ts';
export {
  checkLocalOptions,
  EPOCHS_MAX,
  LEARNING_RATE_MAX,
  type LocalTrainOptions,
  type LocalUpdate,
  localTrain,
} from './local-train.ts';
export {
  checkSpec,
  HIDDEN_MAX,
  initModel,
  logLoss,
  lossAndGradient,
  type Model,
  type ModelSpec,
  parameterCount,
  predictLogits,
  sigmoid,
} from './model.ts';
export { deriveSeed, type Rng, seededRng } from './rng.ts';
export {
  type AggregateSums,
  initServer,
  MOMENTUM_DEFAULT,
  plainSums,
  SERVER_LEARNING_RATE_DEFAULT,
  type ServerOptions,
  type ServerState,
  serverStep,
  serverStepFromSums,
} from './server-step.ts';
export {
  type Aggregator,
  type FederatedOptions,
  type FederatedResult,
  ROUNDS_MAX,
  type RoundReport,
  SITES_MAX,
  trainFederated,
} from './train-federated.ts';
