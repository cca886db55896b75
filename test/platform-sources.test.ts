import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {allChecks} from '../src/checks/index.js'
import {CALICO_BPF_KNOWN_BAD, CILIUM_CNI_EXCLUSIVE, CNI_CATALOGUE} from '../src/knowledge/cni-signals.js'
import {ISTIO_PLATFORM_PROFILES, K3S_CNI_BIN_DIRS, NON_DEFAULT_CNI_PATH_PLATFORMS} from '../src/knowledge/istio-platform.js'
import {MODE_RESTRICTIONS} from '../src/knowledge/platform-restrictions.js'
import {PLATFORM_CATALOGUE, PLATFORM_FEATURES} from '../src/knowledge/platform-signals.js'

const root = path.resolve(import.meta.dirname, '..')

/** Citations a reader of this repository cannot open: the research notes outside it. */
const NOT_PRIMARY = /shared\/reference|reference §|\b(platforms|kernel-and-interception|ux-and-ecosystem|style-anchors)(\.md\b| reference)/

describe('sources are primary URLs, never the research notes outside the repository', () => {
  it('the pattern catches every form the notes were cited in', () => {
    for (const bad of [
      '../shared/reference/platforms.md',
      'platforms.md §2.4',
      'kernel-and-interception reference §1.5',
      'kernel-and-interception.md §4.4',
      '(ux-and-ecosystem reference §1.3)',
      'reference §3',
    ]) {
      expect(bad).toMatch(NOT_PRIMARY)
    }
    expect('https://istio.io/latest/docs/ambient/install/platform-prerequisites/ ; docs/platform.md').not.toMatch(NOT_PRIMARY)
  })

  it.each(allChecks.map((c) => [c.id, c.source] as const))('%s cites no research note', (_id, source) => {
    expect(source).not.toMatch(NOT_PRIMARY)
  })

  it.each(allChecks.filter((c) => c.category === 'platform' || c.category === 'cluster').map((c) => [c.id, c.source] as const))(
    '%s cites at least one URL',
    (_id, source) => {
      expect(source).toMatch(/https:\/\/\S+/)
    },
  )

  it.each([
    'README.md',
    ...readdirSync(path.join(root, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ])('%s cites no research note', (file) => {
    const text = readFileSync(path.join(root, file), 'utf8')
    const bad = text.split('\n').filter((line) => NOT_PRIMARY.test(line))
    expect(bad).toEqual([])
  })

  const rows: Array<[string, string]> = [
    ...ISTIO_PLATFORM_PROFILES.map((p) => [`profile ${p.value}`, p.source] as [string, string]),
    ...K3S_CNI_BIN_DIRS.map((r) => [`K3s bin dir ${r.flavour}`, r.source] as [string, string]),
    ...CILIUM_CNI_EXCLUSIVE.map((r) => [`Cilium cni-exclusive since ${r.since}`, r.source] as [string, string]),
    ...CALICO_BPF_KNOWN_BAD.map((r) => [`Calico eBPF before ${r.fixedFromMinor}`, r.source] as [string, string]),
    ...CNI_CATALOGUE.map((c) => [`CNI ${c.id}`, c.source] as [string, string]),
    ...MODE_RESTRICTIONS.map((r, i) => [`mode restriction ${i}`, r.source] as [string, string]),
    ...PLATFORM_CATALOGUE.map((p) => [`platform ${p.id}`, p.source] as [string, string]),
    ...PLATFORM_FEATURES.map((f) => [`feature ${f.id}`, f.source] as [string, string]),
    ...Object.entries(NON_DEFAULT_CNI_PATH_PLATFORMS).map(([k, v]) => [`non-default CNI paths ${k}`, v ?? ''] as [string, string]),
  ]
  it.each(rows)('knowledge row %s has a primary source URL', (_row, source) => {
    expect(source).toMatch(/https:\/\/\S+/)
    expect(source).not.toMatch(NOT_PRIMARY)
  })
})
