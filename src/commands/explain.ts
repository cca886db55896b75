import {readFileSync} from 'node:fs'
import {Args, Flags} from '@oclif/core'
import {allChecks} from '../checks/index.js'
import type {CheckDefinition, Finding} from '../model/finding.js'
import {UserError} from '../model/errors.js'
import type {BaseFlagValues} from '../cli/base-command.js'
import {docsUrl} from '../model/docs-url.js'
import {ExitCode} from '../model/exit-codes.js'
import {closeMatches} from '../report/policy.js'
import type {Report} from '../model/report.js'
import {SCHEMA_VERSION} from '../model/report.js'
import {terminalOptions} from '../render/color.js'
import type {Paint} from '../render/color.js'
import {configTag, glyphs, subjectShort, widthOf} from '../render/short.js'
import {commandLines, subjectLabel, wrap} from '../render/table.js'
import Check from './check.js'

/** The areas `check` runs, by the category of the explained check (the cluster preflight always runs). */
const SKIP_FOR: Record<CheckDefinition['category'], string[]> = {
  cluster: ['nodes', 'platform', 'pods'],
  node: ['platform', 'pods'],
  platform: ['nodes', 'pods'],
  workload: ['nodes', 'platform'],
}

/** `*` any run of characters, `?` one; case-insensitive. */
const globRegExp = (glob: string) =>
  new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  )

/** The ways a subject is written: its name, `namespace/name`, the table's short label and its label with the kind. */
const subjectNames = (f: Finding) =>
  [f.subject.name, f.subject.namespace ? `${f.subject.namespace}/${f.subject.name}` : '', subjectShort(f), subjectLabel(f)].filter(Boolean)

/** Findings about `wanted`: an exact name first, else a glob, else the subjects whose name starts with it. */
export function matchSubject(findings: readonly Finding[], wanted: string): Finding[] {
  const lower = wanted.toLowerCase()
  const exact = findings.filter((f) => subjectNames(f).some((n) => n.toLowerCase() === lower))
  if (exact.length > 0) return exact
  if (/[*?]/.test(wanted)) return findings.filter((f) => subjectNames(f).some((n) => globRegExp(wanted).test(n)))
  return findings.filter((f) => subjectNames(f).some((n) => n.toLowerCase().startsWith(lower)))
}

/** A report from `--from-json FILE` (`-` for stdin): a one-line usage error when it is not one. */
export function readReport(file: string): Report {
  let text: string
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new UserError(`--from-json ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (error as Error).message}`)
  }
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch {
    throw new UserError(`--from-json ${file}: not JSON; write one with kubectl mesh-ready check -o json > ${file === '-' ? 'report.json' : file}`)
  }
  const report = doc as Partial<Report>
  if (report.schemaVersion !== SCHEMA_VERSION || !Array.isArray(report.findings)) {
    throw new UserError(`--from-json ${file}: not a kubectl mesh-ready report (schemaVersion ${SCHEMA_VERSION} with findings); write one with -o json`)
  }
  return report as Report
}

export function findCheck(id: string): CheckDefinition<any, any> {
  const check = allChecks.find((c) => c.id === id) ?? allChecks.filter((c) => c.id.endsWith(`.${id}`)).at(0)
  if (check) return check
  const close = closeMatches(
    id,
    allChecks.map((c) => c.id),
  )
  throw new UserError(`no check "${id}"${close.length ? `; did you mean ${close.join(', ')}?` : ''} (every check: kubectl mesh-ready explain --list)`)
}

/** The explanation: the check's docs, then per finding its status, configuration, every reason, the evidence and the fix. */
export function explainText(
  check: CheckDefinition<any, any>,
  findings: readonly Finding[],
  options: {paint: Paint; ascii: boolean; width: number; planned?: string; source?: string},
): string {
  const {paint, width} = options
  const marks = glyphs(options.ascii)
  const out: string[] = wrap(`${check.id}: ${check.title}`, width, '').map((l, i) => paint('bold', i === 0 ? l : `  ${l}`))
  const field = (name: string, value: string) => {
    const head = `${name.padEnd(9)}`
    if (widthOf(head) + widthOf(value) <= width) out.push(`${head}${value}`)
    else if (!value.includes(' '))
      out.push(name, value) // a URL: whole, on its own line
    else out.push(...wrap(value, width, ' '.repeat(9)).map((l, i) => (i === 0 ? head + l.trimStart() : l)))
  }
  field('category', check.category)
  field('source', check.source)
  field('docs', docsUrl(check.id))
  if (options.source) field('report', options.source)
  if (findings.length === 0) {
    out.push('', 'This run has no result for this check (it does not apply, or its area was not judged).')
    return `${out.join('\n')}\n`
  }
  for (const f of findings) {
    const mark = marks[f.severity]
    const tag = configTag(f)
    const where = [tag, f.planned ? '' : 'outside the plan: information, not counted in the verdict'].filter(Boolean).join('; ')
    const word = options.ascii ? mark.text.trim() : `${mark.text} ${f.severity.toUpperCase()}`
    const [head = '', ...more] = wrap(`${word}  ${subjectLabel(f)}${where ? `  (${where})` : ''}`, width, '')
    out.push('', paint(mark.style, word) + head.slice(word.length), ...more.map((l) => `  ${l}`))
    // Every reason on its own line: the message's parts (`… — missing a: …; b: …`).
    const [summary = '', ...details] = f.message.split(' — ')
    out.push(...wrap(summary, width, '  '))
    for (const detail of details) {
      const items = detail.split('; ')
      for (const item of items) out.push(...wrap(item, width, '    ').map((l, i) => (i === 0 ? `  - ${l.trimStart()}` : l)))
    }
    const evidence = Object.entries(f.evidence ?? {})
    if (evidence.length > 0) {
      out.push('  evidence:')
      for (const [k, v] of evidence)
        out.push(
          ...wrap(`${k}: ${Array.isArray(v) ? (v.length ? v.join(', ') : '-') : String(v)}`, width, '      ').map((l, i) =>
            i === 0 ? `    ${l.trimStart()}` : l,
          ),
        )
    }
    if (f.remediation) {
      out.push('  how to fix:', ...wrap(f.remediation.text, width, '    '))
      if (f.remediation.command) out.push(...commandLines(f.remediation.command, width, '      '))
      if (f.remediation.yaml)
        out.push(
          ...f.remediation.yaml
            .trimEnd()
            .split('\n')
            .map((l) => `      ${l}`.trimEnd()),
        )
    }
  }
  return `${out.join('\n')}\n`
}

/**
 * `kubectl mesh-ready explain CHECK-ID [SUBJECT]`: what a check judges and why it said what it said. It runs the area
 * of the check's category exactly as `check` does (same flags, same plan), or reads a report written with `-o json`.
 */
export default class Explain extends Check {
  static override summary = 'Explain one check: its docs, every reason and the evidence.'
  static override description =
    `Prints the check's title, source and docs link, then for each subject its status, the configuration it is about (mode and backend; outside the plan = information), every reason, the evidence and the fix.
Without --from-json it runs the area of the check's category as check does (node checks start the probe pods), with the same flags; --from-json FILE reads a report written with -o json instead (- reads stdin) and touches no cluster.
SUBJECT is a node group, workload, Service or namespace: its exact name, a glob (pool-*) or the start of its name. Exit codes: 0 explained, 2 unknown check, no matching subject or unreadable report.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> node.iptables-backend',
    '<%= config.bin %> <%= command.id %> node.nftables-backend edge-arm-0',
    '<%= config.bin %> check -o json > report.json; <%= config.bin %> <%= command.id %> workload.port-protocol --from-json report.json',
  ]
  static override args = {
    check: Args.string({description: 'The check id, as the table prints it (node.iptables-backend).'}),
    subject: Args.string({description: 'Only this subject: exact name, glob, or the start of its name.'}),
  }
  static override flags = {
    ...Check.flags,
    'from-json': Flags.string({description: 'Explain from a report written with -o json (- for stdin) instead of running the checks.', helpValue: 'FILE'}),
    list: Flags.boolean({description: 'List every check id with its title.', default: false}),
  }

  private target?: {check: CheckDefinition<any, any>; subject?: string; output: string; noColor: boolean}

  override async run(): Promise<void> {
    const {args, flags} = await this.parse(Explain)
    if (flags.list) {
      process.stdout.write(`${allChecks.map((c) => `${c.id.padEnd(40)} ${c.title}`.trimEnd()).join('\n')}\n`)
      return
    }
    if (!args.check) throw new UserError('name the check to explain, e.g. kubectl mesh-ready explain node.iptables-backend (every id: --list)')
    const check = findCheck(args.check)
    this.target = {check, subject: args.subject, output: flags.summary ? 'short' : flags.output, noColor: flags['no-color']}
    if (flags['from-json'] !== undefined) {
      this.explain(readReport(flags['from-json']), `${flags['from-json'] === '-' ? 'stdin' : flags['from-json']}`)
      return
    }
    // Run check's own pipeline for this one area: the same flags, without the explain-only ones.
    const positional = [args.check, args.subject].filter((a): a is string => a !== undefined)
    const argv = [...this.argv]
    for (const word of positional) argv.splice(argv.indexOf(word), 1)
    const skips = SKIP_FOR[check.category].filter((a) => !(flags.skip ?? []).includes(a as never)).flatMap((a) => ['--skip', a])
    this.argv = [...argv.filter((a) => a !== '--list'), ...skips]
    await super.run()
  }

  /** check's pipeline ends here: explain instead of rendering the report. */
  protected override emit(report: Report, _flags: BaseFlagValues): void {
    this.explain(report, 'this run')
  }

  private explain(report: Report, source: string): void {
    const target = this.target!
    const own = report.findings.filter((f) => f.checkId === target.check.id)
    const findings = target.subject === undefined ? own : matchSubject(own, target.subject)
    if (target.subject !== undefined && findings.length === 0) {
      const subjects = [...new Set(own.map(subjectShort))]
      throw new UserError(
        `${target.check.id} has no result for "${target.subject}" in ${source}${subjects.length ? `; its subjects: ${subjects.slice(0, 8).join(', ')}${subjects.length > 8 ? ', …' : ''}` : ''}`,
        ExitCode.UsageError,
      )
    }
    if (target.output === 'json' || target.output === 'yaml') {
      const doc = {
        check: {
          id: target.check.id,
          title: target.check.title,
          category: target.check.category,
          source: target.check.source,
          docsUrl: docsUrl(target.check.id),
        },
        findings,
      }
      process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`)
    } else {
      const {paint, ascii, width} = terminalOptions('wide', target.noColor)
      process.stdout.write(explainText(target.check, findings, {paint, ascii, width, source}))
    }
    process.exitCode = ExitCode.Ready
  }
}
