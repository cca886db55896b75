import {describe, expect, it} from 'vitest'
import {judgePlatform} from '../src/pipeline/platform.js'
import type {NodeShape} from './platform-fixtures.js'
import {inputsFrom, NODES} from './platform-fixtures.js'

describe('platform judging at scale', () => {
  it('judges 5,000 nodes and 20,000 NetworkPolicies in well under a few seconds', () => {
    const nodes: NodeShape[] = Array.from({length: 5000}, (_, i) => ({...NODES.eksEc2, name: `ip-10-0-${Math.floor(i / 250)}-${i % 250}.ec2.internal`}))
    const namespaces = Array.from({length: 1000}, (_, i) => `app-${i}`)
    const networkPolicies = namespaces.flatMap((namespace) =>
      Array.from({length: 20}, (_, j) => ({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: {namespace, name: `np-${j}`},
        spec: {podSelector: {matchLabels: {app: `a${j}`}}, ingress: [{from: [{podSelector: {}}]}]},
      })),
    )
    const inputs = inputsFrom({serverVersion: 'v1.30.2-eks-db838b0', nodes, namespaces, networkPolicies})
    const started = performance.now()
    const result = judgePlatform(inputs, {istioVersion: '1.30'})
    expect(performance.now() - started).toBeLessThan(3000)
    expect(result.detection).toMatchObject({platform: 'eks', confidence: 'high', mixed: false})
    const snat = result.findings.filter((f) => f.checkId === 'platform.network-policy-probe-snat')
    expect(snat).toHaveLength(1)
    expect(snat[0]!.message).toMatch(
      /^ambient: 1000 namespaces not in ambient yet have NetworkPolicies .*app-0 \(np-0, np-1, .*, and 995 more; their kubelet probes fail once enrolled$/,
    )
  })
})
