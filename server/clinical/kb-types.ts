// Types of the psychiatric knowledge base built from ../shared/reference/data/*.json (see kb.ts).

export const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
export const LOINC = 'http://loinc.org';

export interface Ingredient {
  rxcui: string;
  name: string;
}

/** One psych-meds.json entry, keyed by its ingredient RxCUI. */
export interface MedEntry {
  name: string;
  rxcui: string;
  className: string;
  subclass: string;
  maxDailyMg: number | null;
  maxDailyUnit: string;
  /** Age-dependent maxima parsed from the entry's caveats ("Max 20 mg/day if age >60 y"). */
  ageMaxima: { olderThan: number; maxDailyMg: number; text: string }[];
  typicalLowMg: number | null;
  codeVerified: boolean;
  doseVerified: boolean;
  verified: boolean;
  source: string;
  doseSource: string;
  caveats: string[];
}

export interface Strength {
  ingredient?: string;
  substance: string;
  value: number;
  unit: string;
}

/** An RxNorm product concept (SCD, SBD, GPCK, BPCK, BN) from rxnorm-subset.json. */
export interface Product {
  rxcui: string;
  tty: string;
  name: string;
  ingredients: Ingredient[];
  strength: Strength[];
  doseForm?: string;
  prefix?: string;
  brandName?: string;
  scd?: string;
  contains?: string[];
  /** From the eCQM supplement: a real code, not confirmed in the 2025-10-06 release. */
  supplement: boolean;
}

export interface RuleSide {
  classId?: string;
  members: Set<string>;
}

export interface InteractionRule {
  id: string;
  object: RuleSide;
  precipitant: RuleSide;
  severity: 'contraindicated' | 'major' | 'moderate' | 'minor';
  mechanism: string;
  effect: string;
  management: string;
  source: string;
  verified: boolean;
  /** Members whose own code is marked unverified in the data (e.g. amiodarone 703). */
  unverifiedMembers: Set<string>;
  notes?: string;
  /** DUP-* rules are therapeutic duplication, not pharmacological interaction. */
  duplicate: boolean;
}

export interface LoincEntry {
  system: string;
  code: string;
  display: string;
  source?: string;
  verified: boolean;
}

export interface MonitoringTarget {
  context: string;
  low: number | null;
  high: number | null;
  unit: string;
  verified: boolean;
  source?: string;
}

export interface MonitoringItem {
  test: string;
  loinc: LoincEntry[];
  timing?: string[];
  schedule?: string[];
  targets?: MonitoringTarget[];
  alerts?: { rule: string; action: string; verified: boolean; source?: string }[];
  bands?: { range: string; action: string; frequency: string }[];
  verified?: boolean;
  source?: string;
}

export interface MonitoringProtocol {
  id: string;
  applies_to?: { ingredients?: string[]; classes?: string[]; conditions?: string[]; population?: string };
  items: MonitoringItem[];
  source: string;
  verified: boolean;
  notes?: string | string[];
}

export interface Scale {
  id: string;
  name?: string;
  total?: { code: string; display: string; range?: [number, number]; verified: boolean; source?: string };
  bands: { min: number; max: number; label: string }[];
  response?: string;
  remission?: string;
  verified: boolean;
  source: string;
}

export interface KnowledgeBase {
  meds: Map<string, MedEntry>;
  /** Every ingredient RxCUI the data knows (173 from rxnorm-subset + rule members) → name. */
  ingredientNames: Map<string, string>;
  products: Map<string, Product>;
  /** SCDC RxCUI → ingredient + strength (Synthea codes medications at SCDC level). */
  scdc: Map<string, { ingredient: Ingredient; strength: Strength }>;
  /** PIN / salt / moiety RxCUI → ingredient RxCUI. */
  variants: Map<string, string>;
  /** Lower-case names (ingredient, salt, brand) → ingredient RxCUIs, for text-only matching. */
  names: Map<string, string[]>;
  nameRegex: RegExp;
  rules: InteractionRule[];
  rulesByIngredient: Map<string, InteractionRule[]>;
  /** Rule class_id (SSRI, MAOI, OPIOID …) → rules naming that class on either side. */
  rulesByClass: Map<string, InteractionRule[]>;
  /** Class id (rule class_id such as SSRI, or psych-meds class/subclass) → member RxCUIs. */
  classes: Map<string, Set<string>>;
  /** Ingredient RxCUI → single-ingredient products with a mass strength (for rounding tapers). */
  strengthsByIngredient: Map<string, { value: number; unit: string; doseForm: string; rxcui: string }[]>;
  loinc: Map<string, LoincEntry>;
  protocols: Map<string, MonitoringProtocol>;
  /** Protocol id → ingredient RxCUIs named in its applies_to ("lithium carbonate (42351)", "TCAs" → class). */
  protocolIngredients: Map<string, Set<string>>;
  scales: Map<string, Scale>;
  scaleByLoinc: Map<string, Scale>;
  /** Every LOINC code a rule reads (monitoring items, scale totals, the LOINC registry), sorted. */
  observedLoinc: readonly string[];
  release: string;
}
