import {readFileSync} from 'node:fs'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {permissionsDoc} from '../scripts/permissions-doc.js'
import {allChecks} from '../src/checks/index.js'
import {API_READS, declaredRead, permissionOf} from '../src/gather/reads.js'
import {startApiServer} from '../test-cluster/index.js'
import type {TestApiServer} from '../test-cluster/index.js'
import {repoRoot, runCli} from './helpers/cli.js'

/** Clusters that between them make every kind of request: probes, OpenShift, EKS, Cilium, Calico, GKE, PSP. */
const SCENARIOS = [
  'demo',
  'platform-openshift',
  'platform-eks-standard',
  'platform-cilium-default-deny',
  'platform-gke-quota',
  'pods-psp',
  'pods-openshift',
  'platform-k3s',
]

describe('declared API reads (src/gather/reads.ts)', () => {
  const servers: TestApiServer[] = []
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()))
  })

  it('maps requests to the permission RBAC checks', () => {
    expect(permissionOf('GET', '/api/v1/nodes?limit=500')).toEqual({verb: 'list', group: '', resource: 'nodes'})
    expect(permissionOf('GET', '/api/v1/namespaces/p/pods?watch=true')).toEqual({verb: 'watch', group: '', resource: 'pods', namespace: 'p'})
    expect(permissionOf('GET', '/api/v1/namespaces/p/pods/x/log')).toEqual({verb: 'get', group: '', resource: 'pods/log', namespace: 'p'})
    expect(permissionOf('DELETE', '/apis/coordination.k8s.io/v1/namespaces/p/leases/l')).toEqual({
      verb: 'delete',
      group: 'coordination.k8s.io',
      resource: 'leases',
      namespace: 'p',
    })
    expect(permissionOf('GET', '/version')).toBeUndefined()
    expect(permissionOf('GET', '/apis')).toBeUndefined()
    // A namespaced declaration does not cover a cluster-wide request, nor one in another fixed namespace.
    expect(declaredRead({verb: 'get', group: '', resource: 'services', namespace: 'default'})).toBeDefined()
    expect(declaredRead({verb: 'get', group: '', resource: 'services', namespace: 'other'})).toBeUndefined()
    expect(declaredRead({verb: 'create', group: '', resource: 'pods'})).toBeUndefined()
    expect(declaredRead({verb: 'list', group: 'apps', resource: 'statefulsets'})).toBeUndefined()
  })

  it('names only checks that exist', () => {
    const ids = new Set(allChecks.map((c) => c.id))
    for (const read of API_READS) for (const id of read.checks) expect(ids.has(id), `${read.verb} ${read.resource} names ${id}`).toBe(true)
  })

  it('docs/permissions.md is generated from the declarations (run npm run docs)', () => {
    expect(readFileSync(path.join(repoRoot, 'docs/permissions.md'), 'utf8')).toBe(permissionsDoc())
  })

  const RUNS = [
    ...SCENARIOS.map((scenario) => ({scenario, args: ['check']})),
    {scenario: 'demo', args: ['nodes', '--all-nodes', '--functional']},
    {scenario: 'demo', args: ['pods', '-n', 'shop']},
    {scenario: 'demo', args: ['cleanup']},
    {scenario: 'nodes-rbac', args: ['cleanup']},
  ].map((run) => ({...run, command: run.args.join(' ')}))
  it.each(RUNS)('$command on $scenario makes no request that is not declared', async ({scenario, args}) => {
    const server = await startApiServer({scenario})
    servers.push(server)
    const result = await runCli([...args, '--kubeconfig', server.kubeconfigPath, '-o', 'json'])
    expect(result.stderr).not.toMatch(/internal error/)
    const requests = server.requests.map((r) => ({method: r.method, url: `${r.path}?${new URLSearchParams(r.query)}`}))
    expect(requests.length).toBeGreaterThan(2)
    const undeclared = [
      ...new Set(
        requests.flatMap(({method, url}) => {
          const p = permissionOf(method, url)
          return p === undefined || declaredRead(p) !== undefined
            ? []
            : [`${p.verb} ${p.group || 'core'}/${p.resource}${p.namespace ? ` in ${p.namespace}` : ' (cluster-wide)'}: ${method} ${url.split('?')[0]}`]
        }),
      ),
    ]
    expect(undeclared).toEqual([])
  })
})
