// Core R4 validation (schema + StructureDefinitions): each problem reported with its FHIRPath location.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultCacheDir } from '../../server/validation/build-schema.ts';
import type { ResourceValidator } from '../../server/fhir/context.ts';
import { isError, type ValidationIssue } from '../../server/validation/types.ts';
import { broken, sharedValidator, titrateMedicationRequest } from './builders.ts';

type R = Record<string, any>;

const plainRequest = (): R => {
  const r = titrateMedicationRequest();
  delete r.meta;
  return r;
};

function at(issues: ValidationIssue[], expression: string): ValidationIssue[] {
  return issues.filter((i) => isError(i) && i.expression.includes(expression));
}

describe('core validation', () => {
  it('accepts a plain R4 MedicationRequest', async () => {
    const v = await sharedValidator();
    expect(v.validate(plainRequest()).filter(isError)).toEqual([]);
  });

  it('reports every problem, not just the first', async () => {
    const v = await sharedValidator();
    const r = broken(plainRequest(), (x) => {
      delete x.status;
      delete x.intent;
      x.colour = 'blue';
      x.authoredOn = 'yesterday';
      x.dosageInstruction[0].timing.repeat = { duration: 3 };
    });
    const issues = v.validate(r);
    expect(at(issues, 'MedicationRequest.status')[0]?.code).toBe('required');
    expect(at(issues, 'MedicationRequest.intent')[0]?.code).toBe('required');
    expect(at(issues, 'MedicationRequest.colour')[0]?.code).toBe('structure');
    expect(at(issues, 'MedicationRequest.authoredOn')[0]?.code).toBe('value');
    expect(at(issues, 'MedicationRequest.dosageInstruction[0].timing.repeat')[0]?.diagnostics).toMatch(/tim-1/);
  });

  it('checks required bindings against the R4 ValueSets', async () => {
    const v = await sharedValidator();
    const issues = v.validate(broken(plainRequest(), (x) => (x.status = 'paused')));
    expect(at(issues, 'MedicationRequest.status')[0]?.code).toBe('code-invalid');
    const obs = {
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'x' },
      referenceRange: [{ low: { value: 1 }, type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/referencerange-meaning', code: 'normal' }] } }],
      dataAbsentReason: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/data-absent-reason', code: 'not-a-reason' }] },
    };
    expect(at(v.validate(obs), 'Observation.dataAbsentReason')).toEqual([]); // extensible binding: not enforced
  });

  it('evaluates invariants with their severity (obs-6 is an error)', async () => {
    const v = await sharedValidator();
    const obs = {
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'x' },
      valueString: 'a',
      dataAbsentReason: { text: 'unknown' },
    };
    expect(at(v.validate(obs), 'Observation')[0]?.diagnostics).toMatch(/obs-6/);
  });

  it('validates contained resources and their references (dom-3, ref-1)', async () => {
    const v = await sharedValidator();
    const r = broken(plainRequest(), (x) => {
      x.contained = [{ resourceType: 'Medication', id: 'unused' }];
      x.supportingInformation = [{ reference: '#missing' }];
    });
    const issues = v.validate(r);
    expect(at(issues, 'MedicationRequest.contained[0]')[0]?.diagnostics).toMatch(/dom-3/);
    expect(at(issues, 'MedicationRequest.supportingInformation[0]')[0]?.diagnostics).toMatch(/ref-1/);
  });

  it('rejects empty arrays, nulls and empty objects', async () => {
    const v = await sharedValidator();
    const r = broken(plainRequest(), (x) => {
      x.note = [];
      x.groupIdentifier = {};
      x.reasonCode = null;
    });
    const issues = v.validate(r);
    expect(at(issues, 'MedicationRequest.note')).not.toEqual([]);
    expect(at(issues, 'MedicationRequest.groupIdentifier')).not.toEqual([]);
    expect(at(issues, 'MedicationRequest.reasonCode')).not.toEqual([]);
  });

  it('rejects a narrative with script and a base64 value that is not base64', async () => {
    const v = await sharedValidator();
    const doc = {
      resourceType: 'DocumentReference',
      status: 'current',
      text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script>x</div>' },
      content: [{ attachment: { contentType: 'text/plain', data: '%%%not base64', size: 3 } }],
    };
    const issues = v.validate(doc);
    expect(at(issues, 'DocumentReference.text.div')[0]?.diagnostics).toMatch(/script/);
    expect(at(issues, 'DocumentReference.content[0].attachment.data')[0]?.code).toBe('value');
  });

  it('validates entries inside a Bundle with locations under the entry', async () => {
    const v = await sharedValidator();
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:7f3b8a52-2c44-4d2f-8c57-6a2b4f0f1c11', resource: broken(plainRequest(), (x) => delete x.intent), request: { method: 'POST', url: 'MedicationRequest' } },
        { fullUrl: 'MedicationRequest/2', resource: plainRequest(), request: { method: 'POST', url: 'MedicationRequest' } },
      ],
    };
    const issues = v.validate(bundle);
    expect(at(issues, 'Bundle.entry[0].resource.intent')[0]?.code).toBe('required');
    expect(at(issues, 'Bundle.entry[1].fullUrl')).not.toEqual([]);
  });

  it('warns, without erroring, about a claimed profile it does not know', async () => {
    const v = await sharedValidator();
    const issues = v.validate(broken(plainRequest(), (x) => (x.meta = { profile: ['http://example.org/fhir/StructureDefinition/unknown'] })));
    expect(issues.filter(isError)).toEqual([]);
    expect(issues.find((i) => i.code === 'not-supported')?.severity).toBe('warning');
  });

  it('validates claims of US Core profiles', async () => {
    const v = await sharedValidator();
    const patient = {
      resourceType: 'Patient',
      meta: { profile: ['http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient'] },
      gender: 'female',
    };
    const issues = v.validate(patient);
    expect(at(issues, 'Patient.identifier')[0]?.code).toBe('required');
    expect(at(issues, 'Patient.name')[0]?.code).toBe('required');
    const ok = { ...patient, identifier: [{ system: 'urn:oid:1.2.3', value: '1' }], name: [{ family: 'Doe' }] };
    expect(v.validate(ok).filter(isError)).toEqual([]);
  });

  it('plugs into the fhir/ write gate as its ResourceValidator', async () => {
    const hook: ResourceValidator = await sharedValidator();
    expect(hook.validate({ resourceType: 'Patient', gender: 'unknown-value' }, { mode: 'create' })[0]?.severity).toBe('error');
  });

  it('requires an id on update and validates nothing on delete', async () => {
    const v = await sharedValidator();
    expect(at(v.validate(plainRequest(), { mode: 'update' }), 'MedicationRequest.id')[0]?.code).toBe('required');
    expect(v.validate({ nonsense: true }, { mode: 'delete' })).toEqual([]);
  });

  it.each([null, undefined, 42, 'Patient', [], [{ resourceType: 'Patient' }], { resourceType: 7 }, { resourceType: 'NotAType' }, { resourceType: 'Patient', name: 'x', birthDate: [1], contained: [null, 3, { a: 1 }] }])(
    'never throws for invalid input %j',
    async (input) => {
      const v = await sharedValidator();
      const issues = v.validate(input);
      expect(issues.some(isError)).toBe(true);
    },
  );
});

describe('the generated schema module', () => {
  it('is ASCII, so V8 holds its source as one-byte text, and carries no description prose', () => {
    const code = readFileSync(join(defaultCacheDir(), 'fhir-schema.cjs'), 'utf8');
    expect(code.length).toBeGreaterThan(1_000_000);
    expect(code.match(/[^\x00-\x7f]/g) ?? []).toEqual([]);
    // Patient.description does not exist, but CodeSystem.description (an element) must still be validated.
    expect(code).not.toContain('A sequence of Unicode characters');
  });
  it('still validates an element named description and a non-ASCII string', async () => {
    const issues = (await sharedValidator()).validate({ resourceType: 'CodeSystem', status: 'draft', content: 'complete', description: 42, title: 'Caf\u00e9 \u201cquoted\u201d' });
    expect(issues.filter(isError).map((i) => i.expression)).toEqual([['CodeSystem.description']]);
  });
});
