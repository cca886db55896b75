import {describe, expect, it} from 'vitest'
import {
  compareKernel,
  compareMinor,
  compareVersions,
  kernelVersion,
  minorOf,
  patchOf,
  toolVersion,
  versionBefore,
  versionParts,
} from '../../src/knowledge/versions.js'

describe('versionParts', () => {
  it.each([
    ['1.16.3', [1, 16, 3]],
    ['v1.16', [1, 16, 0]],
    [' 4.18.0-147.5.1.el8_1.x86_64 ', [4, 18, 0]],
    ['v1.31.7-rc1+k3s1', [1, 31, 7]],
    ['1', undefined],
    ['latest', undefined],
    [undefined, undefined],
  ] as const)('%s → %j', (input, parts) => expect(versionParts(input)).toEqual(parts))
})

describe('comparisons', () => {
  it.each([
    ['1.10.0', '1.9.9', 1],
    ['1.9', '1.9.0', 0],
    ['v1.16.2', '1.16.10', -1],
    ['x', '1.0', undefined],
  ] as const)('compareVersions(%s, %s) has sign %s', (a, b, sign) => {
    const order = compareVersions(a, b)
    expect(order === undefined ? undefined : Math.sign(order)).toBe(sign)
  })

  it.each([
    ['1.29', '1.3', 1],
    ['1.3', '1.29', -1],
    ['1.29', '1.29', 0],
    ['2', '1.99', 1],
  ] as const)('compareMinor(%s, %s) has sign %s (numeric, not lexical)', (a, b, sign) => expect(Math.sign(compareMinor(a, b))).toBe(sign))

  it.each([
    ['1.16.2', '1.16.3', true],
    ['1.16.3', '1.16.3', false],
    ['1.17', '1.16.3', false],
    ['dev', '1.16.3', undefined],
  ] as const)('versionBefore(%s, %s) = %s', (a, b, before) => expect(versionBefore(a, b)).toBe(before))
})

describe('Istio minors and patches', () => {
  it.each([
    ['1.29', '1.29'],
    ['v1.29.0-rc.1', '1.29'],
    ['01.029.3', '1.29'],
    ['1.29 beta', undefined],
    ['one', undefined],
  ] as const)('minorOf(%s) = %s', (input, minor) => expect(minorOf(input)).toBe(minor))

  it.each([
    ['1.29.3', '1.29', 3],
    ['1.29', '1.29', undefined],
    ['1.28.3', '1.29', undefined],
  ] as const)('patchOf(%s, %s) = %s', (version, minor, patch) => expect(patchOf(version, minor)).toBe(patch))
})

describe('kernels and tools', () => {
  it.each([
    ['4.18.0-147.5.1.el8_1.x86_64', '4.18', 0],
    ['3.10.0-1160.el7.x86_64', '4.18', -1],
    ['6.18.0', '5.10', 1],
    ['v6.1', '5.10', undefined],
    [undefined, '5.10', undefined],
  ] as const)('compareKernel(%s, %s) has sign %s', (release, floor, sign) => {
    const order = compareKernel(release, floor)
    expect(order === undefined ? undefined : Math.sign(order)).toBe(sign)
  })

  it('a kernel release never starts with v', () => expect(kernelVersion('v5.10')).toBeUndefined())

  it.each([
    ['nftables v1.0.9 (Old Doc Yak #3)', '1.0.9'],
    ['iptables v1.8.10 (nf_tables)', '1.8.10'],
    ['ip utility, iproute2-6.1.0, libbpf 1.1.0', '6.1.0'],
    ['', undefined],
  ] as const)('toolVersion(%s) = %s', (line, version) => expect(toolVersion(line)).toBe(version))
})
