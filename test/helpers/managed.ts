import type {KubeObject, TestApiServer} from '../../test-cluster/index.js'

const MANAGED = 'app.kubernetes.io/managed-by'

/** An object the plugin made (probe pods, DaemonSets, ConfigMaps, leases, the probe namespace). */
export const isManaged = (o: KubeObject) => o.metadata.labels?.[MANAGED] === 'kubectl-mesh-ready'

/** Names of the plugin's objects of one resource (store key: `pods`, `apps/daemonsets`) still in the server. */
export const managedNames = (server: TestApiServer, resource: string) =>
  server.store
    .list(resource)
    .filter(isManaged)
    .map((o) => o.metadata.name)

/** Records the plugin's objects of one resource as the server stored them on create. */
export function captureManaged(server: TestApiServer, resource: string): KubeObject[] {
  const created: KubeObject[] = []
  server.store.subscribe((e) => {
    if (e.resource === resource && e.type === 'ADDED' && isManaged(e.object)) created.push(e.object)
  })
  return created
}
