/**
 * The single executable's main script (bundled to CommonJS by sea.ts): runs the CLI bundle, an ASCII asset, with
 * the V8 code cache made at build time when there is one (linux/amd64). If V8 rejects the cache (another Node
 * version or V8 flags from NODE_OPTIONS), it compiles the source as usual: slower, same behaviour.
 */
import {dirname} from 'node:path'
import {getRawAsset, isSea} from 'node:sea'
import {Script} from 'node:vm'
import {BUNDLE_ASSET, CACHE_ASSET, wrapBundle} from './sea-main.js'

function asset(key: string): Buffer | undefined {
  try {
    return Buffer.from(getRawAsset(key) as ArrayBuffer)
  } catch {
    return undefined
  }
}

if (isSea()) {
  // latin1: a one-byte string straight from the bytes (the build escapes every non-ASCII character).
  const source = asset(BUNDLE_ASSET)!.toString('latin1')
  const cachedData = asset(CACHE_ASSET)
  const script = new Script(wrapBundle(source), {filename: process.execPath, cachedData})
  if (process.env.KUBECTL_MESH_READY_DEBUG_STARTUP) {
    process.stderr.write(`code cache: ${cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'accepted'}\n`)
  }
  const mod = {exports: {}}
  script.runInThisContext()(mod.exports, require, mod, process.execPath, dirname(process.execPath))
}
