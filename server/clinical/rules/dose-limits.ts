// Dose above the label maximum (DOSEH) and above an age-dependent maximum (DOSEHINDA) from psych-meds.json.
import type { KnowledgeBase } from '../kb-types.ts';
import { makeFinding } from '../finding.ts';
import type { Finding, NormalizedMedication } from '../types.ts';

export function ageInYears(birthDate: string | undefined, now: Date): number | undefined {
  if (!birthDate) return undefined;
  const [y, m = 1, d = 1] = birthDate.split('-').map(Number);
  let age = now.getUTCFullYear() - y;
  if (now.getUTCMonth() + 1 < m || (now.getUTCMonth() + 1 === m && now.getUTCDate() < d)) age -= 1;
  return age;
}

export function findDoseLimits(meds: NormalizedMedication[], kb: KnowledgeBase, age: number | undefined): Finding[] {
  const findings: Finding[] = [];
  for (const med of meds) {
    for (const [rxcui, mg] of med.dailyMg) {
      const entry = kb.meds.get(rxcui);
      if (!entry) continue;
      const verified = entry.verified && entry.doseVerified;
      const prn = med.asNeeded ? ' (as needed, at the most frequent allowed use)' : '';
      if (entry.maxDailyMg !== null && mg > entry.maxDailyMg) {
        findings.push(makeFinding({
          kind: 'dose-max', severity: 'moderate', ruleId: `DOSE-MAX-${entry.name}`, verified, source: entry.doseSource,
          medications: [med], suggestedDailyMg: entry.maxDailyMg,
          summary: `${entry.name} ${mg} mg/day exceeds the maximum of ${entry.maxDailyMg} mg/day`,
          detail: `Daily dose of ${entry.name} is ${mg} mg${prn}; the maximum in the knowledge base is ${entry.maxDailyMg} ${entry.maxDailyUnit}.`,
        }));
      }
      for (const limit of entry.ageMaxima) {
        if (age === undefined || age <= limit.olderThan || mg <= limit.maxDailyMg) continue;
        findings.push(makeFinding({
          kind: 'dose-max-age', severity: 'moderate', ruleId: `DOSE-AGE-${entry.name}`, verified, source: entry.doseSource,
          medications: [med], suggestedDailyMg: limit.maxDailyMg,
          summary: `${entry.name} ${mg} mg/day exceeds ${limit.maxDailyMg} mg/day for age over ${limit.olderThan} (patient ${age})`,
          detail: `Patient is ${age} years old; ${entry.name} ${mg} mg/day${prn}. Label caveat: "${limit.text}". Reduce to ${limit.maxDailyMg} mg/day.`,
        }));
      }
    }
  }
  return findings;
}
