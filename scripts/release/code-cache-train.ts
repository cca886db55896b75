/**
 * Build-time training run for the V8 code cache (bundled and started by sea.ts with the target's own Node):
 * evaluates the bundle as the executable does, once per TRAINING_RUNS command line, in one process, then saves
 * the cache of everything compiled on the way. Arguments: <bundle> <cache file>.
 */
import {readFileSync, writeFileSync} from 'node:fs'
import {dirname} from 'node:path'
import {Script} from 'node:vm'
import {TRAINING_RUNS, wrapBundle} from './sea-main.js'

const [bundleFile, cacheFile] = process.argv.slice(2)
if (bundleFile === undefined || cacheFile === undefined) throw new Error('usage: code-cache-train <bundle> <cache file>')

const script = new Script(wrapBundle(readFileSync(bundleFile, 'latin1')), {filename: process.execPath})
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
