import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import type {Command, Interfaces} from '@oclif/core'
import {parse, stringify} from 'yaml'
import {describe, expect, it} from 'vitest'
import {completionTable} from '../scripts/release/completion.js'
import {renderKrewManifest, unfilledPlaceholders} from '../scripts/release/krew.js'
import {packageDir} from '../scripts/release/notices.js'
import {TARGETS, archiveName, releaseUrl, selectTargets, targetId} from '../scripts/release/targets.js'
import {COMMANDS} from '../src/commands/index.js'
import type {KrewManifest} from './release-krew.js'
import {platformFor, selectorMatches, validateKrewManifest} from './release-krew.js'

const repoRoot = path.resolve(import.meta.dirname, '..')
const template = readFileSync(path.join(repoRoot, 'plugin.yaml'), 'utf8')
const sha = (c: string) => c.repeat(64)
const allBuilt = new Map(TARGETS.map((t, i) => [targetId(t), {uri: releaseUrl(t, '1.2.3'), sha256: sha('abcd'[i]!)}]))
const rendered = renderKrewManifest(template, '1.2.3', allBuilt)

describe('src/commands/index.ts', () => {
  it('lists every command file in src/commands, and nothing else', () => {
    const files = readdirSync(path.join(repoRoot, 'src/commands'))
      .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
      .map((f) => f.replace(/\.ts$/, ''))
    expect(Object.keys(COMMANDS).sort()).toEqual(files.sort())
  })
})

describe('plugin.yaml → krew manifest', () => {
  it('renders a manifest that passes the krew-index rules, with nothing left to fill in', () => {
    expect(unfilledPlaceholders(rendered)).toEqual([])
    expect(validateKrewManifest(rendered, 'mesh-ready.yaml')).toEqual([])
    const doc = parse(rendered) as KrewManifest
    expect(doc.spec?.version).toBe('v1.2.3')
    expect(doc.spec?.platforms?.map((p) => p.uri)).toEqual(
      TARGETS.map((t) => `https://github.com/mesh-ready/kubectl-mesh-ready/releases/download/v1.2.3/${archiveName(t, '1.2.3')}`),
    )
  })

  it.each(TARGETS.map((t) => [targetId(t), t] as const))('a krew client on %s gets that build, with the right executable', (id, target) => {
    const platform = platformFor(parse(rendered) as KrewManifest, target.os, target.arch)
    expect(platform?.sha256).toBe(allBuilt.get(id)!.sha256)
    expect(platform?.bin).toBe(target.executable)
  })

  it('serves the Intel macOS build to Apple silicon (no Node 20 darwin/arm64 binary on npm)', () => {
    expect(platformFor(parse(rendered) as KrewManifest, 'darwin', 'arm64')?.uri).toBe(allBuilt.get('darwin/amd64')!.uri)
    expect(platformFor(parse(rendered) as KrewManifest, 'windows', 'arm64')).toBeUndefined()
  })

  it('leaves out the platforms that were not built only when asked to (a partial build)', () => {
    const one = new Map([['linux/amd64', allBuilt.get('linux/amd64')!]])
    expect(() => renderKrewManifest(template, '1.2.3', one)).toThrow(/linux\/arm64, which was not built/)
    const partial = parse(renderKrewManifest(template, '1.2.3', one, {partial: true})) as KrewManifest
    expect(partial.spec?.platforms).toHaveLength(1)
    expect(partial.spec?.platforms?.[0]?.bin).toBe('kubectl-mesh_ready')
  })

  it('refuses a built target that the template has no platform for, and a platform mixing targets', () => {
    const extra = new Map([...allBuilt, ['linux/386', {uri: 'u', sha256: sha('e')}]])
    expect(() => renderKrewManifest(template, '1.2.3', extra)).toThrow(/built linux\/386 but plugin.yaml has no platform/)
    const mixed = template.replace('sha256: "{{sha256 linux/amd64}}"', 'sha256: "{{sha256 linux/arm64}}"')
    expect(() => renderKrewManifest(mixed, '1.2.3', allBuilt)).toThrow(/exactly one target, found: linux\/amd64, linux\/arm64/)
  })

  it('drops the template header and says where the file comes from', () => {
    expect(rendered.split('\n')[0]).toMatch(/^# Rendered from plugin.yaml by `npm run release` for v1\.2\.3/)
    expect(rendered).not.toContain('{{')
  })
})

describe('the krew-index rules (test/release-krew.ts) catch broken manifests', () => {
  const good = parse(rendered) as KrewManifest
  const broken = (edit: (m: KrewManifest & {spec: {platforms: Record<string, unknown>[]}}) => void) => {
    const copy = structuredClone(good) as KrewManifest & {spec: {platforms: Record<string, unknown>[]}}
    edit(copy)
    return stringify(copy)
  }
  it.each<[string, string, RegExp]>([
    ['wrong apiVersion', broken((m) => void (m.apiVersion = 'krew.googlecontainertools.github.com/v1alpha1')), /apiVersion must be/],
    ['name not the file name', broken((m) => void (m.metadata = {name: 'meshready'})), /must equal the file name/],
    ['reserved name', broken((m) => void (m.metadata = {name: 'aux'})), /reserved Windows/],
    ['version without v', broken((m) => void (m.spec.version = '1.2.3')), /semantic version with a leading v/],
    ['uppercase sha256', broken((m) => void (m.spec.platforms[0]!.sha256 = sha('A'))), /64 lowercase hex/],
    ['short sha256', broken((m) => void (m.spec.platforms[0]!.sha256 = 'abc')), /64 lowercase hex/],
    ['no bin', broken((m) => void delete m.spec.platforms[0]!.bin), /bin is missing/],
    ['no uri', broken((m) => void delete m.spec.platforms[1]!.uri), /uri is missing/],
    ['empty files', broken((m) => void (m.spec.platforms[0]!.files = [])), /files must be unspecified or non-empty/],
    [
      'selector on another key',
      broken((m) => void (m.spec.platforms[0]!.selector = {matchLabels: {os: 'linux', distro: 'debian'}})),
      /"distro" is not os or arch/,
    ],
    ['empty matchLabels', broken((m) => void (m.spec.platforms[0]!.selector = {matchLabels: {}})), /specified but empty/],
    [
      'overlapping selectors',
      broken((m) => void (m.spec.platforms[1]!.selector = {matchLabels: {os: 'linux'}})),
      /linux\/amd64 is matched by platforms 0 and 1/,
    ],
    [
      'unsupported platform',
      broken((m) => void (m.spec.platforms[0]!.selector = {matchLabels: {os: 'plan9', arch: 'amd64'}})),
      /matches no supported os\/arch/,
    ],
    ['no platforms', broken((m) => void (m.spec.platforms = [])), /platforms is empty/],
    ['multi-line short description', broken((m) => void (m.spec.shortDescription = 'a\nb')), /line break/],
  ])('%s', (_name, text, error) => {
    expect(validateKrewManifest(text, 'mesh-ready.yaml').join('\n')).toMatch(error)
  })

  it('needs a .yaml file name', () => {
    expect(validateKrewManifest(rendered, 'mesh-ready.yml')).toContain('mesh-ready.yml: the file must end in .yaml')
  })

  it.each<[Record<string, unknown>, Record<string, string>, boolean]>([
    [{matchLabels: {os: 'linux', arch: 'amd64'}}, {os: 'linux', arch: 'amd64'}, true],
    [{matchLabels: {os: 'linux', arch: 'amd64'}}, {os: 'linux', arch: 'arm64'}, false],
    [
      {
        matchExpressions: [
          {key: 'os', operator: 'In', values: ['darwin']},
          {key: 'arch', operator: 'In', values: ['amd64', 'arm64']},
        ],
      },
      {os: 'darwin', arch: 'arm64'},
      true,
    ],
    [{matchExpressions: [{key: 'os', operator: 'NotIn', values: ['windows']}]}, {os: 'windows', arch: 'amd64'}, false],
    [{matchExpressions: [{key: 'arch', operator: 'Exists'}]}, {os: 'linux', arch: 'arm'}, true],
  ])('selector %j on %j matches: %s', (selector, labels, expected) => {
    expect(selectorMatches(selector, labels)).toBe(expected)
  })
})

describe('the committed krew-manifest.yaml', () => {
  it('is plugin.yaml rendered for the package version and passes the krew-index rules', () => {
    const committed = readFileSync(path.join(repoRoot, 'krew-manifest.yaml'), 'utf8')
    const {version} = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {version: string}
    expect(validateKrewManifest(committed, 'mesh-ready.yaml')).toEqual([])
    const doc = parse(committed) as KrewManifest
    expect(doc.spec?.version).toBe(`v${version}`)
    // Same text as a fresh rendering with the committed checksums: the template and the manifest agree.
    const shas = new Map(TARGETS.map((t) => [targetId(t), {uri: releaseUrl(t, version), sha256: platformFor(doc, t.os, t.arch)!.sha256!}]))
    expect(committed).toBe(renderKrewManifest(template, version, shas))
  })
})

describe('release helpers', () => {
  it('knows the targets by os/arch and refuses others', () => {
    expect(selectTargets('linux/amd64,windows/amd64').map(targetId)).toEqual(['linux/amd64', 'windows/amd64'])
    expect(selectTargets(undefined)).toHaveLength(4)
    expect(() => selectTargets('darwin/arm64')).toThrow(
      /unknown target "darwin\/arm64"; use one or more of: linux\/amd64, linux\/arm64, darwin\/amd64, windows\/amd64/,
    )
  })

  it.each([
    ['/r/node_modules/yaml/dist/index.js', '/r/node_modules/yaml'],
    ['/r/node_modules/@oclif/core/lib/config/config.js', '/r/node_modules/@oclif/core'],
    ['/r/node_modules/a/node_modules/b/x.js', '/r/node_modules/a/node_modules/b'],
    ['/r/dist/src/cli/flags.js', undefined],
  ])('the package of %s is %s', (file, dir) => {
    expect(packageDir(file)).toBe(dir)
  })

  it('completion table: one row per command and per visible flag, values from the flag definition', () => {
    const flag = (f: Partial<Command.Flag.Cached>) => ({helpGroup: undefined, ...f}) as Command.Flag.Cached
    const manifest = {
      version: '1',
      commands: {
        check: {
          id: 'check',
          summary: 'Everything.',
          flags: {
            output: flag({name: 'output', char: 'o', type: 'option', options: ['table', 'json'], description: 'Format.\nMore.'}),
            context: flag({name: 'context', type: 'option', description: 'Context'}),
            'no-color': flag({name: 'no-color', type: 'boolean', description: 'No colour'}),
            secret: flag({name: 'secret', type: 'boolean', hidden: true}),
          },
        },
        hidden: {id: 'hidden', hidden: true, flags: {}},
      },
    } as unknown as Interfaces.Manifest
    expect(completionTable(manifest).split('\n')).toEqual([
      'cmd\tcheck\t\t\t\tEverything.',
      'flag\tcheck\t--context\t\t@contexts\tContext',
      'flag\tcheck\t--no-color\t\t@none\tNo colour',
      'flag\tcheck\t--output\t-o\ttable json\tFormat.',
    ])
  })
})
