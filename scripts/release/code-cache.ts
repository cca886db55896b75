/**
 * Build-time training run for the V8 code cache: runs the bundle (as the executable would) through TRAINING_RUNS
 * in one process with the target's own Node, then saves the cache of everything compiled on the way.
 * Usage (by sea.ts): <node of the target> code-cache.js <bundle> <cache file>
 */
import {execFile} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname} from 'node:path'
import {fileURLToPath} from 'node:url'
import {promisify} from 'node:util'
import {Script} from 'node:vm'
import {TRAINING_RUNS, wrapBundle} from './sea-main.js'

/** Runs the training in `node` (which must be the Node embedded in the executable) and writes `cacheFile`. */
export async function trainCodeCache(node: string, bundleFile: string, cacheFile: string): Promise<void> {
  await promisify(execFile)(node, [fileURLToPath(import.meta.url), bundleFile, cacheFile], {maxBuffer: 16 << 20})
}

function train(bundleFile: string, cacheFile: string): void {
  const script = new Script(wrapBundle(readFileSync(bundleFile, 'latin1')), {filename: process.execPath})
  const require = createRequire(import.meta.url)
  const runs = [...TRAINING_RUNS]
  const next = () => {
    const args = runs.shift()
    if (args === undefined) return writeFileSync(cacheFile, script.createCachedData())
    // Each run evaluates the bundle afresh (new module instances) over the same compiled functions.
    process.argv = [process.execPath, process.execPath, ...args]
    const mod = {exports: {}}
    script.runInThisContext()(mod.exports, require, mod, process.execPath, dirname(process.execPath))
  }
  // The next run starts when the previous one has nothing left to do.
  process.on('beforeExit', next)
  next()
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [bundleFile, cacheFile] = process.argv.slice(2)
  if (bundleFile === undefined || cacheFile === undefined) throw new Error('usage: code-cache.js <bundle> <cache file>')
  train(bundleFile, cacheFile)
}
