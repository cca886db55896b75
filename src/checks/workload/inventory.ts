import type {WorkloadFacts} from '../../derive/workloads/context.js'
import type {Outcome} from '../../model/finding.js'
import {CLUSTER_SUBJECT, defineCheck} from '../../model/finding.js'
import {isSystemNamespace, namespaceSubject, plural, podCount} from '../../derive/workloads/context.js'

export const inventory = defineCheck<WorkloadFacts>()({
  id: 'workload.inventory',
  title: 'The pods and Services in scope could be read',
  category: 'workload',
  needs: ['inventory'],
  source: 'Kubernetes API: paginated lists of namespaces, pods, services and cronjobs (limit 500, continue)',
  run: ({inventory}) => {
    const outcomes: Outcome[] = []
    for (const ns of inventory.namespaces) {
      const subject = namespaceSubject(ns.name)
      if (ns.pods.state === 'unavailable') outcomes.push({severity: 'unknown', subject, message: `its workloads were not judged: ${ns.pods.reason}`})
      if (ns.services.state === 'unavailable')
        outcomes.push({severity: 'unknown', subject, message: `its Services were not judged (ports, protocols): ${ns.services.reason}`})
      const system = inventory.workloads.filter((w) => w.namespace === ns.name && !w.istioComponent)
      if (isSystemNamespace(ns.name) && system.length > 0) {
        const pods = system.reduce((n, w) => n + w.pods, 0)
        outcomes.push({
          severity: 'skip',
          subject,
          message: `Istio never injects or enrolls pods here: ${plural(system.length, 'workload')} (${podCount(pods)}) not judged`,
        })
      }
    }
    const judged = inventory.workloads.filter((w) => !w.istioComponent && !isSystemNamespace(w.namespace))
    const istio = inventory.workloads.filter((w) => w.istioComponent)
    const namespaces = new Set(judged.map((w) => w.namespace)).size
    const cronJobs = inventory.cronJobs.state === 'unavailable' ? `; CronJob pods are reported under their Job (${inventory.cronJobs.reason})` : ''
    outcomes.push({
      severity: 'pass',
      subject: CLUSTER_SUBJECT,
      message: `judged ${plural(judged.length, 'workload')} covering ${podCount(judged.reduce((n, w) => n + w.pods, 0))} in ${plural(namespaces, 'namespace')}${istio.length > 0 ? `; ${plural(istio.length, 'Istio component')} left out` : ''}${cronJobs}`,
      evidence: {workloads: judged.length, pods: inventory.pods, namespaces, services: inventory.services.length},
    })
    return outcomes
  },
})
