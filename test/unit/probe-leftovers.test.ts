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
    ['could not remove a pod', [{...pod, error: 'forbidden: you may not delete pods in namespace mesh-ready-probe'}], [], ['warn'], /could not remove probe pod mesh-ready-probe\/mesh-ready-probe-abc123-g1/],
    ['removed what it saw, blind elsewhere', [ns], [forbidden], ['unknown', 'pass'], /could not look/],
  ] as const)('%s', (_name, leftovers, unreadable, severities, first) => {
    const outcomes = probeLeftovers.run({leftovers: {leftovers, unreadable}})
    expect(outcomes.map((o) => o.severity)).toEqual(severities)
    expect(outcomes[0]?.message).toMatch(first)
  })

  it('gives the delete command for what it could not remove', () => {
    const [outcome] = probeLeftovers.run({leftovers: {leftovers: [{...pod, error: 'forbidden'}], unreadable: []}})
    expect(outcome?.remediation?.command).toBe('kubectl -n mesh-ready-probe delete pod mesh-ready-probe-abc123-g1')
  })
})
