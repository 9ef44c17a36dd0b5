// Every resource the clinical engine emits passes the official R4 4.0.1 JSON schema
// (configuration per reference/fhir-data-sources.md §2.1; schema read in place from ../shared/corpora).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject } from 'ajv';
import { beforeAll, describe, expect, test } from 'vitest';
import { findingsToBundle } from '../../server/clinical/detected-issue.ts';
import { planTaper } from '../../server/clinical/plans/taper.ts';
import { planTitration } from '../../server/clinical/plans/titrate.ts';
import { reconcile, reconcileToParameters } from '../../server/clinical/reconcile.ts';
import { checkDraftOrders, reviewMedications } from '../../server/clinical/review.ts';
import { runOrderHook } from '../../server/cds/index.ts';
import { daysAgo, kb, medReq, NOW, obs, patient, reviewInput } from './builders.ts';

const SCHEMA = fileURLToPath(new URL('../../../shared/corpora/hl7-fhir-r4-json-schema/fhir.schema.json', import.meta.url));
const PROFILES = fileURLToPath(new URL('../../profiles/', import.meta.url));

let validate: (r: unknown) => string[];

beforeAll(() => {
  const schema = JSON.parse(readFileSync(SCHEMA, 'utf8'));
  schema.$id = schema.id;
  delete schema.id;
  schema.discriminator = { propertyName: 'resourceType' };
  schema.definitions.ResourceList = { ...schema.definitions.ResourceList, type: 'object', required: ['resourceType'], discriminator: { propertyName: 'resourceType' } };
  const ajv = new Ajv({ strict: false, strictTypes: false, discriminator: true, allErrors: false });
  ajv.addMetaSchema(createRequire(import.meta.url)('ajv/dist/refs/json-schema-draft-06.json'));
  const fn = ajv.compile(schema);
  validate = (r) => (fn(r) ? [] : (fn.errors ?? []).map((e: ErrorObject) => `${e.instancePath} ${e.message}`));
}, 60_000);

describe('R4 JSON schema', () => {
  test('the validator rejects an invalid resource (so the checks below can fail)', () => {
    expect(validate({ resourceType: 'CarePlan', status: 'draft', intent: 42 })).not.toEqual([]);
  });

  test('DetectedIssue Bundle from $medication-review and $check', () => {
    const meds = [medReq('phenelzine', { mg: 45 }), medReq('sertraline', { mg: 50 }), medReq('lithium carbonate', { mg: 900 })];
    const findings = reviewMedications(reviewInput(meds, [obs('14334-7', 1.7, 'mmol/L', daysAgo(3)), obs('44261-6', 20, '{score}', daysAgo(60)), obs('44261-6', 4, '{score}', daysAgo(1))]), kb());
    expect(validate(findingsToBundle(findings, 'Patient/p1', NOW))).toEqual([]);
    const draft = { ...medReq('citalopram', { mg: 60, status: 'draft' }), id: undefined };
    expect(validate(findingsToBundle(checkDraftOrders(reviewInput([], [], 70), [draft], kb()), 'Patient/p1', NOW))).toEqual([]);
  });

  test('taper and titration CarePlans', () => {
    expect(validate(planTaper(medReq('sertraline', { mg: 100 }), {}, { now: NOW }, kb()))).toEqual([]);
    expect(validate(planTaper(medReq('lorazepam', { mg: 2 }), {}, { now: NOW }, kb()))).toEqual([]);
    expect(validate(planTitration(medReq('lamotrigine', { status: 'draft' }), {}, { now: NOW }, kb()))).toEqual([]);
  });

  test('$reconcile Parameters', () => {
    const groups = reconcile([{ label: 'home', entries: [medReq('sertraline', { mg: 50 })] }, { label: 'orders', entries: [medReq('sertraline', { mg: 100 }), medReq('olanzapine', { mg: 5 })] }], kb());
    expect(validate(reconcileToParameters(groups))).toEqual([]);
  });

  test('the updated draft in a CDS suggestion', () => {
    const { cards } = runOrderHook({ hook: 'order-sign', context: { patientId: 'p1', draftOrders: { resourceType: 'Bundle', type: 'collection', entry: [{ resource: medReq('citalopram', { mg: 40, status: 'draft', id: 'd' }) }] } }, prefetch: { patient: patient(72) } }, kb(), NOW);
    expect(validate(cards[0].suggestions![0].actions[0].resource)).toEqual([]);
  });

  test.each(['medication-review', 'check', 'reconcile', 'taper', 'titrate'])('OperationDefinition-%s.json', (name) => {
    const od = JSON.parse(readFileSync(`${PROFILES}OperationDefinition-${name}.json`, 'utf8'));
    expect(od.url).toBe(`http://titrate.health/fhir/OperationDefinition/${name}`);
    expect(validate(od)).toEqual([]);
  });
});
