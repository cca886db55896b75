/**
 * `kubectl mesh-ready cleanup` through the real kubectl against the test API server: it removes what finished runs
 * left behind, never the pods of a run that is still alive (its Lease renewed within leaseDurationSeconds), has
 * --dry-run, lists what it removed and says so in its own verdict words (never "READY for Istio").
 */
import {spawn} from 'node:child_process'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {LEASE_DURATION_SECONDS, LEASE_RENEW_SECONDS, PROBE_NAMESPACE, microTime} from '../src/gather/probe/pods.js'
import {MANAGED_BY_LABEL, MANAGED_BY_VALUE, RUN_ID_LABEL} from '../src/gather/probe/labels.js'
import type {KubeObject, TestApiServer} from '../test-cluster/index.js'
import {startApiServer} from '../test-cluster/index.js'
import {pluginPathDir, run} from './helpers/cli.js'

const pluginDir = pluginPathDir()
const env = (): NodeJS.ProcessEnv => ({...process.env, NO_COLOR: '1', PATH: `${pluginDir}${path.delimiter}${process.env.PATH}`})
const kubectl = (args: readonly string[]) => run('kubectl', ['mesh-ready', ...args], {env: env()})
const labels = (runId: string) => ({[MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [RUN_ID_LABEL]: runId})
const ago = (seconds: number) => microTime(new Date(Date.now() - seconds * 1000))

const probePod = (runId: string, node: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {name: `mesh-ready-probe-${runId}-g1`, namespace: PROBE_NAMESPACE, labels: labels(runId)},
  spec: {nodeName: node, restartPolicy: 'Never', containers: [{name: 'probe', image: 'docker.io/library/busybox:1.37', command: ['true']}]},
})
const lease = (runId: string, renewedSecondsAgo: number): KubeObject => ({
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: {name: `mesh-ready-run-${runId}`, namespace: PROBE_NAMESPACE, labels: labels(runId)},
  spec: {
    holderIdentity: 'kubectl-mesh-ready@test/1',
    leaseDurationSeconds: LEASE_DURATION_SECONDS,
    acquireTime: ago(renewedSecondsAgo + 30),
    renewTime: ago(renewedSecondsAgo),
  },
})

interface Summary {
  dryRun: boolean
  removed: Array<{kind: string; name: string; runId?: string}>
  failed: unknown[]
  kept: Array<{kind: string; name: string; kept: string}>
}

describe('kubectl mesh-ready cleanup', {timeout: 180_000}, () => {
  let server: TestApiServer
  const names = (resource: string, namespace?: string) =>
    server.store
      .list(resource, namespace)
      .map((o) => o.metadata.name)
      .sort()
  const cleanup = async (...args: string[]) => {
    const r = await kubectl(['cleanup', '--kubeconfig', server.kubeconfigPath, ...args])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).not.toMatch(/READY/)
    return r
  }
  const json = async (...args: string[]) => JSON.parse((await cleanup(...args, '-o', 'json')).stdout).data.cleanup as Summary
  const what = (list: Array<{kind: string; name: string}>) => list.map((l) => `${l.kind}/${l.name}`).sort()

  beforeAll(async () => {
    server = await startApiServer({scenario: 'kind-small'})
    const node = names('nodes')[0]!
    server.store.put('namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {name: PROBE_NAMESPACE, labels: {...labels('dead01'), 'pod-security.kubernetes.io/enforce': 'privileged'}},
    })
    // dead01: killed long ago (its lease went stale); nolease01: a run that could not create a lease; live01: running.
    server.store.put('pods', probePod('dead01', node))
    server.store.put('coordination.k8s.io/leases', lease('dead01', 10 * 60))
    server.store.put('pods', probePod('nolease01', node))
    server.store.put('pods', probePod('live01', node))
    server.store.put('coordination.k8s.io/leases', lease('live01', 2))
  })
  afterAll(() => server?.stop())

  it('--dry-run lists what it would remove and deletes nothing', async () => {
    const before = [names('pods', PROBE_NAMESPACE), names('coordination.k8s.io/leases', PROBE_NAMESPACE)]
    const summary = await json('--dry-run')
    expect(summary.dryRun).toBe(true)
    expect(what(summary.removed)).toEqual(['Lease/mesh-ready-run-dead01', 'Pod/mesh-ready-probe-dead01-g1', 'Pod/mesh-ready-probe-nolease01-g1'])
    expect(what(summary.kept)).toEqual([`Lease/mesh-ready-run-live01`, `Namespace/${PROBE_NAMESPACE}`, 'Pod/mesh-ready-probe-live01-g1'])
    expect([names('pods', PROBE_NAMESPACE), names('coordination.k8s.io/leases', PROBE_NAMESPACE)]).toEqual(before)
    const table = (await cleanup('--dry-run')).stdout
    expect(table).toMatch(/^WOULD REMOVE 3 objects \(--dry-run\) on kind-small — left 3 objects of live runs alone$/m)
    expect(table, table).toMatch(/^would remove +Pod +mesh-ready-probe\/mesh-ready-probe-dead01-g1 +dead01$/m)
    expect(table).toMatch(/^kept: alive +Pod +mesh-ready-probe\/mesh-ready-probe-live01-g1 +live01$/m)
  })

  it('removes the objects of finished runs, lists them, and leaves a live run (and its namespace) alone', async () => {
    const r = await cleanup()
    expect(r.stdout).toMatch(/^CLEAN: removed 3 objects on kind-small — left 3 objects of live runs alone$/m)
    expect(r.stdout, r.stdout).toMatch(/^removed +Pod +mesh-ready-probe\/mesh-ready-probe-dead01-g1 +dead01$/m)
    expect(r.stdout).toMatch(/^removed +Lease +mesh-ready-probe\/mesh-ready-run-dead01 +dead01$/m)
    expect(r.stdout).toMatch(/^removed +Pod +mesh-ready-probe\/mesh-ready-probe-nolease01-g1 +nolease01$/m)
    expect(names('pods', PROBE_NAMESPACE)).toEqual(['mesh-ready-probe-live01-g1'])
    expect(names('coordination.k8s.io/leases', PROBE_NAMESPACE)).toEqual(['mesh-ready-run-live01'])
    expect(server.store.get('namespaces', PROBE_NAMESPACE)?.metadata.deletionTimestamp).toBeUndefined()
  })

  it(`a run whose lease was not renewed for ${LEASE_DURATION_SECONDS}s is over: everything goes, then nothing is left to clean`, async () => {
    server.store.put('coordination.k8s.io/leases', lease('live01', LEASE_DURATION_SECONDS + 5))
    const summary = await json()
    expect(what(summary.removed)).toEqual(['Lease/mesh-ready-run-live01', `Namespace/${PROBE_NAMESPACE}`, 'Pod/mesh-ready-probe-live01-g1'])
    expect(summary.kept).toEqual([])
    for (let i = 0; i < 100 && server.store.get('namespaces', PROBE_NAMESPACE); i++) await new Promise((r) => setTimeout(r, 100))
    const again = await cleanup()
    expect(again.stdout).toMatch(/^NOTHING TO CLEAN on kind-small$/m)
  })
})

describe('a real probe run holds a lease that cleanup respects', {timeout: 240_000}, () => {
  let server: TestApiServer
  beforeAll(async () => {
    server = await startApiServer({scenario: 'nodes-slow'}) // probes keep running for a minute
  })
  afterAll(() => server?.stop())

  it('cleanup during a run keeps its probe pods; the run renews its lease and removes it when it ends', async () => {
    const child = spawn('kubectl', ['mesh-ready', 'nodes', '--kubeconfig', server.kubeconfigPath, '--timeout', '3m', '-o', 'json'], {
      env: env(),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
    const waitFor = async (what: string, test: () => boolean, ms: number) => {
      const until = Date.now() + ms
      while (!test()) {
        if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
        await new Promise((r) => setTimeout(r, 200))
      }
    }
    try {
      const probes = () => server.store.list('pods', PROBE_NAMESPACE).filter((p) => p.metadata.name?.startsWith('mesh-ready-probe-'))
      await waitFor('the probe pods', () => probes().length > 0, 90_000)
      const leases = () => server.store.list('coordination.k8s.io/leases', PROBE_NAMESPACE)
      expect(leases()).toHaveLength(1)
      const runId = leases()[0]!.metadata.labels?.[RUN_ID_LABEL]
      expect(probes().every((p) => p.metadata.labels?.[RUN_ID_LABEL] === runId)).toBe(true)

      const during = await kubectl(['cleanup', '--kubeconfig', server.kubeconfigPath, '-o', 'json'])
      expect(during.code, during.stderr).toBe(0)
      const summary = JSON.parse(during.stdout).data.cleanup as Summary
      expect(summary.removed).toEqual([])
      expect(summary.kept.map((k) => k.kind).sort()).toEqual(['Lease', 'Namespace', ...probes().map(() => 'Pod')].sort())
      expect(summary.kept[0]!.kept).toMatch(
        new RegExp(
          `^run ${runId} is still alive: its lease ${PROBE_NAMESPACE}/mesh-ready-run-${runId} was renewed \\d+s ago \\(stale after ${LEASE_DURATION_SECONDS}s\\)$`,
        ),
      )
      expect(probes().length).toBeGreaterThan(0)

      // The heartbeat: renewTime moves on while the run lives.
      const spec = () => leases()[0]?.spec as {renewTime?: string; acquireTime?: string} | undefined
      await waitFor('a lease renewal', () => spec() !== undefined && spec()!.renewTime !== spec()!.acquireTime, (LEASE_RENEW_SECONDS + 30) * 1000)
    } finally {
      child.kill('SIGTERM')
    }
    expect(await exited).toBe(143)
    expect(server.store.list('coordination.k8s.io/leases', PROBE_NAMESPACE)).toEqual([])
  })
})
