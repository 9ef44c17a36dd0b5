import { test, expect } from 'vitest';
import { reviewMedications } from '../../server/clinical/review.ts';
import { kb, medReq, reviewInput } from './builders.ts';
test('smoke', () => {
  const f = reviewMedications(reviewInput([medReq('phenelzine', { mg: 45 }), medReq('sertraline', { mg: 100 })]), kb());
  console.log(f.map((x) => [x.ruleId, x.severity, x.summary]));
  expect(f.length).toBeGreaterThan(0);
});
