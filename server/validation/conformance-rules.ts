// Rules on submitted conformance and measure resources that need another resource they point at:
// SearchParameter.derivedFrom (https://hl7.org/fhir/R4/searchparameter.html), CapabilityStatement
// searchParam definitions (https://hl7.org/fhir/R4/capabilitystatement.html) and MeasureReport against its
// Measure (https://hl7.org/fhir/R4/measurereport.html). Core SearchParameters come from the official R4
// definitions (hl7.fhir.r4.examples Bundle-searchParams.json), read on first use only.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ValidationIssue } from './types.ts';

export type ResolveCanonical = (url: string) => Record<string, any> | undefined;

let coreSearchParams: Map<string, Record<string, any>> | undefined;

/** the 1,375 search parameters defined by FHIR R4, by canonical URL */
export function coreSearchParameter(url: string): Record<string, any> | undefined {
  if (!coreSearchParams) {
    coreSearchParams = new Map();
    try {
      const dir = dirname(createRequire(import.meta.url).resolve('hl7.fhir.r4.examples/package.json'));
      const bundle = JSON.parse(readFileSync(join(dir, 'Bundle-searchParams.json'), 'utf8')) as fhir4.Bundle;
      for (const e of bundle.entry ?? []) {
        const sp = e.resource as fhir4.SearchParameter | undefined;
        if (sp?.url) coreSearchParams.set(sp.url, sp as unknown as Record<string, any>);
      }
    } catch {
      // package absent: the rules below are skipped for core parameters
    }
  }
  return coreSearchParams.get(url);
}

const canonicalOf = (v: unknown) => (typeof v === 'string' ? v.split('|')[0] : undefined);
const arr = (v: unknown): any[] => (Array.isArray(v) ? v : []);

function lookup(resolve: ResolveCanonical, url: unknown, type: string): Record<string, any> | undefined {
  const u = canonicalOf(url);
  if (!u) return undefined;
  const hit = resolve(u) ?? (type === 'SearchParameter' ? coreSearchParameter(u) : undefined);
  return hit?.resourceType === type ? hit : undefined;
}

/** SearchParameter.derivedFrom: a derived parameter keeps the type and the bases of the one it derives from */
export function checkSearchParameter(sp: Record<string, any>, path: string, resolve: ResolveCanonical): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const parent = lookup(resolve, sp.derivedFrom, 'SearchParameter');
  if (!parent) return issues;
  const from = canonicalOf(sp.derivedFrom);
  if (typeof sp.type === 'string' && typeof parent.type === 'string' && sp.type !== parent.type) {
    issues.push({
      severity: 'error',
      code: 'invalid',
      diagnostics: `The type ${sp.type} is different to the type ${parent.type} of ${from} in the derivedFrom SearchParameter`,
      expression: [`${path}.type`],
    });
  }
  const bases = new Set(arr(parent.base));
  // a parameter on Resource or DomainResource applies to every resource type
  if (!bases.has('Resource') && !bases.has('DomainResource')) {
    arr(sp.base).forEach((b, i) => {
      if (typeof b === 'string' && !bases.has(b)) {
        issues.push({
          severity: 'error',
          code: 'invalid',
          diagnostics: `The resource type ${b} is not listed as a base in the SearchParameter this is derived from (${from})`,
          expression: [`${path}.base[${i}]`],
        });
      }
    });
  }
  return issues;
}

/** CapabilityStatement.rest.resource.searchParam: the declared type agrees with the definition's type */
export function checkCapabilityStatement(cs: Record<string, any>, path: string, resolve: ResolveCanonical): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  arr(cs.rest).forEach((rest, r) =>
    arr(rest?.resource).forEach((res, i) =>
      arr(res?.searchParam).forEach((p, j) => {
        const def = lookup(resolve, p?.definition, 'SearchParameter');
        if (!def || typeof p.type !== 'string' || typeof def.type !== 'string' || def.type === p.type) return;
        issues.push({
          severity: 'error',
          code: 'invalid',
          diagnostics: `Type mismatch - SearchParameter '${p.definition}' type is ${def.type}, but type here is ${p.type}`,
          expression: [`${path}.rest[${r}].resource[${i}].searchParam[${j}]`],
        });
      }),
    ),
  );
  return issues;
}

const SCORING = 'http://terminology.hl7.org/CodeSystem/measure-scoring';

/**
 * MeasureReport.group.measureScore and group.stratifier.stratum.measureScore: both are "calculated as
 * appropriate for the measure type and scoring method"; a cohort measure has no score (its result is the
 * population count, in a stratum stratum.population.count)
 */
export function checkMeasureReport(mr: Record<string, any>, path: string, resolve: ResolveCanonical): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const measure = lookup(resolve, mr.measure, 'Measure');
  if (!measure) return issues;
  const scoring = arr(measure.scoring?.coding).find((c) => c?.system === SCORING)?.code;
  if (scoring !== 'cohort') return issues;
  const noScore = (where: string) =>
    issues.push({ severity: 'error', code: 'invalid', diagnostics: `No measureScore when the scoring of the Measure is 'cohort'`, expression: [where] });
  arr(mr.group).forEach((g, i) => {
    if (g?.measureScore !== undefined) noScore(`${path}.group[${i}].measureScore`);
    arr(g?.stratifier).forEach((s, j) =>
      arr(s?.stratum).forEach((st, k) => {
        if (st?.measureScore !== undefined) noScore(`${path}.group[${i}].stratifier[${j}].stratum[${k}].measureScore`);
      }),
    );
  });
  return issues;
}
