import {Flags} from '@oclif/core'
import {FAIL_ON} from '../engine/exit-codes.js'
import {UserError} from './errors.js'
import {DEFAULT_ISTIO_VERSION} from '../knowledge/istio-releases.js'
import {OUTPUT_FORMATS} from '../render/index.js'

const GLOBAL = 'GLOBAL'

/** Kubernetes namespace names are DNS labels. */
export const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/

/** A namespace-name flag validated at parse time, so a typo is a one-line usage error that names the flag. */
export const namespaceFlag = Flags.custom<string>({
  async parse(input, _context, options) {
    if (!NAMESPACE_NAME.test(input)) {
      throw new UserError(`--${options.name} "${input}" is not a namespace name; use at most 63 lowercase letters, digits and "-", e.g. istio-system`)
    }
    return input
  },
})

/** Flags every command takes (kubectl's names, so muscle memory works). */
export const baseFlags = {
  kubeconfig: Flags.string({description: 'Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).', helpGroup: GLOBAL}),
  context: Flags.string({description: 'The kubeconfig context to use.', helpGroup: GLOBAL}),
  namespace: namespaceFlag({char: 'n', description: 'Namespace scope (default: the context namespace, then "default").', helpGroup: GLOBAL}),
  'request-timeout': Flags.string({description: 'Timeout of each API request: 30s, 1m, 0 for none.', default: '30s', helpGroup: GLOBAL}),
  output: Flags.option({char: 'o', options: OUTPUT_FORMATS, default: 'table' as const, description: 'Output format: table, wide (also passing checks and evidence), json or yaml.', helpGroup: GLOBAL})(),
  'fail-on': Flags.option({options: FAIL_ON, default: 'warn' as const, description: 'Lowest result that makes the exit code non-zero: warn (3 on fail, 4 on warnings), fail (only 3), never.', helpGroup: GLOBAL})(),
  'no-color': Flags.boolean({description: 'Never colour the output (NO_COLOR is honoured too).', default: false, helpGroup: GLOBAL}),
  'istio-version': Flags.string({description: `Istio release to judge against, e.g. 1.29 (default: the installed Istio, else ${DEFAULT_ISTIO_VERSION}).`, helpGroup: GLOBAL}),
}

export const istioNamespaceFlag = namespaceFlag({default: 'istio-system', description: 'Namespace Istio is (or will be) installed in.'})

export const modeFlag = Flags.option({options: ['sidecar', 'ambient', 'both'] as const, default: 'both' as const, description: 'Data-plane mode to judge: sidecar, ambient, or both side by side.'})()

export const allNamespacesFlag = Flags.boolean({char: 'A', description: 'Look at every namespace.', default: false, exclusive: ['namespace']})
