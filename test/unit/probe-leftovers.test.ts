import {describe, expect, it} from 'vitest'
import {probeLeftovers} from '../../src/checks/node/probe-leftovers.js'
import type {Leftover} from '../../src/gather/probe/cleanup.js'

const pod: Leftover = {kind: 'Pod', name: 'mesh-ready-probe-abc123-g1', namespace: 'mesh-ready-probe', runId: 'abc123'}
const ns: Leftover = {kind: 'Namespace', name: 'mesh-ready-probe', runId: 'abc123'}
const forbidden = 'forbidden: you may not list pods (cluster-wide)'

describe('node.probe-leftovers', () => {
  it.each([
    ['nothing found, everything readable', [], [], ['pass'], /no probe pods or namespaces/],
    ['nothing found, but the pod list was refused', [], [forbidden], ['unknown'], /could not look for leftovers everywhere: forbidden: you may not list pods/],
    ['removed a pod and a namespace', [ns, pod], [], ['pass', 'pass'], /removed leftover namespace mesh-ready-probe \(run abc123\)/],
    [
      'could not remove a pod',
      [{...pod, error: 'forbidden: you may not delete pods in namespace mesh-ready-probe'}],
      [],
      ['warn'],
      /could not remove probe pod mesh-ready-probe\/mesh-ready-probe-abc123-g1/,
    ],
    ['removed what it saw, blind elsewhere', [ns], [forbidden], ['unknown', 'pass'], /could not look/],
  ] as const)('%s', (_name, leftovers, unreadable, severities, first) => {
    const outcomes = probeLeftovers.run({leftovers: {leftovers, unreadable}})
    expect(outcomes.map((o) => o.severity)).toEqual(severities)
    expect(outcomes[0]?.message).toMatch(first)
  })

  const lease: Leftover = {kind: 'Lease', name: 'mesh-ready-run-abc123', namespace: 'mesh-ready-probe', runId: 'abc123'}
  const alive = 'run def456 is still alive: its lease mesh-ready-probe/mesh-ready-run-def456 was renewed 5s ago (stale after 60s)'
  const live: Leftover = {kind: 'Pod', name: 'mesh-ready-probe-def456-g1', namespace: 'mesh-ready-probe', runId: 'def456', kept: alive}

  it.each([
    ['a stale run lease is removed', [lease], undefined, ['pass'], /^removed leftover run lease mesh-ready-probe\/mesh-ready-run-abc123 \(run abc123\)$/],
    ['a live run is left alone (skip, never counted as removed)', [pod, live], undefined, ['pass', 'skip'], /^removed leftover probe pod/],
    ['only live runs: a pass saying nothing of a finished run is left', [live], undefined, ['pass', 'skip'], /nothing of a finished run is left behind/],
    [
      '--dry-run says what it would remove',
      [pod],
      true,
      ['pass'],
      /^would remove leftover probe pod mesh-ready-probe\/mesh-ready-probe-abc123-g1 \(run abc123\) \(--dry-run\)$/,
    ],
  ] as const)('%s', (_name, leftovers, dryRun, severities, first) => {
    const outcomes = probeLeftovers.run({leftovers: {leftovers, unreadable: [], dryRun}})
    expect(outcomes.map((o) => o.severity)).toEqual(severities)
    expect(outcomes[0]?.message).toMatch(first)
    if ((severities as readonly string[]).includes('skip'))
      expect(outcomes.find((o) => o.severity === 'skip')?.message).toBe(`left probe pod mesh-ready-probe/mesh-ready-probe-def456-g1 alone: ${alive}`)
  })

  it('gives the delete command for a lease it could not remove', () => {
    const [outcome] = probeLeftovers.run({leftovers: {leftovers: [{...lease, error: 'forbidden'}], unreadable: []}})
    expect(outcome?.remediation?.command).toBe('kubectl -n mesh-ready-probe delete lease mesh-ready-run-abc123')
  })

  it('gives the delete command for what it could not remove', () => {
    const [outcome] = probeLeftovers.run({leftovers: {leftovers: [{...pod, error: 'forbidden'}], unreadable: []}})
    expect(outcome?.remediation?.command).toBe('kubectl -n mesh-ready-probe delete pod mesh-ready-probe-abc123-g1')
  })
})
