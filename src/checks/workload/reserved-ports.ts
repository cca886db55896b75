import type {WorkloadFacts} from '../../derive/workloads/context.js'
import type {ReservedPort} from '../../knowledge/istio-ports.js'
import {ISTIOD_PORTS, POD_RESERVED_PORTS} from '../../knowledge/istio-ports.js'
import type {MeshMode} from '../../model/finding.js'
import type {Outcome} from '../../model/finding.js'
import {defineCheck} from '../../model/finding.js'
import {containersOf, notInMode, onlyMode, podCount, serviceByName, servicesOf} from '../../derive/workloads/context.js'

interface Clash {
  readonly port: number
  readonly reserved: ReservedPort
  readonly where: string
}

const describe = (clashes: readonly Clash[]) => clashes.map((c) => `${c.port} (${c.where}; ${c.reserved.owner}: ${c.reserved.purpose})`).join(', ')
const inModes = (modes: readonly MeshMode[]) => POD_RESERVED_PORTS.filter((r) => r.modes.some((m) => modes.includes(m)))

export const reservedPorts = defineCheck<WorkloadFacts>()({
  id: 'workload.reserved-ports',
  title: "No declared application port clashes with the ports Istio's proxies (or istiod) listen on",
  category: 'workload',
  needs: ['contexts', 'inventory', 'settings'],
  source:
    'https://istio.io/latest/docs/ops/deployment/application-requirements/#ports-used-by-istio; https://istio.io/latest/docs/ambient/architecture/traffic-redirection/ (ztunnel in-pod ports); https://github.com/istio/istio/blob/master/pilot/cmd/pilot-agent/status/server.go (istioReservedPorts)',
  run: ({contexts, inventory, settings}) => {
    const lookup = serviceByName(inventory)
    return contexts.workloads.flatMap(({workload, subject, mode}): Outcome[] => {
      const used = new Map<number, string>()
      for (const {container} of containersOf(workload)) for (const p of container.ports) used.set(p.port, `container ${container.name}`)
      for (const name of servicesOf(workload)) {
        for (const p of lookup(workload.namespace, name)?.ports ?? []) {
          // No targetPort means the pods' port is the Service port itself.
          const target = p.targetPort ?? p.port
          if (typeof target === 'number' && !used.has(target))
            used.set(target, p.targetPort === undefined ? `Service ${name} port (no targetPort)` : `Service ${name} targetPort`)
        }
      }
      const clashesWith = (table: readonly ReservedPort[]): Clash[] =>
        [...used].flatMap(([port, where]) => table.filter((r) => r.port === port).map((reserved) => ({port, where, reserved})))
      const hostNetwork = workload.shapes.some(({shape}) => shape.hostNetwork)
      const evidence = {pods: workload.pods, ports: [...used.keys()].sort((a, b) => a - b).map(String)}
      const inPodFail = (modes: readonly MeshMode[], clashes: readonly Clash[], about: MeshMode | null): Outcome => ({
        severity: 'fail',
        subject,
        mode: about,
        message: `uses port ${describe(clashes)}, which Istio binds inside the pod in ${modes.join(' and ')} mode (${podCount(workload.pods)})`,
        remediation: {
          text: 'Move the application to another port (containerPort, the Service targetPort and the process itself); Istio cannot be configured off these ports.',
        },
        evidence,
      })
      if (!hostNetwork && mode.modes.length > 0) {
        // One result per mode when the modes clash differently (15000 is the sidecar's only), else one for all.
        const perMode = mode.modes.map((m) => ({m, clashes: clashesWith(inModes([m]))}))
        const same = perMode.every((p) => describe(p.clashes) === describe(perMode[0]!.clashes))
        if (same && perMode[0]!.clashes.length > 0) return [inPodFail(mode.modes, perMode[0]!.clashes, onlyMode(mode))]
        if (!same) return perMode.filter((p) => p.clashes.length > 0).map((p) => inPodFail([p.m], p.clashes, p.m))
      }
      const istiod = workload.namespace === settings.istioNamespace ? clashesWith(ISTIOD_PORTS) : []
      if (istiod.length > 0) {
        return [
          {
            severity: 'warn',
            subject,
            message: `uses istiod's port ${describe(istiod)} in Istio's namespace ${settings.istioNamespace}: it looks like another or a leftover control plane (${podCount(workload.pods)})`,
            remediation: {
              text: `Check what this workload is; remove a leftover control plane, or move the workload out of ${settings.istioNamespace} or off istiod's ports, before installing Istio there.`,
            },
            evidence,
          },
        ]
      }
      const skip = notInMode(subject, mode, ['sidecar', 'ambient'])
      if (skip) return [skip]
      const checked = hostNetwork
        ? 'hostNetwork pods get no in-pod proxy ports'
        : `none is one Istio binds in the pod in ${mode.modes.join(' and ')} mode (${inModes(mode.modes)
            .map((r) => r.port)
            .join(', ')})`
      return [
        {
          severity: 'pass',
          subject,
          mode: onlyMode(mode),
          message: `declared ports ${evidence.ports.join(', ') || '(none)'}: ${checked}; ports the process opens without declaring them are not visible (${podCount(workload.pods)})`,
          evidence,
        },
      ]
    })
  },
})
