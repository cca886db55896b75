import {stringify} from 'yaml'
import type {ClusterFacts, PermissionResult} from '../../gather/cluster.js'
import {describePermission} from '../../gather/kube/errors.js'
import type {Outcome, Subject} from '../../model/finding.js'
import {CLUSTER_SUBJECT, defineCheck} from '../../model/finding.js'

const label = (r: PermissionResult) =>
  describePermission({verb: r.permission.verb, resource: r.permission.resource, group: r.permission.group, namespace: r.namespace})

/** A ClusterRole granting exactly what is missing, for an administrator to bind to the user. */
export function clusterRoleFor(missing: readonly PermissionResult[]): string {
  const rules = new Map<string, {apiGroups: string[]; resources: string[]; verbs: string[]}>()
  for (const {permission} of missing) {
    const key = `${permission.group}\u0000${permission.resource}`
    const rule = rules.get(key) ?? {apiGroups: [permission.group], resources: [permission.resource], verbs: []}
    if (!rule.verbs.includes(permission.verb)) rule.verbs.push(permission.verb)
    rules.set(key, rule)
  }
  return stringify({apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: {name: 'mesh-ready-checker'}, rules: [...rules.values()]})
}

export const pluginPermissions = defineCheck<ClusterFacts>()({
  id: 'cluster.plugin-permissions',
  title: 'The caller may do everything the selected checks need',
  category: 'cluster',
  needs: ['permissions'],
  source:
    'https://kubernetes.io/docs/reference/access-authn-authz/authorization/#checking-api-access (SelfSubjectRulesReview / SelfSubjectAccessReview, authorization.k8s.io/v1)',
  run: ({permissions}) => {
    const missing = permissions.filter((r) => r.allowed === false)
    const unclear = permissions.filter((r) => r.allowed === undefined)
    const outcomes: Outcome[] = []
    const remediation = {
      text: 'Ask a cluster administrator to bind a role with these rules to you (in the namespaces named above), or accept that the dependent checks report unknown.',
      yaml: clusterRoleFor(missing),
    }
    const subjectOf = (r: PermissionResult): Subject => (r.namespace ? {kind: 'Namespace', name: r.namespace} : CLUSTER_SUBJECT)
    for (const r of missing) {
      outcomes.push({
        severity: 'warn',
        subject: subjectOf(r),
        message: `not allowed to ${label(r)}: needed to ${r.permission.why}; those checks will report unknown`,
        remediation,
        evidence: {verb: r.permission.verb, resource: r.permission.resource, group: r.permission.group, namespace: r.namespace ?? null},
      })
    }
    for (const r of unclear) {
      outcomes.push({severity: 'unknown', subject: subjectOf(r), message: `could not find out whether you may ${label(r)} (access reviews are not allowed)`})
    }
    if (outcomes.length === 0) {
      const reviews = new Set(permissions.filter((r) => r.via === 'rules-review').map((r) => r.namespace)).size
      outcomes.push({
        severity: 'pass',
        subject: CLUSTER_SUBJECT,
        message: `all ${permissions.length} permissions the checks need are granted (${reviews} rules review${reviews === 1 ? '' : 's'})`,
      })
    }
    return outcomes
  },
})
