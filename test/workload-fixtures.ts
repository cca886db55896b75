/** Builds workload facts from pod/Service manifests through the real reduction, for the table-driven check tests. */
import type {Fact} from '../src/model/finding.js'
import {known, unavailable} from '../src/model/finding.js'
import {deriveWorkloadFacts, type WorkloadFacts} from '../src/derive/workloads/context.js'
import type {LegacyAdmission, MeshInstall, WorkloadInventory} from '../src/gather/workloads.js'
import {ServiceIndex, serviceSummary, WorkloadAccumulator} from '../src/gather/workloads-shape.js'
import type {ModeFlag} from '../src/knowledge/mesh-labels.js'

export interface PodSpec {
  hostNetwork?: boolean
  serviceAccountName?: string
  securityContext?: {runAsUser?: number; runAsGroup?: number}
  containers: Array<{
    name: string
    image?: string
    ports?: Array<{containerPort: number; name?: string; protocol?: string}>
    securityContext?: {runAsUser?: number; runAsGroup?: number}
  }>
  initContainers?: PodSpec['containers']
}

/** `count` pods of a Deployment `name` in `namespace` (ReplicaSet `<name>-abc12`), labelled app/version unless overridden. */
export function deploymentPods(namespace: string, name: string, spec: PodSpec, options: {count?: number; labels?: Record<string, string>} = {}) {
  const hash = 'abc12'
  return Array.from({length: options.count ?? 2}, (_, i) => ({
    metadata: {
      name: `${name}-${hash}-${i}`,
      namespace,
      labels: {...(options.labels ?? {app: name, version: 'v1'}), 'pod-template-hash': hash},
      ownerReferences: [{apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${name}-${hash}`, uid: 'u', controller: true}],
    },
    spec,
  }))
}

export const container = (name: string, ports: number[] = [8080], extra: Partial<PodSpec['containers'][number]> = {}) => ({
  name,
  image: `example.com/${name}:1`,
  ports: ports.map((containerPort) => ({containerPort})),
  ...extra,
})

export function service(
  namespace: string,
  name: string,
  selector: Record<string, string>,
  ports: Array<Record<string, unknown>>,
  spec: Record<string, unknown> = {},
) {
  return {metadata: {name, namespace}, spec: {selector, ports, ...spec}}
}

export interface FactsInput {
  pods: unknown[]
  services?: unknown[]
  namespaces?: Record<string, Fact<Record<string, string>> | Record<string, string>>
  mesh?: Partial<MeshInstall>
  admission?: Partial<LegacyAdmission>
  mode?: ModeFlag
  istioNamespace?: string
  deniedPods?: Record<string, string>
}

export const NO_ISTIO: MeshInstall = {cniDaemonSet: known(null), ztunnelDaemonSet: known(null), injectorCni: known(null)}

export function factsOf(input: FactsInput): WorkloadFacts {
  const summaries = (input.services ?? []).map(serviceSummary).filter((s) => s !== undefined)
  const index = new ServiceIndex()
  for (const s of summaries) index.add(s)
  const accumulator = new WorkloadAccumulator(index, () => undefined)
  for (const pod of input.pods) accumulator.add(pod)
  const workloads = accumulator.summaries()
  const names = new Set([...workloads.map((w) => w.namespace), ...Object.keys(input.namespaces ?? {}), ...Object.keys(input.deniedPods ?? {})])
  const labelsOf = (ns: string): Fact<Record<string, string>> => {
    const given = input.namespaces?.[ns] ?? {}
    return 'state' in given ? (given as Fact<Record<string, string>>) : known(given as Record<string, string>)
  }
  const inventory: WorkloadInventory = {
    allNamespaces: false,
    namespaces: [...names].sort().map((name) => ({
      name,
      labels: labelsOf(name),
      pods: input.deniedPods?.[name] ? unavailable(input.deniedPods[name]!) : known(true as const),
      services: known(true as const),
    })),
    workloads,
    services: summaries,
    pods: accumulator.pods,
    cronJobs: known(true as const),
  }
  return deriveWorkloadFacts({
    inventory: known(inventory),
    mesh: known({...NO_ISTIO, ...input.mesh}),
    admission: known({podSecurityPolicies: known(null), securityContextConstraints: known(null), ...input.admission}),
    settings: known({mode: input.mode ?? 'auto', istioNamespace: input.istioNamespace ?? 'istio-system'}),
  })
}
