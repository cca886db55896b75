/**
 * Step 1: one CommonJS file (what Node SEA can run) from the compiled CLI in dist/, with oclif's command manifest
 * baked in. Built from dist/ so the bundle and the manifest come from the same compiled classes.
 */
import {readdir, readFile, stat, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {Plugin as OclifPlugin} from '@oclif/core'
import type {Interfaces} from '@oclif/core'
import {build} from 'esbuild'
import type {Plugin} from 'esbuild'
import type {BundleData} from '../../src/bundle-entry.js'

/**
 * Inside a SEA, require() loads built-in modules only, and prints a warning for anything else. Optional dependencies
 * probed in try/catch (ws → bufferutil, node-fetch → encoding, oclif's engine check → its package.json) would print
 * it on every run: answer them as Node does for a missing module, and never load code from disk.
 */
const SEA_REQUIRE = `require=(r=>Object.assign(id=>{if(r("node:module").isBuiltin(id))return r(id);throw Object.assign(new Error("Cannot find module '"+id+"' (not bundled)"),{code:"MODULE_NOT_FOUND"})},{resolve:id=>{throw Object.assign(new Error("Cannot resolve '"+id+"'"),{code:"MODULE_NOT_FOUND"})}}))(require);`

/**
 * Packages loaded for work the executable never asks of them (its oclif root plugin is in memory:
 * src/bundle-entry.ts). Left out, they cost no start-up time; if one is ever called, it fails with this reason.
 */
const UNUSED_AT_RUN_TIME: Readonly<Record<string, string>> = {
  tinyglobby: 'finding command files by glob pattern',
  minimatch: 'matching core plugins in package.json',
  lilconfig: 'reading package.json and oclif config files from disk',
  'get-package-type': 'loading command or hook files from disk',
  'whatwg-url': "parsing URLs in node-fetch, which takes Node's own URL first",
}

const leaveOut: Plugin = {
  name: 'leave-out-unused',
  setup(build) {
    build.onResolve({filter: new RegExp(`^(${Object.keys(UNUSED_AT_RUN_TIME).join('|')})$`)}, (args) => ({path: args.path, namespace: 'left-out'}))
    build.onLoad({filter: /.*/, namespace: 'left-out'}, (args) => ({
      loader: 'js',
      contents: `module.exports = new Proxy({}, {get(_, key) { if (key === '__esModule') return false; throw new Error(${JSON.stringify(`${args.path} is not in the single executable (used for ${UNUSED_AT_RUN_TIME[args.path]})`)}) }})`,
    }))
  },
}

/** Hooks the bundle entry runs itself (it cannot load hook files); any other hook must be added there first. */
const BUNDLED_HOOKS = new Set(['command_not_found'])

export interface Bundle {
  file: string
  data: BundleData
  /** Paths of every input esbuild took in, for the third-party notices. */
  inputs: string[]
}

type PackageJson = Interfaces.PJSON & {files?: string[]}

export const readPackageJson = async (repoRoot: string): Promise<PackageJson> =>
  JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')) as PackageJson

/** oclif's own manifest for the commands in src/commands/index.ts, plus the package.json fields oclif reads. */
export async function bundleData(repoRoot: string, pjson: PackageJson): Promise<BundleData> {
  const unsupported = Object.keys(pjson.oclif.hooks ?? {}).filter((hook) => !BUNDLED_HOOKS.has(hook))
  if (unsupported.length > 0) {
    throw new Error(
      `package.json oclif.hooks ${unsupported.join(', ')}: the single executable cannot load hook files; call the hook from src/bundle-entry.ts and add it to BUNDLED_HOOKS in scripts/release/bundle.ts`,
    )
  }
  const plugin = new OclifPlugin({root: repoRoot, isRoot: true, ignoreManifest: true, errorOnManifestCreate: true})
  await plugin.load()
  const {hooks: _hooks, commands: _commands, ...oclif} = pjson.oclif
  return {
    pjson: {name: pjson.name, version: pjson.version, description: pjson.description, oclif} as Interfaces.PJSON,
    manifest: plugin.manifest,
  }
}

/** Files package.json `files` ships beside the code (probe scripts), for src/embedded-files.ts. */
const CODE_FILES = new Set(['bin', 'dist', 'oclif.manifest.json', 'LICENSE'])

export async function embeddedFiles(repoRoot: string, {files = []}: PackageJson): Promise<Record<string, string>> {
  const embedded: Record<string, string> = {}
  for (const entry of files.filter((f) => !CODE_FILES.has(f))) {
    const full = path.join(repoRoot, entry)
    const names = (await stat(full)).isDirectory() ? (await readdir(full, {recursive: true})).map((f) => path.join(entry, f)) : [entry]
    for (const name of names.sort()) {
      if ((await stat(path.join(repoRoot, name))).isFile()) embedded[name.split(path.sep).join('/')] = await readFile(path.join(repoRoot, name), 'utf8')
    }
  }
  return embedded
}

export async function bundle(repoRoot: string, outFile: string): Promise<Bundle> {
  const pjson = await readPackageJson(repoRoot)
  const data = await bundleData(repoRoot, pjson)
  const result = await build({
    entryPoints: [path.join(repoRoot, 'dist/src/bundle-entry.js')],
    outfile: outFile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    banner: {js: SEA_REQUIRE},
    define: {MESH_READY_BUNDLE: JSON.stringify(data), MESH_READY_EMBEDDED_FILES: JSON.stringify(await embeddedFiles(repoRoot, pjson))},
    // oclif reads tsconfig files with it in development only (ts-node); 9 MB the executable never runs.
    external: ['typescript'],
    // Smaller source, faster start: Node decodes and scans all of it. Names stay (error handling matches on
    // class names, src/cli/base-command.ts).
    minify: true,
    keepNames: true,
    legalComments: 'none',
    // The executable reads it as latin1 (scripts/release/sea-loader.ts): non-ASCII characters must be escaped.
    charset: 'ascii',
    plugins: [leaveOut],
    metafile: true,
    logLevel: 'error',
  })
  // charset 'ascii' leaves regular expression literals alone (ansis has U+009B in one); \u escapes mean the same there.
  const source = await readFile(outFile, 'utf8')
  await writeFile(
    outFile,
    source.replace(/[^\0-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
  )
  return {file: outFile, data, inputs: Object.keys(result.metafile.inputs).map((input) => path.resolve(input))}
}
