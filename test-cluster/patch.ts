// PATCH bodies: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and an approximation of
// strategic merge patch (merge patch that merges the common keyed lists instead of replacing them).
import {badRequest, ApiError} from './errors.js'
import {isObject, type JsonObject} from './types.js'

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply'

export function patchTypeOf(contentType: string | undefined): PatchType | undefined {
  const ct = (contentType ?? '').split(';')[0]!.trim()
  switch (ct) {
    case 'application/json-patch+json':
      return 'json'
    case 'application/merge-patch+json':
      return 'merge'
    case 'application/strategic-merge-patch+json':
      return 'strategic'
    case 'application/apply-patch+yaml':
    case 'application/apply-patch+cbor':
      return 'apply'
    default:
      return undefined
  }
}

export function applyPatch(type: PatchType, target: JsonObject, patch: unknown): JsonObject {
  if (type === 'json') {
    if (!Array.isArray(patch)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch')
    return jsonPatch(target, patch)
  }
  if (!isObject(patch))
    throw badRequest(
      'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
    )
  const out = type === 'merge' ? mergePatch(target, patch) : strategicMergePatch(target, patch)
  return isObject(out) ? out : {}
}

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch)
  const out: JsonObject = isObject(target) ? {...target} : {}
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k]
    else out[k] = mergePatch(out[k], v)
  }
  return out
}

/** List fields whose items strategic merge patch merges by a key, and that key. */
const MERGE_KEYS: Record<string, readonly string[]> = {
  containers: ['name'],
  initContainers: ['name'],
  ephemeralContainers: ['name'],
  volumes: ['name'],
  env: ['name'],
  envFrom: [],
  volumeMounts: ['mountPath'],
  volumeDevices: ['devicePath'],
  imagePullSecrets: ['name'],
  ports: ['containerPort', 'port'],
  conditions: ['type'],
  ownerReferences: ['uid'],
  hostAliases: ['ip'],
  topologySpreadConstraints: ['topologyKey'],
}
/** Lists of scalars that strategic merge patch unions instead of replacing. */
const MERGE_SETS = new Set(['finalizers'])

function stripDirectives(obj: JsonObject): JsonObject {
  const out: JsonObject = {}
  for (const [k, v] of Object.entries(obj)) if (!k.startsWith('$')) out[k] = v
  return out
}

function mergeList(field: string, target: unknown, patch: unknown[]): unknown[] {
  if (MERGE_SETS.has(field) && Array.isArray(target)) {
    const out = [...target]
    for (const v of patch) if (!out.includes(v)) out.push(v)
    return out
  }
  const candidates = MERGE_KEYS[field]
  const key = candidates?.find((k) => patch.every((p) => isObject(p) && k in p))
  if (!key || !Array.isArray(target)) return patch.filter((p) => !(isObject(p) && p.$patch === 'delete')).map((p) => (isObject(p) ? stripDirectives(p) : p))
  const out: unknown[] = [...target]
  for (const p of patch as JsonObject[]) {
    const idx = out.findIndex((t) => isObject(t) && t[key] === p[key])
    if (p.$patch === 'delete') {
      if (idx >= 0) out.splice(idx, 1)
    } else if (idx >= 0) out[idx] = strategicMergePatch(out[idx], p)
    else out.push(strategicMergePatch(undefined, p))
  }
  return out
}

export function strategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch)
  if (patch.$patch === 'replace') return stripDirectives(structuredClone(patch))
  const out: JsonObject = isObject(target) ? {...target} : {}
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue
    if (v === null) delete out[k]
    else if (Array.isArray(v)) out[k] = mergeList(k, out[k], v)
    else out[k] = strategicMergePatch(out[k], v)
  }
  return out
}

function unescapePointer(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~')
}

function parsePointer(path: unknown): string[] {
  if (typeof path !== 'string' || (path !== '' && !path.startsWith('/'))) throw badRequest(`invalid JSON pointer: ${String(path)}`)
  return path === '' ? [] : path.slice(1).split('/').map(unescapePointer)
}

type Container = JsonObject | unknown[]

/** Walks to the parent of the pointer's last token (cloning along the way). */
function parentOf(root: JsonObject, tokens: string[], opPath: string): [Container, string] {
  let cur: unknown = root
  for (const t of tokens.slice(0, -1)) {
    const next: unknown = Array.isArray(cur) ? cur[Number(t)] : isObject(cur) ? cur[t] : undefined
    if (!isObject(next) && !Array.isArray(next))
      throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: doc is missing path: "${opPath}": missing value`)
    cur = next
  }
  return [cur as Container, tokens[tokens.length - 1]!]
}

function getAt(root: JsonObject, tokens: string[], opPath: string): unknown {
  if (tokens.length === 0) return root
  const [parent, last] = parentOf(root, tokens, opPath)
  const v = Array.isArray(parent) ? parent[Number(last)] : parent[last]
  if (v === undefined)
    throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: doc is missing path: "${opPath}": missing value`)
  return v
}

function removeAt(root: JsonObject, tokens: string[], opPath: string): unknown {
  const value = getAt(root, tokens, opPath)
  const [parent, last] = parentOf(root, tokens, opPath)
  if (Array.isArray(parent)) parent.splice(Number(last), 1)
  else delete parent[last]
  return value
}

function addAt(root: JsonObject, tokens: string[], value: unknown, opPath: string, replace: boolean): void {
  if (tokens.length === 0) throw badRequest('cannot replace the whole document with a JSON patch')
  const [parent, last] = parentOf(root, tokens, opPath)
  if (Array.isArray(parent)) {
    const idx = last === '-' ? parent.length : Number(last)
    if (!Number.isInteger(idx) || idx < 0 || idx > parent.length)
      throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: Unable to access invalid index: ${last}`)
    if (replace) parent[idx] = value
    else parent.splice(idx, 0, value)
  } else {
    if (replace && !(last in parent))
      throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: doc is missing key: ${opPath}: missing value`)
    parent[last] = value
  }
}

export function jsonPatch(target: JsonObject, ops: unknown[]): JsonObject {
  const doc = structuredClone(target)
  for (const raw of ops) {
    if (!isObject(raw)) throw badRequest('invalid JSON patch operation')
    const op = raw.op
    const path = parsePointer(raw.path)
    const opPath = String(raw.path)
    switch (op) {
      case 'add':
        addAt(doc, path, structuredClone(raw.value), opPath, false)
        break
      case 'replace':
        addAt(doc, path, structuredClone(raw.value), opPath, true)
        break
      case 'remove':
        removeAt(doc, path, opPath)
        break
      case 'move': {
        const from = parsePointer(raw.from)
        addAt(doc, path, removeAt(doc, from, String(raw.from)), opPath, false)
        break
      }
      case 'copy': {
        const from = parsePointer(raw.from)
        addAt(doc, path, structuredClone(getAt(doc, from, String(raw.from))), opPath, false)
        break
      }
      case 'test':
        if (JSON.stringify(getAt(doc, path, opPath)) !== JSON.stringify(raw.value)) {
          throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: testing value ${opPath} failed: test failed`)
        }
        break
      default:
        throw badRequest(`Unexpected kind: ${String(op)}`)
    }
  }
  return doc
}
