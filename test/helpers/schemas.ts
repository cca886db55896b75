import {execFile} from 'node:child_process'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {promisify} from 'node:util'
import AjvModule from 'ajv'
import Ajv4Module from 'ajv-draft-04'
import formatsModule from 'ajv-formats'
import {repoRoot} from './cli.js'

/**
 * Validators for the report formats, from the published schemas in test/fixtures/schemas (see its README) and the
 * report's own docs/report.schema.json. ajv, ajv-draft-04 and ajv-formats are CommonJS: their classes are `.default`.
 */

const Ajv = AjvModule.default
const Ajv4 = Ajv4Module.default
const addFormats = formatsModule.default

export const schemasDir = path.join(repoRoot, 'test/fixtures/schemas')
const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as object

/** The mesh-ready report document (-o json / -o yaml), draft-07. */
export function reportValidator() {
  const ajv = new Ajv({allErrors: true})
  addFormats(ajv)
  return ajv.compile(readJson(path.join(repoRoot, 'docs/report.schema.json')))
}

/** The OASIS SARIF 2.1.0 schema (draft-04). */
export function sarifValidator() {
  // unicodeRegExp: false — the schema's `language` pattern ("…{2}]?$") is valid JavaScript only without the u flag
  const ajv = new Ajv4({allErrors: true, strict: false, unicodeRegExp: false})
  addFormats(ajv)
  return ajv.compile(readJson(path.join(schemasDir, 'sarif-2.1.0-rtm.5.json')))
}

/** Jenkins' junit-4.xsd through libxml2's `xmllint --schema` (Debian libxml2-utils). */
export async function xmllintJunit(file: string): Promise<{ok: boolean; output: string}> {
  try {
    const {stderr} = await promisify(execFile)('xmllint', ['--noout', '--schema', path.join(schemasDir, 'junit-4.xsd'), file])
    return {ok: true, output: stderr}
  } catch (error) {
    return {ok: false, output: String((error as {stderr?: string}).stderr ?? error)}
  }
}

/** An XPath 1.0 expression over an XML file, as a string (xmllint --xpath). */
export const xpath = async (file: string, expression: string): Promise<string> =>
  (await promisify(execFile)('xmllint', ['--xpath', expression, file])).stdout.trim()
