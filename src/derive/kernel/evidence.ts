import type {ConfigValue, KernelEvidence} from '../../gather/probe/parse-probe.js'
import {LEGACY_XTABLES_SYMBOL, KERNEL_HISTORY} from '../../knowledge/kernel-history.js'
import type {KernelRequirement} from '../../knowledge/kernel-modules.js'
import {KERNEL_REQUIREMENTS} from '../../knowledge/kernel-modules.js'
import {compareKernel} from '../../knowledge/versions.js'

/**
 * The evidence vocabulary of docs/nodes.md. `not-loaded`: loadable, but /proc/modules shows it is not loaded, and
 * nothing in Istio's pods can load it (the legacy tables), so on this node it is as good as missing.
 */
export type EvidenceStatus = 'loaded' | 'builtin' | 'loadable' | 'config=y' | 'config=m' | 'merged' | 'not-loaded' | 'missing' | 'unknown' | 'version'

export interface RequirementEvidence {
  readonly status: EvidenceStatus
  /** undefined = could not tell (never read as missing). */
  readonly satisfied: boolean | undefined
  readonly detail: string
}

const ok = (status: EvidenceStatus, detail: string): RequirementEvidence => ({status, satisfied: true, detail})
const missing = (detail: string): RequirementEvidence => ({status: 'missing', satisfied: false, detail})
const unknown = (detail: string): RequirementEvidence => ({status: 'unknown', satisfied: undefined, detail})

/** The release judged: the probe's, else the one named in the config header. */
export function releaseOf(ev: KernelEvidence): string | undefined {
  return ev.release ?? ev.configHeader?.split(' ')[1]
}

/** Both module lists were readable: a module in neither is not part of this kernel. */
const completeLists = (ev: KernelEvidence) => ev.builtinList && ev.loadableList !== undefined

/** A live kernel without /proc/modules, or a config with CONFIG_MODULES unset: everything is built in or absent. */
const modulesDisabled = (ev: KernelEvidence) => (ev.live && !ev.procModules) || ev.config?.MODULES === 'n'

/** The first of the row's symbols that the config mentions; 'absent' when it mentions none; undefined without a config. */
function configEntry(r: KernelRequirement, ev: KernelEvidence): {symbol: string; value: ConfigValue} | 'absent' | undefined {
  if (!ev.config) return undefined
  for (const symbol of r.config) {
    const value = ev.config[symbol]
    if (value !== undefined) return {symbol, value}
  }
  return 'absent'
}

/** Whether 6.17's gate removed the legacy tables: y keeps them; not set (or hidden on 6.17+) removes them. */
function legacyTablesGatedOff(ev: KernelEvidence): boolean {
  const gate = ev.config?.[LEGACY_XTABLES_SYMBOL]
  if (gate !== undefined) return gate !== 'y'
  return (compareKernel(releaseOf(ev), KERNEL_HISTORY.legacyXtablesGate.kernel) ?? -1) >= 0
}

function listedModule(r: KernelRequirement, ev: KernelEvidence): RequirementEvidence | undefined {
  for (const name of [r.name, ...(r.alternatives ?? [])]) {
    const flags = ev.modules[name]
    const as = name === r.name ? '' : ` as ${name}`
    if (flags?.loaded) return ok('loaded', `loaded${as} (/proc/modules)`)
    if (flags?.builtin) return ok('builtin', `built in${as} (modules.builtin)`)
    if (flags?.loadable) return ok('loadable', `loadable${as} (${ev.loadableList ?? 'module files'})`)
  }
  return undefined
}

function mergedEvidence(r: KernelRequirement, ev: KernelEvidence): RequirementEvidence | undefined {
  if (!r.mergedInto) return undefined
  const target = KERNEL_REQUIREMENTS.find((t) => t.name === r.mergedInto!.module)
  const targetEvidence = target ? requirementEvidence(target, ev) : undefined
  if (targetEvidence?.satisfied === true)
    return ok('merged', `merged into ${r.mergedInto.module}: no separate module on this kernel, and ${r.mergedInto.module} is ${targetEvidence.detail}`)
  if (targetEvidence?.satisfied === false) return missing(`merged into ${r.mergedInto.module}, which is missing: ${targetEvidence.detail}`)
  return unknown(`merged into ${r.mergedInto.module} on this kernel, whose presence is unknown`)
}

function moduleEvidence(r: KernelRequirement, ev: KernelEvidence): RequirementEvidence {
  const listed = listedModule(r, ev)
  if (listed) return listed
  const lists = completeLists(ev)
  const entry = configEntry(r, ev)
  // Gone from complete module lists while the config has no separate module for it: merged (judged by files).
  if (r.mergedInto && lists && (entry === undefined || entry === 'absent' || entry.value === 'y')) return mergedEvidence(r, ev)!
  if (entry !== undefined && entry !== 'absent') {
    const setting = `CONFIG_${entry.symbol}=${entry.value}`
    if (r.legacyGate && legacyTablesGatedOff(ev) && (entry.value === 'y' || entry.value === 'm')) {
      return missing(
        `legacy tables are not built: CONFIG_${LEGACY_XTABLES_SYMBOL} is not set (Linux ${KERNEL_HISTORY.legacyXtablesGate.kernel}+); iptables-nft still works`,
      )
    }
    if (entry.value === 'y') return ok('config=y', `built in (${setting})`)
    if (entry.value === 'm') {
      if (lists) return missing(`${setting}, but no module file is installed (not in ${ev.loadableList}); an extra modules package may be missing`)
      return ok('config=m', `module (${setting}; no module list was read)`)
    }
  }
  if (r.mergedInto && entry === 'absent') return mergedEvidence(r, ev)!
  if (entry !== undefined) return missing(entry === 'absent' ? `CONFIG_${r.config[0]} is not in the kernel config` : `CONFIG_${entry.symbol} is not set`)
  if (lists) return missing(`in neither modules.builtin nor ${ev.loadableList}`)
  if (modulesDisabled(ev) && ev.builtinList) return missing('not built in, and the kernel has no module support')
  return unknown(
    ev.procModules
      ? 'not loaded; no module list or kernel config was readable to tell built in, loadable or missing'
      : 'no module list or kernel config was readable',
  )
}

function featureEvidence(r: KernelRequirement, ev: KernelEvidence): RequirementEvidence {
  const entry = configEntry(r, ev)
  if (entry === undefined) return unknown('the kernel config was not readable')
  if (entry === 'absent') return missing(`CONFIG_${r.config[0]} is not in the kernel config`)
  if (entry.value === 'y' || entry.value === 'm') return ok(entry.value === 'y' ? 'config=y' : 'config=m', `CONFIG_${entry.symbol}=${entry.value}`)
  return missing(`CONFIG_${entry.symbol} is not set`)
}

function kernelEvidence(r: KernelRequirement, ev: KernelEvidence): RequirementEvidence {
  const floor = r.minKernel!.kernel
  const release = releaseOf(ev)
  const cmp = compareKernel(release, floor)
  if (cmp === undefined) return unknown(release ? `kernel release "${release}" is not a version` : 'the kernel release is unknown')
  return cmp >= 0 ? ok('version', `Linux ${release} ≥ ${floor}`) : {status: 'version', satisfied: false, detail: `Linux ${release} < ${floor}`}
}

/**
 * Loadable is not enough for what Istio's pods cannot load (the legacy tables: iptables-legacy loads them with its
 * own container's modprobe, and istio-init failed on nodes where they were only loadable, awslabs/amazon-eks-ami#2354,
 * istio/istio#57380). On a running node /proc/modules decides (`not-loaded`); an image or a config cannot show what
 * is loaded at run time, so there only modules-load.d can satisfy it, and otherwise it is unknown, never missing.
 */
function mustBeLoaded(r: KernelRequirement, ev: KernelEvidence, e: RequirementEvidence): RequirementEvidence {
  if (!r.mustBeLoaded || e.satisfied !== true || (e.status !== 'loadable' && e.status !== 'config=m')) return e
  const bootLoad = ev.modules[r.name]?.bootLoad === true
  if (ev.procModules) {
    const boot = bootLoad ? ' (modules-load.d lists it, yet it is not loaded now)' : ''
    return {status: 'not-loaded', satisfied: false, detail: `${e.detail}, but not loaded (/proc/modules)${boot}, and Istio's pods cannot load it`}
  }
  if (bootLoad) return {...e, detail: `${e.detail}; loaded at boot (modules-load.d)`}
  const read = ev.bootConfig ? 'modules-load.d does not list it' : 'no modules-load.d was read'
  return {
    status: e.status,
    satisfied: undefined,
    detail: `${e.detail}; ${read}, so whether it is loaded is decided on the running node (Istio's pods cannot load it)`,
  }
}

/** Evidence for one row, independent of the scenario. */
export function requirementEvidence(r: KernelRequirement, ev: KernelEvidence): RequirementEvidence {
  switch (r.kind) {
    case 'module':
      return mustBeLoaded(r, ev, moduleEvidence(r, ev))
    case 'feature':
      return featureEvidence(r, ev)
    case 'kernel':
      return kernelEvidence(r, ev)
  }
}
