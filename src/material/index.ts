// The material checks of SPEC §2c: a pure inspection of resolved secret values.
export { inspectMaterial, MaterialCache, type InspectOptions } from './inspect.js';
export { deriveCostlyKeys, DEFAULT_BUDGET, type DerivationBudget } from './derive.js';
export type {
  CertificateInfo,
  KeystoreParameters,
  MaterialContext,
  MaterialFinding,
  MaterialFindingCode,
  MaterialForm,
  MaterialLocation,
  MaterialReport,
  MaterialRole,
  MaterialValue,
} from './types.js';
