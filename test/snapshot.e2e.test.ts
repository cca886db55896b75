import {afterAll, describe, expect, it} from 'vitest'
import type {Scenario, TestApiServer} from '../test-cluster/index.js'
import {startApiServer} from '../test-cluster/index.js'
import {runCli} from './helpers/cli.js'

/**
 * `check` gathers one shared snapshot for all areas (issue 11): every read the areas share — /version, each page of
 * the node list, the namespace and DaemonSet lists, a -n namespace — is requested once per run, and so is every
 * other read. Not reads of the snapshot: writes (probe pods, access reviews, the dry run), watches, logs, and the
 * probe session's GETs of its own namespace and pods (it polls them and must see fresh answers).
 */

interface Recorded {
  readonly method: string
  readonly path: string
  readonly query: Readonly<Record<string, string>>
}

function snapshotReads(requests: readonly Recorded[], probeNamespace: string): Recorded[] {
  return requests.filter(
    (r) =>
      r.method === 'GET' &&
      r.query.watch !== 'true' &&
      r.query.watch !== '1' &&
      !r.path.endsWith('/log') &&
      r.path !== `/api/v1/namespaces/${probeNamespace}` &&
      !r.path.startsWith(`/api/v1/namespaces/${probeNamespace}/`),
  )
}

/** One key per page: the path and the page's continue token. A second read of a path with another selector counts too. */
const pageKey = (r: Recorded) => (r.query.continue ? `${r.path} (continue ${r.query.continue})` : r.path)

function readsMoreThanOnce(reads: readonly Recorded[]): string[] {
  const counts = new Map<string, number>()
  for (const r of reads) counts.set(pageKey(r), (counts.get(pageKey(r)) ?? 0) + 1)
  return [...counts].filter(([, n]) => n > 1).map(([key, n]) => `${n} × GET ${key}`)
}

/** The demo with 900 nodes in its three pools: the node list takes two pages of 500. */
const pagedDemo: Scenario = {
  name: 'demo-paged',
  extends: 'demo',
  generate: {
    createdAt: '2025-09-15T08:00:00Z',
    nodeGroups: [
      {
        namePrefix: 'worker-a',
        count: 300,
        kernelVersion: '6.1.0-56-amd64',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        containerRuntimeVersion: 'containerd://1.7.24',
        kubeletVersion: 'v1.30.8',
        podCIDRPrefix: '10.244',
      },
      {
        namePrefix: 'worker-b',
        count: 300,
        kernelVersion: '6.18.0',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        containerRuntimeVersion: 'containerd://1.7.24',
        kubeletVersion: 'v1.30.8',
        podCIDRPrefix: '10.245',
      },
      {
        namePrefix: 'edge-arm',
        count: 300,
        kernelVersion: '4.9.165',
        osImage: 'Android 10 (Pixel 3a vendor kernel)',
        architecture: 'arm64',
        containerRuntimeVersion: 'containerd://1.7.24',
        kubeletVersion: 'v1.30.8',
        podCIDRPrefix: '10.246',
      },
    ],
  },
} as Scenario

const RUNS: ReadonlyArray<{name: string; scenario: string | Scenario; args: string[]; nodePages: number}> = [
  {name: 'demo', scenario: 'demo', args: [], nodePages: 1},
  {name: 'demo -n shop', scenario: 'demo', args: ['-n', 'shop'], nodePages: 1},
  {name: 'demo with 900 nodes', scenario: pagedDemo, args: [], nodePages: 2},
  {name: 'platform-denied (lists read namespace by namespace)', scenario: 'platform-denied', args: [], nodePages: 1},
  {name: 'pods-istio-cni (Istio installed)', scenario: 'pods-istio-cni', args: [], nodePages: 1},
]

describe('check reads one shared snapshot', () => {
  const servers: TestApiServer[] = []
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()))
  })

  it.each(RUNS)(
    '$name: each read is requested once',
    async ({scenario, args, nodePages}) => {
      const server = await startApiServer({scenario})
      servers.push(server)
      const result = await runCli(['check', '--kubeconfig', server.kubeconfigPath, '-o', 'json', ...args])
      expect(result.stderr).not.toMatch(/internal error/)
      const report = JSON.parse(result.stdout) as {data?: {nodes?: {probe?: {namespace?: string}}}}
      const reads = snapshotReads(server.requests, report.data?.nodes?.probe?.namespace ?? 'mesh-ready-probe')
      expect(reads.filter((r) => r.path === '/version')).toHaveLength(1)
      // The node list is read page by page (the nodes area starts probes as nodes arrive): each page once.
      const pages = reads.filter((r) => r.path === '/api/v1/nodes')
      expect(pages).toHaveLength(nodePages)
      expect(new Set(pages.map(pageKey)).size).toBe(nodePages)
      expect(readsMoreThanOnce(reads)).toEqual([])
      // The probe session's own reads are still made (fresh answers), outside the snapshot.
      if (report.data?.nodes?.probe?.namespace) expect(server.requests.some((r) => r.method === 'GET' && r.query.watch === 'true')).toBe(true)
    },
    90_000,
  )
})
