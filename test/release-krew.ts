/**
 * The krew-index rules a plugin manifest must pass (kubernetes-sigs/krew internal/index/validation/validate.go and
 * cmd/validate-krew-manifest), written out for the tests: structure, versions, checksums, selectors that cover
 * supported platforms without overlap, and what a krew install of an archive must leave behind.
 */
import {existsSync, readdirSync, statSync} from 'node:fs'
import path from 'node:path'
import {parse} from 'yaml'

export const KREW_API_VERSION = 'krew.googlecontainertools.github.com/v1alpha2'

/** os/arch pairs validate-krew-manifest accepts. */
export const SUPPORTED_PLATFORMS: readonly {os: string; arch: string}[] = [
  ...['386', 'amd64', 'arm64'].map((arch) => ({os: 'windows', arch})),
  ...['386', 'amd64', 'arm', 'arm64', 'ppc64le'].map((arch) => ({os: 'linux', arch})),
  ...['386', 'amd64', 'arm64'].map((arch) => ({os: 'darwin', arch})),
]

const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])$/i
const SEMVER_V = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/
const SHA256 = /^[a-f0-9]{64}$/
/** Files krew's install test accepts as a license (case-insensitive). */
export const LICENSE_FILE = /^(license|license\.txt|license\.md|licenses.*|copying.*)$/i

interface Expression {
  key?: string
  operator?: string
  values?: string[]
}
interface Selector {
  matchLabels?: Record<string, string>
  matchExpressions?: Expression[]
}
export interface KrewPlatform {
  selector?: Selector
  uri?: string
  sha256?: string
  bin?: string
  files?: {from?: string; to?: string}[]
}
export interface KrewManifest {
  apiVersion?: string
  kind?: string
  metadata?: {name?: string}
  spec?: {version?: string; homepage?: string; shortDescription?: string; description?: string; caveats?: string; platforms?: KrewPlatform[]}
}

/** Kubernetes label-selector semantics, on the labels {os, arch}. */
export function selectorMatches(selector: Selector, labels: Readonly<Record<string, string>>): boolean {
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v)
  const byExpressions = (selector.matchExpressions ?? []).every(({key = '', operator, values = []}) => {
    const value = labels[key]
    switch (operator) {
      case 'In':
        return value !== undefined && values.includes(value)
      case 'NotIn':
        return value === undefined || !values.includes(value)
      case 'Exists':
        return value !== undefined
      case 'DoesNotExist':
        return value === undefined
      default:
        return false
    }
  })
  return byLabels && byExpressions
}

function selectorErrors(selector: Selector | undefined, where: string): string[] {
  if (selector === undefined || selector === null) return [`${where}: selector is missing`]
  const errors: string[] = []
  if (selector.matchLabels === undefined && selector.matchExpressions === undefined) errors.push(`${where}: selector is empty`)
  if (selector.matchLabels !== undefined && Object.keys(selector.matchLabels ?? {}).length === 0) errors.push(`${where}: matchLabels is specified but empty`)
  if (selector.matchExpressions !== undefined && (selector.matchExpressions ?? []).length === 0)
    errors.push(`${where}: matchExpressions is specified but empty`)
  const keys = [...Object.keys(selector.matchLabels ?? {}), ...(selector.matchExpressions ?? []).map((e) => e.key ?? '')]
  for (const key of keys) if (key !== 'os' && key !== 'arch') errors.push(`${where}: selector key "${key}" is not os or arch`)
  return errors
}

/** Every rule krew-index CI checks without installing; [] when the manifest passes. */
export function validateKrewManifest(text: string, fileName: string): string[] {
  const errors: string[] = []
  if (path.extname(fileName) !== '.yaml') errors.push(`${fileName}: the file must end in .yaml`)
  let doc: KrewManifest
  try {
    doc = parse(text) as KrewManifest
  } catch (error) {
    return [...errors, `not YAML: ${(error as Error).message}`]
  }
  const name = doc.metadata?.name ?? ''
  if (doc.apiVersion !== KREW_API_VERSION) errors.push(`apiVersion must be ${KREW_API_VERSION}`)
  if (doc.kind !== 'Plugin') errors.push('kind must be Plugin')
  if (!/^[\w-]+$/.test(name)) errors.push(`metadata.name "${name}" must match ^[\\w-]+$`)
  if (WINDOWS_RESERVED.test(name)) errors.push(`metadata.name "${name}" is a reserved Windows file name`)
  if (name !== path.basename(fileName, '.yaml')) errors.push(`metadata.name "${name}" must equal the file name ${fileName}`)
  const spec = doc.spec ?? {}
  if (!spec.shortDescription) errors.push('spec.shortDescription is empty')
  else if (/[\r\n]/.test(spec.shortDescription)) errors.push('spec.shortDescription has a line break')
  else if (spec.shortDescription.length > 70) errors.push('spec.shortDescription is longer than 70 characters')
  for (const field of ['description', 'caveats'] as const) {
    const long = (spec[field] ?? '').split('\n').find((line) => line.length > 80)
    if (long !== undefined) errors.push(`spec.${field} has a line longer than 80 characters: ${long}`)
  }
  if (!spec.version || !SEMVER_V.test(spec.version)) errors.push(`spec.version "${spec.version ?? ''}" must be a semantic version with a leading v`)
  const platforms = spec.platforms ?? []
  if (platforms.length === 0) errors.push('spec.platforms is empty')
  platforms.forEach((p, i) => {
    const where = `platform ${i}`
    if (!p.uri) errors.push(`${where}: uri is missing`)
    if (!p.sha256 || !SHA256.test(p.sha256)) errors.push(`${where}: sha256 must be 64 lowercase hex digits`)
    if (!p.bin) errors.push(`${where}: bin is missing`)
    if (p.files !== undefined && (p.files.length === 0 || p.files.some((f) => !f.from || !f.to)))
      errors.push(`${where}: files must be unspecified or non-empty entries with from and to`)
    errors.push(...selectorErrors(p.selector, where))
    if (p.selector && !SUPPORTED_PLATFORMS.some((labels) => selectorMatches(p.selector!, labels)))
      errors.push(`${where}: the selector matches no supported os/arch`)
  })
  for (const labels of SUPPORTED_PLATFORMS) {
    const matching = platforms.flatMap((p, i) => (p.selector && selectorMatches(p.selector, labels) ? [i] : []))
    if (matching.length > 1) errors.push(`${labels.os}/${labels.arch} is matched by platforms ${matching.join(' and ')}`)
  }
  return errors
}

/** The platform a krew client on os/arch installs, if any. */
export function platformFor(manifest: KrewManifest, os: string, arch: string): KrewPlatform | undefined {
  return manifest.spec?.platforms?.find((p) => p.selector && selectorMatches(p.selector, {os, arch}))
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, {recursive: true, encoding: 'utf8'}).filter((f) => statSync(path.join(dir, f)).isFile())
}

/**
 * What krew's install of an unpacked archive must leave: `bin` present and executable (after `files` are applied,
 * default everything) and a license file. Returns the problems found.
 */
export function installErrors(platform: KrewPlatform, unpackedDir: string): string[] {
  const files = listFiles(unpackedDir)
  const installed = platform.files === undefined ? files : files.filter((f) => platform.files!.some((rule) => rule.from === f || rule.from === '*'))
  const errors: string[] = []
  const bin = platform.bin ?? ''
  if (!installed.includes(bin)) errors.push(`bin ${bin} is not in the archive (files: ${files.join(', ')})`)
  else if ((statSync(path.join(unpackedDir, bin)).mode & 0o111) === 0 && !bin.endsWith('.exe')) errors.push(`bin ${bin} is not executable`)
  if (!installed.some((f) => LICENSE_FILE.test(path.basename(f)) && existsSync(path.join(unpackedDir, f)))) errors.push('no license file would be extracted')
  return errors
}
