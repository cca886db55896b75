// Shared shapes of the Kubernetes objects the test API server handles. Only the fields the server
// itself reads are typed; everything else passes through untouched.

export type JsonObject = {[key: string]: unknown}

export interface OwnerReference {
  apiVersion: string
  kind: string
  name: string
  uid: string
  controller?: boolean
  blockOwnerDeletion?: boolean
}

export interface ObjectMeta {
  name?: string | undefined
  generateName?: string | undefined
  namespace?: string | undefined
  uid?: string | undefined
  resourceVersion?: string | undefined
  generation?: number | undefined
  creationTimestamp?: string | null | undefined
  deletionTimestamp?: string | undefined
  labels?: Record<string, string> | undefined
  annotations?: Record<string, string> | undefined
  ownerReferences?: OwnerReference[] | undefined
  finalizers?: string[] | undefined
  [key: string]: unknown
}

/**
 * Any Kubernetes object. Objects held by the store are shared (generated pods share their spec
 * parts), so never mutate one in place: copy it and write the copy back through the store.
 */
export interface KubeObject {
  apiVersion?: string
  kind?: string
  metadata: ObjectMeta
  spec?: JsonObject
  status?: JsonObject
  [key: string]: unknown
}

export interface EnvVar {
  name: string
  value?: string
  valueFrom?: unknown
}

export interface Container {
  name: string
  image?: string
  command?: string[]
  args?: string[]
  env?: EnvVar[]
  workingDir?: string
  terminationMessagePolicy?: 'File' | 'FallbackToLogsOnError'
  resources?: {requests?: Record<string, string>; limits?: Record<string, string>}
  securityContext?: JsonObject & {privileged?: boolean}
  ports?: Array<{containerPort: number; name?: string; protocol?: string}>
  volumeMounts?: Array<{name: string; mountPath: string; readOnly?: boolean}>
}

export interface PodSpec extends JsonObject {
  nodeName?: string
  containers: Container[]
  initContainers?: Container[]
  restartPolicy?: 'Always' | 'OnFailure' | 'Never'
  activeDeadlineSeconds?: number
  hostNetwork?: boolean
  readinessGates?: unknown[]
  volumes?: Array<{name: string; configMap?: {name?: string}} & JsonObject>
}

export interface ContainerState {
  waiting?: {reason?: string | undefined; message?: string | undefined} | undefined
  running?: {startedAt?: string | undefined} | undefined
  terminated?:
    | {
        exitCode: number
        reason?: string | undefined
        message?: string | undefined
        startedAt?: string | undefined
        finishedAt?: string | undefined
        containerID?: string | undefined
        signal?: number | undefined
      }
    | undefined
}

export interface ContainerStatus {
  name: string
  image?: string
  imageID?: string
  containerID?: string
  ready: boolean
  started?: boolean
  restartCount: number
  state: ContainerState
  lastState?: ContainerState
}

export interface PodCondition {
  type: string
  status: 'True' | 'False' | 'Unknown'
  reason?: string
  message?: string
  lastProbeTime?: string | null
  lastTransitionTime?: string
}

export interface PodStatus extends JsonObject {
  phase?: string
  reason?: string
  message?: string
  hostIP?: string
  podIP?: string
  startTime?: string
  conditions?: PodCondition[]
  containerStatuses?: ContainerStatus[]
  initContainerStatuses?: ContainerStatus[]
  qosClass?: string
}

export interface Pod extends KubeObject {
  spec: PodSpec
  status?: PodStatus
}

export interface NodeStatus extends JsonObject {
  addresses?: Array<{type: string; address: string}>
  conditions?: Array<{type: string; status: string; reason?: string; message?: string}>
  nodeInfo?: Record<string, string>
}

export interface Node extends KubeObject {
  spec?: JsonObject & {unschedulable?: boolean; podCIDR?: string; podCIDRs?: string[]}
  status?: NodeStatus
}

export interface StatusDetails {
  name?: string | undefined
  group?: string | undefined
  kind?: string | undefined
  uid?: string | undefined
  causes?: Array<{reason?: string | undefined; message?: string; field?: string}>
  retryAfterSeconds?: number | undefined
}

/** meta/v1 Status, the body of every error response. */
export interface Status {
  kind: 'Status'
  apiVersion: 'v1'
  metadata: {continue?: string; resourceVersion?: string}
  status: 'Success' | 'Failure'
  message?: string
  reason?: string
  details?: StatusDetails
  /** Absent on the Success status a DELETE returns, as on the real server. */
  code?: number
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
