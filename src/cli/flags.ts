import {Flags} from '@oclif/core'
import {FAIL_ON} from '../model/exit-codes.js'
import {UserError} from '../model/errors.js'
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

/** An integer flag whose error names its allowed range. */
export const boundedIntegerFlag = (min: number, max: number) =>
  Flags.custom<number>({
    async parse(input, _context, options) {
      const value = /^\s*-?\d+\s*$/.test(input) ? Number(input) : Number.NaN
      if (!Number.isSafeInteger(value) || value < min || value > max) {
        throw new UserError(`--${options.name} "${input}" is out of range; use an integer from ${min} to ${max}`)
      }
      return value
    },
  })

/**
 * kubectl's connection flags (see `kubectl options`): each overrides one part of the kubeconfig for this run. Tokens
 * given here are never logged (-v).
 */
export const connectionFlags = {
  server: Flags.string({char: 's', description: "The address and port of the Kubernetes API server (overrides the cluster's server).", helpGroup: GLOBAL}),
  token: Flags.string({description: 'Bearer token for authentication to the API server.', helpGroup: GLOBAL}),
  user: Flags.string({description: 'The kubeconfig user to use.', helpGroup: GLOBAL}),
  cluster: Flags.string({description: 'The kubeconfig cluster to use.', helpGroup: GLOBAL}),
  'certificate-authority': Flags.string({description: 'Path to a cert file for the certificate authority.', helpGroup: GLOBAL}),
  'insecure-skip-tls-verify': Flags.boolean({description: "Don't check the server's certificate (insecure).", default: false, helpGroup: GLOBAL}),
  as: Flags.string({description: 'Username to impersonate for the operation (user or service account).', helpGroup: GLOBAL}),
  'as-group': Flags.string({multiple: true, description: 'Group to impersonate for the operation; repeat for several.', helpGroup: GLOBAL}),
  v: boundedIntegerFlag(
    0,
    10,
  )({
    char: 'v',
    default: 0,
    description: 'Log level: 6 logs each API request (method, URL, status, duration) to stderr, 7 adds request headers (tokens masked).',
    helpGroup: GLOBAL,
  }),
}

/** Thrown once -h has printed the help: the command ends with exit 0 (base-command's catch). */
export class HelpShown extends Error {}

/**
 * -h/--help on every command, as kubectl has it (oclif itself only knows --help). oclif's own help flag cannot be
 * used: its exit(0) is rewritten into a flag-parsing failure (exit 2).
 */
const helpFlag = Flags.boolean({
  char: 'h',
  description: 'Show help.',
  helpGroup: GLOBAL,
  async parse(_input, cmd) {
    const {Help} = await import('@oclif/core/help')
    await new Help(cmd.config).showHelp(cmd.id ? [cmd.id] : [])
    throw new HelpShown('help shown')
  },
})

/** Flags every command takes (kubectl's names, so muscle memory works). */
export const baseFlags = {
  help: helpFlag,
  kubeconfig: Flags.string({description: 'Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).', helpGroup: GLOBAL}),
  context: Flags.string({description: 'The kubeconfig context to use.', helpGroup: GLOBAL}),
  ...connectionFlags,
  namespace: namespaceFlag({char: 'n', description: 'Namespace scope (default: the context namespace, then "default").', helpGroup: GLOBAL}),
  'request-timeout': Flags.string({
    description: 'Timeout of each API request (and of an exec credential plugin): 30s, 1m, up to 24h; 0 for none.',
    default: '30s',
    helpGroup: GLOBAL,
  }),
  output: Flags.option({
    char: 'o',
    options: OUTPUT_FORMATS,
    default: 'table' as const,
    description: 'Output format: table, wide (full reasons and evidence), short (verdict and problems), json, yaml, junit, sarif or markdown.',
    helpGroup: GLOBAL,
  })(),
  summary: Flags.boolean({description: 'Only the verdict and one line per fail, warn or unknown, for CI logs (-o short).', default: false, helpGroup: GLOBAL}),
  'output-file': Flags.string({
    description: 'Write the -o report to FILE; the table (wide with -o wide) still goes to stdout.',
    helpValue: 'FILE',
    helpGroup: GLOBAL,
  }),
  suppress: Flags.string({
    multiple: true,
    description: "Hide a check's problems, or those of SUBJECT-GLOB; counted, not judged.",
    helpValue: 'CHECK-ID[=SUBJECT-GLOB]',
    helpGroup: GLOBAL,
  }),
  policy: Flags.string({description: 'YAML file of severities (warn/fail per check) and suppressions.', helpValue: 'FILE', helpGroup: GLOBAL}),
  'fail-on': Flags.option({
    options: FAIL_ON,
    default: 'warn' as const,
    description: 'Lowest result that makes the exit code non-zero: warn (3 on fail, 4 on warnings), fail (only 3), never.',
    helpGroup: GLOBAL,
  })(),
  'no-color': Flags.boolean({description: 'Never colour the output (NO_COLOR is honoured too).', default: false, helpGroup: GLOBAL}),
  'istio-version': Flags.string({
    description: `Istio release to judge against, e.g. 1.29 (default: the installed Istio, else ${DEFAULT_ISTIO_VERSION}).`,
    helpGroup: GLOBAL,
  }),
}

export const istioNamespaceFlag = namespaceFlag({default: 'istio-system', description: 'Namespace Istio is (or will be) installed in.'})

export const modeFlag = Flags.option({
  options: ['sidecar', 'ambient', 'both'] as const,
  description:
    "Data-plane mode the verdict judges (default: the installed Istio's, else sidecar, Istio's default); both judges both. Other modes are still shown.",
})()

export const backendFlag = Flags.option({
  options: ['iptables', 'nftables', 'both'] as const,
  description:
    "Redirection backend the verdict judges (default: the installed Istio's, else iptables; nftables = values.global.nativeNftables); both judges both.",
})()

export const allNamespacesFlag = Flags.boolean({
  char: 'A',
  description: 'Look at every namespace (the default of check and pods; -n narrows it).',
  default: false,
  exclusive: ['namespace'],
})
