import {writeFileSync} from 'node:fs'
import type {RunContext} from '../model/run.js'
import type {Interfaces} from '@oclif/core'
import {Command, Errors} from '@oclif/core'
import {allChecks} from '../checks/index.js'
import type {Report} from '../model/report.js'
import type {Policy} from '../report/policy.js'
import {applyPolicy, EMPTY_POLICY, PolicyError, policyFromFlags} from '../report/policy.js'
import type {FailOn} from '../model/exit-codes.js'
import {ExitCode, exitCodeFor} from '../model/exit-codes.js'
import {KubeClient} from '../gather/kube/client.js'
import {loadKubeTarget} from '../gather/kube/config.js'
import {parseRequestTimeout} from '../gather/kube/duration.js'
import {ConnectionError} from '../gather/kube/errors.js'
import type {InstalledIstio} from '../gather/platform-istio.js'
import {detectInstalledIstio} from '../gather/platform-istio.js'
import type {MeshBackend, MeshMode} from '../model/finding.js'
import type {InstallPlan} from '../model/plan.js'
import {resolvePlan} from '../model/plan.js'
import {DEFAULT_ISTIO_VERSION, ISTIO_RELEASES, judgeInstalledIstio, knownIstioMinor} from '../knowledge/istio-releases.js'
import {minorOf} from '../knowledge/versions.js'
import {painter, terminalOptions} from '../render/color.js'
import type {OutputFormat} from '../render/index.js'
import {render} from '../render/index.js'
import {UserError} from '../model/errors.js'
import {baseFlags, HelpShown} from './flags.js'

/** oclif's parsed flags and args (its FlagOutput/ArgOutput, which @oclif/core does not export). */
type OclifOutput = {[name: string]: any}

export interface BaseFlagValues {
  kubeconfig?: string
  context?: string
  namespace?: string
  'request-timeout': string
  output: OutputFormat
  'output-file'?: string
  suppress?: string[]
  policy?: string
  'fail-on': FailOn
  'no-color': boolean
  summary?: boolean
  'istio-version'?: string
  server?: string
  token?: string
  user?: string
  cluster?: string
  'certificate-authority'?: string
  'insecure-skip-tls-verify'?: boolean
  as?: string
  'as-group'?: string[]
  v?: number
}

/**
 * Owns what every command shares: kube connection, rendering, exit codes, one-line errors, and cleanup on
 * success, failure and signals. Commands stay thin: gather → judge → render.
 */
export abstract class MeshReadyCommand extends Command {
  static override baseFlags = baseFlags

  /** Aborted on SIGINT/SIGTERM; long-running gathers must honour it. */
  protected readonly abort = new AbortController()
  private readonly cleanups: Array<() => Promise<void>> = []
  private client: KubeClient | undefined
  private signalExit: number | undefined
  private readonly onSignal = (signal: NodeJS.Signals) => {
    if (this.signalExit !== undefined) process.exit(this.signalExit) // second signal: give up on cleanup
    this.signalExit = signal === 'SIGINT' ? 130 : 143
    // Only an interactive user sends SIGINT with a key; a SIGTERM comes from a supervisor, which sends SIGKILL itself.
    process.stderr.write(`\n${signal} received: cleaning up${signal === 'SIGINT' ? ' (press Ctrl-C again to exit at once)' : ''}\n`)
    this.abort.abort(new Error(`interrupted by ${signal}`))
  }

  override async init(): Promise<void> {
    await super.init()
    process.on('SIGINT', this.onSignal)
    process.on('SIGTERM', this.onSignal)
  }

  /** Registers work that must run before exit whatever happens (delete probe pods, namespaces). */
  protected onCleanup(fn: () => Promise<void>): void {
    this.cleanups.unshift(fn)
  }

  /** What the areas get from the command: its abort signal, its cleanup list, progress, and notes on stderr. */
  protected runContext(progress?: (text: string) => void): RunContext {
    return {signal: this.abort.signal, onCleanup: (fn) => this.onCleanup(fn), progress, notice: (text) => process.stderr.write(`note: ${text}\n`)}
  }

  protected kubeClient(flags: BaseFlagValues): KubeClient {
    if (this.client) return this.client
    const timeoutMs = parseRequestTimeout(flags['request-timeout'])
    const target = loadKubeTarget({
      kubeconfig: flags.kubeconfig,
      context: flags.context,
      namespace: flags.namespace,
      server: flags.server,
      token: flags.token,
      user: flags.user,
      cluster: flags.cluster,
      certificateAuthority: flags['certificate-authority'],
      insecureSkipTlsVerify: flags['insecure-skip-tls-verify'],
      as: flags.as,
      asGroups: flags['as-group'],
    })
    this.client = new KubeClient(target, timeoutMs, {verbosity: flags.v ?? 0})
    return this.client
  }

  /** The Istio minor release to judge against; validated here so a typo is a usage error. */
  protected istioVersion(flags: BaseFlagValues, installed?: string): string {
    const given = flags['istio-version']
    if (given === undefined) {
      if (installed === undefined) return DEFAULT_ISTIO_VERSION
      // A release the plugin does not know is judged against the nearest one it does, with a one-line notice.
      const judged = judgeInstalledIstio(installed)
      if (judged.notice !== undefined) process.stderr.write(`${judged.notice}\n`)
      return judged.minor
    }
    const minor = knownIstioMinor(given)
    if (minor === undefined) {
      const known = ISTIO_RELEASES.map((r) => r.version).join(', ')
      const what = minorOf(given) === undefined ? 'is not a version' : 'is not a release this plugin knows'
      throw new UserError(`--istio-version "${given}" ${what}; use one of: ${known}`)
    }
    return minor
  }

  /**
   * The install plan the verdict judges: the release to judge (--istio-version, else the installed Istio's, else the
   * newest the plugin knows) and the mode/backend of the
   * installed Istio, else of --mode/--backend, else Istio's defaults. `installed` skips the lookup when the caller
   * already has it (check reads it with the platform); offline runs (no client) judge flags or defaults.
   */
  protected async judgedPlan(
    flags: BaseFlagValues,
    client: KubeClient | undefined,
    wanted: {mode?: MeshMode | 'both'; backend?: MeshBackend | 'both'; istioNamespace?: string; installed?: InstalledIstio | null},
  ): Promise<InstallPlan> {
    const installed =
      wanted.installed !== undefined ? (wanted.installed ?? undefined) : client ? await detectInstalledIstio(client, wanted.istioNamespace) : undefined
    const istioVersion = this.istioVersion(flags, installed?.minor)
    // What the installed Istio runs (ztunnel ⇒ ambient, its backend), when platform detection could tell.
    const runs = installed as (InstalledIstio & {modes?: readonly MeshMode[]; backend?: MeshBackend}) | undefined
    return resolvePlan({
      istioVersion,
      mode: wanted.mode,
      backend: wanted.backend,
      installed: runs?.components.length ? {modes: runs.modes, backend: runs.backend} : undefined,
    })
  }

  /** --suppress and --policy, read when the flags are parsed (see parse). */
  private policy: Policy = EMPTY_POLICY

  /** Parses, then reads --suppress/--policy at once: a bad rule or policy file is a usage error before anything runs. */
  protected override async parse<F extends OclifOutput, B extends OclifOutput, A extends OclifOutput>(
    options?: Interfaces.Input<F, B, A>,
    argv?: string[],
  ): Promise<Interfaces.ParserOutput<F, B, A>> {
    const parsed = await super.parse(options, argv)
    const {summary, output} = parsed.flags as {summary?: boolean; output?: string}
    if (summary && output !== 'table' && output !== 'short') throw new UserError(`--summary is -o short; it cannot be combined with -o ${output}`)
    try {
      this.policy = policyFromFlags(
        parsed.flags as {suppress?: string[]; policy?: string},
        allChecks.map((c) => c.id),
      )
    } catch (error) {
      if (error instanceof PolicyError) throw new UserError(error.message)
      throw error
    }
    return parsed
  }

  /**
   * Applies --suppress/--policy (src/report/policy.ts), renders to stdout and sets the exit code from the verdict
   * and --fail-on. With --output-file the -o report goes to the file (never coloured) and stdout gets the table
   * (wide with -o wide). docs/output.md#output-file.
   */
  protected emit(report: Report, flags: BaseFlagValues): void {
    const policed = applyPolicy(report, this.policy)
    // --summary is -o short; colour, glyphs and width follow stdout, COLUMNS and the locale (src/render/color.ts).
    const format: OutputFormat = flags.summary ? 'short' : flags.output
    const {paint, ascii, width} = terminalOptions(format, flags['no-color'])
    const options = {paint, ascii, width, failOn: flags['fail-on'], toolVersion: this.config.version}
    const file = flags['output-file']
    if (file === undefined) process.stdout.write(render(policed, format, options))
    else {
      process.stdout.write(render(policed, format === 'wide' || format === 'short' ? format : 'table', options))
      try {
        writeFileSync(file, render(policed, flags.output, {...options, paint: painter(false)}))
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code
        const why =
          code === 'ENOENT'
            ? 'its directory does not exist'
            : code === 'EISDIR'
              ? 'is a directory'
              : code === 'EACCES'
                ? 'permission denied'
                : (error as Error).message
        throw new UserError(`--output-file ${file}: cannot write the report: ${why}`)
      }
    }
    process.exitCode = exitCodeFor(policed.verdict, flags['fail-on'], policed.summary)
  }

  protected fail(message: string, exitCode: ExitCode = ExitCode.UsageError): never {
    throw new UserError(message, exitCode)
  }

  override async catch(error: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<void> {
    // A failed parse is still a parse: stop oclif warning "did not parse its arguments" under NODE_ENV=test.
    this.parsed = true
    if (this.signalExit !== undefined) {
      process.exitCode = this.signalExit
      return
    }
    if (error instanceof HelpShown) {
      process.exitCode = ExitCode.Ready
      return
    }
    if (error instanceof UserError) return this.printError(error.line, error.exitCode)
    if (error instanceof ConnectionError) return this.printError(error.message, ExitCode.UsageError)
    if (error instanceof Errors.ExitError) {
      process.exitCode = error.oclif.exit
      return
    }
    // oclif flag/argument parsing errors: one line, usage exit code.
    if (error instanceof Errors.CLIError || error.name === 'CLIError' || /Parse|Flag|Arg/.test(error.constructor?.name ?? '')) {
      // oclif's validation errors start with a heading line ("The following error occurred:"); the cause is below it.
      const lines = error.message
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '' && !/^The following errors? occurred:$/.test(l))
      // "Parsing --concurrency" alone hides why: keep the cause from the next line.
      const first = lines.length > 1 && /^Parsing --\S+$/.test(lines[0]!) ? `${lines[0]}: ${lines[1]}` : (lines[0] ?? error.message)
      return this.printError(`${first.trim()} (see kubectl mesh-ready ${this.id ?? ''} --help)`, ExitCode.UsageError)
    }
    const detail = process.env.DEBUG ? `\n${error.stack}` : ' (set DEBUG=1 for the stack trace)'
    return this.printError(`internal error: ${error.message}${detail}`, ExitCode.InternalError)
  }

  private printError(message: string, exitCode: number): void {
    process.stderr.write(`error: ${message}\n`)
    process.exitCode = exitCode
  }

  override async finally(error: Error | undefined): Promise<void> {
    for (const cleanup of this.cleanups) {
      try {
        await cleanup()
      } catch (cleanupError) {
        process.stderr.write(`warning: cleanup failed: ${(cleanupError as Error).message}\n`)
        if (process.exitCode === undefined || process.exitCode === 0) process.exitCode = ExitCode.InternalError
      }
    }
    this.client?.close()
    process.off('SIGINT', this.onSignal)
    process.off('SIGTERM', this.onSignal)
    if (this.signalExit !== undefined) process.exitCode = this.signalExit
    await super.finally(error)
  }
}
