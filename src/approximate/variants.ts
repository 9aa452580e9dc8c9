/** The settings of Experiment 1 that `lottery reproduce` runs and reports side by side. */

/** Experiment 1's variants: the official code's setting, the paper's text, each with both objectives. */
export const EXPERIMENT1_VARIANTS = [
  { id: 'per-row-closest', coefficients: 'per-row', objective: 'closest', label: "per-row, closest (the official code's setting)" },
  { id: 'per-weight-closest', coefficients: 'per-weight', objective: 'closest', label: "per-weight, closest (the paper's text)" },
  { id: 'per-weight-sparsest', coefficients: 'per-weight', objective: 'sparsest', label: 'per-weight, sparsest' },
  { id: 'per-row-sparsest', coefficients: 'per-row', objective: 'sparsest', label: 'per-row, sparsest' },
] as const;
export type Experiment1VariantId = (typeof EXPERIMENT1_VARIANTS)[number]['id'];
