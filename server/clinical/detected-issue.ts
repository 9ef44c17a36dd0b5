// Findings → Bundle (type collection) of DetectedIssue, exactly as SPEC §4 "$medication-review" describes.
// https://hl7.org/fhir/R4/detectedissue.html
import { createHash } from 'node:crypto';
import type { Finding, MedicationEntry } from './types.ts';

/** Deterministic UUID (name-based, SHA-1) so the same finding keeps the same id between calls. */
export function stableUuid(text: string): string {
  const h = createHash('sha1').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function findingKey(f: Finding): string {
  const ids = f.medications.map((m) => m.resource.id ?? m.text).sort().join(',');
  return `${f.ruleId}|${ids}|${f.observations.map((o) => o.id ?? '').join(',')}`;
}

function medicationReference(entry: MedicationEntry, contained: fhir4.FhirResource[], label: string): fhir4.Reference {
  if (entry.id && entry.id.length <= 64 && !entry.id.startsWith('#')) return { reference: `${entry.resourceType}/${entry.id}`, display: label };
  const localId = `med${contained.length + 1}`;
  contained.push({ ...entry, id: localId });
  return { reference: `#${localId}`, display: label };
}

function observationReference(o: fhir4.Observation): fhir4.Reference {
  return o.id ? { reference: `Observation/${o.id}`, display: o.code?.text ?? o.code?.coding?.[0]?.display } : { display: o.code?.text ?? o.code?.coding?.[0]?.display };
}

export function findingToDetectedIssue(f: Finding, patient: fhir4.Reference, now: Date): fhir4.DetectedIssue {
  const contained: fhir4.FhirResource[] = [];
  const implicated = [
    ...f.medications.map((m) => medicationReference(m.resource, contained, m.text)),
    ...f.observations.slice(0, 1).map(observationReference),
  ];
  const issue: fhir4.DetectedIssue = {
    resourceType: 'DetectedIssue',
    id: stableUuid(findingKey(f)),
    ...(contained.length ? { contained } : {}),
    status: 'final',
    code: { coding: [f.code], text: f.summary },
    severity: f.severity,
    patient,
    identifiedDateTime: now.toISOString(),
    implicated,
    evidence: [{
      code: [{ text: `Source: ${f.source}${f.verified ? '' : ' (unverified entry)'}` }],
      ...(f.observations.length ? { detail: f.observations.map(observationReference) } : {}),
    }],
    detail: f.detail,
    ...(f.sourceUrl ? { reference: f.sourceUrl } : {}),
  };
  return issue;
}

/** Bundle of DetectedIssues for $medication-review and $check. */
export function findingsToBundle(findings: Finding[], patientRef: fhir4.Reference | string, now: Date): fhir4.Bundle {
  const patient = typeof patientRef === 'string' ? { reference: patientRef } : patientRef;
  return {
    resourceType: 'Bundle',
    type: 'collection',
    timestamp: now.toISOString(),
    entry: findings.map((f) => {
      const resource = findingToDetectedIssue(f, patient, now);
      return { fullUrl: `urn:uuid:${resource.id}`, resource };
    }),
  };
}
