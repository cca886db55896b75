import type {WorkloadFacts} from '../../gather/workloads.js'
import type {Outcome} from '../types.js'
import {defineCheck, worse} from '../types.js'
import type {AdmissionVerdict} from './_lib/admission.js'
import {istioCni, podSecurityAdmission, podSecurityPolicies, securityContextConstraints} from './_lib/admission.js'
import {namespaceSubject, plural, podCount, workloadContexts} from './_lib/context.js'

const worst = (verdicts: readonly AdmissionVerdict[]) => verdicts.reduce((a, b) => (worse(a.severity, b.severity) === a.severity ? a : b))

export const netAdminCapabilities = defineCheck<WorkloadFacts>()({
  id: 'workload.net-admin-capabilities',
  title: "istio-init may add NET_ADMIN and NET_RAW where sidecars need it (or istio-cni makes it unnecessary)",
  category: 'workload',
  needs: ['inventory', 'mesh', 'admission', 'settings'],
  source:
    'https://istio.io/latest/docs/ops/deployment/application-requirements/#pod-requirements ("NET_ADMIN and NET_RAW capabilities"); https://istio.io/latest/docs/setup/additional-setup/pod-security-admission/; https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline',
  run: ({inventory, mesh, admission, settings}) => {
    const contexts = workloadContexts(inventory, mesh, settings)
    const cni = istioCni(mesh)
    return [...new Set(contexts.map((c) => c.workload.namespace))].map((namespace): Outcome => {
      const subject = namespaceSubject(namespace)
      const here = contexts.filter((c) => c.workload.namespace === namespace)
      const sidecar = here.filter((c) => c.mode.modes.includes('sidecar'))
      if (sidecar.length === 0) return {severity: 'skip', subject, message: `no workload here runs in sidecar mode (${here[0]!.mode.reason}); istio-init is not used`}
      const pods = sidecar.reduce((n, c) => n + c.workload.pods, 0)
      const scope = `${plural(sidecar.length, 'workload')}, ${podCount(pods)} in sidecar mode`
      const evidence = {workloads: sidecar.length, pods, istioCni: cni.state}
      if (cni.state === 'present') return {severity: 'pass', subject, message: `not needed: ${cni.text}, so pods get no istio-init (${scope})`, evidence}
      const serviceAccounts = [...new Set(sidecar.flatMap((c) => c.workload.shapes.map((s) => s.shape.serviceAccount)))].sort()
      const labels = inventory.namespaces.find((n) => n.name === namespace)?.labels ?? {state: 'unavailable' as const, reason: `namespace ${namespace} was not read`}
      const verdicts = [
        podSecurityAdmission(labels),
        podSecurityPolicies(admission.podSecurityPolicies),
        securityContextConstraints(admission.securityContextConstraints, namespace, serviceAccounts),
      ].filter((v): v is AdmissionVerdict => v !== undefined)
      const severity = worst(verdicts).severity
      const said = verdicts.filter((v) => v.severity === severity).map((v) => v.text).join('; ')
      if (severity === 'pass') return {severity, subject, message: `${said} (${scope}, ${cni.text})`, evidence}
      const unsure = cni.state === 'unknown' && severity !== 'unknown'
      return {
        severity: unsure ? 'unknown' : severity,
        subject,
        message: `${said}${unsure ? `, unless istio-cni is installed: ${cni.text}` : ''} (${scope})`,
        remediation: {
          text: `Install Istio with the istio-cni node agent, which redirects traffic without NET_ADMIN or NET_RAW in the pod (recommended; on OpenShift use the openshift profile), or allow them here: kubectl label namespace ${namespace} pod-security.kubernetes.io/enforce=privileged --overwrite`,
          command: 'istioctl install --set components.cni.enabled=true',
        },
        evidence,
      }
    })
  },
})
