/**
 * The kubectl plugin completion script, kubectl_complete-mesh_ready: the template completion/kubectl_complete-mesh_ready.in
 * with its table of commands, flags and what their values complete to, made from oclif's command manifest (which
 * oclif computes from src/commands/index.ts). Written by `npm run build` (scripts/generate-completion.ts) and by the
 * release build (scripts/release/build.ts), so it always matches the commands it ships with.
 */
import {readFile} from 'node:fs/promises'
import path from 'node:path'
import type {Command, Interfaces} from '@oclif/core'
import {allChecks} from '../../src/checks/index.js'

export const COMPLETION_TEMPLATE = 'completion/kubectl_complete-mesh_ready.in'

/** Flags whose values the script looks up live or leaves to the shell; the rest come from the flag's own definition. */
const LIVE_VALUES: Readonly<Record<string, string>> = {
  context: '@contexts',
  cluster: '@clusters',
  user: '@users',
  kubeconfig: '@files',
  'certificate-authority': '@files',
  'kernel-config': '@files',
  'output-file': '@files',
  policy: '@files',
  'host-root': '@dirs',
}

/** What a command's positional arguments complete to, by argument name. */
const ARG_VALUES: Readonly<Record<string, string>> = {node: '@nodes'}

const oneLine = (text: string | undefined) => (text ?? '').split('\n')[0]!.replaceAll('\t', ' ').trim()

/** Every flag that names a namespace (-n, --istio-namespace, --probe-namespace, ...) completes namespaces. */
const isNamespaceFlag = (name: string) => name === 'namespace' || name.endsWith('-namespace')

function flagValues(flag: Command.Flag.Cached): string {
  if (flag.type === 'boolean') return '@none'
  if (flag.options && flag.options.length > 0) return flag.options.join(' ')
  if (isNamespaceFlag(flag.name)) return '@namespaces'
  return LIVE_VALUES[flag.name] ?? '@any'
}

export interface CompletionInputs {
  /** Values of arguments that are a fixed list, by argument name (e.g. `check` → the check ids for explain). */
  readonly argChoices?: Readonly<Record<string, readonly string[]>>
}

function argValues(command: Command.Cached, inputs: CompletionInputs): string {
  const first = Object.values(command.args ?? {})[0]
  if (first === undefined) return ''
  const choices = inputs.argChoices?.[first.name]
  if (choices && choices.length > 0) return choices.join(' ')
  if (first.options && first.options.length > 0) return first.options.join(' ')
  return ARG_VALUES[first.name] ?? ''
}

/** One row per command and per flag of each command: kind, command, flag, short flag, values, description. */
export function completionTable(manifest: Interfaces.Manifest, inputs: CompletionInputs = {}): string {
  const rows: string[][] = []
  for (const [id, command] of Object.entries(manifest.commands).sort(([a], [b]) => a.localeCompare(b))) {
    if (command.hidden) continue
    rows.push(['cmd', id, '', '', argValues(command, inputs), oneLine(command.summary ?? command.description)])
    for (const flag of Object.values(command.flags).sort((a, b) => a.name.localeCompare(b.name))) {
      if (flag.hidden) continue
      rows.push(['flag', id, `--${flag.name}`, flag.char ? `-${flag.char}` : '', flagValues(flag), oneLine(flag.summary ?? flag.description)])
    }
  }
  return rows.map((row) => row.join('\t')).join('\n')
}

/** explain's CHECK argument completes to every check id in the registry. */
const registryInputs = (): CompletionInputs => ({argChoices: {check: allChecks.map((c) => c.id).sort()}})

export async function completionScript(repoRoot: string, manifest: Interfaces.Manifest, inputs: CompletionInputs = registryInputs()): Promise<string> {
  const template = await readFile(path.join(repoRoot, COMPLETION_TEMPLATE), 'utf8')
  if (!template.includes('@@TABLE@@')) throw new Error(`${COMPLETION_TEMPLATE} has no @@TABLE@@ line to fill in`)
  const script = template.replace('@@TABLE@@', () => completionTable(manifest, inputs))
  return script.replace(
    /^# This is the template:.*\n(#.*\n)*?#\n/m,
    '# Generated from completion/kubectl_complete-mesh_ready.in and the command registry; do not edit.\n#\n',
  )
}
