// Taper/titration guideline tables quoted from psychiatry-knowledge.md §5 (the JSON data files do not carry them).

/** §5.3: doses equivalent to diazepam 10 mg, 2025 Joint BZD Tapering Guideline Table 7 (VA/DoD 2021 vs Ashton 2002). */
export const DIAZEPAM_10MG_EQUIVALENT: Record<string, { vaDod: number; ashton: number }> = {
  alprazolam: { vaDod: 1, ashton: 0.5 }, chlordiazepoxide: { vaDod: 25, ashton: 25 }, clonazepam: { vaDod: 1, ashton: 0.5 },
  clorazepate: { vaDod: 15, ashton: 15 }, diazepam: { vaDod: 10, ashton: 10 }, estazolam: { vaDod: 1, ashton: 1 },
  flurazepam: { vaDod: 15, ashton: 15 }, lorazepam: { vaDod: 2, ashton: 1 }, oxazepam: { vaDod: 30, ashton: 20 },
  quazepam: { vaDod: 10, ashton: 20 }, temazepam: { vaDod: 15, ashton: 20 }, triazolam: { vaDod: 0.25, ashton: 0.5 },
};

export const BZD_GUIDELINE = {
  source: 'Brunner E, et al. Joint Clinical Practice Guideline on Benzodiazepine Tapering. J Gen Intern Med 2025 (PMID 40526204; doi:10.1007/s11606-025-09499-2), via psychiatry-knowledge.md §5.3 (verified)',
  url: 'https://doi.org/10.1007/s11606-025-09499-2',
  initialStepFraction: { low: 0.05, high: 0.1 },
  intervalDays: { low: 14, high: 28 },
  /** "typically not more than 25% every 2 weeks" */
  maxFractionPer14Days: 0.25,
};

export const HYPERBOLIC = {
  source: 'Horowitz MA, Taylor D. Tapering of SSRI treatment to mitigate withdrawal symptoms. Lancet Psychiatry 2019;6:538-46 (doi:10.1016/S2215-0366(19)30032-X), via psychiatry-knowledge.md §5.2 (principle verified; step percentages not verified)',
  url: 'https://doi.org/10.1016/S2215-0366(19)30032-X',
  verified: false,
  stepFraction: { default: 0.1, min: 0.05, max: 0.25 },
  intervalDays: { default: 28, min: 14 },
  /** "stop once dose is a small fraction of the minimum therapeutic dose (e.g. < ~1/10th)" */
  stopFractionOfMinimum: 0.1,
};

/** §5.1 CCJM antidepressant discontinuation-syndrome risk (verified), by ingredient name. */
export const ADS_RISK: Record<string, 'low' | 'intermediate' | 'high'> = Object.fromEntries([
  ...['bupropion', 'fluoxetine', 'levomilnacipran', 'milnacipran', 'vilazodone', 'citalopram', 'escitalopram', 'mirtazapine'].map((n) => [n, 'low']),
  ...['sertraline', 'trazodone', 'vortioxetine', 'amitriptyline', 'clomipramine', 'desipramine', 'desvenlafaxine', 'doxepin', 'duloxetine'].map((n) => [n, 'intermediate']),
  ...['fluvoxamine', 'imipramine', 'nortriptyline', 'paroxetine', 'phenelzine', 'tranylcypromine', 'venlafaxine'].map((n) => [n, 'high']),
]);

/** §5.4 Lamictal PI escalation regimens (bipolar), verified. `days` = length of the step. */
export const LAMOTRIGINE = {
  name: 'lamotrigine',
  source: 'Lamictal prescribing information escalation regimens (bipolar), via psychiatry-knowledge.md §5.4 (verified)',
  regimens: {
    standard: [
      { days: 14, dailyMg: 25, text: '25 mg daily' }, { days: 14, dailyMg: 50, text: '50 mg/day' },
      { days: 7, dailyMg: 100, text: '100 mg/day' }, { days: 0, dailyMg: 200, text: '200 mg/day (target)' },
    ],
    'with-valproate': [
      { days: 14, dailyMg: 12.5, text: '25 mg every other day' }, { days: 14, dailyMg: 25, text: '25 mg daily' },
      { days: 7, dailyMg: 50, text: '50 mg/day' }, { days: 0, dailyMg: 100, text: '100 mg/day (target)' },
    ],
    'with-inducer': [
      { days: 14, dailyMg: 50, text: '50 mg/day' }, { days: 14, dailyMg: 100, text: '100 mg/day divided' },
      { days: 7, dailyMg: 200, text: '200 mg/day divided' }, { days: 7, dailyMg: 300, text: '300 mg/day divided' },
      { days: 0, dailyMg: 400, text: 'up to 400 mg/day divided (target)' },
    ],
  },
} as const;
