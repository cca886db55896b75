import type {WorkloadFacts} from '../../derive/workloads/context.js'
import type {Outcome} from '../../model/finding.js'
import {defineCheck, worse} from '../../model/finding.js'
import type {AdmissionVerdict} from '../../derive/workloads/admission.js'
import {cniRemediation, istioCni, podSecurityAdmission, podSecurityPolicies, securityContextConstraints} from '../../derive/workloads/admission.js'
import {namespaceSubject, plural, podCount} from '../../derive/workloads/context.js'
import {ISTIO_CNI_DAEMONSET} from '../../knowledge/mesh-labels.js'

const worst = (verdicts: readonly AdmissionVerdict[]) => verdicts.reduce((a, b) => (worse(a.severity, b.severity) === a.severity ? a : b))

export const netAdminCapabilities = defineCheck<WorkloadFacts>()({
  id: 'workload.net-admin-capabilities',
  title: 'istio-init may add NET_ADMIN and NET_RAW where sidecars need it (or istio-cni makes it unnecessary)',
  category: 'workload',
  needs: ['contexts', 'inventory', 'mesh', 'admission', 'settings'],
  source:
    'https://istio.io/latest/docs/ops/deployment/application-requirements/#pod-requirements ("NET_ADMIN and NET_RAW capabilities"); https://istio.io/latest/docs/setup/additional-setup/pod-security-admission/; https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline; https://istio.io/latest/docs/setup/additional-setup/cni/ (pilot.cni.enabled); https://github.com/istio/istio/blob/master/manifests/charts/istio-control/istio-discovery/files/injection-template.yaml (istio-init only when pilot.cni.enabled is false)',
  run: ({contexts, inventory, mesh, admission, settings}) => {
    const judged = contexts.workloads
    const cni = istioCni(mesh)
    const mode = 'sidecar' as const
    return [...new Set(judged.map((c) => c.workload.namespace))].map((namespace): Outcome => {
      const subject = namespaceSubject(namespace)
      const here = judged.filter((c) => c.workload.namespace === namespace)
      const sidecar = here.filter((c) => c.mode.modes.includes('sidecar'))
      if (sidecar.length === 0)
        return {severity: 'skip', subject, mode, message: `no workload here runs in sidecar mode (${here[0]!.mode.reason}); istio-init is not used`}
      const pods = sidecar.reduce((n, c) => n + c.workload.pods, 0)
      const scope = `${plural(sidecar.length, 'workload')}, ${podCount(pods)} in sidecar mode`
      const evidence = {workloads: sidecar.length, pods, istioCni: cni.state}
      if (cni.state === 'present' && cni.missing === 'component') {
        return {
          severity: 'warn',
          subject,
          mode,
          message: `${cni.text}, so pods get no istio-init, but no ${ISTIO_CNI_DAEMONSET} DaemonSet was found: nothing would redirect their traffic, and istio-cni's istio-validation init container fails (${scope})`,
          remediation: cniRemediation(cni, settings.istioNamespace),
          evidence,
        }
      }
      if (cni.state === 'present') return {severity: 'pass', subject, mode, message: `not needed: ${cni.text}, so pods get no istio-init (${scope})`, evidence}
      const serviceAccounts = [...new Set(sidecar.flatMap((c) => c.workload.shapes.map((s) => s.shape.serviceAccount)))].sort()
      const labels = inventory.namespaces.find((n) => n.name === namespace)?.labels ?? {
        state: 'unavailable' as const,
        reason: `namespace ${namespace} was not read`,
      }
      const verdicts = [
        podSecurityAdmission(labels),
        podSecurityPolicies(admission.podSecurityPolicies),
        securityContextConstraints(admission.securityContextConstraints, namespace, serviceAccounts),
      ].filter((v): v is AdmissionVerdict => v !== undefined)
      const severity = worst(verdicts).severity
      const said = verdicts
        .filter((v) => v.severity === severity)
        .map((v) => v.text)
        .join('; ')
      if (severity === 'pass') return {severity, subject, mode, message: `${said} (${scope}, ${cni.text})`, evidence}
      const unsure = cni.state === 'unknown' && severity !== 'unknown'
      const fix = cniRemediation(cni, settings.istioNamespace)
      return {
        severity: unsure ? 'unknown' : severity,
        subject,
        mode,
        message: `${said}${unsure ? `, unless istio-cni is installed: ${cni.text}` : ''} (${scope})`,
        remediation: {
          text: `${fix.text}. Or allow the capabilities here: kubectl label namespace ${namespace} pod-security.kubernetes.io/enforce=privileged --overwrite`,
          command: fix.command,
        },
        evidence,
      }
    })
  },
})
