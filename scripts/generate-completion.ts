/**
 * `npm run build` step: writes dist/completion/kubectl_complete-mesh_ready (the shell completion helper kubectl 1.26+
 * runs for `kubectl mesh-ready`) from completion/kubectl_complete-mesh_ready.in and oclif's manifest of the compiled
 * commands, so every command, flag and choice in it is the registry's. The release archives get the same script.
 */
import {chmod, mkdir, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {Plugin} from '@oclif/core'
import {completionScript} from './release/completion.js'

// Runs from dist/scripts/: the repository is two levels up.
const repoRoot = path.resolve(import.meta.dirname, '../..')
export const COMPLETION_OUTPUT = path.join(repoRoot, 'dist/completion/kubectl_complete-mesh_ready')

const plugin = new Plugin({root: repoRoot, isRoot: true, ignoreManifest: true, errorOnManifestCreate: true})
await plugin.load()
const script = await completionScript(repoRoot, plugin.manifest)
await mkdir(path.dirname(COMPLETION_OUTPUT), {recursive: true})
await writeFile(COMPLETION_OUTPUT, script)
await chmod(COMPLETION_OUTPUT, 0o755)
process.stdout.write(`wrote ${path.relative(repoRoot, COMPLETION_OUTPUT)}\n`)
