// Data and requests for the benchmark scenarios: a 30-drug patient with 500 observations, SMART backend tokens.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

const ROOT = path.resolve(import.meta.dirname, '..');
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';

interface KbMed {
  name: string;
  rxnorm?: { rxcui?: string };
}

/** A transaction creating one patient on 30 psychotropics (codes from knowledge/) and 500 lab/scale observations. */
export function thirtyDrugPatientBundle(patientId: string): string {
  const meds = (JSON.parse(fs.readFileSync(path.join(ROOT, 'knowledge/psych-meds.json'), 'utf8')) as KbMed[])
    .filter((m) => m.rxnorm?.rxcui)
    .slice(0, 30);
  const subject = { reference: `Patient/${patientId}` };
  const entry: unknown[] = [
    { resource: { resourceType: 'Patient', id: patientId, birthDate: '1958-04-04', gender: 'male', name: [{ family: 'Benchmark' }] }, request: { method: 'PUT', url: `Patient/${patientId}` } },
  ];
  meds.forEach((m, i) =>
    entry.push({
      resource: {
        resourceType: 'MedicationRequest', status: 'active', intent: 'order', subject, authoredOn: '2026-03-01',
        medicationCodeableConcept: { coding: [{ system: RXNORM, code: m.rxnorm!.rxcui, display: m.name }] },
        dosageInstruction: [{ timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd' } }, doseAndRate: [{ doseQuantity: { value: 10 + i, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' } }] }],
      },
      request: { method: 'POST', url: 'MedicationRequest' },
    }),
  );
  const codes: [string, string, number][] = [['14334-7', 'mmol/L', 0.8], ['44261-6', '{score}', 12], ['4548-4', '%', 5.9], ['2093-3', 'mg/dL', 190], ['751-8', '10*3/uL', 2.4]];
  for (let i = 0; i < 500; i++) {
    const [code, unit, base] = codes[i % codes.length];
    entry.push({
      resource: {
        resourceType: 'Observation', status: 'final', subject,
        code: { coding: [{ system: 'http://loinc.org', code }] },
        effectiveDateTime: new Date(Date.UTC(2025, 0, 1) + i * 86_400_000).toISOString(),
        valueQuantity: { value: base + (i % 7) / 10, unit, system: 'http://unitsofmeasure.org', code: unit },
      },
      request: { method: 'POST', url: 'Observation' },
    });
  }
  return JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry });
}

export interface BackendClient {
  clientsFile: string;
  /** A fresh client assertion (new jti) for the token endpoint. */
  assertion(tokenUrl: string): Promise<string>;
}

/** A registered backend client with an ES384 key, written to a temporary SMART_CLIENTS file. */
export async function backendClient(): Promise<BackendClient> {
  const { publicKey, privateKey } = await generateKeyPair('ES384');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench-es384', alg: 'ES384' };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'titrate-bench-clients-'));
  const clientsFile = path.join(dir, 'clients.json');
  fs.writeFileSync(clientsFile, JSON.stringify({ clients: [{ client_id: 'bench', type: 'backend', jwks: { keys: [jwk] }, scope: 'system/*.cruds' }] }));
  return {
    clientsFile,
    assertion: (tokenUrl) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'ES384', kid: 'bench-es384', typ: 'JWT' })
        .setIssuer('bench')
        .setSubject('bench')
        .setAudience(tokenUrl)
        .setJti(randomUUID())
        .setIssuedAt()
        .setExpirationTime('4m')
        .sign(privateKey),
  };
}

export async function fetchToken(client: BackendClient, tokenUrl: string): Promise<string> {
  const res = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      scope: 'system/*.cruds',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await client.assertion(tokenUrl),
    }),
  });
  if (!res.ok) throw new Error(`token endpoint answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}
