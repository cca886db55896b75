/**
 * Parses the node probe's report (probe/node-probe.sh) into kernel evidence. The text comes from a pod on someone's
 * node, so it is treated as hostile: unknown keys are ignored, every value is checked against its shape, and anything
 * malformed becomes a reason (an `unknown` finding upstream), never an exception.
 */

/** y/m/n as Kconfig writes them; `v` = a non-tristate value (string, number). Absent symbols are not in the map. */
export type ConfigValue = 'y' | 'm' | 'n' | 'v'

export interface ModuleFlags {
  readonly loaded: boolean
  readonly builtin: boolean
  readonly loadable: boolean
  /** Named in modules-load.d / /etc/modules. */
  readonly bootLoad: boolean
}

export type SelinuxMode = 'enforcing' | 'permissive' | 'disabled' | 'unknown'

export interface FunctionalResult {
  /** e.g. `iptables-nft.nat`, `nft.rules`, `ipset.v4`, `iprule.v6`, or a tool name when it is absent. */
  readonly test: string
  readonly status: 'ok' | 'fail' | 'absent'
  readonly error?: string
}

export interface FunctionalEvidence {
  readonly results: readonly FunctionalResult[]
  /** `--version` output per tool, e.g. {"nft": "nftables v1.0.9 (Old Doc Yak #3)"}. */
  readonly versions: Readonly<Record<string, string>>
}

export interface KernelEvidence {
  /** The kernel release judged; undefined when the tree holds none or several (see `kernels`). */
  readonly release?: string
  readonly releaseSource: 'flag' | 'proc' | 'tree' | 'none'
  /** Several kernels in the tree and none chosen. */
  readonly kernels?: readonly string[]
  readonly arch?: string
  readonly os?: string
  /** Path of the kernel config read (relative to the host root), or undefined when none was found. */
  readonly configSource?: string
  readonly configUnreadable?: boolean
  /** Requested symbols present in the config. */
  readonly config?: Readonly<Record<string, ConfigValue>>
  /** From the config's header comment: "x86_64 4.18.0-147.5.1.el8_1.x86_64". */
  readonly configHeader?: string
  /** /proc of the running kernel was readable (a live node, not an image). */
  readonly live: boolean
  readonly procModules: boolean
  readonly builtinList: boolean
  readonly loadableList?: 'modules.dep' | 'modules.order' | 'files'
  readonly bootConfig: boolean
  readonly moduleDir?: string
  /** Requested modules with their flags. */
  readonly modules: Readonly<Record<string, ModuleFlags>>
  readonly selinux: SelinuxMode
  readonly selinuxSource?: 'selinuxfs' | 'config'
  /** kernel.modprobe: the host helper the kernel runs to autoload; present undefined = could not check. */
  readonly modprobe?: {readonly path: string; readonly present: boolean | undefined}
  /** Legacy xtables registered in the host network namespace; undefined = could not read. */
  readonly legacyTables?: {readonly ipv4?: readonly string[]; readonly ipv6?: readonly string[]}
  readonly functional?: FunctionalEvidence
}

export interface ProbeRequest {
  readonly symbols: readonly string[]
  readonly modules: readonly string[]
}

export type ProbeParse = {readonly ok: true; readonly evidence: KernelEvidence} | {readonly ok: false; readonly reason: string; readonly truncated?: boolean}

const MAX_OUTPUT = 64 * 1024
const HEADER = 'mesh-ready-probe 1'
const SAFE_TEXT = /^[\x20-\x7e]{0,200}$/
const RELEASE = /^[A-Za-z0-9._+~-]{1,100}$/
const TABLE = /^[a-z_]{1,32}$/

/** `key rest-of-line` pairs, first occurrence wins (later ones are ignored, never merged). */
function lines(text: string): Array<[string, string]> {
  return text
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l !== '')
    .map((l) => {
      const space = l.indexOf(' ')
      return space < 0 ? [l, ''] : [l.slice(0, space), l.slice(space + 1).trim()]
    })
}

const fail = (reason: string, truncated = false): ProbeParse => ({ok: false, reason, truncated})

export function parseProbeOutput(text: string, request: ProbeRequest): ProbeParse {
  if (typeof text !== 'string' || text.trim() === '') return fail('the probe printed nothing', true)
  if (text.length > MAX_OUTPUT) return fail(`the probe output is ${text.length} bytes, more than a probe ever prints`)
  const start = text.indexOf(HEADER)
  if (start < 0) return fail(`the output is not a mesh-ready probe report (it starts "${preview(text)}")`)
  const pairs = lines(text.slice(start + HEADER.length))
  const endIndex = pairs.findIndex(([k]) => k === 'end')
  if (endIndex < 0) return fail('the probe report is cut off (no end marker)', true)
  const single = new Map<string, string>()
  const functional: FunctionalResult[] = []
  const versions: Record<string, string> = {}
  for (const [key, value] of pairs.slice(0, endIndex)) {
    if (key === 'f') {
      const result = parseFunctional(value)
      if (result) functional.push(result)
    } else if (key === 'fv') {
      const [tool = '', ...rest] = value.split(' ')
      if (/^[a-z0-9.-]{1,32}$/.test(tool) && SAFE_TEXT.test(rest.join(' '))) versions[tool] = rest.join(' ')
    } else if (!single.has(key)) single.set(key, value)
  }
  const get = (key: string) => single.get(key)

  const release = get('rel')
  if (release !== undefined && release !== '-' && !RELEASE.test(release)) return fail(`the kernel release "${preview(release)}" is not a release string`)
  const config = parsePositional(get('cfg'), request.symbols, /^[ymnv-]$/, 'cfg')
  if (typeof config === 'string') return fail(config)
  const moduleDigits = parsePositional(get('mod'), request.modules, /^[0-9a-f]$/, 'mod')
  if (typeof moduleDigits === 'string') return fail(moduleDigits)
  if (moduleDigits === undefined) return fail('the probe report has no module line')
  const src = parseSources(get('src'))
  if (src === undefined) return fail('the probe report has no valid source line')

  const configValues: Record<string, ConfigValue> = {}
  if (config) for (const [symbol, c] of config) if (c !== '-') configValues[symbol] = c as ConfigValue
  const modules: Record<string, ModuleFlags> = {}
  for (const [name, digit] of moduleDigits) {
    const n = Number.parseInt(digit, 16)
    modules[name] = {loaded: (n & 1) !== 0, builtin: (n & 2) !== 0, loadable: (n & 4) !== 0, bootLoad: (n & 8) !== 0}
  }
  const cfgsrc = get('cfgsrc') ?? '-'
  const kernels = get('kernels')
    ?.split(' ')
    .filter((k) => RELEASE.test(k))
  return {
    ok: true,
    evidence: {
      release: release && release !== '-' ? release : undefined,
      releaseSource: oneOf(get('relsrc'), ['flag', 'proc', 'tree'] as const) ?? 'none',
      kernels: kernels && kernels.length > 0 ? kernels : undefined,
      arch: safe(get('arch')),
      os: safe(get('os')),
      configSource: cfgsrc === '-' ? undefined : safe(cfgsrc.replace(/ unreadable$/, '')),
      configUnreadable: cfgsrc.endsWith(' unreadable') || undefined,
      config: config ? configValues : undefined,
      configHeader: safe(get('cfghdr')),
      live: src.live,
      procModules: src.proc,
      builtinList: src.builtin,
      loadableList: src.list,
      bootConfig: src.boot,
      moduleDir: src.moddir,
      modules,
      ...parseSelinux(get('selinux')),
      modprobe: parseModprobe(get('modprobe')),
      legacyTables: parseLegacy(get('ipt'), get('ip6t')),
      functional: functional.length > 0 ? {results: functional, versions} : undefined,
    },
  }
}

function preview(text: string): string {
  return text.slice(0, 40).replace(/[^\x20-\x7e]/g, '?')
}

function safe(value: string | undefined): string | undefined {
  return value !== undefined && value !== '' && SAFE_TEXT.test(value) ? value : undefined
}

function oneOf<T extends string>(value: string | undefined, options: readonly T[]): T | undefined {
  return options.find((o) => o === value)
}

/** One character per requested name; undefined when the line is absent, a reason when it is malformed. */
function parsePositional(value: string | undefined, names: readonly string[], char: RegExp, key: string): Array<[string, string]> | undefined | string {
  if (value === undefined) return undefined
  const chars = [...value]
  if (chars.length !== names.length)
    return `the probe's ${key} line has ${chars.length} entries for ${names.length} requested (probe and plugin versions differ, or the output was altered)`
  if (!chars.every((c) => char.test(c))) return `the probe's ${key} line has unexpected characters`
  return names.map((name, i) => [name, chars[i]!])
}

interface Sources {
  live: boolean
  proc: boolean
  builtin: boolean
  list?: 'modules.dep' | 'modules.order' | 'files'
  boot: boolean
  moddir?: string
}

function parseSources(value: string | undefined): Sources | undefined {
  if (value === undefined) return undefined
  const fields = new Map<string, string>()
  for (const part of value.split(' ')) {
    const eq = part.indexOf('=')
    if (eq > 0) fields.set(part.slice(0, eq), part.slice(eq + 1))
  }
  const flag = (k: string) => fields.get(k) === '1'
  if (!['live', 'proc', 'builtin', 'list', 'boot'].every((k) => fields.has(k))) return undefined
  const moddir = fields.get('moddir')
  return {
    live: flag('live'),
    proc: flag('proc'),
    builtin: fields.get('builtin') === 'modules.builtin',
    list: oneOf(fields.get('list'), ['modules.dep', 'modules.order', 'files'] as const),
    boot: flag('boot'),
    moddir: moddir && /^[\w./+~-]{1,200}$/.test(moddir) ? moddir : undefined,
  }
}

function parseSelinux(value: string | undefined): {selinux: SelinuxMode; selinuxSource?: 'selinuxfs' | 'config'} {
  const direct = oneOf(value, ['enforcing', 'permissive', 'disabled'] as const)
  if (direct) return {selinux: direct, selinuxSource: 'selinuxfs'}
  const configured = oneOf(value?.replace(/^config-/, ''), ['enforcing', 'permissive', 'disabled'] as const)
  if (configured && value?.startsWith('config-')) return {selinux: configured, selinuxSource: 'config'}
  return {selinux: 'unknown'}
}

function parseModprobe(value: string | undefined): KernelEvidence['modprobe'] {
  if (value === undefined) return undefined
  const match = /^(\S{1,200}) ([01?])$/.exec(value)
  if (!match) return undefined
  return {path: match[1] === '-' ? '' : match[1]!, present: match[2] === '?' ? undefined : match[2] === '1'}
}

function parseTables(value: string | undefined): string[] | undefined {
  if (value === undefined || value === '-') return undefined
  if (value === 'none') return []
  const tables = value.split(' ').filter((t) => t !== '')
  return tables.every((t) => TABLE.test(t)) ? tables : undefined
}

function parseLegacy(ipv4: string | undefined, ipv6: string | undefined): KernelEvidence['legacyTables'] {
  const v4 = parseTables(ipv4)
  const v6 = parseTables(ipv6)
  return v4 === undefined && v6 === undefined ? undefined : {ipv4: v4, ipv6: v6}
}

function parseFunctional(value: string): FunctionalResult | undefined {
  const match = /^([a-z0-9.-]{1,40}) (ok|fail|absent)(?: (.*))?$/.exec(value)
  if (!match) return undefined
  const status = match[2] as FunctionalResult['status']
  const error = status === 'fail' ? (safe(match[3]) ?? 'failed (no error text)') : undefined
  return {test: match[1]!, status, ...(error ? {error} : {})}
}
