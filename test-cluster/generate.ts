// Scale generation (`generate:` in a scenario): realistic Nodes, and Deployments with their
// ReplicaSets and Pods. Objects of one ReplicaSet share their immutable parts (spec pieces, labels,
// owner references, container statuses), which keeps 100k pods cheap; the store never mutates them.
import {createHash, randomUUID} from 'node:crypto'
import type {GenerateConfig, GeneratedNodeGroup, WorkloadConfig} from './scenario.js'
import type {KubeObject, Node} from './types.js'
import {timestamp} from './util.js'

/** Receives each generated object with its store key. */
export type Sink = (resource: string, obj: KubeObject) => void

/** What workload generation needs to know about a node to place pods on it. */
export interface NodeSlot {
  name: string
  hostIP: string
  podCIDR?: string
}

function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0)
}

function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.')
}

const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789'

/** A deterministic name suffix (like the controllers' random ones) from a number. */
function suffix(n: number, length: number): string {
  let out = ''
  let x = n
  for (let i = 0; i < length; i++) {
    out = ALPHABET[x % ALPHABET.length]! + out
    x = Math.floor(x / ALPHABET.length)
  }
  return out
}

function hashSuffix(text: string, length: number): string {
  const h = createHash('sha1').update(text).digest()
  let out = ''
  for (let i = 0; i < length; i++) out += ALPHABET[h[i]! % ALPHABET.length]
  return out
}

function nodeName(prefix: string, i: number): string {
  return prefix.endsWith('-') ? `${prefix}${i}` : `${prefix}-${i}`
}

export function generateNodes(groups: readonly GeneratedNodeGroup[], created: string, sink: Sink): NodeSlot[] {
  const slots: NodeSlot[] = []
  let global = 0
  for (const g of groups) {
    for (let i = 0; i < g.count; i++, global++) {
      const name = nodeName(g.namePrefix, i)
      const hostIP = intToIp(ipToInt('172.18.0.2') + global)
      const cidrBase = g.podCIDRPrefix ? ipToInt(`${g.podCIDRPrefix}.0.0`) + i * 256 : ipToInt('10.244.0.0') + global * 256
      const podCIDR = `${intToIp(cidrBase)}/24`
      const arch = g.architecture ?? 'amd64'
      const node: Node = {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name,
          creationTimestamp: created,
          labels: {
            'beta.kubernetes.io/arch': arch,
            'beta.kubernetes.io/os': 'linux',
            'kubernetes.io/arch': arch,
            'kubernetes.io/hostname': name,
            'kubernetes.io/os': 'linux',
            ...g.labels,
          },
          annotations: {
            'node.alpha.kubernetes.io/ttl': '0',
            'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
          },
        },
        spec: {podCIDR, podCIDRs: [podCIDR], providerID: `kind://docker/cluster/${name}`, ...(g.taints ? {taints: g.taints} : {})},
        status: {
          addresses: [
            {type: 'InternalIP', address: hostIP},
            {type: 'Hostname', address: name},
          ],
          allocatable: {cpu: '8', 'ephemeral-storage': '102625208Ki', 'hugepages-2Mi': '0', memory: '32781536Ki', pods: '110'},
          capacity: {cpu: '8', 'ephemeral-storage': '102625208Ki', 'hugepages-2Mi': '0', memory: '32781536Ki', pods: '110'},
          conditions: [
            {type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available'},
            {type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure'},
            {type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available'},
            {type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status'},
          ],
          daemonEndpoints: {kubeletEndpoint: {Port: 10250}},
          nodeInfo: {
            architecture: arch,
            bootID: randomUUID(),
            containerRuntimeVersion: g.containerRuntimeVersion ?? 'containerd://1.7.18',
            kernelVersion: g.kernelVersion,
            kubeProxyVersion: g.kubeletVersion ?? 'v1.31.4',
            kubeletVersion: g.kubeletVersion ?? 'v1.31.4',
            machineID: createHash('md5').update(name).digest('hex'),
            operatingSystem: 'linux',
            osImage: g.osImage,
            systemUUID: randomUUID(),
          },
        },
      }
      sink('nodes', node)
      slots.push({name, hostIP, podCIDR})
    }
  }
  return slots
}

const APP_NAMES = [
  'frontend',
  'backend',
  'api',
  'worker',
  'cache',
  'auth',
  'payments',
  'search',
  'catalog',
  'cart',
  'checkout',
  'notifications',
  'reports',
  'gateway',
  'scheduler',
  'ingestor',
]

function appName(j: number): string {
  const base = APP_NAMES[j % APP_NAMES.length]!
  return j < APP_NAMES.length ? base : `${base}-${Math.floor(j / APP_NAMES.length)}`
}

export function generateWorkloads(w: WorkloadConfig, nodes: readonly NodeSlot[], created: string, sink: Sink): void {
  const perNode = new Map<string, number>()
  let podIndex = 0
  let serviceIndex = 0
  const prefix = w.namespacePrefix ?? 'app'
  const running = {
    conditions: [
      {type: 'PodReadyToStartContainers', status: 'True', lastProbeTime: null, lastTransitionTime: created},
      {type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: created},
      {type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: created},
      {type: 'ContainersReady', status: 'True', lastProbeTime: null, lastTransitionTime: created},
      {type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: created},
    ],
  }
  for (let n = 0; n < w.namespaces; n++) {
    const namespace = `${prefix}-${n}`
    sink('namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {name: namespace, creationTimestamp: created, labels: {'kubernetes.io/metadata.name': namespace}},
      spec: {finalizers: ['kubernetes']},
      status: {phase: 'Active'},
    })
    for (let j = 0; j < w.deployments; j++) {
      const app = appName(j)
      const image = `registry.example.com/${prefix}/${app.replace(/-\d+$/, '')}:1.${j % 7}.0`
      const replicas = w.podsPerDeployment
      const deployUid = randomUUID()
      const rsUid = randomUUID()
      const hash = hashSuffix(`${namespace}/${app}`, 10)
      const rsName = `${app}-${hash}`
      const containers = [
        {
          name: app.replace(/-\d+$/, ''),
          image,
          imagePullPolicy: 'IfNotPresent',
          ports: [{name: 'http', containerPort: 8080, protocol: 'TCP'}, ...(j % 3 === 0 ? [{containerPort: 9090, protocol: 'TCP'}] : [])],
          resources: {requests: {cpu: '100m', memory: '128Mi'}, limits: {memory: '256Mi'}},
          securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: ['ALL']}, readOnlyRootFilesystem: true},
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
        },
      ]
      const podSpec = {
        containers,
        dnsPolicy: 'ClusterFirst',
        enableServiceLinks: true,
        preemptionPolicy: 'PreemptLowerPriority',
        priority: 0,
        restartPolicy: 'Always',
        schedulerName: 'default-scheduler',
        securityContext: {runAsNonRoot: true, runAsUser: 10001, seccompProfile: {type: 'RuntimeDefault'}},
        serviceAccountName: 'default',
        terminationGracePeriodSeconds: 30,
      }
      const selector = {matchLabels: {app}}
      const podLabels = {app, version: 'v1', 'pod-template-hash': hash}
      const template = {metadata: {labels: {app, version: 'v1'}}, spec: podSpec}
      const readyStatus = {observedGeneration: 1, replicas, readyReplicas: replicas, availableReplicas: replicas}
      sink('apps/deployments', {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: {
          name: app,
          namespace,
          uid: deployUid,
          generation: 1,
          creationTimestamp: created,
          labels: {app},
          annotations: {'deployment.kubernetes.io/revision': '1'},
        },
        spec: {
          replicas,
          selector,
          template,
          strategy: {type: 'RollingUpdate', rollingUpdate: {maxSurge: '25%', maxUnavailable: '25%'}},
          revisionHistoryLimit: 10,
          progressDeadlineSeconds: 600,
        },
        status: {
          ...readyStatus,
          updatedReplicas: replicas,
          conditions: [
            {
              type: 'Available',
              status: 'True',
              reason: 'MinimumReplicasAvailable',
              message: 'Deployment has minimum availability.',
              lastUpdateTime: created,
              lastTransitionTime: created,
            },
            {
              type: 'Progressing',
              status: 'True',
              reason: 'NewReplicaSetAvailable',
              message: `ReplicaSet "${rsName}" has successfully progressed.`,
              lastUpdateTime: created,
              lastTransitionTime: created,
            },
          ],
        },
      })
      sink('apps/replicasets', {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: rsName,
          namespace,
          uid: rsUid,
          generation: 1,
          creationTimestamp: created,
          labels: podLabels,
          annotations: {
            'deployment.kubernetes.io/desired-replicas': String(replicas),
            'deployment.kubernetes.io/max-replicas': String(replicas + Math.ceil(replicas / 4)),
            'deployment.kubernetes.io/revision': '1',
          },
          ownerReferences: [{apiVersion: 'apps/v1', kind: 'Deployment', name: app, uid: deployUid, controller: true, blockOwnerDeletion: true}],
        },
        spec: {replicas, selector: {matchLabels: {app, 'pod-template-hash': hash}}, template: {metadata: {labels: podLabels}, spec: podSpec}},
        status: {...readyStatus, fullyLabeledReplicas: replicas},
      })
      const ownerReferences = [{apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rsName, uid: rsUid, controller: true, blockOwnerDeletion: true}]
      const containerStatuses = containers.map((c) => ({
        name: c.name,
        image: c.image,
        imageID: `${c.image.split(':')[0]}@sha256:${createHash('sha256').update(c.image).digest('hex')}`,
        containerID: `containerd://${createHash('sha256').update(`${namespace}/${rsName}`).digest('hex')}`,
        ready: true,
        started: true,
        restartCount: 0,
        state: {running: {startedAt: created}},
        lastState: {},
      }))
      for (let k = 0; k < replicas; k++, podIndex++) {
        const node = nodes.length ? nodes[podIndex % nodes.length] : undefined
        const used = node ? (perNode.get(node.name) ?? 0) : 0
        if (node) perNode.set(node.name, used + 1)
        const podIP = node?.podCIDR ? intToIp(ipToInt(node.podCIDR.split('/')[0]!) + 2 + (used % 250)) : undefined
        sink('pods', {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {name: `${rsName}-${suffix(k, 5)}`, generateName: `${rsName}-`, namespace, creationTimestamp: created, labels: podLabels, ownerReferences},
          spec: node ? {...podSpec, nodeName: node.name} : podSpec,
          status: node
            ? {
                phase: 'Running',
                ...running,
                hostIP: node.hostIP,
                hostIPs: [{ip: node.hostIP}],
                podIP,
                podIPs: [{ip: podIP}],
                startTime: created,
                containerStatuses,
                qosClass: 'Burstable',
              }
            : {
                phase: 'Pending',
                conditions: [{type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/0 nodes are available.'}],
                qosClass: 'Burstable',
              },
        })
      }
      if (w.services) {
        const clusterIP = intToIp(ipToInt('10.96.1.0') + serviceIndex++)
        sink('services', {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: {name: app, namespace, creationTimestamp: created, labels: {app}},
          spec: {
            type: 'ClusterIP',
            clusterIP,
            clusterIPs: [clusterIP],
            selector: {app},
            ports: [{name: 'http', port: 80, protocol: 'TCP', targetPort: 'http'}],
            ipFamilies: ['IPv4'],
            ipFamilyPolicy: 'SingleStack',
            sessionAffinity: 'None',
            internalTrafficPolicy: 'Cluster',
          },
          status: {loadBalancer: {}},
        })
      }
    }
  }
}

/** Everything a `generate:` section describes. Pods go to generated nodes, else to `existingNodes`. */
export function generate(cfg: GenerateConfig, existingNodes: readonly NodeSlot[], sink: Sink, now = Date.now()): void {
  const created = cfg.createdAt ?? timestamp(new Date(now - 24 * 3600 * 1000))
  const nodes = generateNodes(cfg.nodeGroups ?? [], created, sink)
  if (cfg.workloads) generateWorkloads(cfg.workloads, nodes.length ? nodes : existingNodes, created, sink)
}
