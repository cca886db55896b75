/**
 * String order for sorting, each collator made once: `a.localeCompare(b, …)` builds one per call, which dominates
 * sorting 5,000 nodes or 45,000 findings. Same order as `localeCompare` with the default locale.
 */
export const compareText = new Intl.Collator().compare
/** `node-2` before `node-10`. */
export const compareNumeric = new Intl.Collator(undefined, {numeric: true}).compare
