import type {KernelEvidence} from '../../gather/probe/parse-probe.js'
import type {Scenario} from '../../knowledge/kernel-modules.js'
import type {Outcome, Subject} from '../../model/finding.js'
import {defineCheck} from '../../model/finding.js'
import {GROUP_SUBJECT, PATH_NAMES, scenarioLabel} from '../../derive/kernel/describe.js'
import type {NodeKernelFacts} from '../../derive/kernel/matrix.js'

/** Who writes the rules, from which security context (what SELinux judges). */
const WRITER = {
  sidecar: "a sidecar's istio-init container (without istio-cni)",
  ambient: 'the istio-cni node agent',
}

function outcomeFor(subject: Subject, kernel: KernelEvidence, scenario: Scenario, modules: readonly string[]): Outcome {
  const about = {mode: scenario.mode, backend: scenario.backend}
  const label = `${scenarioLabel(scenario)}${scenario.path ? ` via ${PATH_NAMES[scenario.path]}` : ''}`
  if (modules.length === 0)
    return {severity: 'pass', subject, ...about, message: `${label}: every module its rules request is loaded or built in; nothing has to be autoloaded`}
  const listed = `${modules.length} module${modules.length === 1 ? '' : 's'} would be autoloaded when Istio writes its rules (${modules.join(', ')})`
  const loadAtBoot = `printf '%s\\n' ${modules.join(' ')} | sudo tee /etc/modules-load.d/istio.conf && sudo systemctl restart systemd-modules-load`
  const evidence = {modules, selinux: kernel.selinux}
  if (kernel.selinux === 'enforcing') {
    const from = kernel.selinuxSource === 'config' ? ' (per /etc/selinux/config)' : ''
    const base = `${label}: SELinux is enforcing${from} and ${listed}`
    if (scenario.mode === 'sidecar') {
      return {
        severity: 'fail',
        subject,
        ...about,
        message: `${base}; ${WRITER.sidecar} runs as container_t, which may not request modules, so it fails with "No chain/target/match by that name" (istio/istio#24101)`,
        remediation: {
          text: 'Load the modules at boot on these nodes, or install istio-cni (pilot.cni.enabled=true), whose plugin writes the rules outside the container.',
          command: loadAtBoot,
        },
        evidence,
      }
    }
    return {
      severity: 'warn',
      subject,
      ...about,
      message: `${base}; ${WRITER.ambient} requests them, which SELinux denies unless the agent runs unconfined (spc_t or privileged)`,
      remediation: {text: 'Load the modules at boot on these nodes so no rule depends on autoload.', command: loadAtBoot},
      evidence,
    }
  }
  if (kernel.modprobe && (kernel.modprobe.path === '' || kernel.modprobe.present === false)) {
    return {
      severity: 'fail',
      subject,
      ...about,
      message: `${label}: ${kernel.modprobe.path === '' ? 'kernel.modprobe is empty, so the kernel autoloads nothing' : `kernel.modprobe points at ${kernel.modprobe.path}, which does not exist on the host, so the kernel cannot autoload`}, and ${listed}`,
      remediation: {
        text: 'Point kernel.modprobe at the host modprobe, or load the modules at boot.',
        command: `echo /sbin/modprobe | sudo tee /proc/sys/kernel/modprobe; ${loadAtBoot}`,
      },
      evidence: {...evidence, modprobe: kernel.modprobe.path},
    }
  }
  if (!kernel.live) {
    return {
      severity: 'skip',
      subject,
      ...about,
      message: `${label}: ${listed}; whether autoload works is decided on the running node (SELinux mode, kernel.modprobe), which these files do not show`,
      evidence,
    }
  }
  const unread = [kernel.selinux === 'unknown' ? 'the SELinux mode' : '', kernel.modprobe ? '' : 'kernel.modprobe'].filter(Boolean)
  if (unread.length > 0) {
    return {
      severity: 'unknown',
      subject,
      ...about,
      message: `${label}: ${listed}; ${unread.join(' and ')} could not be read to tell whether autoload will work`,
      remediation: {text: 'Load the modules at boot to be independent of autoload.', command: loadAtBoot},
      evidence,
    }
  }
  return {
    severity: 'pass',
    subject,
    ...about,
    message: `${label}: ${listed}; SELinux is ${kernel.selinux} and kernel.modprobe is ${kernel.modprobe!.path}: nothing blocks autoload`,
    evidence,
  }
}

/**
 * Loadable is not the same as "will load": istio-init (sidecars without istio-cni) runs in a container, where an
 * enforcing SELinux denies module_request, and the kernel's autoload runs the host's kernel.modprobe helper. One
 * outcome per judged mode × backend, listing only the modules that set-up's rules request.
 */
export const moduleAutoload = defineCheck<NodeKernelFacts>()({
  id: 'node.module-autoload',
  title: 'Modules Istio needs that are not loaded yet can be autoloaded when its rules are written',
  category: 'node',
  needs: ['group', 'kernel', 'matrix'],
  source:
    'https://github.com/istio/istio/issues/4500; https://github.com/istio/istio/issues/24101 (SELinux module_request); https://github.com/rancher/rke2/issues/504; https://docs.kernel.org/admin-guide/sysctl/kernel.html#modprobe',
  defaultSubject: GROUP_SUBJECT,
  run: ({group, kernel, matrix}) => matrix.columns.map((c) => outcomeFor(group.subject, kernel, c.scenario, c.autoload)),
})
