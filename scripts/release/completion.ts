/** The kubectl plugin completion script (completion/kubectl_complete-mesh_ready) with its table of commands and flags. */
import {readFile} from 'node:fs/promises'
import path from 'node:path'
import type {Command, Interfaces} from '@oclif/core'

/** Flags whose values the script looks up live; the rest come from the flag's own definition. */
const LIVE_VALUES: Readonly<Record<string, string>> = {context: '@contexts', namespace: '@namespaces', kubeconfig: '@files'}

const oneLine = (text: string | undefined) => (text ?? '').split('\n')[0]!.replaceAll('\t', ' ').trim()

function flagValues(flag: Command.Flag.Cached): string {
  if (flag.type === 'boolean') return '@none'
  if (flag.options && flag.options.length > 0) return flag.options.join(' ')
  return LIVE_VALUES[flag.name] ?? '@any'
}

/** One row per command and per flag of each command: kind, command, flag, short flag, values, description. */
export function completionTable(manifest: Interfaces.Manifest): string {
  const rows: string[][] = []
  for (const [id, command] of Object.entries(manifest.commands).sort(([a], [b]) => a.localeCompare(b))) {
    if (command.hidden) continue
    rows.push(['cmd', id, '', '', '', oneLine(command.summary ?? command.description)])
    for (const flag of Object.values(command.flags).sort((a, b) => a.name.localeCompare(b.name))) {
      if (flag.hidden) continue
      rows.push(['flag', id, `--${flag.name}`, flag.char ? `-${flag.char}` : '', flagValues(flag), oneLine(flag.summary ?? flag.description)])
    }
  }
  return rows.map((row) => row.join('\t')).join('\n')
}

export async function completionScript(repoRoot: string, manifest: Interfaces.Manifest): Promise<string> {
  const template = await readFile(path.join(repoRoot, 'completion/kubectl_complete-mesh_ready'), 'utf8')
  if (!template.includes('@@TABLE@@')) throw new Error('completion/kubectl_complete-mesh_ready has no @@TABLE@@ line to fill in')
  return template.replace('@@TABLE@@', () => completionTable(manifest))
}
