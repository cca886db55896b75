import {Flags} from '@oclif/core'
import {MeshReadyCommand} from '../cli/base-command.js'
import {baseFlags} from '../cli/flags.js'
import {ISTIO_RELEASES} from '../knowledge/istio-releases.js'
import {stringifyYaml} from '../render/index.js'

/** What `version -o json` prints; stable field names (docs/output.md). */
export interface VersionInfo {
  /** The plugin's own version (package.json). */
  version: string
  /** `kubectl-mesh-ready/0.1.0 linux-x64 node-v20.20.2`, the same line as `--version`. */
  userAgent: string
  platform: string
  arch: string
  node: string
  /** The Istio releases the plugin has knowledge of, newest first; newer installed releases are judged as the first. */
  istioReleases: string[]
}

export default class Version extends MeshReadyCommand {
  static override summary = 'Print the plugin version and the Istio releases it knows.'
  static override description = `Like kubectl version --client: nothing is read from the cluster. The first line is the same as --version.
An installed Istio newer than the newest release listed here is judged against that newest release, with a notice that the plugin's knowledge may be stale.`
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> -o json']
  // No connection or report flags: version talks to no cluster (the cast only satisfies the base class's static type).
  static override baseFlags = {help: baseFlags.help} as unknown as typeof MeshReadyCommand.baseFlags
  static override flags = {
    output: Flags.option({
      char: 'o',
      options: ['text', 'json', 'yaml'] as const,
      default: 'text' as const,
      description: 'Output format: text, json or yaml.',
    })(),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Version)
    const info: VersionInfo = {
      version: this.config.version,
      userAgent: this.config.userAgent,
      platform: this.config.platform,
      arch: this.config.arch,
      node: process.version,
      istioReleases: ISTIO_RELEASES.map((r) => r.version),
    }
    if (flags.output === 'json') process.stdout.write(`${JSON.stringify(info, null, 2)}\n`)
    else if (flags.output === 'yaml') process.stdout.write(stringifyYaml(info))
    else {
      const newest = ISTIO_RELEASES[0]!
      process.stdout.write(
        `${info.userAgent}\nIstio releases known: ${info.istioReleases.join(', ')} (newest ${newest.version}, released ${newest.released})\n`,
      )
    }
  }
}
