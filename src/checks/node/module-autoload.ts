import type {NodeGroupFacts} from '../../gather/nodes.js'
import type {Outcome} from '../types.js'
import {defineCheck} from '../types.js'
import {GROUP_SUBJECT, scenarioFor} from './_lib/describe.js'
import {judgeRequirements} from './_lib/scenarios.js'

/**
 * Loadable is not the same as "will load": istio-init (sidecars without istio-cni) runs in a container, where an
 * enforcing SELinux denies module_request, and the kernel's autoload runs the host's kernel.modprobe helper.
 */
export const moduleAutoload = defineCheck<NodeGroupFacts>()({
  id: 'node.module-autoload',
  title: 'Modules Istio needs that are not loaded yet can be autoloaded when its rules are written',
  category: 'node',
  needs: ['group', 'kernel', 'setup'],
  source: 'https://github.com/istio/istio/issues/4500 , https://github.com/istio/istio/issues/24101 (SELinux module_request); https://github.com/rancher/rke2/issues/504 ; https://docs.kernel.org/admin-guide/sysctl/kernel.html#modprobe (kernel.modprobe)',
  defaultSubject: GROUP_SUBJECT,
  run: ({group, kernel, setup}) => {
    const needed = new Set<string>()
    for (const mode of setup.modes) {
      for (const backend of setup.backends) {
        const paths = backend === 'iptables' ? (['nft', 'legacy'] as const) : [undefined]
        for (const path of paths) {
          for (const item of judgeRequirements(kernel, {...scenarioFor(setup, mode, backend), path})) {
            if (item.outcome === 'ok' && (item.evidence.status === 'loadable' || item.evidence.status === 'config=m') && !item.requirement.mustBeLoaded) needed.add(item.requirement.name)
          }
        }
      }
    }
    const modules = [...needed].sort()
    const loadAtBoot = `printf '%s\\n' ${modules.join(' ')} | sudo tee /etc/modules-load.d/istio.conf && sudo systemctl restart systemd-modules-load`
    const subject = group.subject
    if (modules.length === 0) return [{severity: 'pass', subject, message: 'every module the judged set-ups need is loaded or built in; nothing has to be autoloaded'}]
    const outcomes: Outcome[] = []
    const listed = `${modules.length} module(s) would be autoloaded when Istio writes its rules (${modules.join(', ')})`
    if (kernel.selinux === 'enforcing') {
      outcomes.push({
        severity: 'warn',
        subject,
        message: `SELinux is enforcing${kernel.selinuxSource === 'config' ? ' (per /etc/selinux/config)' : ''} and ${listed}: container_t may not request modules, so a sidecar's istio-init container (without istio-cni) fails with "No chain/target/match by that name"`,
        remediation: {text: 'Load the modules at boot on these nodes (or use istio-cni, which writes rules from the privileged node agent).', command: loadAtBoot},
        evidence: {selinux: kernel.selinux, modules},
      })
    }
    if (kernel.modprobe && (kernel.modprobe.path === '' || kernel.modprobe.present === false)) {
      outcomes.push({
        severity: 'warn',
        subject,
        message: kernel.modprobe.path === '' ? `kernel.modprobe is empty, so autoload is disabled, and ${listed}` : `kernel.modprobe points at ${kernel.modprobe.path}, which does not exist on the host, and ${listed}`,
        remediation: {text: 'Point kernel.modprobe at the host modprobe, or load the modules at boot.', command: `echo /sbin/modprobe | sudo tee /proc/sys/kernel/modprobe; ${loadAtBoot}`},
        evidence: {modprobe: kernel.modprobe.path, modules},
      })
    }
    if (outcomes.length > 0) return outcomes
    if (kernel.selinux === 'unknown' && !kernel.modprobe && !kernel.live) {
      return [{severity: 'skip', subject, message: `${listed}; whether autoload works is decided on the running node (SELinux mode, kernel.modprobe), not by the image`, evidence: {modules}}]
    }
    if (kernel.selinux === 'unknown' && !kernel.modprobe) {
      return [{severity: 'unknown', subject, message: `${listed}; SELinux mode and kernel.modprobe could not be read to tell whether autoload will work`, remediation: {text: 'Load the modules at boot to be independent of autoload.', command: loadAtBoot}, evidence: {modules}}]
    }
    return [{severity: 'pass', subject, message: `${listed}; SELinux is ${kernel.selinux} and nothing blocks autoload`, evidence: {selinux: kernel.selinux, modules}}]
  },
})
