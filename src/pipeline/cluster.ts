import {clusterChecks} from '../checks/cluster/index.js'
import {known} from '../model/finding.js'
import {runChecks} from '../checks/run.js'
import type {ClusterFacts, PermissionNamespaces} from '../gather/cluster.js'
import {gatherApiServer, gatherPermissions} from '../gather/cluster.js'
import type {KubeClient} from '../gather/kube/client.js'
import type {PermissionArea} from '../gather/reads.js'
import type {AreaResult} from '../model/area.js'

export interface ClusterAreaOptions {
  istioVersion: string
  /** Which command areas will run, so only their permissions are checked. */
  areas: readonly PermissionArea[]
  namespaces: PermissionNamespaces
}

/** Cluster preflight: API server, Kubernetes version against Istio's support table, and the caller's permissions. */
export async function clusterArea(client: KubeClient, options: ClusterAreaOptions): Promise<AreaResult> {
  const apiServer = await gatherApiServer(client)
  const facts: ClusterFacts = {
    apiServer,
    istioVersion: known(options.istioVersion),
    permissions: await gatherPermissions(client, options.areas, options.namespaces),
  }
  const server = apiServer.state === 'known' ? apiServer.value : undefined
  return {findings: runChecks(clusterChecks, facts), data: {kubernetesVersion: server?.gitVersion ?? null}}
}
