/** Narrowing of untyped API JSON: wrong shapes become empty values, never exceptions (hostile or odd objects). */
export type JsonObject = Record<string, unknown>

export const asRecord = (v: unknown): JsonObject => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as JsonObject) : {})
export const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : [])
export const asString = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)
export const asStrings = (v: unknown): string[] => asList(v).filter((x): x is string => typeof x === 'string')
export const asInt = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) ? v : undefined)
export const asStringMap = (v: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries(asRecord(v)).filter((e): e is [string, string] => typeof e[1] === 'string'))
