// Label and field selectors with the syntax of k8s.io/apimachinery/pkg/labels and /fields.
import {badRequest} from './errors.js'
import type {ResourceDef} from './registry.js'
import type {KubeObject} from './types.js'
import {getPath} from './util.js'

export type LabelOp = '=' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt'

export interface LabelRequirement {
  key: string
  op: LabelOp
  values: string[]
}

export type LabelSelector = LabelRequirement[]

const KEY_RE = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/
const VALUE_RE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/

function checkKey(key: string): void {
  if (!KEY_RE.test(key) || key.length > 316) {
    throw badRequest(
      `unable to parse requirement: key: Invalid value: ${JSON.stringify(key)}: name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
    )
  }
}

function checkValue(key: string, value: string, index: number): void {
  if (!VALUE_RE.test(value) || value.length > 63) {
    throw badRequest(
      `unable to parse requirement: values[${index}][${key}]: Invalid value: ${JSON.stringify(value)}: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
    )
  }
}

/** Splits on commas that are not inside a `( ... )` value set. */
function splitTopLevel(input: string): string[] {
  const parts: string[] = []
  let depth = 0
  let cur = ''
  for (const c of input) {
    if (c === '(') depth++
    if (c === ')') depth--
    if (c === ',' && depth === 0) {
      parts.push(cur)
      cur = ''
    } else cur += c
  }
  parts.push(cur)
  return parts
}

/** Parses `a=b,c!=d,e in (x,y),f notin (z),g,!h,n>3`. Throws a 400 Status on syntax errors. */
export function parseLabelSelector(input: string | undefined): LabelSelector {
  if (!input || input.trim() === '') return []
  const reqs: LabelSelector = []
  for (const raw of splitTopLevel(input)) {
    const term = raw.trim()
    if (term === '') throw badRequest(`unable to parse requirement: found '', expected: identifier`)
    const not = /^!\s*([^\s=!<>(),]+)$/.exec(term)
    const set = /^([^\s=!<>(),]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term)
    const compare = /^([^\s=!<>(),]+)\s*(==|=|!=|>|<)\s*([^\s=!<>(),]*)$/.exec(term)
    const exists = /^([^\s=!<>(),]+)$/.exec(term)
    if (not) {
      const m = not
      checkKey(m[1]!)
      reqs.push({key: m[1]!, op: '!', values: []})
    } else if (set) {
      const m = set
      const key = m[1]!
      checkKey(key)
      const values = m[3]!.split(',').map((v) => v.trim())
      for (const [i, v] of values.entries()) checkValue(key, v, i)
      reqs.push({key, op: m[2] as 'in' | 'notin', values})
    } else if (compare) {
      const m = compare
      const key = m[1]!
      const value = m[3]!
      checkKey(key)
      const op = m[2]!
      if (op === '>' || op === '<') {
        if (!/^-?\d+$/.test(value)) {
          throw badRequest(`unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer`)
        }
        reqs.push({key, op: op === '>' ? 'gt' : 'lt', values: [value]})
      } else {
        checkValue(key, value, 0)
        reqs.push({key, op: op === '!=' ? '!=' : '=', values: [value]})
      }
    } else if (exists) {
      const m = exists
      checkKey(m[1]!)
      reqs.push({key: m[1]!, op: 'exists', values: []})
    } else {
      throw badRequest(`unable to parse requirement: found '${term}', expected: in, notin, =, ==, !=, gt, lt`)
    }
  }
  return reqs
}

export function matchesLabels(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  for (const r of selector) {
    const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, r.key)
    const value = has ? labels[r.key] : undefined
    switch (r.op) {
      case '=':
        if (value !== r.values[0]) return false
        break
      case '!=':
        if (has && value === r.values[0]) return false
        break
      case 'in':
        if (!has || !r.values.includes(value!)) return false
        break
      case 'notin':
        if (has && r.values.includes(value!)) return false
        break
      case 'exists':
        if (!has) return false
        break
      case '!':
        if (has) return false
        break
      case 'gt':
      case 'lt': {
        if (!has || !/^-?\d+$/.test(value!)) return false
        const n = Number(value)
        const bound = Number(r.values[0])
        if (r.op === 'gt' ? !(n > bound) : !(n < bound)) return false
        break
      }
    }
  }
  return true
}

export interface FieldRequirement {
  field: string
  path: readonly string[]
  op: '=' | '!='
  value: string
}

export type FieldSelector = FieldRequirement[]

const GENERIC_FIELDS: Record<string, readonly string[]> = {
  'metadata.name': ['metadata', 'name'],
  'metadata.namespace': ['metadata', 'namespace'],
}

/**
 * Parses `metadata.name=x,spec.nodeName!=y`. Only the fields the real server supports for the
 * resource are accepted; others fail like the real server ("field label not supported").
 */
export function parseFieldSelector(input: string | undefined, def: ResourceDef, labelSelector = ''): FieldSelector {
  if (!input || input.trim() === '') return []
  const out: FieldSelector = []
  for (const raw of input.split(',')) {
    const term = raw.trim()
    const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(term)
    if (!m) throw badRequest(`invalid selector: '${input}'; can't understand '${term}'`)
    const field = m[1]!
    const path = GENERIC_FIELDS[field] ?? def.fields?.[field]
    if (!path) {
      throw badRequest(
        `Unable to find {"${def.group}" "${def.version}" "${def.resource}"} that match label selector "${labelSelector}", field selector "${input}": field label not supported: ${field}`,
      )
    }
    out.push({field, path, op: m[2] === '!=' ? '!=' : '=', value: m[3]!.replace(/\\(.)/g, '$1')})
  }
  return out
}

/** The string a field selector compares against: absent fields are "", booleans "true"/"false". */
export function fieldValue(obj: KubeObject, path: readonly string[]): string {
  const v = getPath(obj, path)
  if (v === undefined || v === null) return path[path.length - 1] === 'hostNetwork' || path[path.length - 1] === 'unschedulable' ? 'false' : ''
  return String(v)
}

export function matchesFields(selector: FieldSelector, obj: KubeObject): boolean {
  for (const r of selector) {
    const v = fieldValue(obj, r.path)
    if (r.op === '=' ? v !== r.value : v === r.value) return false
  }
  return true
}

/** A label selector object (matchLabels/matchExpressions) as used in specs, e.g. Deployment.spec.selector. */
export function selectorFromSpec(sel: unknown): LabelSelector {
  const out: LabelSelector = []
  if (typeof sel !== 'object' || sel === null) return out
  const s = sel as {matchLabels?: Record<string, string>; matchExpressions?: Array<{key: string; operator: string; values?: string[]}>}
  for (const [key, value] of Object.entries(s.matchLabels ?? {})) out.push({key, op: '=', values: [value]})
  for (const e of s.matchExpressions ?? []) {
    const op: LabelOp = e.operator === 'In' ? 'in' : e.operator === 'NotIn' ? 'notin' : e.operator === 'Exists' ? 'exists' : '!'
    out.push({key: e.key, op, values: e.values ?? []})
  }
  return out
}
