import type {NodeGroup} from '../../gather/nodes.js'
import type {Outcome, Remediation} from '../../model/finding.js'
import {defineCheck} from '../../model/finding.js'
import {GROUP_SUBJECT} from '../../derive/kernel/describe.js'
import type {NodeKernelFacts} from '../../derive/kernel/matrix.js'

type Failed = Extract<NodeGroup['probe'], {state: 'failed'}>

const list = (names: readonly string[]) => (names.length > 5 ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more` : names.join(', '))

function failure(p: Failed): {message: string; remediation?: Remediation} {
  const on = p.node ? ` on node ${p.node}` : ''
  switch (p.problem) {
    case 'not-ready':
      return {message: p.message, remediation: {text: 'Bring a node of this group to Ready, or judge its image offline with --host-root.'}}
    case 'image-pull':
      return {
        message: `the probe image ${p.image ?? ''} could not be pulled${on}: ${p.message}`,
        remediation: {
          text: 'Mirror the image to a registry the nodes can reach and pass it with --image (and --image-pull-secret for a private registry).',
          command: `kubectl mesh-ready nodes --image <your-registry>/${(p.image ?? 'busybox:1.37').split('/').pop()} --image-pull-secret <secret>`,
        },
      }
    case 'admission':
      return {
        message: `the probe pod was rejected by ${p.policy ?? 'an admission policy'}: ${p.message}`,
        remediation: {
          text: `Exempt the probe namespace from ${p.policy ?? 'the policy'} (the probe needs read-only hostPath mounts, and NET_ADMIN with --functional), or run with --probe-namespace set to a namespace whose policy admits it.`,
          command: 'kubectl mesh-ready nodes --probe-namespace <namespace>',
        },
      }
    case 'forbidden':
      return {
        message: `${p.message}${on}`,
        remediation: {
          text: `Ask for permission to ${p.permission ?? 'run probe pods'} (see cluster.plugin-permissions), use --probe-namespace for a namespace you may create pods in, or run --local on the node.`,
        },
      }
    case 'deadline':
      return {
        message: `the probe pod ${p.pod ?? ''}${on} ran past its activeDeadlineSeconds: ${p.message}`,
        remediation: {text: 'Raise --timeout (the pod deadline is three quarters of it), and check the node with --keep-probes and kubectl describe pod.'},
      }
    case 'timeout':
      return {
        message: `${p.message}${on} (pod ${p.pod ?? ''})`,
        remediation: {text: 'Raise --timeout, or keep the pod with --keep-probes and look at it with kubectl describe pod.'},
      }
    case 'output':
      return {
        message: `the probe's report${on} could not be read: ${p.message}`,
        remediation: {text: 'Run the same plugin version again; if it persists, run --local on the node and report the output.'},
      }
    case 'failed':
      return {message: `the probe${on} failed: ${p.message}`}
  }
}

export const probe = defineCheck<NodeKernelFacts>()({
  id: 'node.probe',
  title: 'Kernel evidence was read from every node group',
  category: 'node',
  needs: ['group'],
  source:
    'https://docs.kernel.org/admin-guide/sysctl/kernel.html#modprobe ; https://man7.org/linux/man-pages/man5/modules.dep.5.html (probe design; unknown is never missing)',
  defaultSubject: GROUP_SUBJECT,
  run: ({group}) => {
    const outcomes: Outcome[] = []
    const p = group.probe
    if (p.state === 'ok') {
      const from = p.source === 'pod' ? `node ${p.node} (pod ${p.pod})` : p.source === 'local' ? 'this machine' : `${p.source} ${p.input}`
      outcomes.push({
        severity: 'pass',
        subject: group.subject,
        message: `kernel evidence read from ${from} for ${group.nodes.length} node(s): ${list(group.nodes)}`,
        evidence: {nodes: group.nodes.length},
      })
    } else if (p.state === 'skipped') {
      outcomes.push({
        severity: 'skip',
        subject: group.subject,
        message: `Windows node(s) ${list(group.nodes)}: Istio's Linux kernel requirements do not apply and they were not probed`,
      })
    } else {
      const {message, remediation} = failure(p)
      outcomes.push({
        severity: 'unknown',
        subject: group.subject,
        message,
        ...(remediation ? {remediation} : {}),
        evidence: {problem: p.problem, nodes: group.nodes.length},
      })
    }
    if (group.notReady.length > 0 && p.state === 'ok') {
      outcomes.push({
        severity: 'unknown',
        subject: group.subject,
        message: `${group.notReady.length} NotReady node(s) not judged: ${list(group.notReady)}`,
        remediation: {text: 'Re-run when they are Ready; a NotReady node may not run a probe.'},
      })
    }
    return outcomes
  },
})
