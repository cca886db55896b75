/**
 * `npm run release`: bundle → Node single executable per platform → krew archives → krew-manifest.yaml.
 * Nothing is downloaded but npm packages. Usage: node dist/scripts/release/build.js [--targets linux/amd64,…] [--out release]
 * See docs/release.md.
 */
import {existsSync} from 'node:fs'
import {copyFile, mkdir, readFile, rm, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'
import {archive} from './archive.js'
import {bundle} from './bundle.js'
import {completionScript} from './completion.js'
import {renderKrewManifest, unfilledPlaceholders} from './krew.js'
import type {BuiltArchive} from './krew.js'
import {nodeBinary} from './node-binary.js'
import {thirdPartyNotices} from './notices.js'
import {injectBlob, seaBlob} from './sea.js'
import {COMPLETION_NAME, NODE_VERSION, TARGETS, archiveName, releaseUrl, selectTargets, targetId} from './targets.js'
import type {Target} from './targets.js'

/** The repository: the nearest folder above this file (in scripts/ or dist/scripts/) with a package.json. */
export const REPO_ROOT = ((dir: string): string => {
  while (!existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir)
  return dir
})(path.dirname(fileURLToPath(import.meta.url)))

export interface ReleaseOptions {
  repoRoot?: string
  /** Archives and the rendered manifest go here; intermediate files under <outDir>/work. */
  outDir: string
  targets?: readonly Target[]
  /** Where to write the rendered manifest (default <outDir>/krew-manifest.yaml). */
  manifestFile?: string
  /** Node binaries from the npm registry, kept between builds (default release/node in the repository). */
  nodeCache?: string
  log?: (line: string) => void
}

export interface BuiltTarget extends BuiltArchive {
  target: Target
  /** The archive. */
  file: string
  /** The executable as packed (the archive's contents are beside it). */
  executable: string
}

export interface Release {
  version: string
  archives: BuiltTarget[]
  manifestFile: string
  manifest: string
}

/** The blob is made by the linux/x64 Node of the same version, so the release must be built on linux/x64. */
function assertBuildHost(): void {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`the release is built on linux/x64 (it runs the embedded Node to make the SEA blob); this is ${process.platform}/${process.arch}`)
  }
}

export async function buildRelease(options: ReleaseOptions): Promise<Release> {
  assertBuildHost()
  const repoRoot = options.repoRoot ?? REPO_ROOT
  const targets = options.targets ?? TARGETS
  const log = options.log ?? (() => {})
  const work = path.join(options.outDir, 'work')
  const nodeCache = options.nodeCache ?? path.join(repoRoot, 'release', 'node')
  await mkdir(work, {recursive: true})

  log('bundling')
  const main = await bundle(repoRoot, path.join(work, 'main.cjs'))
  const {version} = main.data.pjson
  // The linux/amd64 Node makes every blob (same version everywhere) and is the only one that can train a code cache.
  const blobMaker = await nodeBinary(TARGETS[0]!, NODE_VERSION, nodeCache)
  const untrainable = targets.filter((t) => t.codeCache && t.nodePackage !== TARGETS[0]!.nodePackage)
  if (untrainable.length > 0) throw new Error(`code cache for ${untrainable.map(targetId).join(', ')}: only ${targetId(TARGETS[0]!)} can be trained here`)
  if (blobMaker.license === undefined) throw new Error(`${TARGETS[0]!.nodePackage}@${NODE_VERSION} has no LICENSE file for the notices`)
  const notices = await thirdPartyNotices(main.inputs, blobMaker.license, NODE_VERSION)
  const completion = await completionScript(repoRoot, main.data.manifest)

  const blobs = new Map<boolean, Promise<Buffer>>()
  const blobFor = (codeCache: boolean) => {
    if (!blobs.has(codeCache)) blobs.set(codeCache, seaBlob(blobMaker.binary, main.file, work, codeCache))
    return blobs.get(codeCache)!
  }

  const archives: BuiltTarget[] = []
  for (const target of targets) {
    log(`building ${targetId(target)}`)
    const stage = path.join(work, `${target.os}-${target.arch}`)
    await rm(stage, {recursive: true, force: true})
    await mkdir(stage, {recursive: true})
    const node = await nodeBinary(target, NODE_VERSION, nodeCache)
    await injectBlob(target, node.binary, await blobFor(target.codeCache), path.join(stage, target.executable))
    await copyFile(path.join(repoRoot, 'LICENSE'), path.join(stage, 'LICENSE'))
    await writeFile(path.join(stage, 'THIRD_PARTY_NOTICES'), notices)
    const files = [target.executable, 'LICENSE', 'THIRD_PARTY_NOTICES']
    if (target.os !== 'windows') {
      await writeFile(path.join(stage, COMPLETION_NAME), completion, {mode: 0o755})
      files.push(COMPLETION_NAME)
    }
    const file = path.join(options.outDir, archiveName(target, version))
    const sha256 = await archive(target, stage, files, file)
    archives.push({target, file, sha256, uri: releaseUrl(target, version), executable: path.join(stage, target.executable)})
    log(`  ${path.basename(file)} sha256 ${sha256}`)
  }

  const template = await readFile(path.join(repoRoot, 'plugin.yaml'), 'utf8')
  const built = new Map(archives.map((a) => [targetId(a.target), a]))
  const manifest = renderKrewManifest(template, version, built, {partial: targets.length < TARGETS.length})
  const left = unfilledPlaceholders(manifest)
  if (left.length > 0) throw new Error(`krew manifest still has placeholders: ${left.join(', ')}`)
  const manifestFile = options.manifestFile ?? path.join(options.outDir, 'krew-manifest.yaml')
  await writeFile(manifestFile, manifest)
  log(`wrote ${manifestFile}`)
  return {version, archives, manifestFile, manifest}
}

async function cli(): Promise<void> {
  const {values} = parseArgs({options: {targets: {type: 'string'}, out: {type: 'string', default: 'release'}}})
  const targets = selectTargets(values.targets)
  const outDir = path.resolve(values.out)
  // Only a build of every platform may replace the committed manifest.
  const manifestFile = targets.length === TARGETS.length ? path.join(REPO_ROOT, 'krew-manifest.yaml') : undefined
  await buildRelease({outDir, targets, manifestFile, log: (line) => process.stdout.write(`${line}\n`)})
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  cli().catch((error: Error) => {
    process.stderr.write(`release: ${error.message}\n`)
    process.exitCode = 1
  })
}
