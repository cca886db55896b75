import type {Condition, KernelRequirement} from '../src/knowledge/kernel-modules.js'
import {KERNEL_REQUIREMENTS} from '../src/knowledge/kernel-modules.js'

/** docs/nodes.md's requirement table, generated from the knowledge table so the two cannot drift. */
const PLATFORM = 'https://istio.io/latest/docs/ops/deployment/platform-requirements/'
export const REQUIREMENTS_HEADER = '| requirement | Kconfig (first present decides) | needed when | what for | listed by | source |'

function condition(c: Condition): string {
  const parts: string[] = []
  if (c.backend) parts.push(c.path ? (c.path === 'nft' ? 'iptables-nft' : 'iptables-legacy') : c.backend)
  if (c.mode) parts.push(c.mode)
  if (c.interception) parts.push(`sidecar ${c.interception.toUpperCase()}`)
  if (c.ipv6 !== undefined) parts.push(c.ipv6 ? 'IPv6' : 'IPv4 only')
  if (c.dnsCapture) parts.push('DNS capture')
  if (c.istioBefore) parts.push(`Istio < ${c.istioBefore}`)
  if (c.istioFrom) parts.push(`Istio ≥ ${c.istioFrom}`)
  return parts.length ? parts.join(' + ') : 'always'
}

function row(r: KernelRequirement): string {
  const name = r.kind === 'feature' ? `CONFIG_${r.name}` : r.kind === 'kernel' ? `Linux ≥ ${r.minKernel?.kernel}` : `\`${r.name}\``
  const config = r.config.map((c) => `\`${c}\``).join(', ') || '—'
  const when = r.unused ? `never — note only: ${r.unused}` : r.when.map(condition).join('; ') + (r.note ? ` (not otherwise: ${r.note})` : '')
  const extra = [
    r.mergedInto ? `merged into \`${r.mergedInto.module}\` (${r.mergedInto.change.kernel})` : '',
    r.legacyGate ? 'legacy table (6.17 gate)' : '',
    r.mustBeLoaded ? "must be loaded: Istio's pods cannot load it" : '',
    r.alternatives ? `or ${r.alternatives.map((a) => `\`${a}\``).join(', ')}` : '',
  ]
    .filter(Boolean)
    .join('; ')
  const listed = r.listedBy === 'istio-docs' ? 'Istio docs' : "Istio's rules"
  return `| ${name} | ${config} | ${when.replaceAll('|', '\\|')} | ${r.purpose.replaceAll('|', '\\|')}${extra ? ` (${extra})` : ''} | ${listed} | ${r.source.replaceAll(PLATFORM, '[platform requirements][platform]').replaceAll('|', '\\|')} |`
}

export const requirementsTable = (): string => [REQUIREMENTS_HEADER, '|---|---|---|---|---|---|', ...KERNEL_REQUIREMENTS.map(row)].join('\n')

/** The document with its requirement table (from the header to the next blank line) replaced by a fresh one. */
export function withRequirementsTable(doc: string): string {
  const start = doc.indexOf(REQUIREMENTS_HEADER)
  if (start < 0) throw new Error(`docs/nodes.md has no requirement table (a line starting "${REQUIREMENTS_HEADER}")`)
  const end = doc.indexOf('\n\n', start)
  return doc.slice(0, start) + requirementsTable() + doc.slice(end)
}
