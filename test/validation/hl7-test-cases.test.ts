// Agreement with the HL7 Java validator on the R4 JSON cases of FHIR/fhir-test-cases that need no
// external package or terminology server (shared/corpora/fhir-test-cases, manifest-r4-json.summary.json).
import path from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createValidator } from '../../server/validation/validator.ts';
import { isError, type ValidateOptions } from '../../server/validation/types.ts';
import { sharedValidator } from './builders.ts';

// ../shared beside the project root (the brief's layout), wherever the checkout lives.
const CORPORA = path.resolve(import.meta.dirname, '../../../shared/corpora');
const ROOT = `${CORPORA}/fhir-test-cases/`;

interface Case {
  name: string;
  file: string;
  module: string;
  useTest: boolean;
  packages: string[];
  supporting: string[];
  profile: string | null;
  profileOutcome: string | null;
  filesPresent: boolean;
  txDependent: boolean;
  expected: { errors: number };
}

/**
 * Runs where the Java validator reports an error and Titrate does not, each with the reason
 * (`name` for the base run, `name#profile` for the run against the case's profile).
 */
const KNOWN_ACCEPTED: Record<string, string> = {
  'obs-temp-bad':
    'the Java validator applies the core bodytemp profile to an Observation coded only with SNOMED CT 276885007 (no claim, no LOINC code); Titrate checks claimed profiles only',
  'parameters-reference-bad': 'run with validateReference=CHECK_EXISTS_AND_TYPE (resolving references on a server)',
  'pat-dob-ext': 'unknown non-HL7 extension: Titrate warns (EHR facades carry vendor extensions), Java errors',
  'target-ref-profile-empty': 'unknown non-HL7 extensions: Titrate warns, Java errors',
  'uuid-extension': 'unknown non-HL7 extension (definition only in XML) and a SNOMED CT code check',
  'nested-questionnaire-nested-valueset': 'SDC extension (hl7.org/fhir/uv/sdc) not loaded: Titrate warns, Java errors',
  'bundle-id-5': 'only error is a wrong CVX display name: needs terminology content',
  'uk-msg': 'SNOMED CT UK display and code checks: needs terminology content',
  'ips-nz-pj': 'LOINC display name checks: needs terminology content',
  'sdoh-type-slice': 'LOINC display name check: needs terminology content',
  'mr-covid-m2': 'SNOMED CT display name check: needs terminology content',
  'ab-list-slicing':
    'only error is a narrative hyperlink (#a/b) that does not resolve; not checked: US Core example Bundles and official CodeSystems carry such links to anchors outside their own div',
  'encounter-period':
    'per-1 on start 2023-06-21 (date) vs end 2023-06-21T06:20Z: FHIRPath returns empty (different precision, unknown) and R5 per-1 (start.lowBoundary() <= end.highBoundary()) holds; Titrate lets an empty result pass, the Java validator counts empty as failed',
  'res-inv-example-good#profile':
    'the Organization profile restricts endpoint to a target profile that is not loaded (smart-app-launch user-access-endpoint): Titrate warns that the reference was not checked, Java errors',
};

/** Runs the Java validator accepts and Titrate rejects, with the reason. */
const KNOWN_REJECTED: Record<string, string> = {
  'contained-resource-bad-id-ignore': 'run with validateContains=IGNORE; Titrate always validates contained resources (65-char id)',
};

/** JSON with comments: the Java validator's allow-comments mode; Titrate's HTTP layer never allows them */
function stripComments(text: string): string {
  return text.replace(/("(?:\\.|[^"\\])*")|\/\/[^\n]*|\/\*[\s\S]*?\*\//g, (_m, str) => str ?? '');
}

const readJson = (file: string) => JSON.parse(readFileSync(`${ROOT}validator/${file}`, 'utf8'));
const errorCount = (outcome: string) =>
  (readJson(outcome).issue ?? []).filter((i: { severity: string }) => i.severity === 'error' || i.severity === 'fatal').length;

// The corpus is required: a missing manifest fails here rather than skipping the suite.
const cases: Case[] = (JSON.parse(readFileSync(`${ROOT}manifest-r4-json.summary.json`, 'utf8')).cases as Case[]).filter(
  (c) => c.filesPresent && !c.txDependent && !c.packages.length && c.useTest,
);
/** per-case validator modes from the upstream manifest that Titrate also has */
const manifest = new Map<string, Record<string, unknown>>(
  (readJson('manifest.json')['test-cases'] as Record<string, unknown>[]).map((c) => [c.name as string, c]),
);

interface Run {
  id: string;
  baseOnly: boolean;
  agree: boolean;
  expectInvalid: boolean;
}

async function runCase(c: Case): Promise<Run[]> {
  const m = manifest.get(c.name) ?? {};
  const modes: ValidateOptions = {
    securityChecks: m['security-checks'] === true,
    noHtmlInMarkdown: m.noHtmlInMarkdown === true,
    allowExampleUrls: m.examples !== false,
  };
  let text = readFileSync(`${ROOT}validator/${c.file}`, 'utf8');
  if (m['allow-comments'] === true) text = stripComments(text);
  let resource: unknown;
  try {
    resource = JSON.parse(text);
  } catch {
    resource = undefined; // malformed JSON: a fatal issue at the HTTP layer
  }
  // supporting conformance resources in XML cannot be read here; the JSON ones are loaded
  const supporting = c.supporting.filter((f) => f.endsWith('.json')).map(readJson) as fhir4.Resource[];
  const byUrl = new Map(supporting.map((r) => [(r as { url?: string }).url, r]));
  const resolveCanonical = (url: string) => byUrl.get(url);
  const validate = async (resources: fhir4.Resource[], opts: ValidateOptions) => {
    if (resource === undefined) return true;
    const v = resources.length ? await createValidator({ resources }) : await sharedValidator();
    return v.validate(resource, { ...modes, resolveCanonical, ...opts }).some(isError);
  };
  const runs: Run[] = [];
  const baseInvalid = await validate(supporting, {});
  const expectInvalid = c.expected.errors > 0;
  runs.push({ id: c.name, baseOnly: !c.supporting.length && !c.profile, agree: baseInvalid === expectInvalid, expectInvalid });
  if (c.profile?.endsWith('.json') && c.profileOutcome && existsSync(`${ROOT}validator/${c.profileOutcome}`)) {
    const profile = readJson(c.profile) as fhir4.StructureDefinition;
    // the profile's own supporting resources (profiles of its references, value sets), as for the Java run
    const profileSupport = (((m.profile as { supporting?: string[] } | undefined)?.supporting ?? []) as string[])
      .filter((f) => f.endsWith('.json'))
      .map(readJson) as fhir4.Resource[];
    const invalid = await validate([...supporting, ...profileSupport, profile], { profiles: [profile.url] });
    const expected = errorCount(c.profileOutcome) > 0;
    runs.push({ id: `${c.name}#profile`, baseOnly: false, agree: invalid === expected, expectInvalid: expected });
  }
  return runs;
}

describe('HL7 validator test cases (R4 JSON, no packages, no terminology server)', () => {
  it('agrees with the Java validator on valid/invalid, with every difference listed and explained', async () => {
    const runs: Run[] = [];
    for (const c of cases) runs.push(...(await runCase(c)));
    const pct = (rs: Run[]) => `${rs.filter((r) => r.agree).length}/${rs.length} (${((100 * rs.filter((r) => r.agree).length) / rs.length).toFixed(1)} %)`;
    const inScope = runs.filter((r) => !KNOWN_ACCEPTED[r.id] && !KNOWN_REJECTED[r.id]);
    console.log(
      `HL7 validator test cases: all runs ${pct(runs)}; base-only cases ${pct(runs.filter((r) => r.baseOnly))}; ` +
        `profile runs ${pct(runs.filter((r) => r.id.endsWith('#profile')))}; ` +
        `excluding the ${runs.length - inScope.length} listed differences ${pct(inScope)}`,
    );
    const unexpected = runs.filter((r) => !r.agree && !KNOWN_ACCEPTED[r.id] && !KNOWN_REJECTED[r.id]);
    expect(unexpected.map((r) => `${r.id} (${r.expectInvalid ? 'accepted an invalid case' : 'rejected a valid case'})`)).toEqual([]);
    const stale = runs.filter((r) => r.agree && (KNOWN_ACCEPTED[r.id] || KNOWN_REJECTED[r.id]));
    expect(stale.map((r) => `${r.id} now agrees: remove it from the known differences`)).toEqual([]);
    expect(runs.filter((r) => r.agree).length / runs.length).toBeGreaterThanOrEqual(0.95);
  });
});
