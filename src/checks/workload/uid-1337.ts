import type {WorkloadFacts} from '../../derive/workloads/context.js'
import {stringify} from 'yaml'
import {ISTIO_PROXY_UID} from '../../knowledge/mesh-labels.js'
import type {Outcome} from '../../model/finding.js'
import {defineCheck} from '../../model/finding.js'
import {containersOf, notInMode, podCount, podsWhere} from '../../derive/workloads/context.js'
import {recreateHint, templatePatch} from '../../derive/workloads/patch.js'

const SAFE_ID = 1000

export const uid1337 = defineCheck<WorkloadFacts>()({
  id: 'workload.uid-1337',
  title: 'No application container sets UID or GID 1337, which the sidecar owns, in its securityContext',
  category: 'workload',
  needs: ['contexts'],
  source:
    'https://istio.io/latest/docs/ops/deployment/application-requirements/#pod-requirements ("Application UIDs"); https://github.com/istio/istio/blob/master/tools/istio-iptables/pkg/constants/constants.go (DefaultProxyUID 1337; the capture rules exempt `--uid-owner 1337` / `--gid-owner 1337`); https://istio.io/latest/docs/reference/config/analysis/ist0144/',
  run: ({contexts}) =>
    contexts.workloads.map(({workload, subject, mode: resolved}): Outcome => {
      const skip = notInMode(subject, resolved, ['sidecar'])
      if (skip) return skip
      const mode = 'sidecar' as const
      const containers = containersOf(workload)
      const byUid = containers.filter(({container}) => container.runAsUser === ISTIO_PROXY_UID)
      const byGid = containers.filter(({container}) => container.runAsGroup === ISTIO_PROXY_UID && container.runAsUser !== ISTIO_PROXY_UID)
      const offending = byUid.length > 0 ? byUid : byGid
      if (offending.length === 0) {
        return {
          severity: 'pass',
          subject,
          mode,
          message: `no container sets runAsUser or runAsGroup ${ISTIO_PROXY_UID} in its pod or container securityContext; the image's own USER is not visible through the API (${podCount(workload.pods)})`,
          evidence: {pods: workload.pods},
        }
      }
      const field = byUid.length > 0 ? 'runAsUser' : 'runAsGroup'
      const names = [...new Set(offending.map(({container}) => container.name))]
      const pods = podsWhere(workload, (shape) => shape.containers.some((c) => c[field] === ISTIO_PROXY_UID))
      const containerPatch = (init: boolean) =>
        names
          .filter((n) => offending.some(({container}) => container.name === n && container.init === init))
          .map((name) => ({name, securityContext: {[field]: SAFE_ID}}))
      const spec: Record<string, unknown> = {securityContext: {[field]: SAFE_ID}}
      if (containerPatch(false).length > 0) spec.containers = containerPatch(false)
      if (containerPatch(true).length > 0) spec.initContainers = containerPatch(true)
      const command = templatePatch(workload, {spec})
      return {
        severity: byUid.length > 0 ? 'fail' : 'warn',
        subject,
        mode,
        message:
          byUid.length > 0
            ? `container ${names.join(', ')} is set to run as UID ${ISTIO_PROXY_UID} (securityContext.runAsUser), the sidecar's UID: its outbound traffic bypasses the proxy (${podCount(pods)})`
            : `container ${names.join(', ')} is set to run with GID ${ISTIO_PROXY_UID} (securityContext.runAsGroup), the sidecar's GID, which the capture rules also exclude (${podCount(pods)})`,
        remediation: {
          text: `Run it under another ${field === 'runAsUser' ? 'UID' : 'GID'} (${SAFE_ID} below is an example; pick one the image's files allow).${command ? '' : ` ${recreateHint(workload)}`}`,
          command,
          yaml: stringify({securityContext: {[field]: SAFE_ID}}),
        },
        evidence: {pods, containers: names, [field]: ISTIO_PROXY_UID},
      }
    }),
})
