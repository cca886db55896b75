import {describe, expect, it} from 'vitest'
import {kubernetesVersion} from '../../src/checks/cluster/kubernetes-version.js'
import {ISTIO_RELEASES} from '../../src/knowledge/istio-releases.js'

const run = (minor: string, istio: string) =>
  kubernetesVersion.run({apiServer: {reachable: true, latencyMs: 1, gitVersion: `v1.${minor}.0`, major: '1', minor}, istioVersion: istio})

describe('cluster.kubernetes-version', () => {
  it.each([
    // [kubernetes minor, istio, expected severity]
    ['32', '1.30', 'pass'],
    ['36', '1.30', 'pass'],
    ['31', '1.30', 'warn'], // tested, not supported
    ['27', '1.30', 'warn'],
    ['26', '1.30', 'fail'], // older than anything tested
    ['37', '1.30', 'warn'], // newer than supported
    ['30', '1.28', 'pass'],
    ['29', '1.26', 'pass'],
    ['28', '1.24', 'pass'],
    ['22', '1.23', 'fail'],
    ['31', '1.99', 'unknown'], // no data for that release
  ])('Kubernetes 1.%s with Istio %s → %s', (minor, istio, expected) => {
    const [outcome] = run(minor, istio)
    expect(outcome?.severity).toBe(expected)
  })

  it('tolerates provider-suffixed minors such as "31+"', () => {
    const [outcome] = run('31+', '1.29')
    expect(outcome?.severity).toBe('pass')
    expect(outcome?.message).toContain('1.31')
  })

  it('names a release that supports the cluster when the judged one does not', () => {
    const [outcome] = run('29', '1.30')
    expect(outcome?.remediation?.text).toContain('Istio 1.27 supports Kubernetes 1.29') // 1.28 starts at 1.30
  })

  it('keeps the release table ordered newest first with sane ranges', () => {
    const versions = ISTIO_RELEASES.map((r) => Number(r.version.split('.')[1]))
    expect([...versions].sort((a, b) => b - a)).toEqual(versions)
    for (const r of ISTIO_RELEASES) expect(Number(r.supported[0].split('.')[1])).toBeLessThanOrEqual(Number(r.supported[1].split('.')[1]))
  })
})
