// Shapes shared by the clinical rules: normalised medication entries, findings and review input.
import type { Ingredient, Product } from './kb-types.ts';

export type MedicationEntry = fhir4.MedicationRequest | fhir4.MedicationStatement;

/** How the ingredient was found: a known RxNorm code, or a best-effort name match on text only. */
export type Confidence = 'code' | 'name' | 'none';

export interface NormalizedMedication {
  resource: MedicationEntry;
  /** Canonical RxNorm ingredients (IN), salts and brands rolled up. */
  ingredients: Ingredient[];
  /** The most specific product found (SCD/SBD/pack/BN); an SBD also gives its generic `scd`. */
  product?: Product;
  /** Strength per dose unit when known (from the SCD, SCDC or the text). */
  strength?: { value: number; unit: string };
  confidence: Confidence;
  text: string;
  doseForm?: string;
  route?: string;
  /** Administrations per day (max of a range; PRN counted at the most frequent allowed). */
  frequencyPerDay?: number;
  /** Daily dose in mg per ingredient RxCUI (basis of strength as RxNorm states it: sometimes the salt). */
  dailyMg: Map<string, number>;
  asNeeded: boolean;
  start?: Date;
  status: string;
  isDraft: boolean;
  /** Normalisation caveats surfaced in findings (unknown code, supplement code, name match …). */
  notes: string[];
}

export type Severity = 'high' | 'moderate' | 'low';

export type FindingKind =
  | 'interaction' | 'duplicate' | 'dose-max' | 'dose-max-age'
  | 'monitoring-overdue' | 'monitoring-out-of-range'
  | 'mbc-response' | 'mbc-remission' | 'mbc-worsening';

export interface Finding {
  kind: FindingKind;
  /** DetectedIssue.code coding (v3-ActCode or the Titrate finding code system). */
  code: fhir4.Coding;
  severity: Severity;
  /** One line, < 140 characters (CDS card summary). */
  summary: string;
  /** Full text; says so when the finding rests on an unverified knowledge-base entry. */
  detail: string;
  /** Citation text copied from the data file entry. */
  source: string;
  sourceUrl?: string;
  verified: boolean;
  ruleId: string;
  medications: NormalizedMedication[];
  /** For monitoring and MBC findings: the latest relevant Observation, if any. */
  observations: fhir4.Observation[];
  /** A safer dose when one exists (e.g. citalopram 20 mg/day over 60). */
  suggestedDailyMg?: number;
}

export type DueStatus = 'overdue' | 'due' | 'ok';

/** One monitoring check for the Monitoring view: what is due, when, and whether it is overdue. */
export interface MonitoringDue {
  ruleId: string;
  protocol: string;
  test: string;
  loinc: string[];
  medications: NormalizedMedication[];
  last?: fhir4.Observation;
  lastDate?: Date;
  /** When the check is (or was) due. */
  dueDate: Date;
  status: DueStatus;
  /** Why this date, e.g. "at least every 6 months", "12-week check", "every 7 days (month 3 of therapy)". */
  basis: string;
  verified: boolean;
  source: string;
}

export interface ReviewInput {
  patient: fhir4.Patient;
  medicationRequests: MedicationEntry[];
  medications: fhir4.Medication[];
  observations: fhir4.Observation[];
  now: Date;
}

export const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
export const FINDING_CODE = 'http://titrate.health/fhir/CodeSystem/finding';

/** Thrown for input a rule cannot work with (e.g. a taper without a dose); the HTTP layer maps it to 400. */
export class ClinicalInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClinicalInputError';
  }
}
