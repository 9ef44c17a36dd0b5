// Rules that follow one resource to another: Bundle fullUrl vs id, Bundle.signature vs the Bundle,
// SearchParameter.derivedFrom, CapabilityStatement searchParam types, MeasureReport vs Measure, submitted
// StructureDefinitions, QuestionnaireResponse answers vs answerValueSet/unitValueSet, additional bindings,
// slice values inherited from a fixed parent, and Reference.targetProfile inside a Bundle.
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createValidator } from '../../server/validation/validator.ts';
import { isError } from '../../server/validation/types.ts';
import { sharedValidator } from './builders.ts';

type R = Record<string, any>;
// ../shared beside the project root (the brief's layout), wherever the checkout lives.
const CORPORA = path.resolve(import.meta.dirname, '../../../shared/corpora');
const errors = (issues: { severity: string; diagnostics: string; expression: string[] }[]) => issues.filter(isError as never) as typeof issues;
const CORE = 'http://hl7.org/fhir/StructureDefinition/';
/** The head of a draft constraint profile on a core type, at http://example.org/StructureDefinition/{tail}. */
const constraintOn = (type: string, tail: string, name: string, over: R = {}): R => ({
  resourceType: 'StructureDefinition',
  url: `http://example.org/StructureDefinition/${tail}`,
  name,
  status: 'draft',
  kind: 'resource',
  abstract: false,
  type,
  baseDefinition: `${CORE}${type}`,
  derivation: 'constraint',
  ...over,
});

describe('Bundle.entry.fullUrl', () => {
  const bundle = (fullUrl: string): R => ({
    resourceType: 'Bundle',
    type: 'collection',
    entry: [{ fullUrl, resource: { resourceType: 'Basic', id: 'b1', code: { text: 'x' } } }],
  });
  it('accepts a RESTful fullUrl ending in the type and id, and URNs', async () => {
    const v = await sharedValidator();
    expect(errors(v.validate(bundle('http://example.org/fhir/Basic/b1')))).toEqual([]);
    expect(errors(v.validate(bundle('urn:uuid:6b0a4e2c-1f7e-4f0e-9d7c-2f1f3c0a9b11')))).toEqual([]);
  });
  it('rejects a RESTful fullUrl whose id differs from the resource id', async () => {
    const v = await sharedValidator();
    const found = errors(v.validate(bundle('http://example.org/fhir/Basic/b2')));
    expect(found.map((i) => i.expression[0])).toEqual(['Bundle.entry[0]']);
    expect(found[0].diagnostics).toMatch(/must end with the correct type and id \(\/Basic\/b1\)/);
  });
});

const SIGNED = `${CORPORA}/fhir-test-cases/validator/signatures/example-1.json`;

describe('Bundle.signature (JWS with its payload, R4 Signature and json#document canonicalization)', () => {
  const signed = () => JSON.parse(readFileSync(SIGNED, 'utf8')) as R;
  const jws = (b: R) => Buffer.from(b.signature.data, 'base64').toString('utf8').split('.');
  it('accepts a Bundle whose JWS verifies against its x5c certificate and whose payload is the Bundle', async () => {
    expect(errors((await sharedValidator()).validate(signed())).filter((i) => i.expression[0] === 'Bundle.signature')).toEqual([]);
  });
  it('rejects a Bundle changed after signing, naming where it differs from the signed payload', async () => {
    const b = signed();
    b.type = b.type === 'document' ? 'collection' : 'document';
    expect(errors((await sharedValidator()).validate(b)).filter((i) => i.expression[0] === 'Bundle.signature').map((i) => i.diagnostics)).toEqual([
      expect.stringMatching(/signed content .* differ at \$\.type/),
    ]);
  });
  it('rejects a JWS whose signature value does not verify', async () => {
    const b = signed();
    const [h, p, sig] = jws(b);
    const flipped = Buffer.from(sig, 'base64url');
    flipped[0] ^= 0xff;
    b.signature.data = Buffer.from(`${h}.${p}.${flipped.toString('base64url')}`).toString('base64');
    expect(errors((await sharedValidator()).validate(b)).filter((i) => i.expression[0] === 'Bundle.signature').map((i) => i.diagnostics)).toEqual([
      expect.stringMatching(/does not verify against the certificate/),
    ]);
  });
});

describe('SearchParameter and CapabilityStatement against core search parameters', () => {
  const sp = (over: R): R => ({
    resourceType: 'SearchParameter',
    url: 'http://example.org/SearchParameter/org-name',
    name: 'OrgName',
    status: 'active',
    description: 'x',
    code: 'name',
    base: ['Organization'],
    type: 'string',
    expression: 'Organization.name',
    derivedFrom: 'http://hl7.org/fhir/SearchParameter/Organization-name',
    ...over,
  });
  it('accepts a parameter derived with the same type and base', async () => {
    expect(errors((await sharedValidator()).validate(sp({})))).toEqual([]);
  });
  it('rejects a changed type or a base the parent does not have', async () => {
    const v = await sharedValidator();
    expect(errors(v.validate(sp({ type: 'token' }))).map((i) => i.expression[0])).toEqual(['SearchParameter.type']);
    expect(errors(v.validate(sp({ base: ['Patient'] }))).map((i) => i.expression[0])).toEqual(['SearchParameter.base[0]']);
  });
  it('checks CapabilityStatement searchParam types against their definitions', async () => {
    const v = await sharedValidator();
    const cs = (type: string): R => ({
      resourceType: 'CapabilityStatement',
      status: 'active',
      date: '2026-01-01',
      kind: 'instance',
      fhirVersion: '4.0.1',
      format: ['json'],
      implementation: { description: 'x' },
      rest: [{ mode: 'server', resource: [{ type: 'Patient', searchParam: [{ name: 'birthdate', definition: 'http://hl7.org/fhir/SearchParameter/individual-birthdate', type }] }] }],
    });
    expect(errors(v.validate(cs('date')))).toEqual([]);
    expect(errors(v.validate(cs('token'))).map((i) => i.expression[0])).toEqual(['CapabilityStatement.rest[0].resource[0].searchParam[0]']);
  });
});

describe('MeasureReport against its Measure', () => {
  const measure: R = {
    resourceType: 'Measure',
    url: 'http://example.org/Measure/beds',
    status: 'active',
    scoring: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/measure-scoring', code: 'cohort' }] },
  };
  const report = (group: R): R => ({
    resourceType: 'MeasureReport',
    status: 'complete',
    type: 'summary',
    measure: measure.url,
    period: { start: '2026-01-01', end: '2026-01-31' },
    group: [group],
  });
  it('rejects a measureScore for a cohort measure and accepts the population count alone', async () => {
    const v = await createValidator({ resources: [measure as never] });
    expect(errors(v.validate(report({ population: [{ count: 10 }] })))).toEqual([]);
    expect(errors(v.validate(report({ population: [{ count: 10 }], measureScore: { value: 10 } }))).map((i) => i.expression[0])).toEqual([
      'MeasureReport.group[0].measureScore',
    ]);
  });
  it('rejects a stratum measureScore for a cohort measure (calculated as for the group)', async () => {
    const v = await createValidator({ resources: [measure as never] });
    const stratum = (over: R) => ({ value: { text: 'male' }, population: [{ count: 4 }], ...over });
    const strata = (...s: R[]) => report({ population: [{ count: 10 }], stratifier: [{ stratum: s }] });
    expect(errors(v.validate(strata(stratum({}))))).toEqual([]);
    expect(errors(v.validate(strata(stratum({}), stratum({ measureScore: { value: 4 } })))).map((i) => i.expression[0])).toEqual([
      'MeasureReport.group[0].stratifier[0].stratum[1].measureScore',
    ]);
  });
});

describe('submitted StructureDefinitions', () => {
  const sd = (over: R, elements: R[]): R => ({
    ...constraintOn('Observation', 'obs', 'Obs'),
    differential: { element: [{ id: 'Observation', path: 'Observation' }, ...elements] },
    ...over,
  });
  it('accepts renamed choices, datatype paths and discriminators that exist', async () => {
    const v = await sharedValidator();
    const ok = sd({}, [
      { id: 'Observation.valueQuantity', path: 'Observation.valueQuantity', min: 1 },
      { id: 'Observation.valueQuantity.code', path: 'Observation.valueQuantity.code', min: 1 },
      { id: 'Observation.code.coding', path: 'Observation.code.coding', slicing: { discriminator: [{ type: 'value', path: 'system' }], rules: 'open' } },
      { id: 'Observation.component.extension', path: 'Observation.component.extension', slicing: { discriminator: [{ type: 'value', path: 'url' }], rules: 'open' } },
    ]);
    expect(errors(v.validate(ok))).toEqual([]);
  });
  it('rejects a path naming no element and a discriminator path the sliced type lacks', async () => {
    const v = await sharedValidator();
    const bad = sd({}, [
      { id: 'Observation.valueBla', path: 'Observation.valueBla' },
      { id: 'Observation.extension', path: 'Observation.extension', slicing: { discriminator: [{ type: 'value', path: 'type' }], rules: 'open' } },
    ]);
    expect(errors(v.validate(bad)).map((i) => i.expression[0])).toEqual([
      'StructureDefinition.differential.element[1].path',
      'StructureDefinition.differential.element[2].slicing.discriminator[0]',
    ]);
  });
  it('rejects an extension that changes the fixed url of the extension it derives from', async () => {
    const base: R = {
      ...constraintOn('Extension', 'ext-base', 'ExtBase', { kind: 'complex-type', context: [{ type: 'element', expression: 'Element' }] }),
      differential: { element: [{ id: 'Extension.url', path: 'Extension.url', fixedUri: 'http://example.org/StructureDefinition/ext-base' }] },
    };
    const derived: R = { ...base, url: 'http://example.org/StructureDefinition/ext-derived', name: 'ExtDerived', baseDefinition: base.url };
    const v = await createValidator({ resources: [base as never] });
    derived.differential = { element: [{ id: 'Extension.url', path: 'Extension.url', fixedUri: base.url }] };
    expect(errors(v.validate(derived))).toEqual([]);
    derived.differential = { element: [{ id: 'Extension.url', path: 'Extension.url', fixedUri: derived.url }] };
    expect(errors(v.validate(derived)).map((i) => i.expression[0])).toEqual(['StructureDefinition.differential.element[0].fixedUri']);
  });
});

describe('QuestionnaireResponse answers against value sets', () => {
  const questionnaire = (item: R): R => ({ resourceType: 'Questionnaire', url: 'http://example.org/Questionnaire/q', status: 'active', item: [item] });
  const qr = (answer: R): R => ({
    resourceType: 'QuestionnaireResponse',
    questionnaire: 'http://example.org/Questionnaire/q',
    status: 'completed',
    item: [{ linkId: 'q1', answer: [answer] }],
  });
  it('checks coding answers (membership and display) against an answerValueSet expanded locally', async () => {
    const v = await createValidator({
      resources: [questionnaire({ linkId: 'q1', type: 'choice', answerValueSet: 'http://hl7.org/fhir/ValueSet/administrative-gender' }) as never],
    });
    const gender = (code: string, display?: string) => qr({ valueCoding: { system: 'http://hl7.org/fhir/administrative-gender', code, display } });
    expect(errors(v.validate(gender('female', 'Female')))).toEqual([]);
    expect(errors(v.validate(gender('female', ' female ')))).toEqual([]);
    expect(errors(v.validate(gender('female', 'Male'))).map((i) => i.diagnostics)).toEqual([expect.stringMatching(/Wrong Display Name 'Male'/)]);
    expect(errors(v.validate(gender('girl'))).map((i) => i.diagnostics)).toEqual([expect.stringMatching(/not in the options value set/)]);
  });
  it('checks ISO 3166 country displays against the R4 list of alpha-2 codes (ValueSet iso3166-1-2)', async () => {
    const v = await createValidator({
      resources: [questionnaire({ linkId: 'q1', type: 'choice', answerValueSet: 'http://hl7.org/fhir/ValueSet/jurisdiction' }) as never],
    });
    const country = (code: string, display: string) => qr({ valueCoding: { system: 'urn:iso:std:iso:3166', code, display } });
    expect(errors(v.validate(country('AU', 'Australia')))).toEqual([]);
    expect(errors(v.validate(country('BD', 'Australia'))).map((i) => i.diagnostics)).toEqual([expect.stringMatching(/Valid display is 'Bangladesh'/)]);
    // alpha-3 codes have no display list in R4: not judged
    expect(errors(v.validate(country('AUS', 'Oz')))).toEqual([]);
  });
  it('checks string answers against the codes of an answerValueSet (R4 que-5 allows it on string items)', async () => {
    const item = (type: string, answerValueSet: string) => createValidator({ resources: [questionnaire({ linkId: 'q1', type, answerValueSet }) as never] });
    const text = (valueString: string) => qr({ valueString });
    const gender = await item('string', 'http://hl7.org/fhir/ValueSet/administrative-gender');
    expect(errors(gender.validate(text('female')))).toEqual([]);
    expect(errors(gender.validate(text('woman'))).map((i) => i.expression[0])).toEqual(['QuestionnaireResponse.item[0].answer[0].valueString']);
    // jurisdiction: ISO 3166-1 codes, ISO 3166-2 and UN M49 code shapes decide what cannot be a member
    const jurisdiction = await item('string', 'http://hl7.org/fhir/ValueSet/jurisdiction');
    for (const ok of ['AU', 'AUS', '036', 'AU-NSW', '001']) expect(errors(jurisdiction.validate(text(ok)))).toEqual([]);
    expect(errors(jurisdiction.validate(text('Australia'))).map((i) => i.diagnostics)).toEqual([expect.stringMatching(/not in the list of allowed values/)]);
    // open-choice takes free text
    expect(errors((await item('open-choice', 'http://hl7.org/fhir/ValueSet/jurisdiction')).validate(text('Australia')))).toEqual([]);
  });
  it('checks quantity units against questionnaire-unitValueSet', async () => {
    const unitVs = (vs: string) =>
      questionnaire({ linkId: 'q1', type: 'quantity', extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/questionnaire-unitValueSet', valueCanonical: vs }] });
    const km = qr({ valueQuantity: { value: 10, unit: 'km', system: 'http://unitsofmeasure.org', code: 'km' } });
    // a value set of country codes can hold no UCUM unit
    const countries = await createValidator({ resources: [unitVs('http://hl7.org/fhir/ValueSet/jurisdiction') as never] });
    expect(errors(countries.validate(km)).map((i) => i.diagnostics)).toEqual([expect.stringMatching(/not in the unit value set/)]);
    // UCUM units in general cannot be enumerated here: not judged
    const ucum = await createValidator({ resources: [unitVs('http://hl7.org/fhir/ValueSet/ucum-units') as never] });
    expect(errors(ucum.validate(km))).toEqual([]);
  });
});

describe('profile rules', () => {
  it('applies a required additional binding (R5 extension on ElementDefinition.binding)', async () => {
    const vs: R = {
      resourceType: 'ValueSet',
      url: 'http://example.org/ValueSet/internal',
      status: 'active',
      compose: { include: [{ system: 'http://loinc.org', concept: [{ code: '100065-2' }] }] },
    };
    const profile: R = {
      ...constraintOn('Observation', 'obs-ab', 'ObsAb'),
      differential: {
        element: [
          {
            id: 'Observation.code',
            path: 'Observation.code',
            binding: {
              strength: 'example',
              valueSet: 'http://hl7.org/fhir/ValueSet/observation-codes',
              extension: [
                {
                  url: 'http://hl7.org/fhir/5.0/StructureDefinition/extension-ElementDefinition.binding.additional',
                  extension: [
                    { url: 'purpose', valueCode: 'required' },
                    { url: 'valueSet', valueCanonical: vs.url },
                  ],
                },
              ],
            },
          },
        ],
      },
    };
    const v = await createValidator({ resources: [vs, profile] as never });
    const obs = (code: string): R => ({ resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code }] } });
    expect(errors(v.validate(obs('100065-2'), { profiles: [profile.url] }))).toEqual([]);
    expect(errors(v.validate(obs('100066-0'), { profiles: [profile.url] })).map((i) => i.expression[0])).toEqual(['Observation.code']);
  });

  it('matches a value discriminator from a fixed value on the slice itself and enforces it exactly', async () => {
    const profile: R = {
      ...constraintOn('Practitioner', 'prac', 'Prac'),
      differential: {
        element: [
          { id: 'Practitioner.telecom', path: 'Practitioner.telecom', slicing: { discriminator: [{ type: 'value', path: 'use' }], rules: 'open' }, min: 1 },
          { id: 'Practitioner.telecom:home', path: 'Practitioner.telecom', sliceName: 'home', min: 1, max: '1', fixedContactPoint: { use: 'home' } },
        ],
      },
    };
    const v = await createValidator({ resources: [profile as never] });
    const prac = (telecom: R[]): R => ({ resourceType: 'Practitioner', telecom });
    expect(errors(v.validate(prac([{ use: 'home' }]), { profiles: [profile.url] }))).toEqual([]);
    expect(errors(v.validate(prac([{ use: 'home', system: 'phone' }]), { profiles: [profile.url] })).map((i) => i.expression[0])).toEqual([
      'Practitioner.telecom[0]',
    ]);
    expect(errors(v.validate(prac([{ use: 'work' }]), { profiles: [profile.url] })).map((i) => i.diagnostics)).toEqual([
      expect.stringMatching(/Slice 'home'.*minimum required = 1/),
    ]);
  });

  it('checks Reference.targetProfile on a reference resolved inside the Bundle', async () => {
    const patient: R = {
      ...constraintOn('Patient', 'pat-id', 'PatId'),
      differential: { element: [{ id: 'Patient.identifier', path: 'Patient.identifier', min: 1 }] },
    };
    const cond: R = {
      ...patient,
      url: 'http://example.org/StructureDefinition/cond',
      name: 'Cond',
      type: 'Condition',
      baseDefinition: `${CORE}Condition`,
      differential: { element: [{ id: 'Condition.subject', path: 'Condition.subject', type: [{ code: 'Reference', targetProfile: [patient.url] }] }] },
    };
    const v = await createValidator({ resources: [patient, cond] as never });
    const bundle = (pat: R): R => ({
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        { fullUrl: 'http://example.org/fhir/Patient/p1', resource: { resourceType: 'Patient', id: 'p1', ...pat } },
        {
          fullUrl: 'http://example.org/fhir/Condition/c1',
          resource: { resourceType: 'Condition', id: 'c1', meta: { profile: [cond.url] }, subject: { reference: 'Patient/p1' } },
        },
      ],
    });
    const withConditionAsRoot = (b: R) => ({ ...b.entry[1].resource, contained: [{ ...b.entry[0].resource, id: 'p1' }], subject: { reference: '#p1' } });
    expect(errors(v.validate(withConditionAsRoot(bundle({ identifier: [{ value: '1' }] }))))).toEqual([]);
    expect(errors(v.validate(withConditionAsRoot(bundle({ name: [{ family: 'X' }] })))).map((i) => i.expression[0])).toEqual(['Condition.subject']);
    // unresolvable references are not judged
    expect(errors(v.validate({ resourceType: 'Condition', meta: { profile: [cond.url] }, subject: { reference: 'Patient/elsewhere' } }))).toEqual([]);
  });

  it('warns, without judging, when a resolved reference target has only target profiles the server does not know', async () => {
    const cond: R = {
      ...constraintOn('Condition', 'cond-unknown-target', 'CondUnknownTarget'),
      differential: {
        element: [{ id: 'Condition.subject', path: 'Condition.subject', type: [{ code: 'Reference', targetProfile: ['http://example.org/StructureDefinition/nowhere'] }] }],
      },
    };
    const v = await createValidator({ resources: [cond] as never });
    const issues = v.validate({
      resourceType: 'Condition',
      meta: { profile: [cond.url] },
      contained: [{ resourceType: 'Patient', id: 'p1', active: true }],
      subject: { reference: '#p1' },
    });
    expect(errors(issues)).toEqual([]);
    expect(issues.filter((i) => i.code === 'not-supported').map((i) => i.expression[0])).toEqual(['Condition.subject']);
  });
});
