// The clinical $operations, built once with the knowledge base.
import type { KnowledgeBase } from '../../clinical/index.ts';
import type { OperationDef } from './registry.ts';
import { medicationReviewOperation } from './medication-review.ts';
import { checkOperation } from './check.ts';
import { reconcileOperation } from './reconcile.ts';
import { taperOperation, titrateOperation } from './dose-plan.ts';

export function clinicalOperations(kb: KnowledgeBase): OperationDef[] {
  return [medicationReviewOperation(kb), checkOperation(kb), reconcileOperation(kb), taperOperation(kb), titrateOperation(kb)];
}
