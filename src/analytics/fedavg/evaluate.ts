/** Scoring a model on a dataset: mean binary cross-entropy and the exact (Mann–Whitney) AUC. */
import { MeridianError } from '../../errors/registry.ts';
import { aucMannWhitney } from './auc.ts';
import type { Dataset } from './dataset.ts';
import { logLoss, type Model, predictLogits } from './model.ts';

/** A model's quality on some data. */
export interface Evaluation {
  /** Mean binary cross-entropy (nats per row). */
  readonly loss: number;
  /** AUC, or null when the data hold only one class. */
  readonly auc: number | null;
}

/** Mean log loss and exact AUC of the model on the data (the logits rank exactly as the probabilities). */
export function evaluate(model: Model, data: Dataset): Evaluation {
  if (data.y.length === 0) throw new MeridianError('MER_FEDAVG_INVALID_INPUT', 'cannot evaluate on data with no rows');
  const logits = predictLogits(model, data);
  let loss = 0;
  for (let i = 0; i < logits.length; i++) loss += logLoss(logits[i] as number, data.y[i] as number);
  return { loss: loss / logits.length, auc: aucMannWhitney(logits, data.y) };
}
