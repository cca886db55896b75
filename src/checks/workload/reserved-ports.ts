import type {WorkloadFacts} from '../../gather/workloads.js'
import type {ReservedPort} from '../../knowledge/istio-ports.js'
import {ISTIOD_PORTS, POD_RESERVED_PORTS} from '../../knowledge/istio-ports.js'
import type {Outcome} from '../types.js'
import {defineCheck} from '../types.js'
import {containersOf, notInMode, podCount, serviceByName, servicesOf, workloadContexts} from './_lib/context.js'

const describe = (clashes: ReadonlyArray<{port: number; reserved: ReservedPort; where: string}>) =>
  clashes.map((c) => `${c.port} (${c.where}; ${c.reserved.owner}: ${c.reserved.purpose})`).join(', ')

export const reservedPorts = defineCheck<WorkloadFacts>()({
  id: 'workload.reserved-ports',
  title: "No application port clashes with the ports Istio's proxies (or istiod) listen on",
  category: 'workload',
  needs: ['inventory', 'mesh', 'settings'],
  source:
    'https://istio.io/latest/docs/ops/deployment/application-requirements/#ports-used-by-istio; https://istio.io/latest/docs/ambient/architecture/traffic-redirection/ (ztunnel in-pod ports)',
  run: ({inventory, mesh, settings}) => {
    const lookup = serviceByName(inventory)
    return workloadContexts(inventory, mesh, settings).map(({workload, subject, mode}): Outcome => {
      const used = new Map<number, string>()
      for (const {container} of containersOf(workload)) for (const p of container.ports) used.set(p.port, `container ${container.name}`)
      for (const name of servicesOf(workload)) {
        for (const p of lookup(workload.namespace, name)?.ports ?? []) if (typeof p.targetPort === 'number' && !used.has(p.targetPort)) used.set(p.targetPort, `Service ${name} targetPort`)
      }
      const clashesWith = (table: readonly ReservedPort[]) =>
        [...used].flatMap(([port, where]) => table.filter((r) => r.port === port).map((reserved) => ({port, where, reserved})))
      const inPod = workload.shapes.some(({shape}) => shape.hostNetwork) ? [] : clashesWith(POD_RESERVED_PORTS.filter((r) => r.modes.some((m) => mode.modes.includes(m))))
      const istiod = workload.namespace === settings.istioNamespace ? clashesWith(ISTIOD_PORTS) : []
      const evidence = {pods: workload.pods, ports: [...used.keys()].sort((a, b) => a - b).map(String)}
      if (inPod.length > 0) {
        return {
          severity: 'fail',
          subject,
          message: `uses port ${describe(inPod)}, which Istio binds inside the pod in ${mode.modes.join(' and ')} mode (${podCount(workload.pods)})`,
          remediation: {text: 'Move the application to another port (containerPort, the Service targetPort and the process itself); Istio cannot be configured off these ports.'},
          evidence,
        }
      }
      if (istiod.length > 0) {
        return {
          severity: 'warn',
          subject,
          message: `uses istiod's port ${describe(istiod)} in Istio's namespace ${settings.istioNamespace}: it looks like another or a leftover control plane (${podCount(workload.pods)})`,
          remediation: {text: `Check what this workload is; remove a leftover control plane, or move the workload out of ${settings.istioNamespace} or off istiod's ports, before installing Istio there.`},
          evidence,
        }
      }
      return notInMode(subject, mode, ['sidecar', 'ambient']) ?? {severity: 'pass', subject, message: `no port clashes with Istio's (${podCount(workload.pods)})`, evidence}
    })
  },
})
