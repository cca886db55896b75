/**
 * docs/nodes.md stays true to the code: its requirement table is generated from the knowledge table (regenerate with
 * UPDATE_DOCS=1 npx vitest run test/nodes-docs.test.ts), and every flag and node check is documented.
 */
import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {nodeChecks} from '../src/checks/node/index.js'
import {nodesFlags} from '../src/commands/nodes.js'
import type {Condition, KernelRequirement} from '../src/knowledge/kernel-modules.js'
import {KERNEL_REQUIREMENTS} from '../src/knowledge/kernel-modules.js'

const DOC = path.resolve(import.meta.dirname, '../docs/nodes.md')
const PLATFORM = 'https://istio.io/latest/docs/ops/deployment/platform-requirements/'
const HEADER = '| requirement | Kconfig (first present decides) | needed when | what for | listed by | source |'

function condition(c: Condition): string {
  const parts: string[] = []
  if (c.backend) parts.push(c.path ? (c.path === 'nft' ? 'iptables-nft' : 'iptables-legacy') : c.backend)
  if (c.mode) parts.push(c.mode)
  if (c.interception) parts.push(`sidecar ${c.interception.toUpperCase()}`)
  if (c.ipv6 !== undefined) parts.push(c.ipv6 ? 'IPv6' : 'IPv4 only')
  if (c.dnsCapture) parts.push('DNS capture')
  if (c.istioBefore) parts.push(`Istio < ${c.istioBefore}`)
  const text = parts.length ? parts.join(' + ') : 'always'
  return c.severity ? `${text} (warn)` : text
}

function row(r: KernelRequirement): string {
  const name = r.kind === 'feature' ? `CONFIG_${r.name}` : r.kind === 'kernel' ? `Linux ≥ ${r.minKernel?.kernel}` : `\`${r.name}\``
  const config = r.config.map((c) => `\`${c}\``).join(', ') || '—'
  const when = r.when.map(condition).join('; ') + (r.severity === 'warn' ? ' — warning only' : '')
  const extra = [
    r.mergedInto ? `merged into \`${r.mergedInto.module}\` (${r.mergedInto.change.kernel})` : '',
    r.legacyGate ? 'legacy table (6.17 gate)' : '',
    r.mustBeLoaded ? 'must be loaded' : '',
    r.alternatives ? `or ${r.alternatives.map((a) => `\`${a}\``).join(', ')}` : '',
  ].filter(Boolean).join('; ')
  const listed = r.listedBy === 'istio-docs' ? 'Istio docs' : "Istio's rules"
  return `| ${name} | ${config} | ${when} | ${r.purpose}${extra ? ` (${extra})` : ''} | ${listed} | ${r.source.replaceAll(PLATFORM, '[platform requirements][platform]')} |`
}

const generated = [HEADER, '|---|---|---|---|---|---|', ...KERNEL_REQUIREMENTS.map(row)].join('\n')

describe('docs/nodes.md', () => {
  const doc = readFileSync(DOC, 'utf8')

  it('has the requirement table generated from src/knowledge/kernel-modules.ts', () => {
    const start = doc.indexOf(HEADER)
    const end = doc.indexOf('\n\n', start)
    expect(start).toBeGreaterThan(0)
    const current = doc.slice(start, end)
    if (current !== generated && process.env.UPDATE_DOCS) writeFileSync(DOC, doc.slice(0, start) + generated + doc.slice(end))
    else expect(current, 'stale: run UPDATE_DOCS=1 npx vitest run test/nodes-docs.test.ts').toBe(generated)
  })

  it('documents every flag of the command', () => {
    for (const name of Object.keys(nodesFlags)) expect(doc, name).toContain(`\`--${name}`)
  })

  it('documents every node check', () => {
    for (const check of nodeChecks) expect(doc, check.id).toContain(`\`${check.id}\``)
  })
})
