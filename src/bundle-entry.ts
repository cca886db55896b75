/**
 * Entry point of the single executable (scripts/release: esbuild bundle → Node SEA). Not used by bin/.
 *
 * oclif finds commands and hooks by loading files at run time, and a bundle has no files. So this entry gives oclif
 * a root plugin built in memory: the command manifest that oclif computed from src/commands/index.ts at build time
 * (flags, help, summaries — everything `--help` needs) is baked in, and a command's module is only evaluated when
 * that command runs. `--help` and `--version` therefore never load the Kubernetes client, tables or spinners.
 */
import path from 'node:path'
import type {Command, Hook, Interfaces} from '@oclif/core'
// Sub-paths, not '@oclif/core': its index loads the parser, flags and every other part at start-up.
import {Config} from '@oclif/core/config'
import {error, exit, warn} from '@oclif/core/errors'
import {execute} from '@oclif/core/execute'
import {normalizeArgv} from '@oclif/core/help'
import {helpAddition, versionAddition} from '@oclif/core/run'
import {ux} from '@oclif/core/ux'
import commandNotFound from './hooks/command-not-found.js'

/** What scripts/release/bundle.ts bakes in: package.json's identity and oclif settings, and oclif's command manifest. */
export interface BundleData {
  pjson: Interfaces.PJSON
  manifest: Interfaces.Manifest
}

declare const MESH_READY_BUNDLE: BundleData

async function commandClass(id: string): Promise<Command.Class> {
  const {COMMANDS} = await import('./commands/index.js')
  const found = (COMMANDS as Record<string, Command.Class>)[id]
  if (found === undefined) throw new Error(`command ${id} is in the baked-in manifest but not in src/commands/index.ts; rebuild the release`)
  return found
}

/** The root plugin, as oclif's Plugin would be after loading a manifest, minus file loading. */
function bundledPlugin({pjson, manifest}: BundleData, root: string): Interfaces.Plugin {
  const findCommand = async (id: string): Promise<Command.Class> => {
    const cmd = await commandClass(id)
    cmd.id = id
    cmd.plugin = plugin
    return cmd
  }
  const plugin: Interfaces.Plugin = {
    _base: `${pjson.name}@${pjson.version}`,
    alias: pjson.name,
    commandIDs: Object.keys(manifest.commands),
    commands: Object.entries(manifest.commands)
      .map(([id, cached]) => ({...cached, id, pluginAlias: pjson.name, pluginType: 'core', load: () => findCommand(id)}))
      // Not localeCompare: its first call loads ICU collation data, about 15% of the start-up work.
      .sort((a, b) => (a.id < b.id ? -1 : 1)),
    commandsDir: undefined,
    findCommand: findCommand as Interfaces.Plugin['findCommand'],
    hasManifest: true,
    hooks: {},
    isRoot: true,
    load: async () => {},
    moduleType: 'commonjs',
    name: pjson.name,
    options: {isRoot: true, pjson, root},
    pjson,
    root,
    topics: [],
    type: 'core',
    valid: true,
    version: pjson.version,
  }
  return plugin
}

/** The id for which oclif's main.run would call the command_not_found hook (which cannot be loaded from a file here). */
function unknownCommand(argv: string[], config: Config): string | undefined {
  if (versionAddition(argv, config) || helpAddition(argv, config)) return undefined
  const [id] = normalizeArgv(config, argv)
  if (id === undefined || config.findCommand(id) || config.findTopic(id)) return undefined
  return id
}

async function main(argv: string[], data: BundleData): Promise<void> {
  const root = path.dirname(process.execPath)
  const plugin = bundledPlugin(data, root)
  const config = await Config.load({root, pjson: data.pjson, plugins: new Map([[plugin.name, plugin]])})
  const unknown = unknownCommand(argv, config)
  if (unknown !== undefined) {
    const context = {config, debug: () => {}, error, exit, log: ux.stdout, warn}
    await (commandNotFound as Hook<'command_not_found'>).call(context, {id: unknown, argv: argv.slice(1), config, context})
    return
  }
  await execute({args: argv, loadOptions: config})
}

// Only the release bundle defines MESH_READY_BUNDLE; importing this module elsewhere (tests) runs nothing.
if (typeof MESH_READY_BUNDLE !== 'undefined') void main(process.argv.slice(2), MESH_READY_BUNDLE)
