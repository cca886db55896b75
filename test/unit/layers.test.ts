import {readdirSync, readFileSync, statSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'

/**
 * The pipeline's floors, lowest first (docs/architecture.md). A module may import its own floor or any floor
 * below it, never one above: model → knowledge → gather → derive → checks → report → render → pipeline → cli →
 * commands.
 */
const FLOORS = ['model', 'knowledge', 'gather', 'derive', 'checks', 'report', 'render', 'pipeline', 'cli', 'commands'] as const
/** Files at the top of src/: embedded assets sit with the model (they import nothing); entry points on top. */
const ROOT_FILES: Record<string, number> = {'embedded-files.ts': 0, 'bundle-entry.ts': FLOORS.length, hooks: FLOORS.length}

const src = path.resolve('src')
const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name)
    return statSync(full).isDirectory() ? walk(full) : name.endsWith('.ts') ? [full] : []
  })

function floorOf(file: string): number {
  const top = path.relative(src, file).split(path.sep)[0]!
  const floor = FLOORS.indexOf(top as (typeof FLOORS)[number])
  if (floor >= 0) return floor
  const root = ROOT_FILES[top]
  if (root === undefined) throw new Error(`src/${top} is on no floor: add it to FLOORS or ROOT_FILES`)
  return root
}

const imports = (file: string): string[] =>
  [...readFileSync(file, 'utf8').matchAll(/(?:from|import\(|import)\s*'(\.{1,2}\/[^']+)'/g)].map((m) =>
    path.resolve(path.dirname(file), m[1]!.replace(/\.js$/, '.ts')),
  )

describe('layers', () => {
  const files = walk(src)

  it('every file of src/ is on a floor', () => {
    for (const file of files) expect(() => floorOf(file)).not.toThrow()
  })

  it('no import runs back up a floor', () => {
    const upward = files.flatMap((file) =>
      imports(file)
        .filter((target) => floorOf(target) > floorOf(file))
        .map((target) => `${path.relative(src, file)} imports ${path.relative(src, target)}`),
    )
    expect(upward).toEqual([])
  })

  it('the model imports nothing of the project outside itself', () => {
    const model = files.filter((f) => floorOf(f) === 0 && path.relative(src, f).startsWith('model'))
    expect(model.length).toBeGreaterThan(5)
    const outside = model.flatMap((file) =>
      imports(file)
        .filter((t) => !path.relative(src, t).startsWith('model'))
        .map((t) => `${path.relative(src, file)} imports ${path.relative(src, t)}`),
    )
    expect(outside).toEqual([])
  })

  it('every exported type, interface and class name is unique across src/', () => {
    const where = new Map<string, string[]>()
    for (const file of files) {
      for (const m of readFileSync(file, 'utf8').matchAll(/^export (?:interface|type|class) (\w+)/gm))
        where.set(m[1]!, [...(where.get(m[1]!) ?? []), path.relative(src, file)])
    }
    expect([...where].filter(([, at]) => at.length > 1)).toEqual([])
  })

  it('the test cluster imports nothing from src/', () => {
    const dir = path.resolve('test-cluster')
    const intoSrc = walk(dir).flatMap((file) =>
      imports(file)
        .filter((t) => t.startsWith(src + path.sep))
        .map((t) => `${path.relative(dir, file)} imports ${path.relative(src, t)}`),
    )
    expect(intoSrc).toEqual([])
  })
})
